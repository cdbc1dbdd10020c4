"""Keras layers: names, values against numpy, inferred vs actual shapes, weights, config, losses, constraints."""
import numpy as np
import pytest

import flowgraph as tf
from flowgraph import keras
from flowgraph.keras import layers

RNG = np.random.default_rng(7)


def run(outputs, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(outputs, feed)


def predict_one(layer, x, input_shape=None, dtype=None):
    """(model output, KerasTensor) of `layer` applied to an Input of `input_shape` (default: x's, batch free)."""
    inputs = keras.Input(input_shape or x.shape[1:], dtype=dtype)
    outputs = layer(inputs)
    return keras.Model(inputs, outputs).predict(x, verbose=0), outputs


# ---- names ------------------------------------------------------------------------------------------------

def test_default_names_are_snake_case_and_made_unique():
    names = [layers.Dense(2).name, layers.Dense(2).name, layers.Conv2D(1, 1).name, layers.MaxPooling2D().name,
             layers.BatchNormalization().name, layers.ReLU().name, layers.GlobalAveragePooling2D().name,
             layers.Dense(2, name="head").name, layers.Dense(2).name]
    assert names == ["dense", "dense_1", "conv2d", "max_pooling2d", "batch_normalization", "re_lu",
                     "global_average_pooling2d", "head", "dense_2"]
    assert [keras.Input((2,))._keras_history[0].name for _ in range(2)] == ["input_1", "input_2"]


def test_names_restart_per_graph_and_after_clear_session(eager):
    assert layers.Dense(1).name == "dense"
    assert layers.Dense(1).name == "dense_1"
    keras.backend.clear_session()
    assert layers.Dense(1).name == "dense"


def test_unknown_keyword_argument_is_rejected():
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        layers.Dense(2, units_typo=3)


# ---- Dense ------------------------------------------------------------------------------------------------

def test_dense_matches_numpy_for_rank_2_and_rank_3_inputs():
    layer = layers.Dense(3, activation="relu")
    x2 = tf.placeholder(tf.float32, [None, 5])
    x3 = tf.placeholder(tf.float32, [None, 4, 5])
    y2, y3 = layer(x2), layer(x3)
    assert y2.shape.as_list() == [None, 3] and y3.shape.as_list() == [None, 4, 3]
    a2, a3 = RNG.standard_normal((2, 5)), RNG.standard_normal((2, 4, 5))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got2, got3, kernel, bias = sess.run([y2, y3, layer.kernel, layer.bias], {x2: a2, x3: a3})
    np.testing.assert_allclose(got2, np.maximum(a2 @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got3, np.maximum(a3 @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    assert kernel.shape == (5, 3) and not bias.any()


def test_dense_needs_a_known_last_dimension():
    with pytest.raises(ValueError, match="last dimension of the inputs to a Dense layer should be defined"):
        layers.Dense(2)(keras.Input((None,)))


def test_glorot_uniform_kernel_is_within_its_limit():
    layer = layers.Dense(30)
    layer(tf.placeholder(tf.float32, [None, 20]))
    kernel = run(layer.kernel)
    limit = np.sqrt(6.0 / (20 + 30))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit


# ---- shapes: inferred (functional API) vs actual ------------------------------------------------------------

def _conv_reference(x, kernel, stride, padding):
    """Direct NHWC convolution (cross-correlation, as TF) with 'valid' or 'same' padding."""
    kh, kw = kernel.shape[:2]
    if padding == "same":
        out_h, out_w = -(-x.shape[1] // stride), -(-x.shape[2] // stride)
        pad_h = max((out_h - 1) * stride + kh - x.shape[1], 0)
        pad_w = max((out_w - 1) * stride + kw - x.shape[2], 0)
        x = np.pad(x, [(0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)])
    out_h, out_w = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], out_h, out_w, kernel.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=3)
    return out


@pytest.mark.parametrize("padding,stride", [("valid", 1), ("same", 1), ("same", 2), ("valid", 2)])
def test_conv2d_matches_direct_convolution(padding, stride):
    x = RNG.standard_normal((2, 7, 6, 3)).astype(np.float32)
    layer = layers.Conv2D(4, (3, 2), strides=stride, padding=padding, bias_initializer="ones")
    got, symbolic = predict_one(layer, x)
    kernel, bias = layer.get_weights()
    expected = _conv_reference(x, kernel, stride, padding) + bias
    assert symbolic.shape.as_list() == [None] + list(expected.shape[1:])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_conv2d_channels_first_transposes_around_the_same_convolution():
    x = RNG.standard_normal((2, 3, 6, 5)).astype(np.float32)
    layer = layers.Conv2D(2, 3, data_format="channels_first")
    got, symbolic = predict_one(layer, x)
    expected = _conv_reference(x.transpose(0, 2, 3, 1), layer.get_weights()[0], 1, "valid").transpose(0, 3, 1, 2)
    assert symbolic.shape.as_list() == [None, 2, 4, 3]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def _pool_reference(x, size, reduce):
    n, h, w, c = x.shape
    h, w = h // size * size, w // size * size
    blocks = x[:, :h, :w, :].reshape(n, h // size, size, w // size, size, c)
    return reduce(blocks, axis=(2, 4))


@pytest.mark.parametrize("layer_class,reduce", [(layers.MaxPooling2D, np.max), (layers.AveragePooling2D, np.mean)])
def test_pooling_matches_numpy_windows(layer_class, reduce):
    x = RNG.standard_normal((2, 5, 7, 3)).astype(np.float32)
    got, symbolic = predict_one(layer_class(pool_size=2), x)
    assert symbolic.shape.as_list() == [None, 2, 3, 3]
    np.testing.assert_allclose(got, _pool_reference(x, 2, reduce), rtol=1e-5, atol=1e-6)


def test_same_padding_pooling_shape_rounds_up():
    _, symbolic = predict_one(layers.MaxPooling2D(3, strides=2, padding="same"), np.zeros((1, 7, 4, 2), np.float32))
    assert symbolic.shape.as_list() == [None, 4, 2, 2]


@pytest.mark.parametrize("layer,x,reference", [
    (layers.Flatten(), RNG.standard_normal((2, 3, 4, 2)), lambda x: x.reshape(2, -1)),
    (layers.Reshape((4, -1)), RNG.standard_normal((2, 3, 8)), lambda x: x.reshape(2, 4, 6)),
    (layers.GlobalAveragePooling2D(), RNG.standard_normal((2, 3, 5, 4)), lambda x: x.mean(axis=(1, 2))),
    (layers.GlobalAveragePooling2D(keepdims=True), RNG.standard_normal((2, 3, 5, 4)),
     lambda x: x.mean(axis=(1, 2), keepdims=True)),
    (layers.Softmax(), RNG.standard_normal((3, 5)), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    (layers.ReLU(max_value=0.5, negative_slope=0.1), RNG.standard_normal((3, 5)),
     lambda x: np.where(x > 0, np.minimum(x, 0.5), 0.1 * x)),
    (layers.ReLU(threshold=0.3), RNG.standard_normal((3, 5)), lambda x: np.where(x > 0.3, x, 0.0)),
    (layers.Activation("tanh"), RNG.standard_normal((3, 5)), np.tanh),
    (layers.Dropout(0.5), RNG.standard_normal((3, 5)), lambda x: x),
    (layers.Lambda(lambda x: x * 2.0 + 1.0), RNG.standard_normal((3, 2, 5)), lambda x: x * 2 + 1),
    (layers.Lambda(lambda x: tf.reduce_sum(x, axis=-1)), RNG.standard_normal((3, 2, 5)), lambda x: x.sum(-1)),
], ids=lambda v: type(v).__name__ if isinstance(v, layers.Layer) else "")
def test_layer_values_and_inferred_shapes(layer, x, reference):
    x = x.astype(np.float32)
    got, symbolic = predict_one(layer, x)
    expected = reference(x)
    assert symbolic.shape.as_list() == [None] + list(expected.shape[1:])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_dropout_drops_and_rescales_only_while_training(eager):
    x = np.ones((200, 50), np.float32)
    layer = layers.Dropout(0.4, seed=1)
    dropped = layer(x, training=True).numpy()
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], 1 / 0.6, rtol=1e-6)
    assert abs(kept.mean() - 0.6) < 0.02
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)


def test_inferred_shapes_keep_unknown_dimensions():
    inputs = keras.Input((None, 6))
    assert layers.Dense(3)(inputs).shape.as_list() == [None, None, 3]
    assert layers.Flatten()(inputs).shape.as_list() == [None, None]
    assert layers.Lambda(lambda x: x[:, :, :2])(inputs).shape.as_list() == [None, None, 2]
    images = keras.Input((None, None, 3))
    assert layers.Conv2D(5, 3)(images).shape.as_list() == [None, None, None, 5]
    assert layers.GlobalAveragePooling2D()(images).shape.as_list() == [None, 3]


def test_reshape_size_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"total size of new array must be unchanged, input_shape = \[2, 3\], "
                                         r"output_shape = \[4\]"):
        layers.Reshape((4,))(keras.Input((2, 3)))


def test_embedding_gathers_rows_and_outputs_floats():
    ids = np.array([[0, 3, 3], [9, 1, 0]])
    layer = layers.Embedding(10, 4)
    got, symbolic = predict_one(layer, ids, dtype="int32")
    assert symbolic.shape.as_list() == [None, 3, 4] and symbolic.dtype == tf.float32
    np.testing.assert_allclose(got, layer.get_weights()[0][ids])


def test_add_and_concatenate_merge_lists():
    a, b = keras.Input((3,)), keras.Input((1,))
    total, joined = layers.Add()([a, b]), layers.Concatenate()([a, b])
    assert total.shape.as_list() == [None, 3] and joined.shape.as_list() == [None, 4]
    xa, xb = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 1))
    got_total, got_joined = keras.Model([a, b], [total, joined]).predict([xa, xb], verbose=0)
    np.testing.assert_allclose(got_total, xa + xb, rtol=1e-6)
    np.testing.assert_allclose(got_joined, np.concatenate([xa, xb], axis=1), rtol=1e-6)
    with pytest.raises(ValueError, match="should be called on a list of at least 2 inputs"):
        layers.Add()([a])
    with pytest.raises(ValueError, match="matching shapes except for the concat axis"):
        layers.Concatenate(axis=0)([a, b])


