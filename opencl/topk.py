"""Top-k selection on the device: the k largest entries of each row, and the in-top-k test of classifiers."""
import numpy as np

from opencl.source import Launch, c_type, instantiate, is_float, suffix

_BEFORE = {True: "v > w || (isnan(w) && !isnan(v))", False: "v > w"}
_FINITE = {True: "isfinite(v)", False: "1"}


def _source(dtype, index_dtype):
    return instantiate("topk.cl", dtype, I=c_type(index_dtype), IS=suffix(index_dtype),
                       BEFORE=_BEFORE[is_float(dtype)], FINITE=_FINITE[is_float(dtype)])


def top_k(dtype, x, values, indices, index_dtype, rows, n, k):
    """A Launch writing values, indices [rows, k] of x [rows, n]; None when empty.

    One work-item per row, inserting into the sorted k so far: O(n) for random rows, O(n * k) at worst.
    """
    if rows * k == 0:
        return None
    name = "top_k_%s_%s" % (suffix(dtype), suffix(index_dtype))
    return Launch(_source(dtype, index_dtype), name, [x, values, indices, np.int32(n), np.int32(k)], (rows,))


def in_top_k(dtype, predictions, targets, out, rows, classes, k):
    """A Launch writing out [rows] (bool as uchar): is targets[row] among the k largest predictions[row]."""
    if rows == 0:
        return None
    name = "in_top_k_%s_%s" % (suffix(dtype), suffix(targets.dtype))
    return Launch(_source(dtype, targets.dtype), name, [predictions, targets, out, np.int32(classes), np.int64(k)],
                  (rows,))
