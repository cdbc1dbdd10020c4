"""Keras training: the same network three ways on digits, a GradientTape loop against fit, graph-mode fit
against eager-mode fit, freezing, evaluate/predict/train_on_batch values, callbacks, summary, errors."""
import numpy as np
import pytest

import flowgraph as tf
from flowgraph import keras
from flowgraph.keras import layers

RNG = np.random.default_rng(3)


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    return (x_train.reshape(-1, 64) / 16.0, y_train), (x_test.reshape(-1, 64) / 16.0, y_test)


def init(seed):
    return keras.initializers.GlorotUniform(seed=seed)


# ---- one network, three ways ------------------------------------------------------------------------------

def sequential_net():
    return keras.Sequential([keras.Input((64,)), layers.Dense(128, activation="relu", kernel_initializer=init(1)),
                             layers.Dense(10, activation="softmax", kernel_initializer=init(2))])


def functional_net():
    inputs = keras.Input((64,))
    hidden = layers.Dense(128, activation="relu", kernel_initializer=init(1))(inputs)
    return keras.Model(inputs, layers.Dense(10, activation="softmax", kernel_initializer=init(2))(hidden))


class SubclassedNet(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(128, activation="relu", kernel_initializer=init(1))
        self.classifier = layers.Dense(10, activation="softmax", kernel_initializer=init(2))

    def call(self, inputs, training=None):
        return self.classifier(self.hidden(inputs))


@pytest.mark.parametrize("make_model", [sequential_net, functional_net, SubclassedNet],
                         ids=["sequential", "functional", "subclassed"])
def test_the_same_network_three_ways_learns_digits(eager, digits, make_model):
    (x_train, y_train), (x_test, y_test) = digits
    np.random.seed(0)
    model = make_model()
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=8, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.96, accuracy
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    assert model.count_params() == 64 * 128 + 128 + 128 * 10 + 10
    assert model._steps._cache[next(iter(model._steps._cache))].experimental_get_tracing_count() == 1


def per_step_losses(running_means, batch_sizes):
    """Each batch's own loss from fit's running (sample-weighted) means."""
    seen = np.cumsum(batch_sizes)
    totals = np.asarray(running_means) * seen
    return np.diff(np.concatenate([[0.0], totals])) / batch_sizes


def test_gradient_tape_loop_matches_fit_step_by_step(eager, digits):
    (x, y), _ = digits
    x, y = x[:200], y[:200]
    model = SubclassedNet()
    model.build((None, 64))
    start = model.get_weights()
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), keras.losses.SparseCategoricalCrossentropy())
    running = []
    model.fit(x, y, batch_size=48, epochs=2, shuffle=False, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: running.append(
                  logs["loss"]))])
    sizes = np.array([48, 48, 48, 48, 8])
    fit_losses = np.concatenate([per_step_losses(running[:5], sizes), per_step_losses(running[5:], sizes)])

    loop_model = SubclassedNet()
    loop_model.build((None, 64))
    loop_model.set_weights(start)
    optimizer = keras.optimizers.SGD(0.1, momentum=0.9)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    loop_losses = []
    for _ in range(2):
        for i in range(0, 200, 48):
            with tf.GradientTape() as tape:
                loss = loss_fn(y[i:i + 48], loop_model(x[i:i + 48], training=True))
            grads = tape.gradient(loss, loop_model.trainable_variables)
            optimizer.apply_gradients(zip(grads, loop_model.trainable_variables))
            loop_losses.append(float(loss.numpy()))
    np.testing.assert_allclose(fit_losses, loop_losses, rtol=1e-4)
    for a, b in zip(model.get_weights(), loop_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_graph_mode_and_eager_mode_fit_give_the_same_losses(digits):
    (x, y), (x_test, y_test) = digits
    x, y = x[:300], y[:300]

    def train():
        model = functional_net()
        model.set_weights(start)
        model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0, validation_data=(x_test, y_test))
        return history.history, model.get_weights(), model.predict(x_test[:20], verbose=0)

    start = [RNG.standard_normal(w.shape.as_list()).astype(np.float32) * 0.1 for w in functional_net().weights]
    graph_history, graph_weights, graph_predictions = train()
    assert isinstance(keras.backend.graph_of_variable(functional_net().weights[0]), tf.Graph)
    tf.enable_eager_execution()
    keras.backend.clear_session()
    eager_history, eager_weights, eager_predictions = train()
    assert sorted(graph_history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key in graph_history:
        np.testing.assert_allclose(graph_history[key], eager_history[key], rtol=1e-4)
    for a, b in zip(graph_weights, eager_weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(graph_predictions, eager_predictions, rtol=1e-4, atol=1e-6)


def test_frozen_lower_layers_keep_their_weights(digits, mode):
    (x, y), _ = digits
    model = keras.Sequential([keras.Input((64,)), layers.Dense(32, activation="relu"), layers.BatchNormalization(),
                              layers.Dense(10, activation="softmax")])
    for layer in model.layers[:2]:
        layer.trainable = False
    model.compile("adam", "sparse_categorical_crossentropy")
    before = [layer.get_weights() for layer in model.layers]
    model.fit(x[:256], y[:256], epochs=2, verbose=0)
    after = [layer.get_weights() for layer in model.layers]
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 6
    for a, b in zip(before[0] + before[1], after[0] + after[1]):  # dense, then batch norm (moving statistics too)
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(before[2][0], after[2][0])


# ---- values of evaluate, predict, train_on_batch ------------------------------------------------------------

def _ce_and_accuracy(probs, labels, weights=None):
    losses = -np.log(np.clip(probs, 1e-7, 1 - 1e-7)[np.arange(len(labels)), labels])
    hits = (probs.argmax(-1) == labels).astype(float)
    weights = np.ones(len(labels)) if weights is None else weights
    return (losses * weights).sum() / len(labels), (hits * weights).sum() / weights.sum()


def test_evaluate_predict_and_batch_methods_agree_with_numpy(digits, mode):
    (x, y), _ = digits
    x, y = x[:100], y[:100]
    model = functional_net()
    model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    probs = model.predict(x, batch_size=7, verbose=0)
    assert probs.shape == (100, 10)
    np.testing.assert_allclose(probs, model.predict_on_batch(x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=13, verbose=0), _ce_and_accuracy(probs, y),
                               rtol=1e-5)
    assert model.metrics_names == ["loss", "accuracy"]
    weights = (np.arange(100) % 2).astype(np.float32)
    weighted_loss, weighted_accuracy = _ce_and_accuracy(probs, y, weights)
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=weights, verbose=0),  # `metrics` are unweighted
                               [weighted_loss, _ce_and_accuracy(probs, y)[1]], rtol=1e-5)
    weighted = functional_net()
    weighted.set_weights(model.get_weights())
    weighted.compile("sgd", "sparse_categorical_crossentropy", weighted_metrics=["accuracy"])
    np.testing.assert_allclose(weighted.evaluate(x, y, sample_weight=weights, verbose=0),
                               [weighted_loss, weighted_accuracy], rtol=1e-5)
    np.testing.assert_allclose(model.test_on_batch(x, y), _ce_and_accuracy(probs, y), rtol=1e-5)
    first = model.train_on_batch(x, y, return_dict=True)
    np.testing.assert_allclose([first["loss"], first["accuracy"]], _ce_and_accuracy(probs, y), rtol=1e-5)
    assert model.test_on_batch(x, y)[0] < first["loss"]