# ---- batch normalization ----------------------------------------------------------------------------------

def test_batch_normalization_trains_on_batch_statistics_and_infers_with_moving_ones(eager):
    x = (RNG.standard_normal((8, 3)) * 3.0 + 2.0).astype(np.float32)
    layer = layers.BatchNormalization(momentum=0.9)
    trained = layer(x, training=True).numpy()
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(trained, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    gamma, beta, moving_mean, moving_var = layer.get_weights()
    np.testing.assert_allclose(moving_mean, 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(moving_var, 0.9 + 0.1 * var, rtol=1e-5)
    inferred = layer(x, training=False).numpy()
    np.testing.assert_allclose(inferred, (x - moving_mean) / np.sqrt(moving_var + 1e-3), rtol=1e-5, atol=1e-6)
    assert [w.name for w in layer.trainable_weights] == ["batch_normalization/gamma:0", "batch_normalization/beta:0"]
    assert len(layer.non_trainable_weights) == 2


def test_frozen_batch_normalization_uses_moving_statistics_even_when_training(eager):
    layer = layers.BatchNormalization()
    x = RNG.standard_normal((4, 2)).astype(np.float32)
    layer(x)
    layer.trainable = False
    before = layer.get_weights()
    np.testing.assert_allclose(layer(x, training=True).numpy(), x / np.sqrt(1 + 1e-3), rtol=1e-5)
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_batch_normalization_on_channels_first_axis():
    x = RNG.standard_normal((2, 3, 4, 4)).astype(np.float32)
    layer = layers.BatchNormalization(axis=1, beta_initializer="ones")
    got, _ = predict_one(layer, x)
    np.testing.assert_allclose(got, x / np.sqrt(1 + 1e-3) + 1.0, rtol=1e-5, atol=1e-6)
    assert layer.get_weights()[0].shape == (3,)


# ---- weights ----------------------------------------------------------------------------------------------

def test_weight_lists_follow_trainable_and_freezing_reaches_sublayers():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dense(2)(layers.BatchNormalization()(layers.Dense(3)(inputs))))
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 2
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 8
    assert all(not layer.trainable for layer in model.layers)
    model.layers[-1].trainable = True
    assert len(model.trainable_weights) == 0  # the model itself is still frozen
    model.trainable = True
    model.layers[1].trainable = False
    assert len(model.trainable_weights) == 4


def test_set_weights_checks_count_and_shapes():
    layer = layers.Dense(2)
    layer(tf.placeholder(tf.float32, [None, 3]))
    kernel = np.arange(6, dtype=np.float32).reshape(3, 2)
    layer.set_weights([kernel, np.ones(2)])
    got_kernel, got_bias = layer.get_weights()
    np.testing.assert_array_equal(got_kernel, kernel)
    np.testing.assert_array_equal(got_bias, [1, 1])
    with pytest.raises(ValueError, match="with a weight list of length 1, but the layer was expecting 2 weights"):
        layer.set_weights([kernel])
    with pytest.raises(ValueError, match=r"has shape \(3, 2\), but the value given for it has shape \(2, 3\)"):
        layer.set_weights([kernel.T, np.ones(2)])


def test_weights_constructor_argument_sets_initial_values(eager):
    kernel = np.full((2, 1), 0.5, np.float32)
    layer = layers.Dense(1, weights=[kernel, np.array([1.0], np.float32)])
    np.testing.assert_allclose(layer(np.ones((1, 2), np.float32)).numpy(), [[2.0]])


def test_count_params_needs_a_built_layer():
    with pytest.raises(ValueError, match="isn't built"):
        layers.Dense(3).count_params()
    layer = layers.Dense(3)
    layer.build(tf.TensorShape([None, 4]))
    assert layer.count_params() == 15


# ---- losses, regularizers, constraints ----------------------------------------------------------------------

def test_regularizers_add_their_penalty_to_losses(eager):
    layer = layers.Dense(2, kernel_regularizer=keras.regularizers.l2(0.1),
                         bias_regularizer=keras.regularizers.l1_l2(l1=0.2, l2=0.3), bias_initializer="ones")
    layer(np.ones((1, 3), np.float32))
    kernel, bias = layer.get_weights()
    penalties = sorted(float(v.numpy()) for v in layer.losses)
    expected = sorted([0.1 * (kernel ** 2).sum(), 0.2 * np.abs(bias).sum() + 0.3 * (bias ** 2).sum()])
    np.testing.assert_allclose(penalties, expected, rtol=1e-5)


class ActivityPenalty(layers.Layer):
    """Adds the mean of its inputs as a loss, in call."""

    def call(self, inputs):
        self.add_loss(tf.reduce_mean(inputs))
        return inputs


def test_add_loss_in_call_keeps_only_the_latest_call(eager):
    inner = ActivityPenalty()
    model = keras.Sequential([keras.Input((2,)), inner])
    model(np.array([[1.0, 3.0]], np.float32))
    model(np.array([[5.0, 7.0]], np.float32))
    assert [float(v.numpy()) for v in model.losses] == [6.0]
    assert [float(v.numpy()) for v in inner.losses] == [6.0]


def test_activity_regularizer_penalizes_outputs_per_sample(eager):
    layer = layers.Dense(1, kernel_initializer="ones", activity_regularizer=keras.regularizers.l1(0.5))
    layer(np.array([[1.0, 2.0], [3.0, -8.0]], np.float32))
    np.testing.assert_allclose([float(v.numpy()) for v in layer.losses], [0.5 * (3 + 5) / 2])


@pytest.mark.parametrize("constraint,check", [
    (keras.constraints.max_norm(0.5), lambda w: np.all(np.sqrt((w ** 2).sum(axis=0)) <= 0.5 + 1e-6)),
    (keras.constraints.non_neg(), lambda w: np.all(w >= 0)),
    (lambda w: tf.clip_by_value(w, -0.01, 0.01), lambda w: np.all(np.abs(w) <= 0.01 + 1e-7)),
], ids=["max_norm", "non_neg", "custom function"])
def test_constraints_project_weights_after_each_update(eager, constraint, check):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, kernel_constraint=constraint,
                                                              kernel_initializer="ones")])
    model.compile(keras.optimizers.SGD(0.5), "mse")
    model.fit(RNG.standard_normal((16, 3)), RNG.standard_normal((16, 4)) * 5, epochs=2, verbose=0)
    kernel = model.get_weights()[0]
    assert check(kernel) and not np.all(kernel == 1)


