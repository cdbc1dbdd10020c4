"""The OpenCL kernels of scans, n-d gathers and scatters, top-k, integer division and the remaining gradient ops
against the numpy backend: odd sizes (1, 7, 1023), empty tensors, broadcasting, non-contiguous feeds, gradients
through the op on the device; and out-of-range indices, which raise as on numpy wherever they are known on the
host (constants and feeds).
"""
import numpy as np
import pytest

import flowgraph as tf
from opencl import runtime
from tests.test_opencl_backend import compare

if not runtime.available():
    pytest.skip("no OpenCL platform: install pyopencl and an OpenCL driver (PoCL on CPUs)", allow_module_level=True)

RNG = np.random.RandomState(11)


def normal(*shape, dtype=np.float32):
    return np.asarray(RNG.randn(*shape), dtype=dtype)


# ---- cumsum --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1,), (7,), (1023,), (0, 3), (3, 0), (4, 7, 5)], ids=str)
def test_cumsum_every_axis_and_mode(shape):
    def ops(x):
        outs = []
        for axis in range(-len(shape), len(shape)):
            for exclusive in (False, True):
                for reverse in (False, True):
                    outs.append(tf.cumsum(x, axis, exclusive=exclusive, reverse=reverse))
        return outs
    compare(ops, normal(*shape), rtol=1e-5, atol=1e-5)


def test_cumsum_integers_and_float64():
    compare(lambda i, d: [tf.cumsum(i, 1), tf.cumsum(i, 0, exclusive=True, reverse=True),
                          tf.cumsum(tf.cast(i, tf.int64), 1, reverse=True), tf.cumsum(d, 1)],
            RNG.randint(-50, 50, (6, 9)).astype(np.int32), normal(3, 1023, dtype=np.float64), rtol=1e-12)


def test_cumsum_gradient_and_non_contiguous_feed():
    def ops(x):
        y = tf.cumsum(x * x, 1, exclusive=True) + tf.cumsum(x, 0, reverse=True)
        return [y] + tf.gradients(tf.reduce_sum(y * tf.range(1.0, 6.0)), x)
    compare(ops, normal(5, 7).T[1:, :5])


# ---- n-d gathers and scatters ----------------------------------------------------------------------------------

def _nd_indices(shape, depth, count, dtype=np.int32):
    columns = [RNG.randint(0, d, count) for d in shape[:depth]]
    return np.stack(columns, -1).astype(dtype) if depth else np.zeros((count, 0), dtype)


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_gather_nd_and_scatter_nd_with_gradients(depth):
    params = normal(4, 5, 3)
    indices = _nd_indices(params.shape, depth, 7).reshape(7, 1, depth)
    shape = params.shape

    def ops(x, i, updates):
        gathered = tf.gather_nd(x, i)
        scattered = tf.scatter_nd(i, updates, shape)
        return [gathered, scattered, tf.gather_nd(x, tf.cast(i, tf.int64)),
                tf.gradients(tf.reduce_sum(gathered * gathered), x)[0],
                tf.gradients(tf.reduce_sum(scattered * scattered), updates)[0]]
    compare(ops, params, indices, normal(7, 1, *shape[depth:]))


@pytest.mark.parametrize("count", [1, 1023, 0])
def test_gather_nd_odd_and_empty_counts_and_repeated_scatter(count):
    params = normal(7, 3)
    indices = _nd_indices(params.shape, 1, count)
    indices[:count // 2] = 2  # repeated indices add up, in index order
    compare(lambda x, i, u: [tf.gather_nd(x, i), tf.scatter_nd(i, u, [7, 3]), tf.scatter_nd(i, u[:, 0], [7])],
            params, indices, normal(count, 3))


def test_gather_nd_of_empty_params_and_non_contiguous_feeds():
    compare(lambda x, i: [tf.gather_nd(x, i)], normal(3, 0), np.array([[2], [0]], np.int32))
    strided = np.array([[1, 2, 9], [3, 5, 9], [0, 0, 9]], np.int32)[:, :2]
    compare(lambda x, i: [tf.gather_nd(x, i)], normal(6, 4).T, strided)


def _run_on_device(build, feeds=None):
    with tf.Graph().as_default():
        fetches, placeholders = build()
        with tf.Session(device="opencl") as sess:
            return sess.run(fetches, dict(zip(placeholders, feeds or [])))


def test_out_of_range_nd_indices_raise_as_on_numpy_when_fed_or_constant():
    params = normal(4, 3)

    def fed():
        i = tf.placeholder(tf.int32, [2, 1])
        return [tf.gather_nd(params, i, name="picked")], [i]

    def fed_scatter():
        i = tf.placeholder(tf.int64, [2, 1])
        return [tf.scatter_nd(i, tf.ones([2, 3]), [4, 3], name="spread")], [i]

    with pytest.raises(tf.errors.InvalidArgumentError, match=r"(?s)indices\[1\] = \[4\] does not index.*'picked'"):
        _run_on_device(fed, [np.array([[0], [4]], np.int32)])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"(?s)indices\[0\] = \[-1\] does not index.*'spread'"):
        _run_on_device(fed_scatter, [np.array([[-1], [0]], np.int64)])
    with pytest.raises(tf.errors.InvalidArgumentError, match="'constant_indices'"):
        _run_on_device(lambda: ([tf.gather_nd(tf.constant(params) * 2, [[9]], name="constant_indices")], []))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0,1\] = 7 is not in \[0, 3\)"):
        _run_on_device(lambda: ([tf.gather(tf.constant(params) * 2, [[0, 7]], axis=1)], []))