def test_validation_split_holds_out_the_last_samples(eager, digits):
    (x, y), _ = digits
    x, y = x[:100], y[:100]
    model = functional_net()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    np.testing.assert_allclose([history.history["val_loss"][0], history.history["val_accuracy"][0]],
                               model.evaluate(x[80:], y[80:], verbose=0), rtol=1e-5)
    assert model.history is history


def test_multi_input_multi_output_losses_and_metric_names(eager):
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    joined = layers.Concatenate()([a, b])
    score = layers.Dense(1, name="score")(joined)
    label = layers.Dense(3, activation="softmax", name="label")(joined)
    model = keras.Model([a, b], [score, label])
    model.compile("adam", loss={"score": "mse", "label": "sparse_categorical_crossentropy"},
                  loss_weights={"score": 2.0, "label": 0.5}, metrics={"label": ["accuracy"]})
    xa, xb = RNG.standard_normal((24, 3)), RNG.standard_normal((24, 2))
    targets = [RNG.standard_normal((24, 1)), RNG.integers(0, 3, 24)]
    history = model.fit({"a": xa, "b": xb}, targets, epochs=2, batch_size=8, verbose=0)
    assert list(history.history) == ["loss", "score_loss", "label_loss", "label_accuracy"]
    total, score_loss, label_loss, label_accuracy = model.evaluate([xa, xb], targets, verbose=0)
    np.testing.assert_allclose(total, 2.0 * score_loss + 0.5 * label_loss, rtol=1e-5)
    predicted_score, _ = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(score_loss, ((predicted_score - targets[0]) ** 2).mean(), rtol=1e-5)
    by_name = model.evaluate([xa, xb], {"label": targets[1], "score": targets[0]}, verbose=0)
    np.testing.assert_allclose(by_name, [total, score_loss, label_loss, label_accuracy], rtol=1e-6)