# ---- activations and initializers ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,reference", [
    ("relu", lambda x: np.maximum(x, 0)), ("sigmoid", lambda x: 1 / (1 + np.exp(-x))), ("tanh", np.tanh),
    ("softplus", lambda x: np.log1p(np.exp(x))), ("softsign", lambda x: x / (1 + np.abs(x))),
    ("elu", lambda x: np.where(x > 0, x, np.exp(x) - 1)), ("exponential", np.exp), ("linear", lambda x: x),
    ("hard_sigmoid", lambda x: np.clip(0.2 * x + 0.5, 0, 1)), ("swish", lambda x: x / (1 + np.exp(-x))),
    ("selu", lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1))),
    ("softmax", lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
])
def test_activations_match_numpy(eager, name, reference):
    x = np.linspace(-3, 3, 12).reshape(2, 6).astype(np.float32)
    np.testing.assert_allclose(keras.activations.get(name)(tf.constant(x)).numpy(), reference(x), rtol=1e-5,
                               atol=1e-6)
    assert keras.activations.serialize(keras.activations.get(name)) == name


def test_unknown_activation_is_an_error():
    with pytest.raises(ValueError, match="Unknown activation function: 'relu7'"):
        keras.activations.get("relu7")


@pytest.mark.parametrize("name,check", [
    ("zeros", lambda w: not w.any()), ("ones", lambda w: np.all(w == 1)),
    ("he_normal", lambda w: np.abs(w).max() <= 2 * np.sqrt(2.0 / 200) / 0.8796 + 1e-6),
    ("lecun_uniform", lambda w: np.abs(w).max() <= np.sqrt(3.0 / 200)),
    ("glorot_normal", lambda w: abs(w.std() - np.sqrt(2.0 / 300)) < 0.1 * np.sqrt(2.0 / 300)),
    ("random_uniform", lambda w: np.abs(w).max() <= 0.05),
])
def test_initializers_by_name(eager, name, check):
    values = keras.initializers.get(name)((200, 100)).numpy()
    assert values.shape == (200, 100) and check(values)


