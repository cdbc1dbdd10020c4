"""Keras saving (npz weights, zip of JSON config + weights; never pickle) and the local-file datasets."""
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from flowgraph import keras
from flowgraph.keras import layers

RNG = np.random.default_rng(5)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CUSTOM_PARTS = '''
"""Custom objects of the save/reload test, imported by the test and by a fresh process."""
import flowgraph.v2 as tf
from flowgraph import keras


class ScaleWithPenalty(keras.layers.Layer):
    """Multiplies by a learned per-feature scale and adds `penalty * mean(|scale|)` as a loss."""

    def __init__(self, penalty=0.1, **kwargs):
        super().__init__(**kwargs)
        self.penalty = penalty

    def build(self, input_shape):
        self.scale = self.add_weight("scale", [input_shape[-1]], initializer="ones")

    def call(self, inputs):
        self.add_loss(self.penalty * tf.reduce_mean(tf.abs(self.scale)))
        return inputs * self.scale

    def get_config(self):
        return dict(super().get_config(), penalty=self.penalty)


def smooth_l1(y_true, y_pred):
    diff = tf.abs(y_pred - tf.cast(y_true, y_pred.dtype))
    return tf.reduce_mean(tf.where(diff < 1.0, 0.5 * diff * diff, diff - 0.5), axis=-1)


def cube(x):
    return x * x * x


def build_model():
    inputs = keras.Input((4,), name="features")
    hidden = ScaleWithPenalty(0.05, name="scale")(keras.layers.Dense(6, activation="tanh")(inputs))
    outputs = keras.layers.Dense(2)(keras.layers.Lambda(cube)(hidden))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.01), loss=smooth_l1)
    return model


CUSTOM_OBJECTS = {"ScaleWithPenalty": ScaleWithPenalty, "smooth_l1": smooth_l1, "cube": cube}
'''

RELOAD = '''
import sys
import numpy as np
import flowgraph.v2 as tf
sys.path.insert(0, sys.argv[1])
import custom_parts
model = tf.keras.models.load_model(sys.argv[2], custom_objects=custom_parts.CUSTOM_OBJECTS)
x = np.load(sys.argv[3])
np.save(sys.argv[4], model.predict(x, verbose=0))
model(x)
np.save(sys.argv[5], np.array([float(l.numpy()) for l in model.losses]))
history = model.fit(x, np.zeros((len(x), 2)), epochs=1, verbose=0)
print("resumed loss", history.history["loss"][0])
'''


@pytest.fixture
def custom_parts(tmp_path, monkeypatch):
    (tmp_path / "custom_parts.py").write_text(CUSTOM_PARTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("custom_parts", None)
    import custom_parts
    yield custom_parts
    sys.modules.pop("custom_parts", None)


def test_custom_model_reloads_in_a_fresh_process_and_predicts_identically(eager, tmp_path, custom_parts):
    model = custom_parts.build_model()
    x = RNG.standard_normal((16, 4)).astype(np.float32)
    model.fit(x, RNG.standard_normal((16, 2)), epochs=2, verbose=0)
    path = tmp_path / "model.keras"
    model.save(str(path))
    np.save(tmp_path / "x.npy", x)
    expected = model.predict(x, verbose=0)
    model(x)
    expected_losses = [float(l.numpy()) for l in model.losses]
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", RELOAD, str(tmp_path), str(path), str(tmp_path / "x.npy"),
                             str(tmp_path / "predictions.npy"), str(tmp_path / "losses.npy")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "resumed loss" in result.stdout
    np.testing.assert_array_equal(np.load(tmp_path / "predictions.npy"), expected)
    np.testing.assert_allclose(np.load(tmp_path / "losses.npy"), expected_losses, rtol=1e-6)


def test_saved_archive_is_json_and_npz_without_pickles(eager, tmp_path, custom_parts):
    path = tmp_path / "model.keras"
    custom_parts.build_model().save(str(path))
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "weights.npz"]
        config = json.loads(archive.read("config.json"))
        archive.extract("weights.npz", tmp_path)
    assert config["model"]["class_name"] == "Functional"
    assert [l["class_name"] for l in config["model"]["config"]["layers"]] == ["InputLayer", "Dense",
                                                                             "ScaleWithPenalty", "Lambda", "Dense"]
    assert config["compile_config"]["loss"] == "smooth_l1"
    assert config["compile_config"]["optimizer"]["config"]["learning_rate"] == 0.01
    with np.load(tmp_path / "weights.npz", allow_pickle=False) as weights:
        assert len(weights.files) == 6