class ResidualBlock(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(units, activation="relu")
        self.outer = layers.Dense(units)

    def call(self, inputs):
        return tf.nn.relu(inputs + self.outer(self.inner(inputs)))


class ResidualNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.stem = layers.Dense(16, activation="relu")
        self.blocks = [ResidualBlock(16), ResidualBlock(16)]
        self.dropout = layers.Dropout(0.2)
        self.head = layers.Dense(10)

    def call(self, inputs, training=None):
        x = self.stem(inputs)
        for block in self.blocks:
            x = block(x)
        return self.head(self.dropout(x, training=training))


def test_subclassed_residual_model_trains_and_reports_its_layers(digits, mode):
    (x, y), _ = digits
    model = ResidualNet()
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x[:512], y[:512], epochs=3, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert [type(l).__name__ for l in model.layers] == ["Dense", "ResidualBlock", "ResidualBlock", "Dropout",
                                                        "Dense"]
    assert len(model.trainable_weights) == 2 + 4 * 2 + 2
    np.testing.assert_array_equal(model.predict(x[:5], verbose=0), model.predict(x[:5], verbose=0))


def test_small_convolutional_network_learns_digit_images(eager):
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    images = (x_train[:600, :, :, None] / 16.0).astype(np.float32)
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              layers.Conv2D(8, 3, padding="same", activation="relu", kernel_initializer=init(3)),
                              layers.MaxPooling2D(),
                              layers.Conv2D(16, 3, activation="relu", kernel_initializer=init(4)),
                              layers.Flatten(), layers.Dense(10, kernel_initializer=init(5))])
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    np.random.seed(1)
    history = model.fit(images, y_train[:600], batch_size=32, epochs=4, verbose=0)
    assert history.history["loss"][-1] < 0.25 * history.history["loss"][0]
    assert model.evaluate(x_test[:, :, :, None] / 16.0, y_test, verbose=0)[1] > 0.8
    assert model.layers[2].output_shape == (None, 2, 2, 16)


def test_graph_mode_fit_uses_the_default_session_and_runs_batch_norm_updates(digits):
    (x, y), _ = digits
    model = keras.Sequential([keras.Input((64,)), layers.BatchNormalization(), layers.Dense(10)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with tf.Session() as sess:
        model.fit(x[:64], y[:64], batch_size=64, epochs=1, verbose=0)
        moving_mean = sess.run(model.layers[0].moving_mean)
    np.testing.assert_allclose(moving_mean, 0.01 * x[:64].mean(0), rtol=1e-4, atol=1e-7)


def test_deferred_sequential_builds_on_first_data(eager):
    model = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
    assert not model.built
    with pytest.raises(ValueError, match="This model has not yet been built"):
        model.summary()
    model.compile("sgd", "mse")
    model.fit(RNG.standard_normal((10, 3)), RNG.standard_normal((10, 2)), verbose=0)
    assert model.built and model.layers[0].kernel.shape.as_list() == [3, 4]
    assert model.inputs[0].shape.as_list() == [None, 3]


def test_model_and_optimizer_first_used_inside_a_user_function_create_eager_variables(eager):
    model = keras.Sequential([layers.Dense(3), layers.Dense(1)])
    optimizer = keras.optimizers.Adam(0.1)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x)))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    x = RNG.standard_normal((8, 4)).astype(np.float32)
    losses = [float(step(x).numpy()) for _ in range(3)]
    assert losses[2] < losses[0] and step.experimental_get_tracing_count() == 1
    assert all(type(v).__name__ == "EagerVariable" for v in model.weights + optimizer.variables())
    assert int(optimizer.iterations.numpy()) == 3
    np.testing.assert_allclose(float(np.mean(model(x).numpy() ** 2)), float(step(x).numpy()), rtol=1e-5)


# ---- summary ----------------------------------------------------------------------------------------------

