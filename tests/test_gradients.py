"""tf.gradients semantics: sums over ys and paths, unconnected xs, stops, grad_ys, scopes, higher orders,
gradient overrides, custom_gradient, and a two-layer network trained by hand against TensorFlow's numbers."""
import numpy as np
import pytest

import flowgraph as tf


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_gradients_sum_over_ys_and_paths():
    x = tf.placeholder(tf.float32, [2], name="x")
    a = x * 3.0
    y1 = a * x  # 3x^2 through two paths: d = 6x
    y2 = tf.reduce_sum(tf.sin(x))
    g = tf.gradients([y1, y2], x)[0]
    value = np.array([0.5, -1.0], np.float32)
    np.testing.assert_allclose(_run(g, {x: value}), 6 * value + np.cos(value), rtol=1e-6)


def test_unconnected_xs_give_none_or_zeros():
    x, z = tf.placeholder(tf.float32, [2]), tf.placeholder(tf.float32, [3], name="z")
    y = tf.reduce_sum(x * x)
    assert tf.gradients(y, [x, z])[1] is None
    zero = tf.gradients(y, [x, z], unconnected_gradients="zero")[1]
    assert zero.shape.as_list() == [3]
    np.testing.assert_array_equal(_run(zero, {z: [1.0, 2.0, 3.0]}), [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tf.gradients(y, x, unconnected_gradients="bogus")


def test_stop_gradient_op_and_stop_gradients_argument():
    x = tf.placeholder(tf.float32, [])
    a = x * x
    y = a + tf.stop_gradient(a) * x  # x^2 + const * x
    feed = {x: 3.0}
    assert _run(tf.gradients(y, x)[0], feed) == pytest.approx(6.0 + 9.0)
    b = x * 2.0
    z = b * x  # 2x^2; with b held constant the gradient is b = 2x
    assert _run(tf.gradients(z, x, stop_gradients=[b])[0], feed) == pytest.approx(6.0)
    assert _run(tf.gradients(z, x)[0], feed) == pytest.approx(12.0)


def test_grad_ys_weights_each_y():
    x = tf.placeholder(tf.float32, [2])
    y1, y2 = x * 2.0, x * x
    g = tf.gradients([y1, y2], x, grad_ys=[tf.constant([1.0, 10.0]), [0.5, 0.5]])[0]
    np.testing.assert_allclose(_run(g, {x: [1.0, 3.0]}), [2.0 + 1.0, 20.0 + 3.0])
    with pytest.raises(ValueError, match="2 grad_ys for 1 ys"):
        tf.gradients(y1, x, grad_ys=[1.0, 2.0])


def test_integer_paths_carry_no_gradient():
    x = tf.placeholder(tf.float32, [3])
    through_int = tf.cast(tf.cast(x, tf.int32), tf.float32)
    assert tf.gradients(tf.reduce_sum(through_int), x) == [None]
    mixed = tf.reduce_sum(through_int + x * 2.0)
    np.testing.assert_array_equal(_run(tf.gradients(mixed, x)[0], {x: [1.5, 2.5, 3.5]}), [2.0, 2.0, 2.0])
    assert tf.gradients(tf.reduce_sum(x), tf.argmax(x)) == [None]


def test_gradient_ops_live_in_numbered_scopes():
    x = tf.placeholder(tf.float32, [2])
    y = tf.reduce_sum(tf.exp(x))
    first, second = tf.gradients(y, x)[0], tf.gradients(y, x)[0]
    assert first.name.startswith("gradients/") and second.name.startswith("gradients_1/")
    assert "Exp_grad" in first.op.name
    assert tf.gradients(y, x, name="mine")[0].name.startswith("mine/")


def test_second_derivative_of_a_cube_is_6x():
    x = tf.placeholder(tf.float32, [3])
    first = tf.gradients(x ** 3, x)[0]
    second = tf.gradients(first, x)[0]
    value = np.array([1.0, -2.0, 0.5], np.float32)
    np.testing.assert_allclose(_run(second, {x: value}), 6 * value, rtol=1e-6)


@pytest.mark.parametrize("fn,second", [
    (tf.tanh, lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
    (tf.sigmoid, lambda v: (s := 1 / (1 + np.exp(-v))) * (1 - s) * (1 - 2 * s)),
    (tf.log, lambda v: -1 / v ** 2),
    (tf.sqrt, lambda v: -0.25 * v ** -1.5),
    (lambda t: tf.reduce_logsumexp(t * t), None),
])
def test_second_derivatives_of_elementwise_ops(fn, second):
    x = tf.placeholder(tf.float64, [3])
    value = np.array([0.3, 1.2, 2.0])
    grad2 = tf.gradients(tf.gradients(fn(x), x)[0], x)[0]
    if second is not None:
        np.testing.assert_allclose(_run(grad2, {x: value}), second(value), rtol=1e-10)
        return
    # not elementwise: the Hessian's column sums, by central differences of the first derivative
    first = tf.gradients(fn(x), x)[0]
    eps = 1e-6
    numeric = [np.sum(_run(first, {x: value + eps * e}) - _run(first, {x: value - eps * e})) / (2 * eps)
               for e in np.eye(3)]
    np.testing.assert_allclose(_run(grad2, {x: value}), numeric, rtol=1e-6)


def test_hessian_of_a_quadratic_form():
    a = np.array([[2.0, 1.0, 0.0], [0.5, 3.0, -1.0], [0.0, 4.0, 1.0]])
    x = tf.placeholder(tf.float64, [3])
    quadratic = tf.reduce_sum(x * tf.squeeze(tf.matmul(tf.constant(a), tf.reshape(x, [3, 1]))))
    hessian = tf.hessians(quadratic, x)[0]
    assert hessian.shape.as_list() == [3, 3]
    np.testing.assert_allclose(_run(hessian, {x: [1.0, -2.0, 0.5]}), a + a.T)


def test_register_gradient_and_override_map():
    @tf.RegisterGradient("TimesTenGrad")
    def _times_ten(op, dy):
        return [dy * 10.0]

    x = tf.placeholder(tf.float32, [2])
    with tf.get_default_graph().gradient_override_map({"Square": "TimesTenGrad"}):
        overridden = tf.square(x)
    plain = tf.square(x)
    feed = {x: [1.0, 2.0]}
    np.testing.assert_array_equal(_run(tf.gradients(overridden, x)[0], feed), [10.0, 10.0])
    np.testing.assert_array_equal(_run(tf.gradients(plain, x)[0], feed), [2.0, 4.0])
    with pytest.raises(KeyError, match="TimesTenGrad"):
        tf.RegisterGradient("TimesTenGrad")(_times_ten)


@tf.custom_gradient
def _log1pexp(x):
    e = tf.exp(x)

    def grad(dy):
        return dy * (1 - 1 / (1 + e))
    return tf.log(1 + e), grad


@tf.custom_gradient
def _clip_gradient_norm(x, y):
    def grad(dy):
        return tf.clip_by_norm(dy, 1.0), dy * 0.0
    return x + y, grad


def test_custom_gradient_replaces_the_inner_gradient():
    x = tf.placeholder(tf.float32, [2])
    y = _log1pexp(x)
    grad = tf.gradients(tf.reduce_sum(y), x)[0]
    value, dx = _run([y, grad], {x: [0.0, 100.0]})
    np.testing.assert_allclose(value, [np.log(2.0), np.inf])
    np.testing.assert_allclose(dx, [0.5, 1.0])  # the plain gradient would be NaN at 100
    second = tf.gradients(grad, x)[0]  # grad_fn's own ops differentiate: sigmoid'(x)
    np.testing.assert_allclose(_run(second, {x: [0.0, 1.0]}), [0.25, 0.19661193], rtol=1e-6)


def test_custom_gradient_with_several_inputs():
    x, y = tf.placeholder(tf.float32, [2]), tf.placeholder(tf.float32, [2])
    gx, gy = tf.gradients(_clip_gradient_norm(x, y) * 3.0, [x, y])
    values = _run([gx, gy], {x: [1.0, 2.0], y: [3.0, 4.0]})
    np.testing.assert_allclose(values[0], [1 / np.sqrt(2.0)] * 2, rtol=1e-6)
    np.testing.assert_array_equal(values[1], [0.0, 0.0])


def test_custom_gradient_under_a_gradient_tape():
    import flowgraph.v2 as tf2
    tf.enable_eager_execution()
    x = tf2.constant([0.0, 100.0])
    with tf2.GradientTape() as tape:
        tape.watch(x)
        y = _log1pexp(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0.5, 1.0])


# ---- a two-layer network trained by hand, against numbers from TensorFlow 1 (tf.compat.v1, same data) --------

X = np.linspace(-1, 1, 24).reshape(8, 3).astype(np.float32)
Y = np.tanh(X @ np.array([[1.0], [-2.0], [0.5]])).astype(np.float32)
W1 = (np.linspace(-0.5, 0.7, 12).reshape(3, 4) ** 2 - 0.2).astype(np.float32)
W2 = np.linspace(0.3, -0.3, 4).reshape(4, 1).astype(np.float32)
TF_LOSSES = [0.06064861, 0.03400225, 0.01674192, 0.00696275, 0.00260719, 0.0010756, 0.00062383, 0.00050181,
             0.00046728, 0.00045425, 0.00044633, 0.00043963, 0.00043327, 0.00042704, 0.0004209, 0.00041483,
             0.00040884, 0.00040291, 0.00039706, 0.00039127]
TF_W1 = [[-7.1715683e-02, -9.7688220e-02, -8.8588215e-02, -5.2080136e-02],
         [-3.3195412e-01, -2.5544611e-01, -1.4168955e-01, 1.5212814e-04],
         [-2.1136597e-01, -3.2377660e-02, 1.8603557e-01, 4.3321079e-01]]
TF_W2 = [[0.4542982], [0.21263535], [-0.065571755], [-0.37666216]]


def test_two_layer_network_trained_by_hand_matches_tensorflow():
    x, y = tf.placeholder(tf.float32, [None, 3]), tf.placeholder(tf.float32, [None, 1])
    w1, w2 = tf.placeholder(tf.float32, [3, 4]), tf.placeholder(tf.float32, [4, 1])
    loss = tf.reduce_mean(tf.square(tf.matmul(tf.tanh(tf.matmul(x, w1)), w2) - y))
    g1, g2 = tf.gradients(loss, [w1, w2])
    assert g1.shape.as_list() == [3, 4] and g2.shape.as_list() == [4, 1]
    w1_value, w2_value, losses = W1, W2, []
    with tf.Session() as sess:
        for _ in range(20):
            value, d1, d2 = sess.run([loss, g1, g2], {x: X, y: Y, w1: w1_value, w2: w2_value})
            losses.append(value)
            w1_value, w2_value = w1_value - 0.5 * d1, w2_value - 0.5 * d2
    assert losses[-1] < losses[0] / 100
    np.testing.assert_allclose(losses, TF_LOSSES, rtol=1e-4)
    np.testing.assert_allclose(w1_value, TF_W1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(w2_value, TF_W2, rtol=1e-4, atol=1e-6)
