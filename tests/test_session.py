"""Session.run: fetch structures, feeds, pruning, plan caching, errors."""
import collections
import threading

import numpy as np
import pytest

import flowgraph as tf


def test_fetch_structures_keep_their_shape():
    a = tf.constant(1.0, name="a")
    b = tf.constant([2, 3], name="b")
    Pair = collections.namedtuple("Pair", "x y")
    with tf.Session() as sess:
        assert sess.run(a) == 1.0
        assert isinstance(sess.run(a), np.float32)
        out = sess.run({"k": [a, (b, a)], "p": Pair(a, b), "n": "a:0", "op": a.op})
    assert out["k"][0] == 1.0 and isinstance(out["k"][1], tuple)
    np.testing.assert_array_equal(out["k"][1][0], [2, 3])
    assert isinstance(out["p"], Pair) and out["p"].x == 1.0
    assert out["n"] == 1.0 and out["op"] is None


def test_feed_by_tensor_and_by_name():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = x * 2.0
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: [[1, 2]]}), [[2, 4]])
        np.testing.assert_allclose(sess.run(y, {"x:0": [[3, 4]]}), [[6, 8]])


def test_feed_any_tensor_replaces_its_value():
    a = tf.constant(1.0)
    b = a * 10.0
    c = b + 1.0
    with tf.Session() as sess:
        assert sess.run(c, {b: 5.0}) == 6.0
        assert sess.run(c) == 11.0


def test_only_needed_subgraph_runs():
    x = tf.placeholder(tf.float32, name="unused")
    a = tf.constant(2.0)
    _ = x * 3.0
    with tf.Session() as sess:
        assert sess.run(a * 2.0) == 4.0


def test_unfed_placeholder_is_named():
    x = tf.placeholder(tf.float32, [None, 3], name="inputs")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="'inputs'.*float32.*\\[\\?,3\\]"):
            sess.run(x + 1.0)


def test_wrong_feed_shape_and_dtype():
    x = tf.placeholder(tf.int32, [None, 3], name="x")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="shape \\(2, 2\\).*'x:0'.*\\(None, 3\\)"):
            sess.run(x, {x: np.zeros((2, 2))})
        with pytest.raises(ValueError, match="fractional.*'x:0'.*int32"):
            sess.run(x, {x: [[0.5, 1, 2]]})
        with pytest.raises(ValueError, match="'x:0'"):
            sess.run(x, {x: [["a", "b", "c"]]})
        np.testing.assert_array_equal(sess.run(x, {x: [[1.0, 2.0, 3.0]]}), [[1, 2, 3]])


def test_feed_value_cannot_be_a_tensor():
    x = tf.placeholder(tf.float32)
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="cannot be a tf.Tensor"):
            sess.run(x, {x: tf.constant(1.0)})


def test_closed_session():
    sess = tf.Session()
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(tf.constant(1.0))


def test_tensor_from_another_graph():
    with tf.Graph().as_default():
        other = tf.constant(1.0)
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="not an element of this graph"):
            sess.run(other)


def test_bad_fetch_types():
    with tf.Session() as sess:
        with pytest.raises(TypeError):
            sess.run(None)
        with pytest.raises(TypeError):
            sess.run(3)
        with pytest.raises(ValueError):
            sess.run("nope:0")


def test_default_session_eval_and_run():
    a = tf.constant(3.0)
    with tf.Session():
        assert a.eval() == 3.0
        tf.no_op().run()
    sess = tf.InteractiveSession()
    assert (a * 2.0).eval() == 6.0
    sess.close()
    with pytest.raises(ValueError, match="default session"):
        a.eval()


def test_make_callable():
    x = tf.placeholder(tf.float32, [None])
    y = x * x
    with tf.Session() as sess:
        f = sess.make_callable([y, x], [x])
        out = f(np.array([1.0, 2.0]))
    np.testing.assert_allclose(out[0], [1, 4])


def test_fetched_values_do_not_alias_session_state():
    v = tf.Variable([1.0, 2.0])
    c = tf.constant([5.0])
    with tf.Session() as sess:
        sess.run(v.initializer)
        got = sess.run(v)
        got[0] = 100.0
        np.testing.assert_allclose(sess.run(v), [1.0, 2.0])
        cv = sess.run(c)
        cv[0] = 0.0
        np.testing.assert_allclose(sess.run(c), [5.0])


def test_control_dependencies_order_execution():
    v = tf.Variable(0.0)
    inc = tf.assign_add(v, 1.0)
    with tf.control_dependencies([inc]):
        read = tf.identity(v)  # converted inside the block: a read after inc
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(read) == 1.0
        assert sess.run(read) == 2.0


def test_group_and_tuple():
    v = tf.Variable(0.0)
    w = tf.Variable(0.0)
    both = tf.group(tf.assign_add(v, 1.0), tf.assign_add(w, 2.0))
    assert both.type == "NoOp" and both.name == "group_deps"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(both)
        assert sess.run([v, w]) == [1.0, 2.0]
        gated = tf.tuple([v.value(), w.value()])
        assert sess.run(gated) == [1.0, 2.0]


def test_kernel_error_names_op_and_line():
    a = tf.placeholder(tf.float32, [None])
    b = tf.placeholder(tf.float32, [None])
    c = tf.add(a, b, name="my_sum")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(c, {a: [1, 2], b: [1, 2, 3]})
    message = str(info.value)
    assert "'my_sum'" in message and "test_session.py" in message


def test_run_is_thread_safe_with_exact_updates():
    v = tf.Variable(0.0)
    inc = tf.assign_add(v, 1.0)
    sess = tf.Session()
    sess.run(v.initializer)

    def work():
        for _ in range(200):
            sess.run(inc)
            sess.run(v)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sess.run(v) == 800.0