def test_nd_indices_computed_on_the_device_follow_tf_gpu_kernels():
    params = normal(4, 3)

    def computed():
        i = tf.placeholder(tf.int32, [2, 1])
        shifted = i + 3
        return [tf.gather_nd(params, shifted), tf.scatter_nd(shifted, tf.ones([2]), [4])], [i]
    gathered, scattered = _run_on_device(computed, [np.array([[0], [1]], np.int32)])
    np.testing.assert_array_equal(gathered, [params[3], np.zeros(3)])  # out of range: zeros
    np.testing.assert_array_equal(scattered, [0, 0, 0, 1])  # out of range: dropped


# ---- top-k -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,k", [((1,), 1), ((7,), 3), ((1023,), 7), ((3, 1023), 1023), ((0, 5), 2), ((4, 6), 0),
                                     ((2, 3, 8), 8)], ids=str)
def test_top_k_sorted_with_ties_by_lower_index(shape, k):
    x = np.round(normal(*shape) * 2) / 2  # many ties
    x.flat[::5] = np.nan
    compare(lambda x: list(tf.nn.top_k(x, k)) + [tf.nn.top_k(x, k, index_type=tf.int64)[1]], x)


def test_top_k_integers_float64_gradient_and_non_contiguous_feed():
    ints = RNG.randint(-3, 3, (5, 9)).astype(np.int32)
    compare(lambda i, d: list(tf.nn.top_k(i, 4)) + list(tf.nn.top_k(d, 2)), ints, normal(9, 6, dtype=np.float64).T)

    def ops(x):
        values, _ = tf.nn.top_k(x, 3)
        return [values] + tf.gradients(tf.reduce_sum(values * values), x)
    compare(ops, normal(7, 5).T)


def test_in_top_k_ties_non_finite_rows_and_bad_targets():
    predictions = np.round(normal(9, 7) * 2) / 2
    predictions[3, 2] = np.inf
    predictions[4, 0] = np.nan
    targets = RNG.randint(0, 7, 9).astype(np.int32)
    targets[5], targets[6] = -1, 7
    compare(lambda p, t: [tf.nn.in_top_k(p, t, k) for k in (1, 2, 7)]
            + [tf.nn.in_top_k(p, tf.cast(t, tf.int64), tf.constant(3, tf.int64))], predictions, targets)
    compare(lambda p, t: [tf.nn.in_top_k(p, t, 1)], normal(0, 3), np.zeros(0, np.int32))


# ---- integer floor division ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8, np.int16, np.uint8])
def test_integer_floor_division_rounds_toward_minus_infinity(dtype):
    info = np.iinfo(dtype)
    x = RNG.randint(max(info.min, -100), min(info.max, 100), (7, 1023)).astype(dtype)
    x[0, :3] = [info.min, info.max, 0]
    y = RNG.randint(max(info.min, -9), 10, (1023,)).astype(dtype)
    y[y == 0] = 1 if info.min == 0 else -1  # the smallest integer divided by -1 wraps, as in numpy
    compare(lambda x, y: [tf.math.floordiv(x, y), tf.math.floormod(x, y), tf.math.floordiv(y, x[:1] * 0 + 3),
                          tf.math.floormod(x[3:4], y)], x, y)


