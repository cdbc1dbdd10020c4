"""Keras losses, metrics and optimizers: values against numpy references (Keras 2's formulas), in graph and
eager mode, gradients of the losses, streaming metric state, and configs."""
import numpy as np
import pytest

import flowgraph as tf
from flowgraph import keras
from op_check import check_gradient

RNG = np.random.default_rng(11)
EPS = 1e-7
LOGITS = RNG.standard_normal((6, 4)).astype(np.float32)
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
LABELS = RNG.integers(0, 4, 6)
ONE_HOT = np.eye(4, dtype=np.float32)[LABELS]
BINARY = RNG.integers(0, 2, (6, 4)).astype(np.float32)
SIGMOID = 1 / (1 + np.exp(-LOGITS))
WEIGHTS = RNG.random(6).astype(np.float32)


def _bce(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(p + EPS) + (1 - y) * np.log(1 - p + EPS)).mean(-1)


def _cce(y, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(y * np.log(p)).sum(-1)


def _log_softmax(x):
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


LOSS_CASES = [
    ("MeanSquaredError", {}, ONE_HOT, PROBS, lambda y, p: ((p - y) ** 2).mean(-1)),
    ("MeanAbsoluteError", {}, ONE_HOT, PROBS, lambda y, p: np.abs(p - y).mean(-1)),
    ("BinaryCrossentropy", {}, BINARY, SIGMOID, _bce),
    ("BinaryCrossentropy", {"from_logits": True}, BINARY, LOGITS,
     lambda y, x: (np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))).mean(-1)),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, BINARY, SIGMOID, lambda y, p: _bce(y * 0.8 + 0.1, p)),
    ("CategoricalCrossentropy", {}, ONE_HOT, PROBS, _cce),
    ("CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, LOGITS, lambda y, x: -(y * _log_softmax(x)).sum(-1)),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, ONE_HOT, PROBS, lambda y, p: _cce(y * 0.8 + 0.05, p)),
    ("SparseCategoricalCrossentropy", {}, LABELS, PROBS,
     lambda y, p: -np.log(np.clip(p, EPS, 1 - EPS)[np.arange(6), y] / np.clip(p, EPS, 1 - EPS).sum(-1))),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS.reshape(6, 1), LOGITS,
     lambda y, x: -_log_softmax(x)[np.arange(6), y.ravel()]),
]


@pytest.mark.parametrize("name,kwargs,y_true,y_pred,per_sample", LOSS_CASES,
                         ids=["%s%s" % (c[0], c[1]) for c in LOSS_CASES])