def test_load_model_without_the_custom_objects_names_what_is_missing(eager, tmp_path, custom_parts):
    path = tmp_path / "model.keras"
    custom_parts.build_model().save(str(path))
    with pytest.raises(ValueError, match="Unknown layer: 'ScaleWithPenalty'"):
        keras.models.load_model(str(path))


def test_sequential_and_functional_models_round_trip(tmp_path, mode):
    sequential = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu", name="hidden"),
                                   layers.BatchNormalization(), layers.Dense(2, activation="softmax")])
    inputs = keras.Input((3,))
    branch = layers.Dense(4)(inputs)
    functional = keras.Model(inputs, [layers.Add()([branch, layers.Dense(4)(inputs)]), layers.Dense(1)(branch)])
    x = RNG.standard_normal((5, 3))
    for i, model in enumerate([sequential, functional]):
        model.compile("sgd", "mse", metrics=["mae"])
        model.save(str(tmp_path / ("m%d.keras" % i)))
        loaded = keras.models.load_model(str(tmp_path / ("m%d.keras" % i)))
        assert type(loaded) is type(model) and [l.name for l in loaded.layers] == [l.name for l in model.layers]
        expected, got = model.predict(x, verbose=0), loaded.predict(x, verbose=0)
        for a, b in zip(expected if i else [expected], got if i else [got]):
            np.testing.assert_array_equal(a, b)
        assert loaded.compiled_loss is not None and loaded.optimizer.learning_rate == 0.01
        rebuilt = keras.models.model_from_json(model.to_json())
        assert rebuilt.count_params() == model.count_params()


class TwoLayer(keras.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.first = layers.Dense(units, activation="relu")
        self.second = layers.Dense(1)

    def call(self, inputs, training=None):
        return self.second(self.first(inputs))

    def get_config(self):
        return {"units": self.units, "name": self.name}


class NoConfig(keras.Model):
    def call(self, inputs):
        return inputs


def test_subclassed_model_with_get_config_round_trips(eager, tmp_path):
    model = TwoLayer(5)
    x = RNG.standard_normal((4, 2)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    model.save(str(tmp_path / "sub.keras"))
    loaded = keras.models.load_model(str(tmp_path / "sub.keras"), custom_objects={"TwoLayer": TwoLayer})
    assert loaded.units == 5
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    with pytest.raises(NotImplementedError, match="is a subclassed model: to save it with model.save"):
        NoConfig().save(str(tmp_path / "no_config.keras"))


def test_save_and_load_weights_restore_values_and_check_shapes(tmp_path, mode):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.BatchNormalization()])
    model.layers[1].trainable = False  # the saving order does not depend on trainability
    path = str(tmp_path / "weights.npz")
    model.save_weights(path)
    other = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.BatchNormalization()])
    other.load_weights(path)
    for a, b in zip(model._weights_in_creation_order(), other._weights_in_creation_order()):
        np.testing.assert_array_equal(keras.backend.get_values([a])[0], keras.backend.get_values([b])[0])
    with pytest.raises(ValueError, match="the architectures differ"):
        keras.Sequential([keras.Input((3,)), layers.Dense(4)]).load_weights(path)
    with pytest.raises(ValueError, match=r"has shape \(3, 4\), but the model's weight .* has shape \(3, 5\)"):
        keras.Sequential([keras.Input((3,)), layers.Dense(5), layers.BatchNormalization()]).load_weights(path)
    assert os.listdir(tmp_path) == ["weights.npz"]