def test_summary_prints_keras_parameter_counts():
    model = keras.Sequential([layers.Dense(64, activation="relu", input_shape=(64,)), layers.BatchNormalization(),
                              layers.Dense(10)], name="digits_mlp")
    lines = []
    model.summary(print_fn=lines.append)
    assert lines == [
        'Model: "digits_mlp"',
        "_" * 65,
        "Layer (type)                 Output Shape              Param #   ",
        "=" * 65,
        "dense (Dense)                (None, 64)                4160      ",
        "_" * 65,
        "batch_normalization (BatchNo (None, 64)                256       ",
        "_" * 65,
        "dense_1 (Dense)              (None, 10)                650       ",
        "=" * 65,
        "Total params: 5,066",
        "Trainable params: 4,938",
        "Non-trainable params: 128",
        "_" * 65,
    ]


def test_functional_summary_lists_connections(capsys):
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    model = keras.Model([a, b], layers.Dense(1, name="out")(layers.Add(name="sum")([a, b])))
    model.summary()
    text = capsys.readouterr().out
    assert "a (InputLayer)                  [(None, 4)]          0" in text
    assert "sum (Add)                       (None, 4)            0           a[0][0]" in text
    assert "b[0][0]" in text and "Total params: 5\n" in text


def test_subclassed_model_summary_before_build_raises_then_shows_multiple():
    model = ResidualNet()
    with pytest.raises(ValueError, match="This model has not yet been built. Build the model first by calling "
                                         r"`build\(\)` or calling `fit\(\)` with some data"):
        model.summary()
    model.build((None, 8))
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[4].split() == ["dense", "(Dense)", "multiple", "144"]
    assert "Total params: 1,402" in lines


# ---- callbacks ------------------------------------------------------------------------------------------------

class InjectMonitor(keras.callbacks.Callback):
    """Puts a scripted value into the epoch logs (seen by callbacks after it) and records the weights."""

    def __init__(self, values):
        super().__init__()
        self.values = values
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        logs["monitored"] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def test_early_stopping_stops_after_patience_and_restores_the_best_weights(eager):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    inject = InjectMonitor([3.0, 2.0, 2.5, 2.6, 1.0, 0.5])
    stopper = keras.callbacks.EarlyStopping(monitor="monitored", patience=2, restore_best_weights=True)
    history = model.fit(RNG.standard_normal((16, 2)), RNG.standard_normal((16, 1)), epochs=6, verbose=0,
                        callbacks=[inject, stopper])
    assert history.epoch == [0, 1, 2, 3] and stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    for a, b in zip(model.get_weights(), inject.weights[1]):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_saves_improvements_only(eager, tmp_path):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    path = str(tmp_path / "weights.{epoch:02d}.npz")
    callbacks = [InjectMonitor([1.0, 2.0, 0.5]),
                 keras.callbacks.ModelCheckpoint(path, monitor="monitored", save_best_only=True,
                                                 save_weights_only=True)]
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=callbacks)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.01.npz", "weights.03.npz"]
    restored = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    restored.load_weights(str(tmp_path / "weights.03.npz"))
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_lambda_callback_and_history_see_every_epoch_and_batch(eager):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    events = []
    callback = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: events.append(("epoch", e)),
                                              on_batch_end=lambda b, logs: events.append(("batch", b)),
                                              on_train_end=lambda logs: events.append("end"))
    history = model.fit(np.ones((10, 2)), np.ones((10, 1)), batch_size=4, epochs=3, initial_epoch=1,
                        verbose=0, callbacks=[callback])
    assert events == [("epoch", 1), ("batch", 0), ("batch", 1), ("batch", 2), ("epoch", 2), ("batch", 0),
                      ("batch", 1), ("batch", 2), "end"]
    assert history.epoch == [1, 2] and list(history.history) == ["loss", "mae"]


def test_fit_prints_a_progress_bar_per_epoch(eager, capsys):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((10, 2)), np.ones((10, 1)), batch_size=5, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "2/2 [==============================]" in out and "- loss: " in out
    model.fit(np.ones((10, 2)), np.ones((10, 1)), epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


# ---- errors -------------------------------------------------------------------------------------------------

def test_training_errors_say_what_is_wrong(eager):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(RuntimeError, match="You must compile your model before training"):
        model.fit(np.ones((4, 2)), np.ones((4, 1)))
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.fit(np.ones((4, 2)), np.ones((3, 1)), verbose=0)
    with pytest.raises(ValueError, match="Target data is missing"):
        model.fit(np.ones((4, 2)), verbose=0)
    with pytest.raises(ValueError, match="expects 1 input"):
        model.predict([np.ones((4, 2)), np.ones((4, 2))], verbose=0)
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(keras.Input((2,)), layers.Dense(1)(keras.Input((2,))))