def test_seeded_initializer_repeats_and_configs_round_trip(eager):
    init = keras.initializers.GlorotUniform(seed=3)
    first, second = init((4, 5)).numpy(), keras.initializers.GlorotUniform(seed=3)((4, 5)).numpy()
    np.testing.assert_array_equal(first, second)
    config = keras.initializers.serialize(keras.initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=1))
    assert config == {"class_name": "VarianceScaling",
                      "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 1}}
    assert keras.initializers.deserialize(config).mode == "fan_out"


def test_keras_initializers_use_floatx_at_call_time_and_tf1_limits(eager):
    init = keras.initializers.HeUniform(seed=2)
    keras.backend.set_floatx("float64")
    try:
        values = init((300, 20)).numpy()
    finally:
        keras.backend.set_floatx("float32")
    assert values.dtype == np.float64 and np.abs(values).max() <= np.sqrt(6.0 / 300)
    np.testing.assert_array_equal(values.astype(np.float32), init((300, 20)).numpy())
    assert isinstance(init, tf.initializers.he_uniform) and init.get_config() == {"seed": 2}
    assert keras.initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"


# ---- config ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer", [
    layers.Dense(3, activation="relu", kernel_regularizer="l2", bias_constraint="non_neg"),
    layers.Conv2D(4, 3, strides=2, padding="same", activation="tanh"), layers.MaxPooling2D(3, padding="same"),
    layers.AveragePooling2D(), layers.GlobalAveragePooling2D(), layers.Flatten(), layers.Reshape((2, -1)),
    layers.Dropout(0.3, seed=1), layers.BatchNormalization(momentum=0.9), layers.Activation("softmax"),
    layers.ReLU(max_value=6.0), layers.Softmax(axis=1), layers.Embedding(5, 2), layers.Add(),
    layers.Concatenate(axis=1), layers.Dense(2, input_shape=(7,)),
], ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
    config = layers.serialize(layer)
    rebuilt = layers.deserialize(config)
    assert type(rebuilt) is type(layer) and layers.serialize(rebuilt) == config


class Scale(layers.Layer):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor


def test_custom_layer_with_new_arguments_must_override_get_config():
    with pytest.raises(NotImplementedError, match="must override `get_config"):
        Scale(2.0).get_config()


def test_anonymous_lambda_cannot_be_saved():
    with pytest.raises(ValueError, match="anonymous function, which cannot be saved without pickling"):
        layers.Lambda(lambda x: x).get_config()


def test_symbolic_tensors_cannot_enter_raw_ops():
    with pytest.raises(TypeError, match="symbolic KerasTensor"):
        tf.nn.relu(keras.Input((2,)))
