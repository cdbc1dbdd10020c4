"""Numpy kernels of convolution and pooling (NHWC).

Windows are a strided view of the padded input (numpy's sliding_window_view): a convolution copies them once
into the im2col matrix and does one matmul; the backward passes scatter window values back with one strided
slice addition per kernel position, which never overlap within one position.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from flowgraph.backends.numpy import numpy_kernel
from flowgraph.framework import errors


class Geometry:
    """Output size and padding of a convolution or pool over an NHWC input of `input_shape`."""

    def __init__(self, input_shape, kernel_h, kernel_w, strides, dilations, padding):
        self.batch, self.height, self.width, self.channels = (int(d) for d in input_shape)
        self.kernel_h, self.kernel_w = int(kernel_h), int(kernel_w)
        self.stride_h, self.stride_w = strides[1], strides[2]
        self.dilation_h, self.dilation_w = dilations[1], dilations[2]
        self.out_h, self.top, self.bottom = _axis(self.height, self.kernel_h, self.stride_h, self.dilation_h,
                                                  padding)
        self.out_w, self.left, self.right = _axis(self.width, self.kernel_w, self.stride_w, self.dilation_w,
                                                  padding)

    @property
    def output_shape(self):
        return self.batch, self.out_h, self.out_w

    def pad(self, x, value=0):
        if not (self.top or self.bottom or self.left or self.right):
            return x
        return np.pad(x, ((0, 0), (self.top, self.bottom), (self.left, self.right), (0, 0)), constant_values=value)

    def windows(self, x, pad_value=0):
        """[batch, out_h, out_w, kernel_h, kernel_w, channels]: a view of the padded input, no copy.

        Channels last keeps them contiguous, so copying the view (im2col) moves whole channel runs, and the
        flattened window order (row, column, channel) is the HWIO filter's own.
        """
        effective = ((self.kernel_h - 1) * self.dilation_h + 1, (self.kernel_w - 1) * self.dilation_w + 1)
        view = sliding_window_view(self.pad(x, pad_value), effective, axis=(1, 2))
        view = view[:, :(self.out_h - 1) * self.stride_h + 1:self.stride_h,
                    :(self.out_w - 1) * self.stride_w + 1:self.stride_w, :, ::self.dilation_h, ::self.dilation_w]
        return view.transpose(0, 1, 2, 4, 5, 3)

    def flat_windows(self, x, pad_value=0):
        """[batch, out_h, out_w, kernel_h * kernel_w, channels], a copy."""
        windows = self.windows(x, pad_value)
        return windows.reshape(windows.shape[:3] + (-1, self.channels))

    def scatter(self, contributions, dtype):
        """The input-shaped sum of per-window values: the adjoint of `windows`.

        `contributions(i, j)` gives the [batch, out_h, out_w, channels] values at kernel position (i, j).
        """
        padded = np.zeros((self.batch, self.height + self.top + self.bottom, self.width + self.left + self.right,
                           self.channels), dtype=dtype)
        for i in range(self.kernel_h):
            for j in range(self.kernel_w):
                row, col = i * self.dilation_h, j * self.dilation_w
                padded[:, row:row + (self.out_h - 1) * self.stride_h + 1:self.stride_h,
                       col:col + (self.out_w - 1) * self.stride_w + 1:self.stride_w] += contributions(i, j)
        return padded[:, self.top:self.top + self.height, self.left:self.left + self.width]


def _axis(size, kernel, stride, dilation, padding):
    """(output size, padding before, padding after) along one spatial axis, with TF's SAME rule."""
    effective = (kernel - 1) * dilation + 1
    if padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + effective - size, 0)
        return out, total // 2, total - total // 2
    if size < effective:
        raise errors.InvalidArgumentError(None, None, "Computed output size would be negative: the input size %d "
                                                      "is smaller than the (dilated) window %d" % (size, effective))
    return (size - effective) // stride + 1, 0, 0


def _conv_geometry(input_shape, filter_shape, out_backprop_shape, strides, dilations, padding):
    if input_shape[3] != filter_shape[2]:
        raise errors.InvalidArgumentError(None, None, "input depth must equal the filter's input depth: %d vs %d"
                                          % (input_shape[3], filter_shape[2]))
    g = Geometry(input_shape, filter_shape[0], filter_shape[1], strides, dilations, padding)
    expected = g.output_shape + (int(filter_shape[3]),)
    if out_backprop_shape is not None and tuple(out_backprop_shape) != expected:
        raise errors.InvalidArgumentError(None, None, "Conv2D backprop: out_backprop has shape %s, expected %s"
                                          % (tuple(out_backprop_shape), expected))
    return g


