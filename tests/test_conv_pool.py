"""conv2d, its backprop ops and conv2d_transpose, max_pool and avg_pool: values against direct-loop numpy
references, inferred shapes, numeric gradients (first and second order), TF's tie and padding rules, errors."""
import numpy as np
import pytest

import flowgraph as tf
from op_check import check_gradient, check_unknown_shapes, check_value

RNG = np.random.default_rng(7)


def _output_and_before(size, kernel, stride, dilation, padding):
    """Output size and padding before, per TF: SAME pads (total // 2) before and the rest after."""
    effective = (kernel - 1) * dilation + 1
    if padding == "VALID":
        return (size - effective) // stride + 1, 0
    out = -(-size // stride)
    return out, max((out - 1) * stride + effective - size, 0) // 2


def _window_positions(x_shape, kernel, strides, dilations, padding):
    """Yield (i, j, [(row, col, p, q)]) for every output position: the input cells inside the input."""
    _, h, w, _ = x_shape
    oh, top = _output_and_before(h, kernel[0], strides[0], dilations[0], padding)
    ow, left = _output_and_before(w, kernel[1], strides[1], dilations[1], padding)
    for i in range(oh):
        for j in range(ow):
            cells = []
            for p in range(kernel[0]):
                for q in range(kernel[1]):
                    row = i * strides[0] - top + p * dilations[0]
                    col = j * strides[1] - left + q * dilations[1]
                    if 0 <= row < h and 0 <= col < w:
                        cells.append((row, col, p, q))
            yield i, j, oh, ow, cells


def reference_conv2d(x, f, strides, padding, dilations=(1, 1)):
    out = None
    for i, j, oh, ow, cells in _window_positions(x.shape, f.shape[:2], strides, dilations, padding):
        if out is None:
            out = np.zeros((x.shape[0], oh, ow, f.shape[3]), dtype=x.dtype)
        for row, col, p, q in cells:
            out[:, i, j] += x[:, row, col] @ f[p, q]
    return out


def reference_pool(x, ksize, strides, padding, reduce):
    out = None
    for i, j, oh, ow, cells in _window_positions(x.shape, ksize, strides, (1, 1), padding):
        if out is None:
            out = np.zeros((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
        out[:, i, j] = reduce(np.stack([x[:, row, col] for row, col, _, _ in cells]), axis=0)
    return out


# (input shape, filter [h, w], out channels, strides, padding, dilations)
CONV_CASES = [
    ((2, 5, 7, 3), (3, 3), 4, (1, 1), "SAME", (1, 1)),
    ((1, 6, 5, 2), (3, 2), 3, (2, 2), "SAME", (1, 1)),
    ((1, 7, 6, 2), (2, 3), 2, (2, 3), "VALID", (1, 1)),
    ((2, 7, 8, 1), (3, 3), 2, (1, 1), "SAME", (2, 2)),
    ((1, 9, 7, 2), (2, 3), 3, (1, 2), "VALID", (2, 1)),
    ((1, 8, 7, 2), (3, 3), 2, (2, 2), "SAME", (2, 2)),
    ((1, 4, 4, 2), (1, 1), 3, (3, 3), "VALID", (1, 1)),
]


def _conv_inputs(case, dtype=np.float32):
    x_shape, kernel, out_channels, _, _, _ = case
    x = RNG.standard_normal(x_shape).astype(dtype)
    f = RNG.standard_normal(kernel + (x_shape[3], out_channels)).astype(dtype)
    return x, f


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_direct_loop(case):
    _, _, _, strides, padding, dilations = case
    x, f = _conv_inputs(case)
    check_value(lambda a, b: tf.nn.conv2d(a, b, strides, padding, dilations=dilations),
                lambda a, b: reference_conv2d(a, b, strides, padding, dilations), x, f, rtol=1e-4, atol=1e-5)
    check_unknown_shapes(lambda a, b: tf.nn.conv2d(a, b, strides, padding, dilations=dilations), x, f)


@pytest.mark.parametrize("case", CONV_CASES[:6])
def test_conv2d_gradient(case):
    _, _, _, strides, padding, dilations = case
    x, f = _conv_inputs(case, np.float64)
    check_gradient(lambda a, b: tf.nn.conv2d(a, b, strides, padding, dilations=dilations), x[:1], f)


@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[4]])
def test_conv2d_second_order(case):
    """The backprop ops are differentiable in their filter/input and out_backprop (gradients of gradients)."""
    _, _, _, strides, padding, dilations = case
    x, f = _conv_inputs(case, np.float64)
    y_shape = reference_conv2d(x, f, strides, padding, dilations).shape
    dy = RNG.standard_normal(y_shape)
    attrs = dict(strides=strides, padding=padding, dilations=dilations)
    check_gradient(lambda b, g: tf.nn.conv2d_backprop_input(x.shape, b, g, **attrs), f, dy)
    check_gradient(lambda a, g: tf.nn.conv2d_backprop_filter(a, f.shape, g, **attrs), x, dy)


def test_conv2d_shape_inference_with_unknown_batch():
    x = tf.placeholder(tf.float32, [None, 9, 6, 3])
    f = tf.zeros([3, 2, 3, 5])
    first = tf.nn.conv2d(x, f, [1, 2, 2, 1], "SAME")
    assert first.shape.as_list() == [None, 5, 3, 5] and first.name == "Conv2D:0"
    assert tf.nn.conv2d(x, f, 2, "VALID").shape.as_list() == [None, 4, 3, 5]
    assert tf.nn.conv2d(x, f, 1, "VALID", dilations=[1, 3, 2, 1]).shape.as_list() == [None, 3, 4, 5]
    unknown = tf.nn.conv2d(tf.placeholder(tf.float32), f, 1, "SAME")
    assert unknown.shape.as_list() == [None, None, None, 5]


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    """<conv2d(x, f), y> == <x, conv2d_transpose(y, f)> for every x and y."""
    x = RNG.standard_normal((2, 7, 6, 3))
    f = RNG.standard_normal((3, 3, 3, 4))
    y = RNG.standard_normal((2, 4, 3, 4))
    with tf.Session() as sess:
        up = tf.nn.conv2d_transpose(tf.constant(y), tf.constant(f), [2, 7, 6, 3], [1, 2, 2, 1], "SAME")
        assert up.shape.as_list() == [2, 7, 6, 3]
        assert up.name == "conv2d_transpose:0"
        transposed = sess.run(up)
    forward = reference_conv2d(x, f, (2, 2), "SAME")
    np.testing.assert_allclose(np.sum(forward * y), np.sum(x * transposed), rtol=1e-10)


def test_conv2d_transpose_gradient():
    f = RNG.standard_normal((2, 2, 2, 3))
    y = RNG.standard_normal((1, 3, 2, 3))
    check_gradient(lambda v, w: tf.nn.conv2d_transpose(v, w, [1, 6, 4, 2], 2, "VALID"), y, f)


@pytest.mark.parametrize("build, message", [
    (lambda: tf.nn.conv2d(tf.zeros([5, 5, 3]), tf.zeros([3, 3, 3, 4]), 1, "SAME"), "rank 4 but is rank 3"),
    (lambda: tf.nn.conv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([3, 3, 3, 4]), 1, "SAME"),
     r"Dimensions must be equal, but are 2 and 3 for 'Conv2D'.*\[1,5,5,2\], \[3,3,3,4\]"),
    (lambda: tf.nn.conv2d(tf.zeros([1, 2, 5, 1]), tf.zeros([3, 3, 1, 1]), 1, "VALID"), "Negative dimension size"),
    (lambda: tf.nn.conv2d(tf.zeros([1, 5, 5, 1]), tf.zeros([3, 3, 1, 1]), [2, 1, 1, 1], "SAME"),
     "batch and depth"),
    (lambda: tf.nn.conv2d(tf.zeros([1, 5, 5, 1]), tf.zeros([3, 3, 1, 1]), [1, 1, 1], "SAME"), "length 1, 2 or 4"),
    (lambda: tf.nn.conv2d(tf.zeros([1, 5, 5, 1]), tf.zeros([3, 3, 1, 1]), 1, "same"), "SAME or VALID"),
    (lambda: tf.nn.conv2d_transpose(tf.zeros([1, 3, 3, 4]), tf.zeros([3, 3, 2, 4]), [1, 6, 6, 3], 2),
     "output channels, 3 != 2"),
    (lambda: tf.nn.max_pool(tf.zeros([1, 5, 5]), 2, 2, "SAME"), "rank 4 but is rank 3"),
    (lambda: tf.nn.max_pool(tf.zeros([1, 5, 5, 1]), [1, 2, 2, 2], 2, "SAME"), "batch and depth"),
])
def test_conv_and_pool_errors_name_the_problem(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_channel_mismatch_with_unknown_shapes_fails_at_run_time():
    x = tf.placeholder(tf.float32)
    y = tf.nn.conv2d(x, tf.zeros([3, 3, 2, 1]), 1, "SAME")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="(?s)input depth.*3 vs 2.*Caused by op .Conv2D"):
            sess.run(y, {x: np.zeros((1, 4, 4, 3), np.float32)})


