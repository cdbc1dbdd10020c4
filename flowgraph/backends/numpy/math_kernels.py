"""Numpy kernels of the math ops. Reductions pass dtype= so int32 stays int32 (numpy would widen)."""
import numpy as np

from flowgraph.backends.numpy import numpy_kernel

numpy_kernel("AddV2")(np.add)
numpy_kernel("Sub")(np.subtract)
numpy_kernel("Mul")(np.multiply)
numpy_kernel("Neg")(np.negative)
numpy_kernel("LogicalNot")(np.logical_not)


@numpy_kernel("RealDiv")
def _real_div(x, y):
    return np.true_divide(x, y, dtype=np.result_type(x))


@numpy_kernel("MatMul")
def _matmul(a, b, transpose_a, transpose_b):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


@numpy_kernel("Sum")
def _sum(x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


@numpy_kernel("SumToShape")
def sum_to_shape(x, shape):
    """Sum the axes of `x` that broadcasting added or stretched, leaving `shape`."""
    shape = tuple(int(d) for d in shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape) if d == 1 and x.shape[i + lead] != 1)
    return np.sum(x, axis=axes, dtype=x.dtype).reshape(shape)


@numpy_kernel("BroadcastTo")
def _broadcast_to(x, shape):
    return np.broadcast_to(x, tuple(int(d) for d in shape))


@numpy_kernel("ReducedShape")
def _reduced_shape(input_shape, axis):
    kept = np.array(input_shape)
    kept[list(range(len(kept))) if axis is None else list(axis)] = 1
    return kept


@numpy_kernel("AddN")
def _add_n(*inputs):
    total = np.array(inputs[0], copy=True)
    for x in inputs[1:]:
        total += x
    return total