# ---- convolution -------------------------------------------------------------------------------------------

@numpy_kernel("Conv2D")
def _conv2d(x, f, strides, padding, dilations, data_format, use_cudnn_on_gpu):
    g = _conv_geometry(x.shape, f.shape, None, strides, dilations, padding)
    cols = g.windows(x).reshape(-1, f[..., 0].size)
    return (cols @ f.reshape(-1, f.shape[3])).reshape(g.output_shape + (f.shape[3],))


@numpy_kernel("Conv2DBackpropInput")
def _conv2d_backprop_input(input_sizes, f, dy, strides, padding, dilations, data_format, use_cudnn_on_gpu):
    g = _conv_geometry(tuple(input_sizes), f.shape, dy.shape, strides, dilations, padding)
    cols = (dy.reshape(-1, f.shape[3]) @ f.reshape(-1, f.shape[3]).T).reshape(g.output_shape + f.shape[:3])
    return g.scatter(lambda i, j: cols[:, :, :, i, j], f.dtype)


@numpy_kernel("Conv2DBackpropFilter")
def _conv2d_backprop_filter(x, filter_sizes, dy, strides, padding, dilations, data_format, use_cudnn_on_gpu):
    kernel_h, kernel_w, in_channels, out_channels = (int(d) for d in filter_sizes)
    g = _conv_geometry(x.shape, filter_sizes, dy.shape, strides, dilations, padding)
    cols = g.windows(x).reshape(-1, kernel_h * kernel_w * in_channels)
    return (cols.T @ dy.reshape(-1, out_channels)).reshape(kernel_h, kernel_w, in_channels, out_channels)


# ---- pooling -----------------------------------------------------------------------------------------------

def _pool_geometry(input_shape, ksize, strides, padding):
    return Geometry(input_shape, ksize[1], ksize[2], strides, (1, 1, 1, 1), padding)


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _window_argmax(x, g):
    """For each window and channel, the position (row-major in the window) of its first maximum."""
    return g.flat_windows(x, _lowest(x.dtype)).argmax(axis=3)


def _valid_counts(size, out, kernel, stride, before):
    """How many of each window's positions along one axis fall inside the input (not in the padding)."""
    starts = np.arange(out) * stride - before
    return np.minimum(starts + kernel, size) - np.maximum(starts, 0)


def _window_sizes(g, dtype):
    rows = _valid_counts(g.height, g.out_h, g.kernel_h, g.stride_h, g.top)
    cols = _valid_counts(g.width, g.out_w, g.kernel_w, g.stride_w, g.left)
    return np.outer(rows, cols).astype(dtype)[None, :, :, None]


@numpy_kernel("MaxPool")
def _max_pool(x, ksize, strides, padding, data_format):
    g = _pool_geometry(x.shape, ksize, strides, padding)
    return g.windows(x, _lowest(x.dtype)).max(axis=(3, 4))


@numpy_kernel("MaxPoolGrad")
def _max_pool_grad(x, y, dy, ksize, strides, padding, data_format):
    g = _pool_geometry(x.shape, ksize, strides, padding)
    argmax = _window_argmax(x, g)
    return g.scatter(lambda i, j: np.where(argmax == i * g.kernel_w + j, dy, 0), dy.dtype)


@numpy_kernel("MaxPoolGradGrad")
def _max_pool_grad_grad(x, y, grad, ksize, strides, padding, data_format):
    g = _pool_geometry(x.shape, ksize, strides, padding)
    return np.take_along_axis(g.flat_windows(grad), _window_argmax(x, g)[:, :, :, None], axis=3)[:, :, :, 0]


@numpy_kernel("AvgPool")
def _avg_pool(x, ksize, strides, padding, data_format):
    g = _pool_geometry(x.shape, ksize, strides, padding)
    sums = g.windows(x).sum(axis=(3, 4), dtype=np.float32 if x.dtype == np.float16 else x.dtype)
    return (sums / _window_sizes(g, sums.dtype)).astype(x.dtype, copy=False)


@numpy_kernel("AvgPoolGrad")
def _avg_pool_grad(input_shape, dy, ksize, strides, padding, data_format):
    g = _pool_geometry(tuple(input_shape), ksize, strides, padding)
    share = dy / _window_sizes(g, dy.dtype)
    return g.scatter(lambda i, j: share, dy.dtype)
