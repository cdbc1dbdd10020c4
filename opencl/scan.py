"""Running sums (cumsum) on the device, along the middle axis of [outer, length, inner] views."""
import numpy as np

from opencl.source import Launch, instantiate, suffix


def cumsum(dtype, x, out, outer, length, inner, exclusive=False, reverse=False):
    """A Launch of out = cumsum(x) along the middle axis of x [outer, length, inner]; None when empty.

    Each column is one sequential pass (numpy's summation order), so parallelism is outer * inner columns.
    """
    if outer * length * inner == 0:
        return None
    return Launch(instantiate("scan.cl", dtype), "cumsum_" + suffix(dtype),
                  [x, out, np.int32(length), np.int32(inner), np.int32(bool(exclusive)), np.int32(bool(reverse))],
                  (inner, outer))