def test_loss_objects_match_numpy_in_graph_mode(name, kwargs, y_true, y_pred, per_sample):
    loss = getattr(keras.losses, name)(**kwargs)
    expected = per_sample(y_true, y_pred)
    values = [loss(y_true, y_pred), loss(y_true, y_pred, sample_weight=WEIGHTS),
              getattr(keras.losses, name)(reduction="none", **kwargs)(y_true, y_pred),
              getattr(keras.losses, name)(reduction="sum", **kwargs)(y_true, y_pred)]
    with tf.Session() as sess:
        mean, weighted, none, total = sess.run(values)
    np.testing.assert_allclose(mean, expected.mean(), rtol=1e-5)
    np.testing.assert_allclose(weighted, (expected * WEIGHTS).mean(), rtol=1e-5)
    np.testing.assert_allclose(none, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(total, expected.sum(), rtol=1e-5)


@pytest.mark.parametrize("name,fn", [("mse", "mean_squared_error"), ("mae", "mean_absolute_error"),
                                     ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy")])
def test_loss_functions_by_name_are_per_sample(eager, name, fn):
    y_true = LABELS if "sparse" in name else ONE_HOT
    values = keras.losses.get(name)(y_true, PROBS).numpy()
    assert values.shape == (6,)
    assert keras.losses.get(name) is getattr(keras.losses, fn)


def test_unknown_loss_and_bad_reduction_are_errors():
    with pytest.raises(ValueError, match="Unknown loss function: 'msee'"):
        keras.losses.get("msee")
    with pytest.raises(ValueError, match="Invalid Reduction Key: mean"):
        keras.losses.MeanSquaredError(reduction="mean")


@pytest.mark.parametrize("loss", [keras.losses.categorical_crossentropy, keras.losses.binary_crossentropy,
                                  keras.losses.mean_squared_error])
def test_loss_gradients_match_central_differences(loss):
    y = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    check_gradient(lambda p: loss(tf.constant(y), p), np.array([[0.3, 0.3, 0.4], [0.2, 0.5, 0.3]]))


def test_loss_config_round_trip():
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, reduction="sum")
    config = keras.losses.serialize(loss)
    assert config == {"class_name": "CategoricalCrossentropy",
                      "config": {"from_logits": True, "label_smoothing": 0.1, "axis": -1, "reduction": "sum",
                                 "name": "categorical_crossentropy"}}
    rebuilt = keras.losses.deserialize(config)
    assert rebuilt.reduction == "sum" and rebuilt.get_config() == loss.get_config()


# ---- metrics ------------------------------------------------------------------------------------------------

METRIC_CASES = [
    ("SparseCategoricalAccuracy", LABELS, PROBS, (PROBS.argmax(-1) == LABELS).astype(float)),
    ("CategoricalAccuracy", ONE_HOT, PROBS, (PROBS.argmax(-1) == LABELS).astype(float)),
    ("BinaryAccuracy", BINARY, SIGMOID, ((SIGMOID > 0.5) == BINARY).mean(-1)),
    ("Accuracy", LABELS, PROBS.argmax(-1), (PROBS.argmax(-1) == LABELS).astype(float)),
    ("MeanSquaredError", ONE_HOT, PROBS, ((PROBS - ONE_HOT) ** 2).mean(-1)),
]


@pytest.mark.parametrize("name,y_true,y_pred,per_sample", METRIC_CASES, ids=[c[0] for c in METRIC_CASES])
def test_streaming_metrics_accumulate_and_reset(eager, name, y_true, y_pred, per_sample):
    metric = getattr(keras.metrics, name)()
    metric.update_state(y_true, y_pred, sample_weight=WEIGHTS)
    metric.update_state(y_true[:3], y_pred[:3])
    expected = ((per_sample * WEIGHTS).sum() + per_sample[:3].sum()) / (WEIGHTS.sum() + 3)
    np.testing.assert_allclose(float(metric.result().numpy()), expected, rtol=1e-5)
    metric.reset_state()
    assert float(metric.result().numpy()) == 0.0
    np.testing.assert_allclose(float(metric(y_true, y_pred).numpy()), per_sample.mean(), rtol=1e-5)


def test_mean_and_sum_metrics_in_graph_mode():
    mean, total = keras.metrics.Mean(), keras.metrics.Sum()
    values = tf.placeholder(tf.float32, [None])
    updates = [mean.update_state(values), total.update_state(values, sample_weight=[1.0, 2.0])]
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run(updates, {values: [1.0, 3.0]})
        sess.run(updates, {values: [5.0, 7.0]})
        np.testing.assert_allclose(sess.run([mean.result(), total.result()]), [4.0, 1 + 6 + 5 + 14])
        with sess.as_default():
            mean.reset_state()
        assert sess.run(mean.result()) == 0.0
    assert [v.name for v in mean.variables] == ["mean/total:0", "mean/count:0"]
    assert mean.variables[0] in tf.local_variables() and mean.variables[0] not in tf.global_variables()


def test_metrics_by_name_and_config():
    assert keras.metrics.get("accuracy") is keras.metrics.accuracy
    metric = keras.metrics.deserialize(keras.metrics.serialize(keras.metrics.BinaryAccuracy(threshold=0.7)))
    assert isinstance(metric, keras.metrics.BinaryAccuracy) and metric.get_config()["threshold"] == 0.7
    with pytest.raises(ValueError, match="Unknown metric function: 'acuracy'"):
        keras.metrics.get("acuracy")


# ---- optimizers ---------------------------------------------------------------------------------------------

def _sgd(w, grads, learning_rate=0.01, momentum=0.0, nesterov=False):
    m = np.zeros_like(w)
    for g in grads:
        if not momentum:
            w = w - learning_rate * g
            continue
        m = momentum * m - learning_rate * g
        w = w + (momentum * m - learning_rate * g if nesterov else m)
    return w


def _rmsprop(w, grads, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    v, m, a = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        v = rho * v + (1 - rho) * g * g
        denominator = v + epsilon
        if centered:
            a = rho * a + (1 - rho) * g
            denominator = v - a * a + epsilon
        step = learning_rate * g / np.sqrt(denominator)
        if momentum:
            m = momentum * m + step
            step = m
        w = w - step
    return w


def _adam(w, grads, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    m, v, vhat = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, 1):
        alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        vhat = np.maximum(vhat, v)
        w = w - alpha * m / (np.sqrt(vhat if amsgrad else v) + epsilon)
    return w


def _nadam(w, grads, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m, v, product = np.zeros_like(w), np.zeros_like(w), 1.0
    for t, g in enumerate(grads, 1):
        u_t, u_next = beta_1 * (1 - 0.5 * 0.96 ** t), beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        product = product * u_t
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        m_hat = u_next * m / (1 - product * u_next) + (1 - u_t) * g / (1 - product)
        w = w - learning_rate * m_hat / (np.sqrt(v / (1 - beta_2 ** t)) + epsilon)
    return w


def _adagrad(w, grads, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    acc = np.full_like(w, initial_accumulator_value)
    for g in grads:
        acc = acc + g * g
        w = w - learning_rate * g / np.sqrt(acc + epsilon)
    return w


OPTIMIZER_CASES = [
    ("SGD", {}, _sgd), ("SGD", {"learning_rate": 0.1, "momentum": 0.9}, _sgd),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}, _sgd),
    ("RMSprop", {}, _rmsprop), ("RMSprop", {"momentum": 0.5}, _rmsprop), ("RMSprop", {"centered": True}, _rmsprop),
    ("Adam", {"learning_rate": 0.01}, _adam), ("Adam", {"learning_rate": 0.01, "amsgrad": True}, _adam),
    ("Nadam", {"learning_rate": 0.01}, _nadam), ("Adagrad", {"learning_rate": 0.1}, _adagrad),
]
W0 = RNG.standard_normal((3, 2)).astype(np.float32)
GRADS = [RNG.standard_normal((3, 2)).astype(np.float32) for _ in range(4)]


@pytest.mark.parametrize("name,kwargs,reference", OPTIMIZER_CASES,
                         ids=["%s%s" % (c[0], c[1]) for c in OPTIMIZER_CASES])
def test_optimizers_match_keras_update_rules_eagerly(eager, name, kwargs, reference):
    variable = tf.Variable(W0)
    optimizer = getattr(keras.optimizers, name)(**kwargs)
    for g in GRADS:
        optimizer.apply_gradients([(tf.constant(g), variable)])
    np.testing.assert_allclose(variable.numpy(), reference(W0.astype(np.float64), GRADS, **kwargs), rtol=2e-5,
                               atol=2e-6)
    assert int(optimizer.iterations.numpy()) == len(GRADS)


@pytest.mark.parametrize("name,kwargs,reference", OPTIMIZER_CASES[::3],
                         ids=["%s%s" % (c[0], c[1]) for c in OPTIMIZER_CASES[::3]])
def test_optimizers_give_the_same_steps_as_graph_ops(name, kwargs, reference):
    variable = tf.Variable(W0)
    grad = tf.placeholder(tf.float32, [3, 2])
    step = getattr(keras.optimizers, name)(**kwargs).apply_gradients([(grad, variable)])
    assert isinstance(step, tf.Operation)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for g in GRADS:
            sess.run(step, {grad: g})
        np.testing.assert_allclose(sess.run(variable), reference(W0.astype(np.float64), GRADS, **kwargs),
                                   rtol=2e-5, atol=2e-6)


def test_minimize_in_graph_mode_differentiates_the_loss():
    w = tf.Variable([3.0, -2.0])
    train = keras.optimizers.SGD(0.25).minimize(tf.reduce_sum(w * w), [w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [1.5, -1.0])


def test_gradient_clipping(eager):
    for kwargs, expected in [({"clipvalue": 0.5}, [-0.5, 0.5]), ({"clipnorm": 1.0}, [-0.6, 0.8]),
                             ({"global_clipnorm": 2.5}, [-1.5, 2.0])]:
        w = tf.Variable([0.0, 0.0])
        keras.optimizers.SGD(1.0, **kwargs).apply_gradients([(tf.constant([3.0, -4.0]), w)])
        np.testing.assert_allclose(w.numpy(), expected, rtol=1e-6)


def test_optimizer_errors_and_names(eager):
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        keras.optimizers.Adam().apply_gradients([(None, tf.Variable(1.0))])
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: adamm"):
        keras.optimizers.get("adamm")
    with pytest.raises(TypeError, match="Unexpected keyword arguments for SGD"):
        keras.optimizers.SGD(momentom=0.9)
    assert type(keras.optimizers.get("rmsprop")) is keras.optimizers.RMSprop
    adam = keras.optimizers.deserialize(keras.optimizers.serialize(keras.optimizers.Adam(0.5, amsgrad=True)))
    assert adam.learning_rate == 0.5 and adam.amsgrad
    assert keras.optimizers.SGD(lr=0.3).learning_rate == 0.3


def test_slots_are_created_once_per_variable(eager):
    w, b = tf.Variable(np.ones((2, 2), np.float32)), tf.Variable(np.zeros(2, np.float32))
    optimizer = keras.optimizers.Adam()
    for _ in range(2):
        optimizer.apply_gradients([(tf.ones((2, 2)), w), (tf.ones(2), b)])
    assert len(optimizer.variables()) == 1 + 2 * 2
    assert optimizer.get_slot(w, "m").shape.as_list() == [2, 2]
