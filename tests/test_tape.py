"""GradientTape: watching, automatic watching of variables, nested tapes for higher derivatives, persistent tapes,
structured sources, output gradients, jacobians, stop_recording/reset, custom_gradient and stop_gradient, and
gradients checked against central differences and against graph-mode gradients."""
import numpy as np
import pytest

import flowgraph
import flowgraph.v2 as tf

flowgraph.disable_eager_execution()  # importing flowgraph.v2 turned eager on: other modules load in graph mode

NON_PERSISTENT = r"A non-persistent GradientTape can only be used to compute one set of gradients \(or jacobians\)"


pytestmark = pytest.mark.usefixtures("eager")


def test_watch_a_constant():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 6.0


def test_unwatched_and_unconnected_sources():
    x, z = tf.constant(3.0), tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
        tape.watch(z)
        w = z * 2.0
    assert tape.gradient(y, x) is None  # a constant is not watched unless asked
    assert tape.gradient(w, [z, x])[1] is None
    zeros = tape.gradient(w, [x, z], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert float(zeros[0]) == 0.0
    np.testing.assert_array_equal(zeros[1].numpy(), [2.0, 2.0])
    assert tape.gradient(w, x, unconnected_gradients="zero").numpy() == 0.0


def test_nested_tapes_give_speed_and_acceleration():
    t = tf.Variable(3.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            position = 4.9 * t ** 2
        speed = inner.gradient(position, t)
    acceleration = outer.gradient(speed, t)
    np.testing.assert_allclose(speed.numpy(), 9.8 * 3.0, rtol=1e-6)
    np.testing.assert_allclose(acceleration.numpy(), 9.8, rtol=1e-6)


def test_third_derivative_with_three_tapes():
    x = tf.constant(2.0)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = x ** 4
            dy = t1.gradient(y, x)
        d2y = t2.gradient(dy, x)
    d3y = t3.gradient(d2y, x)
    assert [float(dy), float(d2y), float(d3y)] == [32.0, 48.0, 48.0]


def test_persistent_tape_is_reusable_and_non_persistent_is_not():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(tape.gradient(z, x).numpy(), [4.0, 32.0])
    np.testing.assert_array_equal(tape.gradient(z, y).numpy(), [2.0, 8.0])
    with tf.GradientTape() as once:
        once.watch(x)
        y = x * x
    once.gradient(y, x)
    with pytest.raises(RuntimeError, match=NON_PERSISTENT):
        once.gradient(y, x)


def test_persistent_tape_records_its_own_gradient_inside_its_block():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x * x
        dy = tape.gradient(y, x)
    assert float(dy) == 27.0 and float(tape.gradient(dy, x)) == 18.0


def test_gradient_of_affine_layer_with_respect_to_variables():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    W = tf.Variable(rng.standard_normal((3, 2)).astype(np.float32))
    b = tf.Variable(np.zeros(2, np.float32))
    with tf.GradientTape() as tape:
        y = tf.matmul(x, W) + b
    grad_W, grad_b = tape.gradient(y, [W, b])
    np.testing.assert_allclose(grad_W.numpy(), x.T @ np.ones((5, 2), np.float32), rtol=1e-5)
    np.testing.assert_array_equal(grad_b.numpy(), [5.0, 5.0])
    assert tape.watched_variables() == (W, b)


def test_structured_sources_and_targets():
    x, v = tf.constant(2.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        targets = {"sum": x * v, "square": [x * x]}
    grads = tape.gradient(targets, {"x": x, "rest": [v, (x,)]})
    assert sorted(grads) == ["rest", "x"] and isinstance(grads["rest"][1], tuple)
    assert float(grads["x"]) == 3.0 + 4.0 and float(grads["rest"][0]) == 2.0 and float(grads["rest"][1][0]) == 7.0


def test_output_gradients_weight_the_targets():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        targets = [x * x, x * 3.0]
    assert float(tape.gradient(targets, x, output_gradients=[tf.constant(2.0), 1.0])) == 11.0


def test_variables_are_watched_when_read_unless_told_not_to():
    trainable, frozen = tf.Variable(2.0), tf.Variable(2.0, trainable=False)
    with tf.GradientTape(persistent=True) as tape:
        y = trainable * frozen
    assert float(tape.gradient(y, trainable)) == 2.0
    assert tape.gradient(y, frozen) is None
    assert tape.watched_variables() == (trainable,)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(frozen)
        y = trainable * frozen
    assert tape.watched_variables() == (frozen,)
    assert tape.gradient(y, [trainable, frozen])[0] is None


def test_gradient_of_a_variable_target():
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        pass
    np.testing.assert_array_equal(tape.gradient(v, v).numpy(), [1.0, 1.0])


def test_integer_paths_carry_no_gradient():
    n = tf.constant(3)
    with tf.GradientTape() as tape:
        tape.watch(n)
        y = n * n
    assert tape.gradient(y, n) is None


def test_stop_recording_and_reset():
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        with tape.stop_recording():
            hidden = x * x
    assert tape.gradient(hidden, x) is None and float(tape.gradient(y, x)) == 4.0
    with pytest.raises(RuntimeError, match="Tape is not recording."):
        with tape.stop_recording():
            pass
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        tape.reset()
        tape.watch(x)
        cube = x * x * x
    assert float(tape.gradient(cube, x)) == 12.0


def test_watch_rejects_python_values():
    with tf.GradientTape() as tape:
        with pytest.raises(ValueError, match="not tf.Tensor or tf.Variable"):
            tape.watch(1.0)


def test_stop_gradient_and_custom_gradient():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.stop_gradient(x) * x
    assert float(tape.gradient(y, x)) == 3.0

    @tf.custom_gradient
    def clipped_identity(t):
        return tf.identity(t), lambda dy: tf.clip_by_value(dy, -1.0, 1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = clipped_identity(x) * 10.0
    assert float(tape.gradient(y, x)) == 1.0


def test_jacobian():
    x = tf.constant([1.0, 2.0, 3.0])
    W = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, W])
        squares = x * x
        product = tf.matmul(x[None, :], W)
    np.testing.assert_array_equal(tape.jacobian(squares, x).numpy(), np.diag([2.0, 4.0, 6.0]))
    jac_x, jac_W = tape.jacobian(product, [x, W])
    assert jac_x.shape == tf.TensorShape([1, 2, 3]) and jac_W.shape == tf.TensorShape([1, 2, 3, 2])
    np.testing.assert_array_equal(jac_x.numpy()[0], np.arange(6, dtype=np.float32).reshape(3, 2).T)
    np.testing.assert_array_equal(jac_W.numpy()[0, 1, :, 1], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(jac_W.numpy()[0, 1, :, 0], [0.0, 0.0, 0.0])
    assert tape.jacobian(squares, tf.constant(1.0)) is None


def test_batch_jacobian():
    x = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    jac = tape.batch_jacobian(y, x)
    assert jac.shape == tf.TensorShape([2, 3, 3])
    np.testing.assert_array_equal(jac.numpy()[1], np.diag([6.0, 8.0, 10.0]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(ValueError, match="Need first dimension of target shape"):
        tape.batch_jacobian(y[:1], x)


def test_hessian_with_nested_tapes_matches_graph_mode_hessians():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 3))
    x0 = rng.standard_normal(3)

    def f(x, a):
        return tf.reduce_sum(tf.tanh(tf.matmul(a, x[:, None])) * x[:, None])

    x = tf.constant(x0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x, tf.constant(A))
        grad = inner.gradient(y, x)
    hessian = outer.jacobian(grad, x)
    flowgraph.disable_eager_execution()
    with flowgraph.Graph().as_default():
        xg = flowgraph.constant(x0)
        expected = flowgraph.Session().run(flowgraph.hessians(f(xg, flowgraph.constant(A)), xg)[0])
    np.testing.assert_allclose(hessian.numpy(), expected, rtol=1e-10)


def test_tape_gradients_match_central_differences():
    rng = np.random.default_rng(2)
    W0, x0 = rng.standard_normal((4, 3)), rng.standard_normal((2, 4))

    def loss(x, W):
        hidden = tf.nn.sigmoid(tf.matmul(x, W))
        return tf.reduce_mean(tf.nn.softmax(hidden) * tf.exp(-hidden)) + tf.reduce_sum(W * W) / 10.0

    W = tf.Variable(W0)
    with tf.GradientTape() as tape:
        value = loss(tf.constant(x0), W)
    grad = tape.gradient(value, W).numpy()
    numeric = np.zeros_like(W0)
    for index in np.ndindex(*W0.shape):
        step = np.zeros_like(W0)
        step[index] = 1e-6
        numeric[index] = (float(loss(tf.constant(x0), tf.constant(W0 + step)))
                          - float(loss(tf.constant(x0), tf.constant(W0 - step)))) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    assert float(value) == pytest.approx(float(loss(tf.constant(x0), tf.constant(W0))))
