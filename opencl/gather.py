"""Gathers by index on the device (embedding lookups, `tf.gather`, `tf.gather_nd`), their scatter-add adjoints,
and sequence reversal by per-row lengths."""
import numpy as np

from opencl.copy import contiguous_strides
from opencl.source import Launch, c_type, instantiate, suffix, work_items


def _source(dtype, index_dtype):
    return instantiate("gather.cl", dtype, I=c_type(index_dtype), IS=suffix(index_dtype))


def gather_rows(dtype, params, indices, out, outer, rows, inner, num_indices):
    """out[o, i, :] = params[o, indices[i], :] over [outer, rows, inner] params; None when empty."""
    if outer * num_indices == 0:
        return None
    name = "gather_rows_%s_%s" % (suffix(dtype), suffix(indices.dtype))
    return Launch(_source(dtype, indices.dtype), name,
                  [params, indices, out, np.int32(num_indices), np.int32(rows), np.int32(inner)],
                  (num_indices, outer))


def scatter_add_rows(dtype, dy, indices, out, outer, rows, inner, num_indices):
    """out = zeros [outer, rows, inner] with dy[o, i, :] added at row indices[i]; None when empty."""
    if outer * rows * inner == 0:
        return None
    chunk = min(inner, 256)
    name = "scatter_add_rows_%s_%s" % (suffix(dtype), suffix(indices.dtype))
    return Launch(_source(dtype, indices.dtype), name,
                  [dy, indices, out, np.int32(num_indices), np.int32(rows), np.int32(inner), np.int32(chunk)],
                  (-(-inner // chunk), outer))


def _nd_layout(shape, depth):
    """The indexed dims of `shape` and the row stride of each, as gather_nd/scatter_nd read them."""
    dims = [int(d) for d in shape[:depth]]
    strides = [int(np.prod(dims[d + 1:], dtype=np.int64)) for d in range(depth)]
    return np.array(dims + strides or [0], dtype=np.int64)


def gather_nd(dtype, params, indices, out, params_shape, num_indices, depth):
    """out[n, ...] = params[indices[n, :depth]] (rows of params seen as [prod(shape[:depth]), rest]); None
    when empty."""
    inner = int(np.prod(params_shape[depth:], dtype=np.int64))
    if num_indices * inner == 0:
        return None
    name = "gather_nd_%s_%s" % (suffix(dtype), suffix(indices.dtype))
    return Launch(_source(dtype, indices.dtype), name,
                  [params, indices, _nd_layout(params_shape, depth), out, np.int32(depth), np.int32(inner)],
                  (num_indices,))


def scatter_nd(dtype, indices, updates, out, shape, num_indices, depth):
    """out = zeros(shape) with updates[n, ...] added at indices[n, :depth]; None when empty."""
    rows = int(np.prod(shape[:depth], dtype=np.int64))
    inner = int(np.prod(shape[depth:], dtype=np.int64))
    if rows * inner == 0:
        return None
    chunk = min(inner, 256)
    name = "scatter_nd_%s_%s" % (suffix(dtype), suffix(indices.dtype))
    return Launch(_source(dtype, indices.dtype), name,
                  [indices, updates, _nd_layout(shape, depth), out, np.int32(depth), np.int32(num_indices),
                   np.int64(rows), np.int32(inner), np.int32(chunk)], (-(-inner // chunk),))


def reverse_sequence(dtype, x, lengths, out, shape, seq_dim, batch_dim, max_items=256):
    """A Launch of out = x with the first lengths[b] entries along `seq_dim` reversed for each b along
    `batch_dim`; None when empty."""
    n = int(np.prod(shape, dtype=np.int64))
    if n == 0:
        return None
    strides = contiguous_strides(shape)
    items, chunk = work_items(n, 4096, max_items)
    name = "reverse_sequence_%s_%s" % (suffix(dtype), suffix(lengths.dtype))
    return Launch(_source(dtype, lengths.dtype), name,
                  [x, lengths, out, np.int64(n), np.int64(chunk), np.int64(strides[batch_dim]),
                   np.int32(shape[batch_dim]), np.int64(strides[seq_dim]), np.int32(shape[seq_dim])], (items,))
