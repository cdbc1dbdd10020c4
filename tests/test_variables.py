"""Variables: naming, initialization, assignment, per-session values, variable scopes."""
import numpy as np
import pytest

import flowgraph as tf


def test_variable_ops_named_as_tf():
    v = tf.Variable([1.0, 2.0], name="v")
    assert v.name == "v:0" and v.op.name == "v" and v.op.type == "VariableV2"
    assert v.initializer.name == "v/Assign" and v.value().name == "v/read:0"
    assert v.initial_value.name == "v/initial_value:0"
    assert v.shape.as_list() == [2] and v.dtype == tf.float32
    w = tf.Variable(1, name="v")
    assert w.name == "v_1:0" and w.dtype == tf.int32
    assert repr(v) == "<tf.Variable 'v:0' shape=(2,) dtype=float32>"


def test_collections_and_trainable():
    a = tf.Variable(1.0)
    b = tf.Variable(2.0, trainable=False)
    assert tf.global_variables() == [a, b]
    assert tf.trainable_variables() == [a]
    c = tf.Variable(3.0, collections=[tf.GraphKeys.LOCAL_VARIABLES])
    assert tf.local_variables() == [c]


def test_uninitialized_read_fails_with_name():
    v = tf.Variable(1.0, name="weights")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value weights"):
            sess.run(v)
        assert not sess.run(tf.is_variable_initialized(v))
        assert list(sess.run(tf.report_uninitialized_variables())) == [b"weights"]
        sess.run(tf.global_variables_initializer())
        assert sess.run(tf.is_variable_initialized(v))
        assert list(sess.run(tf.report_uninitialized_variables())) == []


def test_assign_ops():
    v = tf.Variable([1.0, 2.0])
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(v.assign([5.0, 6.0])), [5, 6])
        np.testing.assert_allclose(sess.run(v.assign_add([1.0, 1.0])), [6, 7])
        np.testing.assert_allclose(sess.run(tf.assign_sub(v, [2.0, 2.0])), [4, 5])
        np.testing.assert_allclose(sess.run(v), [4, 5])
    with pytest.raises(ValueError, match="cannot assign"):
        v.assign([1.0, 2.0, 3.0])


def test_values_live_in_each_session():
    v = tf.Variable(0.0)
    inc = v.assign_add(1.0)
    s1, s2 = tf.Session(), tf.Session()
    s1.run(v.initializer)
    s2.run(v.initializer)
    s1.run(inc)
    s1.run(inc)
    assert s1.run(v) == 2.0 and s2.run(v) == 0.0


def test_variable_operators_and_callable_initial_value():
    v = tf.Variable(lambda: tf.ones([2, 2]), name="m")
    assert v.initial_value.name == "m/Initializer/ones:0"
    y = v * 3.0 + v
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(y), 4 * np.ones((2, 2)))


def test_initialized_value_chains_initializers():
    a = tf.Variable(2.0)
    b = tf.Variable(a.initialized_value() * 3.0)
    with tf.Session() as sess:
        sess.run(b.initializer)
        assert sess.run(b) == 6.0


def test_load_sets_a_value():
    v = tf.Variable([0.0, 0.0])
    with tf.Session() as sess:
        sess.run(v.initializer)
        v.load([3.0, 4.0], sess)
        np.testing.assert_allclose(sess.run(v), [3, 4])


def test_get_variable_and_reuse():
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", [2, 3], initializer=tf.zeros_initializer())
    assert w.name == "layer/w:0"
    with tf.variable_scope("layer", reuse=True):
        assert tf.get_variable("w", [2, 3]) is w
    with tf.variable_scope("layer"):
        with pytest.raises(ValueError, match="already exists"):
            tf.get_variable("w", [2, 3])
    with tf.variable_scope("layer", reuse=True):
        with pytest.raises(ValueError, match="does not exist"):
            tf.get_variable("b", [3])
    with tf.variable_scope("layer", reuse=tf.AUTO_REUSE):
        assert tf.get_variable("w", [2, 3]) is w
        b = tf.get_variable("b", [3], initializer=tf.zeros_initializer())
    assert b.name == "layer/b:0"
    with tf.variable_scope("layer", reuse=True):
        with pytest.raises(ValueError, match="shape"):
            tf.get_variable("w", [3, 3])


def test_variable_scope_names_ops_and_defaults():
    with tf.variable_scope("outer"):
        with tf.variable_scope(None, default_name="dense"):
            a = tf.get_variable("k", [1], initializer=tf.zeros_initializer())
        with tf.variable_scope(None, default_name="dense"):
            b = tf.get_variable("k", [1], initializer=tf.zeros_initializer())
        c = tf.constant(1.0, name="c")
    assert (a.name, b.name, c.name) == ("outer/dense/k:0", "outer/dense_1/k:0", "outer/c:0")
    with tf.variable_scope("outer"):
        d = tf.constant(1.0, name="c")
    assert d.name == "outer_1/c:0"


def test_get_variable_from_value_initializer():
    v = tf.get_variable("v", initializer=tf.constant([1.0, 2.0]))
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(v), [1, 2])
