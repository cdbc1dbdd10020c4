"""A ceiling on the size of one tensor, checked before memory is allocated for constants, fills and feeds.

Set by `flowgraph.set_tensor_size_limit(bytes)` or the FLOWGRAPH_MAX_TENSOR_BYTES environment variable;
the default (8 GiB) stops runaway shapes long before the machine starts swapping.
"""
import os

import numpy as np

from flowgraph.framework import errors

_limit = {"bytes": int(os.environ.get("FLOWGRAPH_MAX_TENSOR_BYTES", 8 << 30))}


def set_tensor_size_limit(num_bytes):
    """Refuse any single constant, fill or feed larger than `num_bytes`."""
    _limit["bytes"] = int(num_bytes)


def tensor_size_limit():
    return _limit["bytes"]


def nbytes(shape, dtype):
    count = 1
    for d in shape:
        count *= int(d)
    return count * np.dtype(dtype).itemsize


def check_build_size(shape, dtype, what):
    """ValueError at graph-build time when a tensor of `shape` would exceed the limit."""
    size = nbytes(shape, dtype)
    if size > _limit["bytes"]:
        raise ValueError("%s of shape %s and dtype %s would take %d bytes, more than the tensor size limit of %d "
                         "bytes (flowgraph.set_tensor_size_limit)" % (what, list(shape), np.dtype(dtype).name,
                                                                      size, _limit["bytes"]))


def check_run_size(shape, dtype, what, op=None):
    """ResourceExhaustedError at run time, before allocating, when a tensor would exceed the limit."""
    size = nbytes(shape, dtype)
    if size > _limit["bytes"]:
        raise errors.ResourceExhaustedError(
            None, op, "%s of shape %s and dtype %s would take %d bytes, more than the tensor size limit of %d bytes "
                      "(flowgraph.set_tensor_size_limit)" % (what, [int(d) for d in shape], np.dtype(dtype).name, size,
                                                             _limit["bytes"]))
