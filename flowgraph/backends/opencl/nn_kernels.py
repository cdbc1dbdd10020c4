"""OpenCL kernels of the nn ops: softmax, log-softmax and the cross-entropies, top-k, convolution and pooling.

Sparse labels known on the host (constants, feeds) are checked there and raise as on numpy; labels computed on
the device follow TF's GPU kernel: a label out of range gives a NaN loss and gradient row.
"""
import numpy as np

from flowgraph.backends.numpy.nn_kernels import check_labels
from flowgraph.backends.opencl import elementwise, opencl_kernel
from flowgraph.backends.opencl.math_kernels import around_axis
from opencl import conv, nn, topk

elementwise("SigmoidCrossEntropyWithLogits", {"f": "fmax({0}, ({T})0) - {0} * {1} + log1p(exp(-fabs({0})))"})


def _softmax(log):
    def kernel(k):
        x = k.inputs[0]
        outer, length, inner = around_axis(x.shape, k.attr("axis"))
        k.launch(nn.softmax(x.dtype, x, k.output(0), outer, length, inner, log=log,
                            max_items=k.builder.plan.max_items))
    return kernel


opencl_kernel("Softmax")(_softmax(False))
opencl_kernel("LogSoftmax")(_softmax(True))


@opencl_kernel("SoftmaxCrossEntropyWithLogits")
def _softmax_xent(k):
    logits, labels = k.inputs
    rows, classes = logits.shape
    k.launch(nn.softmax_xent(logits.dtype, logits, labels, k.output(0), k.output(1), rows, classes,
                             k.builder.plan.max_items))


@opencl_kernel("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_xent(k):
    logits, labels = k.inputs
    rows, classes = logits.shape
    k.check_on_host(1, lambda i: check_labels(i, classes))
    k.launch(nn.sparse_softmax_xent(logits.dtype, labels.dtype, logits, labels, k.output(0), k.output(1), rows,
                                    classes, k.builder.plan.max_items))


@opencl_kernel("TopKV2")
def _top_k(k):
    x = k.inputs[0]
    n = x.shape[-1]
    count = int(k.host(1))
    if count > n:
        k.decline("k = %d is more than the %d columns (numpy raises)" % (count, n))
    rows = int(np.prod(x.shape[:-1], dtype=np.int64))
    k.launch(topk.top_k(x.dtype, x, k.output(0), k.output(1), k.dtypes[1], rows, n, count))


@opencl_kernel("InTopKV2")
def _in_top_k(k):
    predictions, targets, _ = k.inputs
    if predictions.dtype.kind != "f":
        k.decline("in_top_k of %s predictions" % predictions.dtype.name)
    rows, classes = predictions.shape
    k.launch(topk.in_top_k(predictions.dtype, predictions, targets, k.output(0), rows, classes, int(k.host(2))))


# ---- convolution and pooling (NHWC) --------------------------------------------------------------------------

def _geometry(k, input_shape, kernel_h, kernel_w, strides, dilations):
    from flowgraph.backends.numpy.conv_kernels import Geometry
    if k.attr("data_format") != "NHWC":
        k.decline("data format %s" % k.attr("data_format"))
    g = Geometry(input_shape, kernel_h, kernel_w, strides, dilations, k.attr("padding"))
    return conv.Geometry(input_shape, kernel_h, kernel_w, (g.stride_h, g.stride_w), (g.dilation_h, g.dilation_w),
                         g.top, g.left, g.out_h, g.out_w)


def _conv_geometry(k, input_shape, filter_shape):
    """The geometry, and whether the float32 kernels (packed GEMM, batch slices) compute it; other float types
    take one im2col matrix for the whole batch, within a bound."""
    dtype = k.dtypes[0]
    if dtype.kind != "f":
        k.decline("convolutions of %s" % dtype.name)
    g = _geometry(k, input_shape, filter_shape[0], filter_shape[1], k.attr("strides"), k.attr("dilations"))
    if dtype != np.float32 and not conv.unpacked_fits(g, dtype):
        k.decline("a %s convolution whose im2col matrix exceeds %d MiB" % (dtype.name, conv.UNPACKED_MAX_BYTES >> 20))
    return g, dtype == np.float32


@opencl_kernel("Conv2D")
def _conv2d(k):
    x, filters = k.inputs
    g, packed = _conv_geometry(k, x.shape, filters.shape)
    if packed:
        k.launch(conv.conv2d(x, filters, k.output(0), g, filters.shape[3], k.scratch))
    else:
        k.launch(conv.conv2d_unpacked(x.dtype, x, filters, k.output(0), g, filters.shape[3], k.scratch))


@opencl_kernel("Conv2DBackpropInput")
def _conv2d_backprop_input(k):
    _, filters, dy = k.inputs
    g, packed = _conv_geometry(k, k.shapes[0], filters.shape)
    if packed:
        k.launch(conv.conv2d_backprop_input(filters, dy, k.output(0), g, filters.shape[3], k.scratch,
                                            k.builder.plan.max_items))
    else:
        k.launch(conv.conv2d_backprop_input_unpacked(dy.dtype, filters, dy, k.output(0), g, filters.shape[3],
                                                     k.scratch, k.builder.plan.max_items))


@opencl_kernel("Conv2DBackpropFilter")
def _conv2d_backprop_filter(k):
    x, _, dy = k.inputs
    g, packed = _conv_geometry(k, x.shape, k.shapes[0])
    if packed:
        k.launch(conv.conv2d_backprop_filter(x, dy, k.output(0), g, k.shapes[0][3], k.scratch))
    else:
        k.launch(conv.conv2d_backprop_filter_unpacked(x.dtype, x, dy, k.output(0), g, k.shapes[0][3], k.scratch))


def _pool_geometry(k, input_shape):
    ksize = k.attr("ksize")
    return _geometry(k, input_shape, ksize[1], ksize[2], k.attr("strides"), (1, 1, 1, 1))


def _pool(average):
    def kernel(k):
        x = k.inputs[0]
        k.launch(conv.pool(x.dtype, x, k.output(0), _pool_geometry(k, x.shape), average, k.builder.plan.max_items))
    return kernel


opencl_kernel("MaxPool")(_pool(False))
opencl_kernel("AvgPool")(_pool(True))


@opencl_kernel("MaxPoolGrad")
def _max_pool_grad(k):
    x, _, dy = k.inputs
    k.launch(conv.pool_grad(dy.dtype, x, dy, k.output(0), _pool_geometry(k, x.shape), False,
                            k.builder.plan.max_items))


@opencl_kernel("MaxPoolGradGrad")
def _max_pool_grad_grad(k):
    x, _, grad = k.inputs
    k.launch(conv.max_pool_grad_grad(grad.dtype, x, grad, k.output(0), _pool_geometry(k, x.shape),
                                     k.builder.plan.max_items))


@opencl_kernel("AvgPoolGrad")
def _avg_pool_grad(k):
    dy = k.inputs[1]
    k.launch(conv.pool_grad(dy.dtype, dy, dy, k.output(0), _pool_geometry(k, k.shapes[0]), True,
                            k.builder.plan.max_items))