# ---- pooling -----------------------------------------------------------------------------------------------

# (input shape, ksize, strides, padding)
POOL_CASES = [
    ((2, 5, 7, 3), (2, 2), (2, 2), "SAME"),
    ((1, 6, 5, 2), (3, 3), (2, 1), "SAME"),
    ((1, 7, 6, 2), (3, 2), (2, 2), "VALID"),
    ((1, 4, 5, 1), (3, 3), (1, 1), "SAME"),
    ((2, 6, 6, 1), (2, 3), (3, 2), "VALID"),
]


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("pool, reduce", [(tf.nn.max_pool, np.max), (tf.nn.avg_pool, np.mean)])
def test_pool_matches_direct_loop(case, pool, reduce):
    x_shape, ksize, strides, padding = case
    x = RNG.standard_normal(x_shape).astype(np.float32)
    check_value(lambda a: pool(a, ksize, strides, padding), lambda a: reference_pool(a, ksize, strides, padding,
                                                                                       reduce), x)
    check_unknown_shapes(lambda a: pool(a, ksize, strides, padding), x)


@pytest.mark.parametrize("case", POOL_CASES[:4])
@pytest.mark.parametrize("pool", [tf.nn.max_pool, tf.nn.avg_pool])
def test_pool_gradient(case, pool):
    x_shape, ksize, strides, padding = case
    x = RNG.permutation(np.prod(x_shape[1:])).reshape((1,) + x_shape[1:]) * 0.1  # distinct: no ties
    check_gradient(lambda a: pool(a, ksize, strides, padding), x)