def test_a_failed_save_leaves_the_previous_file_intact(eager, tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    path = tmp_path / "weights.npz"
    model.save_weights(str(path))
    before = path.read_bytes()

    def failing_savez(f, **arrays):
        f.write(b"partial")
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        model.save_weights(str(path))
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["weights.npz"]


# ---- datasets -----------------------------------------------------------------------------------------------

def test_digits_split_is_fixed_and_covers_all_samples():
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    assert x_train.shape == (1347, 8, 8) and x_test.shape == (450, 8, 8)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8 and x_train.max() == 16
    assert sorted(np.unique(y_test)) == list(range(10))
    (again, _), _ = keras.datasets.digits.load_data()
    np.testing.assert_array_equal(again, x_train)


def test_mnist_reads_a_local_npz(tmp_path):
    arrays = {"x_train": RNG.integers(0, 255, (6, 28, 28), dtype=np.uint8), "y_train": np.arange(6, dtype=np.uint8),
              "x_test": RNG.integers(0, 255, (2, 28, 28), dtype=np.uint8), "y_test": np.arange(2, dtype=np.uint8)}
    np.savez(tmp_path / "mnist.npz", **arrays)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data(str(tmp_path / "mnist.npz"))
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    with pytest.raises(FileNotFoundError, match="MNIST data not found .* never downloads"):
        keras.datasets.mnist.load_data(str(tmp_path / "absent.npz"))
    np.savez(tmp_path / "bad.npz", x_train=arrays["x_train"])
    with pytest.raises(ValueError, match="is not an MNIST file"):
        keras.datasets.mnist.load_data(str(tmp_path / "bad.npz"))


def _cifar_records(count):
    coarse = RNG.integers(0, 20, count, dtype=np.uint8)
    fine = RNG.integers(0, 100, count, dtype=np.uint8)
    planes = RNG.integers(0, 255, (count, 3, 32, 32), dtype=np.uint8)
    records = np.concatenate([coarse[:, None], fine[:, None], planes.reshape(count, -1)], axis=1)
    return records, coarse, fine, planes.transpose(0, 2, 3, 1)


def test_cifar100_reads_the_binary_version_and_an_npz(tmp_path):
    folder = tmp_path / "cifar-100-binary"
    folder.mkdir()
    train, coarse, fine, images = _cifar_records(5)
    test, _, test_fine, _ = _cifar_records(3)
    train.tofile(folder / "train.bin")
    test.tofile(folder / "test.bin")
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar100.load_data(path=str(folder))
    np.testing.assert_array_equal(x_train, images)
    np.testing.assert_array_equal(y_train, fine[:, None])
    np.testing.assert_array_equal(y_test, test_fine[:, None])
    (_, y_coarse), _ = keras.datasets.cifar100.load_data("coarse", path=str(folder))
    np.testing.assert_array_equal(y_coarse, coarse[:, None])
    np.savez(tmp_path / "cifar100.npz", x_train=images, x_test=images[:2], y_train_fine=fine, y_test_fine=fine[:2],
             y_train_coarse=coarse, y_test_coarse=coarse[:2])
    (x_npz, y_npz), _ = keras.datasets.cifar100.load_data(path=str(tmp_path / "cifar100.npz"))
    np.testing.assert_array_equal(x_npz, images)
    assert y_npz.shape == (5, 1)


def test_cifar100_refuses_the_pickled_python_version(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    (folder / "train").write_bytes(b"\x80\x04 not unpickled")
    with pytest.raises(ValueError, match="pickled 'python version' of CIFAR-100, which flowgraph does not read"):
        keras.datasets.cifar100.load_data(path=str(folder))
    with pytest.raises(ValueError, match="`label_mode` must be one of"):
        keras.datasets.cifar100.load_data("medium", path=str(folder))


def test_to_categorical():
    np.testing.assert_array_equal(keras.utils.to_categorical([[2], [0]], 3), [[0, 0, 1], [1, 0, 0]])
    assert keras.utils.to_categorical([1, 3]).shape == (2, 4)
