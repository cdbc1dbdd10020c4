"""Row gathers by index on the device (embedding lookups, `tf.gather`) and their scatter-add adjoint."""
import numpy as np

from opencl.source import Launch, c_type, instantiate, suffix


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
