"""Kernels chosen at plan time for an op's static attrs and shapes.

A generic kernel re-decides on every call what the graph already fixed (is this a matrix, is it transposed,
which axes does the gradient sum). A specializer looks at the op once, when the plan is built, and returns a
cheaper function of the same inputs, or None to keep the generic kernel. On small training steps the
deciding costs as much as the arithmetic.
"""
import numpy as np

from flowgraph.backends.numpy.math_kernels import column_sums
from flowgraph.framework.op_registry import constant_value

SPECIALIZERS = {}  # op type -> fn(op) -> kernel or None


def specializer(type_name):
    def decorate(fn):
        SPECIALIZERS[type_name] = fn
        return fn
    return decorate


@specializer("MatMul")
def _matmul(op):
    """np.matmul on (transposed) matrices, when both inputs are statically known to be matrices."""
    if any(t.shape.ndims != 2 for t in op.inputs):
        return None
    transpose_a, transpose_b = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    if transpose_a and transpose_b:
        return lambda a, b: np.matmul(a.T, b.T)
    if transpose_a:
        return lambda a, b: np.matmul(a.T, b)
    if transpose_b:
        return lambda a, b: np.matmul(a, b.T)
    return np.matmul


@specializer("SumToShape")
def _sum_to_shape(op):
    """The bias gradient of `x @ W + b`: a matrix summed over its rows into a vector of its width."""
    x, shape = op.inputs
    target = constant_value(shape)
    if x.shape.ndims != 2 or target is None or target.shape != (1,) or x.shape.dims[1] != int(target[0]):
        return None
    return lambda x, shape: column_sums(x)
