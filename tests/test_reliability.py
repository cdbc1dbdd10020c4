"""Reliability: numerics checks, size limits, concurrent runs on one session, errors that name the culprit."""
import threading

import numpy as np
import pytest

import flowgraph as tf


def test_check_numerics_names_op_and_message():
    x = tf.placeholder(tf.float32, [None])
    y = tf.check_numerics(x * 2.0, "doubled input", name="guard")
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: [1.0, 2.0]}), [2.0, 4.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="doubled input : Tensor had NaN values") as info:
            sess.run(y, {x: [np.nan, 1.0]})
        assert "'guard'" in str(info.value)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Inf"):
            sess.run(y, {x: [np.inf, 1.0]})


def test_check_numerics_refuses_integers():
    with pytest.raises(TypeError, match="floating-point"):
        tf.check_numerics(tf.constant([1, 2]), "ints")


def test_add_check_numerics_ops_guards_the_graph():
    x = tf.placeholder(tf.float32, [2], name="x")
    y = tf.reduce_sum(x / tf.constant([1.0, 0.0]), name="total")
    check = tf.add_check_numerics_ops()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="truediv"):
            sess.run([y, check], {x: [1.0, 1.0]})


def test_check_numerics_gradient_passes_through():
    x = tf.placeholder(tf.float64, [3])
    y = tf.reduce_sum(tf.check_numerics(x * x, "square"))
    grad, = tf.gradients(y, x)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(grad, {x: [1.0, 2.0, 3.0]}), [2.0, 4.0, 6.0])


def test_tensor_size_limit_refuses_before_allocating():
    old = tf.tensor_size_limit()
    tf.set_tensor_size_limit(1 << 20)
    try:
        with pytest.raises(ValueError, match="tensor size limit"):
            tf.zeros([1024, 1024], dtype=tf.float32)
        with pytest.raises(ValueError, match="tensor size limit"):
            tf.constant(0.0, shape=[2048, 2048])
        x = tf.placeholder(tf.float64, [None])
        with tf.Session() as sess:
            with pytest.raises(tf.errors.ResourceExhaustedError, match="'Placeholder:0'"):
                sess.run(x, {x: np.zeros(1 << 18, np.float32)})
    finally:
        tf.set_tensor_size_limit(old)


def test_eight_threads_mixing_reads_and_updates_are_exact():
    v = tf.Variable(np.zeros(64), dtype=tf.float64)
    inc = tf.assign_add(v, np.ones(64))
    read = v.value()
    sess = tf.Session()
    sess.run(v.initializer)
    torn = []

    def work():
        for i in range(500):
            if i % 2:
                sess.run(inc)
            else:
                value = sess.run(read)
                if not np.all(value == value[0]):  # a read must see one whole value, never a half-updated one
                    torn.append(value)
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not torn
    np.testing.assert_array_equal(sess.run(v), np.full(64, 8 * 250.0))


def test_failed_run_leaves_variables_intact():
    v = tf.Variable([1.0, 2.0])
    x = tf.placeholder(tf.float32, [None])
    bad_update = tf.assign(v, v + x)
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(bad_update, {x: [1.0, 2.0, 3.0]})
        np.testing.assert_allclose(sess.run(v), [1.0, 2.0])
        np.testing.assert_allclose(sess.run(bad_update, {x: [1.0, 1.0]}), [2.0, 3.0])


@pytest.mark.parametrize("optimizer", [lambda: tf.train.GradientDescentOptimizer(0.1),
                                       lambda: tf.train.AdamOptimizer(0.1)])
def test_values_held_by_the_user_survive_in_place_updates(optimizer):
    v = tf.Variable(np.ones(4, np.float32))
    opt = optimizer()
    train = opt.minimize(tf.reduce_sum(v * v))
    update_output = [op for op in tf.get_default_graph().get_operations() if op.type.startswith("Apply")][0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        held = sess.run(v)
        fetched_update = sess.run(update_output.outputs[0])
        snapshot = fetched_update.copy()
        for _ in range(3):
            sess.run(train)
        np.testing.assert_array_equal(held, np.ones(4, np.float32))
        np.testing.assert_array_equal(fetched_update, snapshot)
        assert not np.array_equal(sess.run(v), snapshot)


def test_eager_values_survive_in_place_updates():
    import flowgraph.v2 as tf2
    tf.enable_eager_execution()  # the import turns eager on only the first time, and other modules import it too
    try:
        v = tf2.Variable(np.ones(3, np.float32))
        held = v.numpy()
        read = v.read_value()
        opt = tf.train.AdamOptimizer(0.1)
        for _ in range(2):
            opt.apply_gradients([(tf2.constant(np.ones(3, np.float32)), v)])
        np.testing.assert_array_equal(held, np.ones(3))
        np.testing.assert_array_equal(read.numpy(), np.ones(3))
        assert np.all(v.numpy() < 1.0)
    finally:
        tf.disable_eager_execution()


def test_opencl_out_of_memory_is_a_clear_error_and_the_session_stays_usable(monkeypatch):
    from opencl import runtime
    if not runtime.available():
        pytest.skip("no OpenCL platform: install pyopencl and an OpenCL driver (PoCL on CPUs)")
    x = tf.placeholder(tf.float32, [None, 256], name="x")
    big = tf.matmul(x, tf.ones([256, 256]), name="big")
    small = tf.reduce_sum(tf.constant([1.0, 2.0]))
    with tf.Session(device="opencl") as sess:
        monkeypatch.setattr(runtime.get_device(0), "max_allocation", 4096)
        with pytest.raises(MemoryError, match="exceed the largest buffer"):
            sess.run(big, {x: np.ones((64, 256), np.float32)})
        monkeypatch.undo()
        assert sess.run(small) == 3.0
        np.testing.assert_allclose(sess.run(big, {x: np.ones((2, 256), np.float32)}), np.full((2, 256), 256.0))