@pytest.mark.parametrize("case", POOL_CASES[1:3])
def test_pool_second_order(case):
    """MaxPoolGrad is linear in its gradient input (adjoint: MaxPoolGradGrad); AvgPoolGrad likewise."""
    x_shape, ksize, strides, padding = case
    x = RNG.permutation(np.prod(x_shape)).reshape(x_shape) * 0.1
    dy = RNG.standard_normal(reference_pool(x, ksize, strides, padding, np.max).shape)

    def max_pool_grad(g):
        source = tf.constant(x)
        return tf.gradients(tf.nn.max_pool(source, ksize, strides, padding), source, grad_ys=g)[0]

    def max_pool_grad_grad(h):
        g = tf.constant(dy)
        return tf.gradients(max_pool_grad(g), g, grad_ys=h)[0]

    def avg_pool_grad(g):
        source = tf.constant(x)
        return tf.gradients(tf.nn.avg_pool(source, ksize, strides, padding), source, grad_ys=g)[0]

    check_gradient(max_pool_grad, dy)
    check_gradient(max_pool_grad_grad, RNG.standard_normal(x_shape))
    check_gradient(avg_pool_grad, dy)


def test_max_pool_gradient_goes_to_the_first_maximum():
    """Ties in a window send the whole gradient to the first maximum in row-major order (numbers from TF)."""
    x = np.array([[1, 3, 3, 2], [3, 0, 1, 1], [0, 0, 2, 2], [0, 0, 2, 2]], np.float32).reshape(1, 4, 4, 1)
    source = tf.constant(x)
    valid = tf.gradients(tf.nn.max_pool(source, 2, 2, "VALID"), source)[0]
    same = tf.gradients(tf.nn.max_pool(source, 3, 1, "SAME"), source)[0]
    with tf.Session() as sess:
        got_valid, got_same = sess.run([valid, same])
    np.testing.assert_array_equal(got_valid[0, :, :, 0], [[0, 1, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(got_same[0, :, :, 0], [[0, 6, 2, 0], [2, 0, 0, 0], [1, 0, 5, 0], [0, 0, 0, 0]])


def test_avg_pool_same_counts_only_input_elements():
    """Numbers from TF: a 3x3 window at the corner averages the 4 elements inside the input."""
    x = np.array([[1, 3, 3, 2], [3, 0, 1, 1], [0, 0, 2, 2], [0, 0, 2, 2]], np.float32).reshape(1, 4, 4, 1)
    with tf.Session() as sess:
        got = sess.run(tf.nn.avg_pool(tf.constant(x), 3, 2, "SAME"))
    np.testing.assert_allclose(got[0, :, :, 0], [[1.4444444, 1.8333334], [0.6666667, 2.0]], rtol=1e-6)


def test_pool_names_and_integer_max_pool():
    x = tf.constant(np.arange(16, dtype=np.int32).reshape(1, 4, 4, 1))
    pooled = tf.nn.max_pool(x, 2, 2, "VALID")
    assert pooled.name == "MaxPool:0" and pooled.dtype == tf.int32
    assert tf.nn.avg_pool(tf.zeros([1, 4, 4, 1]), 2, 2, "VALID").name == "AvgPool:0"
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(pooled)[0, :, :, 0], [[5, 7], [13, 15]])


@pytest.mark.parametrize("stride, padding, dilation", [(1, "SAME", 1), (2, "VALID", 1), ([1, 2, 1], "SAME", 2)])
def test_conv1d_is_conv2d_over_one_row(stride, padding, dilation):
    x = RNG.standard_normal((2, 9, 3))
    f = RNG.standard_normal((3, 3, 4))
    step = stride if isinstance(stride, int) else stride[1]

    def reference(a, b):
        return reference_conv2d(a[:, None], b[None], (1, step), padding, (1, dilation))[:, 0]
    check_value(lambda a, b: tf.nn.conv1d(a, b, stride, padding, dilations=dilation), reference, x, f, rtol=1e-10)
    check_gradient(lambda a, b: tf.nn.conv1d(a, b, stride, padding, dilations=dilation), x[:1], f)


def test_pool2d_names_are_the_pools():
    x = RNG.standard_normal((1, 4, 6, 2)).astype(np.float32)
    check_value(lambda a: tf.nn.max_pool2d(a, 2, 2, "VALID"), lambda a: reference_pool(a, (2, 2), (2, 2), "VALID",
                                                                                        np.max), x)
    check_value(lambda a: tf.nn.avg_pool2d(a, [2, 3], 1, "SAME"),
                lambda a: reference_pool(a, (2, 3), (1, 1), "SAME", np.mean), x)
