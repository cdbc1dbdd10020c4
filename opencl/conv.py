"""Convolution (im2col + the packed GEMM) and pooling on the device, NHWC, over batch slices small enough that
the im2col matrix stays within a bounded scratch buffer."""
import numpy as np

from opencl import gemm
from opencl.source import Launch, c_type, instantiate, suffix, work_items

SCRATCH_BYTES = 32 << 20


class Geometry:
    """One convolution or pooling window layout over an NHWC input (as an int array kernels read)."""

    def __init__(self, input_shape, kernel_h, kernel_w, strides, dilations, top, left, out_h, out_w):
        self.batch, self.height, self.width, self.channels = (int(d) for d in input_shape)
        self.kernel_h, self.kernel_w = int(kernel_h), int(kernel_w)
        self.out_h, self.out_w = int(out_h), int(out_w)
        self.array = np.array([self.height, self.width, self.channels, self.kernel_h, self.kernel_w,
                               strides[0], strides[1], dilations[0], dilations[1], top, left, out_h, out_w],
                              dtype=np.int32)

    @property
    def depth(self):
        """Taps per window: the im2col width."""
        return self.kernel_h * self.kernel_w * self.channels

    @property
    def pixels_per_image(self):
        return self.out_h * self.out_w

    def slices(self, bytes_per_pixel):
        """[(first image, image count)] covering the batch, each slice's im2col within SCRATCH_BYTES."""
        if self.batch == 0:
            return [(0, 0)]
        per_image = max(1, self.pixels_per_image * bytes_per_pixel)
        step = max(1, min(self.batch, SCRATCH_BYTES // per_image))
        return [(n, min(step, self.batch - n)) for n in range(0, self.batch, step)]


def conv2d(x, filters, out, g, out_channels, scratch):
    """Launches computing out [N, out_h, out_w, out_channels] = conv(x, filters [kh, kw, c, out_channels])."""
    if g.batch * g.pixels_per_image * out_channels == 0:
        return []
    source = instantiate("conv.cl", np.float32)
    slices = g.slices(g.depth * 4)
    rows = slices[0][1] * g.pixels_per_image
    packed_a = scratch(gemm.packed_a_bytes(rows, g.depth))
    packed_b = scratch(gemm.packed_b_bytes(out_channels, g.depth))
    launches = [gemm.pack_b(filters, packed_b, out_channels, g.depth, (out_channels, 1), [0])]
    for first, count in slices:
        rows = count * g.pixels_per_image
        first_pixel = first * g.pixels_per_image
        launches.append(Launch(source, "im2col_packed_f32", [x, g.array, packed_a, np.int32(first_pixel),
                                                             np.int32(rows), np.int32(g.depth)],
                               (gemm.panels(rows, 1)[0], gemm.MR)))
        launches.append(gemm.product(packed_a, packed_b, out, rows, out_channels, g.depth,
                                     c_offset=first_pixel * out_channels))
    return launches


def conv2d_backprop_input(filters, dy, dx, g, out_channels, scratch, max_items=256):
    """Launches computing dx [N, h, w, c] from dy [N, out_h, out_w, out_channels]: dy @ filters^T, then col2im."""
    if g.batch * g.height * g.width * g.channels == 0:
        return []
    source = instantiate("conv.cl", np.float32)
    slices = g.slices(g.depth * 4)
    rows = slices[0][1] * g.pixels_per_image
    dcols = scratch(rows * g.depth * 4)
    packed_a = scratch(gemm.packed_a_bytes(rows, out_channels))
    packed_b = scratch(gemm.packed_b_bytes(g.depth, out_channels))
    launches = [gemm.pack_b(filters, packed_b, g.depth, out_channels, (1, out_channels), [0])]
    per_image = g.height * g.width * g.channels
    for first, count in slices:
        rows = count * g.pixels_per_image
        launches.append(gemm.pack_a(dy, packed_a, rows, out_channels, (out_channels, 1),
                                    [first * g.pixels_per_image * out_channels]))
        launches.append(gemm.product(packed_a, packed_b, dcols, rows, g.depth, out_channels))
        items, chunk = work_items(count * per_image, 1024, max_items)
        launches.append(Launch(source, "col2im_f32", [dcols, g.array, dx, np.int32(first), np.int32(count * per_image),
                                                      np.int32(chunk)], (items,)))
    return launches


def conv2d_backprop_filter(x, dy, dfilters, g, out_channels, scratch):
    """Launches computing dfilters [kh, kw, c, out_channels] = im2col(x)^T @ dy, summed over batch slices."""
    if g.depth * out_channels == 0:
        return []
    source = instantiate("conv.cl", np.float32)
    slices = g.slices(g.depth * 4)
    rows = slices[0][1] * g.pixels_per_image
    cols = scratch(rows * g.depth * 4)
    packed_a = scratch(gemm.packed_a_bytes(g.depth, rows))
    packed_b = scratch(gemm.packed_b_bytes(out_channels, rows))
    launches = []
    for i, (first, count) in enumerate(slices):
        rows = count * g.pixels_per_image
        first_pixel = first * g.pixels_per_image
        if rows:
            launches.append(Launch(source, "im2col_f32", [x, g.array, cols, np.int32(first_pixel),
                                                          np.int32(g.depth)], (rows,)))
        launches.append(gemm.pack_a(cols, packed_a, g.depth, rows, (1, g.depth), [0]))
        launches.append(gemm.pack_b(dy, packed_b, out_channels, rows, (out_channels, 1),
                                    [first_pixel * out_channels]))
        launches.append(gemm.product(packed_a, packed_b, dfilters, g.depth, out_channels, rows, accumulate=i > 0))
    return launches


# ---- other element types (float64): one im2col matrix for the whole batch and the strided GEMM ----------------

UNPACKED_MAX_BYTES = 256 << 20


def unpacked_fits(g, dtype):
    """Whether the whole batch's im2col matrix of `dtype` fits the bound the unpacked convolutions keep to."""
    return g.batch * g.pixels_per_image * g.depth * np.dtype(dtype).itemsize <= UNPACKED_MAX_BYTES


def _im2col(dtype, x, g, cols):
    rows = g.batch * g.pixels_per_image
    return Launch(instantiate("conv.cl", dtype), "im2col_" + suffix(dtype),
                  [x, g.array, cols, np.int32(0), np.int32(g.depth)], (rows,)) if rows * g.depth else None


def conv2d_unpacked(dtype, x, filters, out, g, out_channels, scratch):
    """conv2d for element types without a packed GEMM: out [N*P, out_channels] = im2col(x) @ filters."""
    rows = g.batch * g.pixels_per_image
    if rows * out_channels == 0:
        return []
    cols = scratch(rows * g.depth * np.dtype(dtype).itemsize)
    return [_im2col(dtype, x, g, cols)] + gemm.matmul_launches(
        dtype, cols, filters, out, rows, out_channels, g.depth, (g.depth, 1), (out_channels, 1), [0], [0], scratch)


def conv2d_backprop_input_unpacked(dtype, filters, dy, dx, g, out_channels, scratch, max_items=256):
    """dx = col2im(dy @ filters^T), for element types without a packed GEMM."""
    count = g.batch * g.height * g.width * g.channels
    if count == 0:
        return []
    rows = g.batch * g.pixels_per_image
    dcols = scratch(max(rows * g.depth, 1) * np.dtype(dtype).itemsize)
    items, chunk = work_items(count, 1024, max_items)
    return gemm.matmul_launches(dtype, dy, filters, dcols, rows, g.depth, out_channels, (out_channels, 1),
                                (1, out_channels), [0], [0], scratch) + [
        Launch(instantiate("conv.cl", dtype), "col2im_" + suffix(dtype),
               [dcols, g.array, dx, np.int32(0), np.int32(count), np.int32(chunk)], (items,))]


def conv2d_backprop_filter_unpacked(dtype, x, dy, dfilters, g, out_channels, scratch):
    """dfilters = im2col(x)^T @ dy, for element types without a packed GEMM."""
    rows = g.batch * g.pixels_per_image
    if g.depth * out_channels == 0:
        return []
    cols = scratch(max(rows * g.depth, 1) * np.dtype(dtype).itemsize)
    return [_im2col(dtype, x, g, cols)] + gemm.matmul_launches(
        dtype, cols, dy, dfilters, g.depth, out_channels, rows, (1, g.depth), (out_channels, 1), [0], [0], scratch)


_LOWEST = {"float": "-INFINITY", "double": "-INFINITY", "int": "INT_MIN", "long": "LONG_MIN", "char": "CHAR_MIN",
           "short": "SHRT_MIN", "uchar": "0", "ushort": "0"}


def _pool_source(dtype):
    return instantiate("pool.cl", dtype, ISNAN="isnan(v)" if np.dtype(dtype).kind == "f" else "0",
                       LOWEST=_LOWEST[c_type(dtype)])


def pool(dtype, x, out, g, average, max_items=256):
    """A Launch of max (or average) pooling into out [N, out_h, out_w, c]; None when empty."""
    count = g.batch * g.pixels_per_image * g.channels
    if count == 0:
        return None
    items, chunk = work_items(count, 1024, max_items)
    return Launch(_pool_source(dtype), "pool_" + suffix(dtype),
                  [x, g.array, out, np.int32(count), np.int32(chunk), np.int32(bool(average))], (items,))


def pool_grad(dtype, x, dy, dx, g, average, max_items=256):
    """A Launch of the max (x: the pooled input) or average (x unused) pooling gradient into dx [N, h, w, c]."""
    count = g.batch * g.height * g.width * g.channels
    if count == 0:
        return None
    items, chunk = work_items(count, 1024, max_items)
    return Launch(_pool_source(dtype), "pool_grad_" + suffix(dtype),
                  [x, dy, g.array, dx, np.int32(count), np.int32(chunk), np.int32(bool(average))], (items,))


def max_pool_grad_grad(dtype, x, grad, out, g, max_items=256):
    """A Launch of out [N, out_h, out_w, c] = grad at each window's first maximum of x; None when empty."""
    count = g.batch * g.pixels_per_image * g.channels
    if count == 0:
        return None
    items, chunk = work_items(count, 1024, max_items)
    return Launch(_pool_source(dtype), "max_pool_grad_grad_" + suffix(dtype),
                  [x, grad, g.array, out, np.int32(count), np.int32(chunk)], (items,))