def test_integer_division_by_a_fed_or_constant_zero_raises_and_a_computed_one_gives_zero():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.int32, [3])
        y = tf.placeholder(tf.int32, [3])
        with tf.Session(device="opencl") as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="(?s)Integer division by zero.*'quotient'"):
                sess.run(tf.math.floordiv(x, y, name="quotient"), {x: [1, 2, 3], y: [1, 0, 1]})
            with pytest.raises(tf.errors.InvalidArgumentError, match="Integer division by zero"):
                sess.run(tf.math.floormod(x, [2, 0, 1]), {x: [1, 2, 3]})
            quotient, remainder = sess.run([x // (y - 1), x % (y - 1)], {x: [7, -7, 3], y: [3, 0, 1]})
    np.testing.assert_array_equal(quotient, [3, 7, 0])
    np.testing.assert_array_equal(remainder, [1, 0, 0])


# ---- gradients of padding and pooling -------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 7), (4, 5, 6), (2, 1023), (0, 3)], ids=str)
def test_mirror_pad_gradient(shape):
    def ops(x):
        outs = []
        for mode, widths in (("REFLECT", 0), ("SYMMETRIC", 1))[0 in shape:]:  # REFLECT cannot pad an empty axis
            paddings = [[max(0, min(1, d - 1 + widths)), max(0, min(2, d - 1 + widths))] for d in shape]
            y = tf.pad(x, paddings, mode=mode)
            outs += [y] + tf.gradients(tf.reduce_sum(y * y), x)
        return outs
    compare(ops, normal(*shape))


def test_max_pool_second_order_gradient():
    def ops(x, c):
        outs = []
        for size, stride, padding in [(2, 2, "VALID"), (3, 2, "SAME"), (3, 1, "SAME")]:
            y = tf.nn.max_pool(x, [1, size, size, 1], [1, stride, stride, 1], padding)
            dx = tf.gradients(tf.reduce_sum(y * y), x)[0]
            outs += tf.gradients(tf.reduce_sum(dx * c), x)
        return outs
    x = np.round(normal(2, 9, 7, 3) * 4) / 4  # ties: the first maximum of each window
    compare(ops, x, normal(2, 9, 7, 3))


# ---- float64 convolution -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("strides,padding,dilations", [([1, 1, 1, 1], "SAME", [1, 1, 1, 1]),
                                                       ([1, 2, 3, 1], "VALID", [1, 1, 1, 1]),
                                                       ([1, 1, 1, 1], "SAME", [1, 2, 1, 1])])
def test_float64_conv2d_and_its_gradients(strides, padding, dilations):
    def ops(x, f):
        y = tf.nn.conv2d(x, f, strides, padding, dilations=dilations)
        return [y] + tf.gradients(tf.reduce_sum(y * y), [x, f])
    compare(ops, normal(2, 9, 7, 3, dtype=np.float64), normal(3, 2, 3, 5, dtype=np.float64), rtol=1e-10, atol=1e-10)


def test_float64_conv2d_of_empty_batch_and_non_contiguous_feed():
    def ops(x, f):
        y = tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME")
        return [y] + tf.gradients(tf.reduce_sum(y * y), [x, f])
    compare(ops, normal(0, 5, 5, 2, dtype=np.float64), normal(3, 3, 2, 4, dtype=np.float64), rtol=1e-10)
    compare(ops, normal(1, 5, 6, 2, dtype=np.float64).transpose(0, 2, 1, 3),
            normal(3, 3, 2, 4, dtype=np.float64), rtol=1e-10, atol=1e-10)


# ---- sequences ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,seq_axis,batch_axis", [((4, 7), 1, 0), ((7, 3, 5), 0, 1), ((2, 1023), 1, 0),
                                                       ((3, 0, 2), 1, 0), ((1, 1), 1, 0)], ids=str)
def test_reverse_sequence_and_its_gradient(shape, seq_axis, batch_axis):
    lengths = RNG.randint(0, shape[seq_axis] + 1, shape[batch_axis]).astype(np.int64)

    def ops(x, lengths):
        y = tf.reverse_sequence(x, lengths, seq_axis=seq_axis, batch_axis=batch_axis)
        return [y, tf.reverse_sequence(x, tf.cast(lengths, tf.int32), seq_axis, batch_axis)] + tf.gradients(
            tf.reduce_sum(y * tf.exp(x)), x)
    compare(ops, normal(*shape), lengths)


def test_reverse_sequence_length_out_of_range_raises_when_fed():
    def fed():
        lengths = tf.placeholder(tf.int32, [2])
        return [tf.reverse_sequence(tf.ones([2, 3]), lengths, seq_axis=1)], [lengths]
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"seq_lens\(1\) = 4 is not in \[0, 3\]"):
        _run_on_device(fed, [np.array([1, 4], np.int32)])
