"""Random ops: moments within tolerance, bounds, seeds (repeatable across sessions, distinct across ops), names."""
import numpy as np
import pytest

import flowgraph as tf

N = 20000


def run(*fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(list(fetches), feed)


@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64])
def test_random_normal_moments_and_dtype(dtype):
    x = tf.random_normal([N // 100, 100], mean=2.0, stddev=3.0, dtype=dtype, seed=1)
    value, = run(x)
    assert value.dtype == dtype.as_numpy_dtype and value.shape == (N // 100, 100)
    assert x.shape.as_list() == [N // 100, 100]
    sample = value.astype(np.float64)
    assert abs(sample.mean() - 2.0) < 0.1 and abs(sample.std() - 3.0) < 0.1


def test_random_uniform_float_range_and_moments():
    value, = run(tf.random_uniform([N], minval=-1.0, maxval=3.0, seed=2))
    assert value.dtype == np.float32 and value.min() >= -1.0 and value.max() < 3.0
    assert abs(value.mean() - 1.0) < 0.05 and abs(value.var() - 16.0 / 12) < 0.05


def test_random_uniform_int_covers_range():
    value, = run(tf.random_uniform([N], minval=-2, maxval=5, dtype=tf.int64, seed=3))
    assert value.dtype == np.int64
    np.testing.assert_array_equal(np.unique(value), np.arange(-2, 5))
    counts = np.bincount(value + 2) / N
    assert np.all(np.abs(counts - 1 / 7) < 0.02)


def test_random_uniform_int_errors():
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype"):
        tf.random_uniform([2], dtype=tf.int32)
    bad = tf.random_uniform([2], minval=5, maxval=5, dtype=tf.int32)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Need minval < maxval: 5 >= 5"):
            sess.run(bad)


def test_truncated_normal_respects_two_stddev_bound():
    value, = run(tf.truncated_normal([N], mean=1.0, stddev=0.5, dtype=tf.float64, seed=4))
    assert np.all(np.abs(value - 1.0) <= 1.0)
    assert abs(value.mean() - 1.0) < 0.02
    # a unit normal truncated to [-2, 2] has standard deviation 0.8796
    assert abs(value.std() - 0.5 * 0.87962566) < 0.01


def test_random_shuffle_permutes_rows_only():
    rows = np.arange(30).reshape(10, 3)
    value, = run(tf.random_shuffle(rows, seed=5))
    assert not np.array_equal(value, rows)
    np.testing.assert_array_equal(np.sort(value[:, 0]), rows[:, 0])
    np.testing.assert_array_equal(value[:, 1:] - value[:, :1], rows[:, 1:] - rows[:, :1])


def test_multinomial_frequencies_follow_softmax():
    logits = np.array([[0.0, 1.0, -np.inf], [2.0, 0.0, 0.0]])
    samples = tf.multinomial(logits, N, seed=6)
    assert samples.dtype == tf.int64 and samples.shape.as_list() == [2, N]
    value, = run(samples)
    for row_logits, row in zip(logits, value):
        p = np.exp(row_logits - row_logits.max())
        np.testing.assert_allclose(np.bincount(row, minlength=3) / N, p / p.sum(), atol=0.015)


def test_categorical_dtype_and_dynamic_batch():
    logits = tf.placeholder(tf.float32, [None, 4])
    samples = tf.random.categorical(logits, 5, dtype=tf.int32)
    assert samples.dtype == tf.int32 and samples.shape.as_list() == [None, 5]
    value, = run(samples, feed={logits: np.log([[0.1, 0.2, 0.3, 0.4]] * 3)})
    assert value.shape == (3, 5) and value.min() >= 0 and value.max() <= 3


def test_dynamic_shape_argument():
    x = tf.placeholder(tf.float32, [None, 2])
    noise = tf.random_normal(tf.shape(x))
    assert noise.shape.as_list() == [None, 2]
    value, = run(noise, feed={x: np.zeros((5, 2))})
    assert value.shape == (5, 2)


def test_op_seed_repeats_in_a_new_session():
    x = tf.random_normal([5], seed=42)
    with tf.Session() as sess:
        first = [sess.run(x), sess.run(x)]
    with tf.Session() as sess:
        second = [sess.run(x), sess.run(x)]
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first[0], first[1])


def test_graph_seed_repeats_across_graphs_and_ops_differ():
    def build():
        graph = tf.Graph()
        with graph.as_default():
            tf.set_random_seed(7)
            a, b = tf.random_uniform([4]), tf.random_uniform([4])
            with tf.Session() as sess:
                return sess.run([a, b])
    first, second = build(), build()
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first[0], first[1])


def test_different_op_seeds_differ_and_unseeded_sessions_differ():
    a, b = tf.random_normal([5], seed=1), tf.random_normal([5], seed=2)
    c = tf.random_normal([5])
    values = run(a, b, c)
    again, = run(c)
    assert not np.array_equal(values[0], values[1])
    assert not np.array_equal(values[2], again)


def test_tf2_names():
    tf.random.set_seed(3)
    ops = [tf.random.normal([3]), tf.random.uniform([3]), tf.random.truncated_normal([3]),
           tf.random.shuffle([1, 2, 3]), tf.random.categorical([[0.0, 0.0]], 2)]
    values = run(*ops)
    assert [v.shape for v in values] == [(3,), (3,), (3,), (3,), (1, 2)]


def test_names_are_tfs():
    assert tf.random_normal([2]).name == "random_normal:0"
    assert tf.get_default_graph().get_operation_by_name("random_normal/RandomStandardNormal").type == \
        "RandomStandardNormal"
    assert tf.random_uniform([2]).name == "random_uniform:0"
    assert tf.random_uniform([2], maxval=3, dtype=tf.int32).op.type == "RandomUniformInt"
    assert tf.truncated_normal([2]).name == "truncated_normal:0"
    assert tf.random_shuffle([1, 2]).name == "RandomShuffle:0"
    assert tf.multinomial([[1.0, 2.0]], 3).name == "multinomial/Multinomial:0"


def test_bad_dtypes():
    with pytest.raises(TypeError, match="RandomStandardNormal"):
        tf.random_normal([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="Invalid dtype"):
        tf.random_uniform([2], maxval=2, dtype=tf.bool)
    with pytest.raises(TypeError, match="float16, float32, float64"):
        tf.multinomial(tf.constant([[1, 2]]), 2)


def test_random_values_are_constants_to_gradients():
    x = tf.placeholder(tf.float32, [3])
    noise = tf.random_normal([3])
    grad, = tf.gradients(noise * x, x)
    g, n = run(grad, noise, feed={x: np.ones(3)})
    np.testing.assert_array_equal(g, n)
