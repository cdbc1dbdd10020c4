"""Reductions, arg max/min, cumulative sums and norms: a table of rows, then TF's special cases."""
import numpy as np
import pytest

import flowgraph as tf
from op_check import check_gradient, check_unknown_shapes, check_value

SHAPE = (2, 3, 4)


def _logsumexp(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


# (id, fn, numpy reference, differentiable)
ROWS = [
    ("sum_all", lambda x: tf.reduce_sum(x), np.sum, True),
    ("sum_axis1", lambda x: tf.reduce_sum(x, 1), lambda x: np.sum(x, 1), True),
    ("sum_negative_keepdims", lambda x: tf.reduce_sum(x, -1, keepdims=True), lambda x: np.sum(x, -1, keepdims=True),
     True),
    ("sum_empty_axis_list", lambda x: tf.reduce_sum(x, []), lambda x: x, True),
    ("mean_all", lambda x: tf.reduce_mean(x), np.mean, True),
    ("mean_axes", lambda x: tf.reduce_mean(x, [0, 2]), lambda x: np.mean(x, (0, 2)), True),
    ("mean_keep_dims", lambda x: tf.reduce_mean(x, reduction_indices=1, keep_dims=True),
     lambda x: np.mean(x, 1, keepdims=True), True),
    ("max_axis1", lambda x: tf.reduce_max(x, 1), lambda x: np.max(x, 1), True),
    ("max_all_keepdims", lambda x: tf.reduce_max(x, keepdims=True), lambda x: np.max(x, keepdims=True), True),
    ("min_axes", lambda x: tf.reduce_min(x, [-1, 0]), lambda x: np.min(x, (0, 2)), True),
    ("prod_axis2", lambda x: tf.reduce_prod(x, 2), lambda x: np.prod(x, 2), True),
    ("prod_all", lambda x: tf.reduce_prod(x), np.prod, True),
    ("logsumexp_axis1", lambda x: tf.reduce_logsumexp(x, 1), lambda x: _logsumexp(x, 1), True),
    ("logsumexp_all_keepdims", lambda x: tf.reduce_logsumexp(x, keepdims=True),
     lambda x: _logsumexp(x, keepdims=True), True),
    ("variance_axis0", lambda x: tf.math.reduce_variance(x, 0), lambda x: np.var(x, 0), True),
    ("std_all", lambda x: tf.math.reduce_std(x), np.std, True),
    ("norm_euclidean", lambda x: tf.norm(x), lambda x: np.sqrt(np.sum(x * x)), True),
    ("norm_1_axis", lambda x: tf.norm(x, 1, axis=-1), lambda x: np.sum(np.abs(x), -1), True),
    ("norm_inf_axis", lambda x: tf.norm(x, np.inf, axis=1), lambda x: np.max(np.abs(x), 1), True),
    ("norm_3_axis", lambda x: tf.norm(x, 3, axis=0), lambda x: np.sum(np.abs(x) ** 3, 0) ** (1 / 3), True),
    ("cumsum", lambda x: tf.cumsum(x, 1), lambda x: np.cumsum(x, 1), True),
    ("cumsum_exclusive_reverse", lambda x: tf.cumsum(x, -1, exclusive=True, reverse=True),
     lambda x: np.flip(np.cumsum(np.flip(x, -1), -1), -1) - x, True),
    ("argmax_default_axis", lambda x: tf.argmax(x), lambda x: np.argmax(x, 0), False),
    ("argmin_axis2_int32", lambda x: tf.argmin(x, 2, output_type=tf.int32),
     lambda x: np.argmin(x, 2).astype(np.int32), False),
    ("count_nonzero", lambda x: tf.count_nonzero(tf.round(x)), lambda x: np.count_nonzero(np.round(x)), False),
    ("count_nonzero_axis_int32", lambda x: tf.count_nonzero(tf.round(x), 1, dtype=tf.int32),
     lambda x: np.count_nonzero(np.round(x), 1).astype(np.int32), False),
]


def _input(dtype=np.float32, seed=0):
    return np.random.default_rng(seed).uniform(-2.0, 2.0, SHAPE).astype(dtype)


def _expected_dtype(reference, x):
    out = np.asarray(reference(x))
    return np.int64 if out.dtype.kind == "i" and out.dtype != np.int32 else out.dtype


@pytest.mark.parametrize("id,fn,reference,grad", ROWS, ids=[r[0] for r in ROWS])
def test_value_dtype_and_inferred_shape(id, fn, reference, grad):
    x = _input()
    value = check_value(fn, reference, x, rtol=1e-5, atol=1e-5)
    assert np.asarray(value).dtype == _expected_dtype(reference, x)


@pytest.mark.parametrize("id,fn,reference,grad", ROWS, ids=[r[0] for r in ROWS])
def test_unknown_shapes(id, fn, reference, grad):
    x = _input()
    np.testing.assert_allclose(check_unknown_shapes(fn, x), reference(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("id,fn,reference,grad", [r for r in ROWS if r[3]], ids=[r[0] for r in ROWS if r[3]])
def test_gradient(id, fn, reference, grad):
    check_gradient(fn, _input(np.float64))


@pytest.mark.parametrize("fn", [tf.reduce_sum, tf.reduce_mean, tf.reduce_max, tf.reduce_prod])
def test_integer_reductions_keep_their_dtype(fn):
    x = np.arange(-5, 7, dtype=np.int32).reshape(3, 4)
    value = check_value(lambda t: fn(t, 1), lambda a: {tf.reduce_sum: np.sum, tf.reduce_max: np.max,
                                                       tf.reduce_prod: np.prod}.get(fn, np.mean)(a, 1), x)
    assert value.dtype == np.int32


def test_integer_mean_truncates_toward_zero():
    with tf.Session() as sess:
        assert sess.run(tf.reduce_mean(tf.constant([-3, -2, 1]))) == -1
        assert sess.run(tf.reduce_mean(tf.constant([3, 2, 1]))) == 2


def test_bool_reductions():
    x = np.array([[True, False], [True, True]])
    check_value(lambda t: tf.reduce_any(t, 1), lambda a: np.any(a, 1), x)
    check_value(lambda t: tf.reduce_all(t, 0), lambda a: np.all(a, 0), x)
    with pytest.raises(TypeError, match="'Any'"):
        tf.reduce_any(tf.constant([1.0]))
    with pytest.raises(TypeError, match="'Sum'"):
        tf.reduce_sum(tf.constant([True]))


def test_empty_reductions():
    empty = tf.zeros([0, 3])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.reduce_max(empty, 0)), [-np.inf] * 3)
        np.testing.assert_array_equal(sess.run(tf.reduce_min(empty, 0)), [np.inf] * 3)
        np.testing.assert_array_equal(sess.run(tf.reduce_sum(empty, 0)), [0.0] * 3)
        assert np.isnan(sess.run(tf.reduce_mean(empty)))


def test_axis_errors():
    x = tf.zeros([2, 3])
    with pytest.raises(ValueError, match="Sum: axis 2 is out of range for a tensor of rank 2"):
        tf.reduce_sum(x, 2)
    with pytest.raises(ValueError, match="both 'axis' and 'reduction_indices'"):
        tf.reduce_mean(x, 0, reduction_indices=1)
    with pytest.raises(ValueError, match="ArgMax: axis -3"):
        tf.argmax(x, -3)
    with pytest.raises(ValueError, match="must be known"):
        tf.reduce_sum(x, tf.placeholder(tf.int32, []))
    with pytest.raises(TypeError, match="reduce_variance.*int32"):
        tf.math.reduce_variance(tf.constant([1, 2]))


def test_axis_from_a_constant_tensor():
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.reduce_sum(tf.ones([2, 3]), tf.constant(1))), [3.0, 3.0])


def test_max_and_min_share_the_gradient_among_ties():
    a = tf.constant([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(tf.gradients(tf.reduce_max(a, 1), a)[0]), [[0, 0.5, 0.5], [0.5, 0.5, 0]])
        np.testing.assert_allclose(sess.run(tf.gradients(tf.reduce_min(a), a)[0]), [[0, 0, 0], [0, 0, 1]])


def test_prod_gradient_with_zeros():
    a = tf.constant([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [0.0, 3.0, 0.0], [2.0, 0.0, 5.0]])
    with tf.Session() as sess:
        grad = sess.run(tf.gradients(tf.reduce_prod(a, 1), a)[0])
    np.testing.assert_allclose(grad, [[9, 3, 3], [0, 0, 4], [0, 0, 0], [0, 10, 0]])


def test_mean_gradient_divides_by_the_count_with_unknown_dims():
    x = tf.placeholder(tf.float32, [None, None])
    grad = tf.gradients(tf.reduce_mean(x, 0), x)[0]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(grad, {x: np.ones((4, 3))}), np.full((4, 3), 0.25))
    check_gradient(lambda t: tf.reduce_mean(t, 1), np.ones((2, 5)))


def test_logsumexp_is_stable():
    assert tf.reduce_logsumexp([1.0]).op.name == "ReduceLogSumExp"
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(tf.reduce_logsumexp([1000.0, 1000.0])), 1000.0 + np.log(2.0))
        assert sess.run(tf.reduce_logsumexp([-np.inf, -np.inf])) == -np.inf


def test_argmax_takes_the_first_of_ties():
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.argmax([[1, 5, 5], [2, 1, 0]])), [1, 0, 0])
        np.testing.assert_array_equal(sess.run(tf.argmax([[1, 5, 5], [2, 1, 0]], dimension=1)), [1, 0])


def test_cumsum_gradient_runs_the_other_way():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.cumsum([1, 2, 3], exclusive=True, reverse=True)), [5, 3, 0])
        np.testing.assert_array_equal(sess.run(tf.gradients(tf.cumsum(x), x)[0]), [3.0, 2.0, 1.0])
        np.testing.assert_array_equal(sess.run(tf.gradients(tf.cumsum(x, exclusive=True), x)[0]), [2.0, 1.0, 0.0])


def test_reduction_names():
    x = tf.ones([2, 3])
    assert tf.reduce_mean(x).op.name == "Mean"
    assert tf.math.reduce_variance(x).op.name == "reduce_variance/Mean_1"
    assert tf.math.reduce_std(x).op.name == "reduce_std/Sqrt"
    assert tf.count_nonzero(x).op.name == "count_nonzero/Sum"
    assert tf.argmin(x).op.name == "ArgMin"
