"""Numpy kernels of the math ops (math_ops, reduction_ops).

Every kernel returns the op's declared dtype: reductions pass dtype= so int32 stays int32 (numpy would widen),
and results are cast back where numpy promotes. Floating-point warnings are silenced where TF quietly gives
inf or NaN.
"""
import math

import numpy as np

from flowgraph.backends.numpy import numpy_kernel
from flowgraph.backends.numpy.donation import into_kernel
from flowgraph.framework import errors

# ---- elementwise -------------------------------------------------------------------------------------------

for _type_name, _ufunc in {
        "AddV2": np.add, "Sub": np.subtract, "Mul": np.multiply, "Maximum": np.maximum, "Minimum": np.minimum,
        "Equal": np.equal, "NotEqual": np.not_equal, "Less": np.less, "LessEqual": np.less_equal,
        "Greater": np.greater, "GreaterEqual": np.greater_equal, "LogicalAnd": np.logical_and,
        "LogicalOr": np.logical_or, "Neg": np.negative, "Abs": np.abs, "Sign": np.sign, "Square": np.square,
        "Sin": np.sin, "Cos": np.cos, "Tan": np.tan, "Tanh": np.tanh, "Floor": np.floor, "Ceil": np.ceil,
        "IsNan": np.isnan, "IsInf": np.isinf, "IsFinite": np.isfinite, "LogicalNot": np.logical_not}.items():
    numpy_kernel(_type_name)(_ufunc)

for _type_name, _ufunc in {"AddV2": np.add, "Sub": np.subtract, "Mul": np.multiply, "Maximum": np.maximum,
                           "Minimum": np.minimum}.items():
    into_kernel(_type_name)(_ufunc)
for _type_name, _ufunc in {"Neg": np.negative, "Abs": np.abs, "Square": np.square, "Tanh": np.tanh,
                           "Floor": np.floor, "Ceil": np.ceil, "Sin": np.sin, "Cos": np.cos}.items():
    into_kernel(_type_name, positions=(0,))(_ufunc)


def _quiet(ufunc):
    """`ufunc` with overflow, division and invalid-value warnings off: TF returns inf/NaN silently."""
    def kernel(*args):
        with np.errstate(all="ignore"):
            return ufunc(*args)
    return kernel


for _type_name, _ufunc in {"Sqrt": np.sqrt, "Exp": np.exp, "Expm1": np.expm1, "Log": np.log,
                           "Log1p": np.log1p}.items():
    numpy_kernel(_type_name)(_quiet(_ufunc))


@numpy_kernel("RealDiv")
def _real_div(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(x, y, dtype=np.result_type(x))


def check_integer_divisor(y):
    if np.any(y == 0):
        raise errors.InvalidArgumentError(None, None, "Integer division by zero")


@numpy_kernel("FloorDiv")
def _floor_div(x, y):
    if np.asarray(x).dtype.kind in "iu":
        check_integer_divisor(y)
        return np.floor_divide(x, y)
    # floor(x / y), as TF; numpy's floor_divide rounds differently (1 // 0.1 is 9 there, 10 here).
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.floor(np.true_divide(x, y))


@numpy_kernel("FloorMod")
def _floor_mod(x, y):
    if np.asarray(x).dtype.kind in "iu":
        check_integer_divisor(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mod(x, y)


@numpy_kernel("Pow")
def _pow(x, y):
    with np.errstate(all="ignore"):
        return np.power(x, y)


@numpy_kernel("SquaredDifference")
def _squared_difference(x, y):
    return np.square(np.subtract(x, y))


@numpy_kernel("DivNoNan")
def _div_no_nan(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y == 0, np.zeros((), dtype=np.result_type(x)), np.true_divide(x, y))


@numpy_kernel("Rsqrt")
def _rsqrt(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.reciprocal(np.sqrt(x))


@numpy_kernel("Reciprocal")
def _reciprocal(x):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.reciprocal(x)


@numpy_kernel("Sigmoid")
def _sigmoid(x):
    """Never exponentiates a positive number, so it cannot overflow."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(np.asarray(x).dtype, copy=False)


@numpy_kernel("Round")
def _round(x):
    return np.round(x)  # numpy rounds halves to even, as TF


_erf = np.frompyfunc(math.erf, 1, 1)


@numpy_kernel("Erf")
def _erf_kernel(x):
    return np.asarray(_erf(x), dtype=np.asarray(x).dtype)


@numpy_kernel("Cast")
def _cast(x, DstT):  # noqa: N803 - TF's attr name
    """C casts, as TF: floats truncate toward zero; NaN and out-of-range values are not checked."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.asarray(x).astype(DstT.as_numpy_dtype)


# ---- select, matmul, broadcasting --------------------------------------------------------------------------

@numpy_kernel("Select")
def _select(condition, t, e):
    if condition.ndim == 1 and np.ndim(t) > 1:  # a vector condition picks whole rows
        condition = condition.reshape((-1,) + (1,) * (np.ndim(t) - 1))
    return np.where(condition, t, e)


numpy_kernel("SelectV2")(np.where)


@numpy_kernel("Where")
def _where(condition):
    return np.argwhere(condition).astype(np.int64)


@numpy_kernel("MatMul")
def _matmul(a, b, transpose_a, transpose_b):
    if a.ndim < 2 or b.ndim < 2:  # np.matmul would take a vector; TF's MatMul does not (eager reaches here)
        raise ValueError("In[0] and In[1] must have rank >= 2, got shapes %s and %s" % (a.shape, b.shape))
    if transpose_a:
        a = a.T if a.ndim == 2 else np.swapaxes(a, -1, -2)  # .T costs a tenth of swapaxes
    if transpose_b:
        b = b.T if b.ndim == 2 else np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


@numpy_kernel("SumToShape")
def sum_to_shape(x, shape):
    """Sum the axes of `x` that broadcasting added or stretched, leaving `shape`."""
    shape = tuple(shape.tolist())
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape) if d == 1 and x.shape[i + lead] != 1)
    if axes == (0,) and x.ndim == 2 and len(shape) == 1:
        return column_sums(x)  # a new array, not a reshaped view: a later step may reuse it (donation.py)
    return np.add.reduce(x, axis=axes, dtype=x.dtype).reshape(shape)


def column_sums(x):
    """Sums over axis 0 of a 2-D array (a bias gradient). For floats, a BLAS matrix-vector product: several
    times faster than numpy's axis-0 reduction on batches of a few hundred rows, and more accurate (numpy
    adds the rows one after another)."""
    if x.dtype.kind == "f" and x.dtype.itemsize >= 4:
        ones = np.empty(x.shape[0], dtype=x.dtype)
        ones.fill(1)
        return ones @ x
    return np.add.reduce(x, axis=0, dtype=x.dtype)


@numpy_kernel("BroadcastTo")
def _broadcast_to(x, shape):
    return _broadcast(x, tuple(shape.tolist()))


@numpy_kernel("AddN")
def _add_n(*inputs):
    total = np.array(inputs[0], copy=True)
    for x in inputs[1:]:
        total += x
    return total


# ---- reductions --------------------------------------------------------------------------------------------

@numpy_kernel("ReducedShape")
def _reduced_shape(input_shape, axis):
    kept = np.array(input_shape)
    kept[list(range(len(kept))) if axis is None else list(axis)] = 1
    return kept


@numpy_kernel("Sum")
def _sum(x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _reduced_count(x, axis):
    return math.prod(x.shape) if axis is None else math.prod(x.shape[a] for a in axis)


@numpy_kernel("ReductionGrad")
def _reduction_grad(dy, input_shape, axis, keepdims, mean):
    """The gradient of Sum/Mean: dy broadcast over the reduced axes (a read-only view), scaled for a mean."""
    shape = tuple(input_shape.tolist())
    if axis is None:  # a reduction to a scalar: dy broadcasts as it is
        count = math.prod(shape) if mean else 1
        if dy.ndim == 0 and count <= 65536:  # the gradient of a scalar loss: one filled array
            out = np.empty(shape, dtype=dy.dtype)
            out.fill(dy / dy.dtype.type(count) if count > 1 else dy)
            return out
    else:
        axes = [a % len(shape) for a in axis]
        if not keepdims:
            dy = np.reshape(dy, [1 if i in axes else d for i, d in enumerate(shape)])
        count = math.prod(shape[a] for a in axes) if mean else 1
    if count > 1:
        dy = dy / dy.dtype.type(count)
    return _broadcast(dy, shape)


def _broadcast(x, shape):
    """np.broadcast_to, whose fixed cost (~9 us) dwarfs filling a small array: small results are filled."""
    if math.prod(shape) <= 65536:
        out = np.empty(shape, dtype=x.dtype)
        out[...] = x
        return out
    return np.broadcast_to(x, shape)


@numpy_kernel("Mean")
def _mean(x, axis, keepdims):
    """Integers: the sum divided with truncation toward zero (C division, as TF); float16 sums in float32."""
    count = _reduced_count(x, axis)
    if x.dtype.kind in "iu":
        total = np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
        if count == 0:
            raise errors.InvalidArgumentError(None, None, "Integer mean of an empty axis (division by zero)")
        return (np.sign(total) * (np.abs(total) // count)).astype(x.dtype)
    total = np.add.reduce(x, axis=axis, keepdims=keepdims, dtype=np.float32 if x.dtype == np.float16 else x.dtype)
    if count == 0:  # TF gives NaN for the mean of nothing
        return np.full(np.shape(total), np.nan, dtype=x.dtype)
    return (total / count).astype(x.dtype, copy=False)


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


@numpy_kernel("Max")
def _max(x, axis, keepdims):
    return np.max(x, axis=axis, keepdims=keepdims, initial=_lowest(x.dtype))


@numpy_kernel("Min")
def _min(x, axis, keepdims):
    return np.min(x, axis=axis, keepdims=keepdims, initial=_highest(x.dtype))


@numpy_kernel("Prod")
def _prod(x, axis, keepdims):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


@numpy_kernel("Any")
def _any(x, axis, keepdims):
    return np.any(x, axis=axis, keepdims=keepdims)


@numpy_kernel("All")
def _all(x, axis, keepdims):
    return np.all(x, axis=axis, keepdims=keepdims)


@numpy_kernel("ArgMax")
def _argmax(x, axis, output_type):
    return np.argmax(x, axis=axis).astype(output_type.as_numpy_dtype)


@numpy_kernel("ArgMin")
def _argmin(x, axis, output_type):
    return np.argmin(x, axis=axis).astype(output_type.as_numpy_dtype)


@numpy_kernel("Cumsum")
def _cumsum(x, axis, exclusive, reverse):
    if reverse:
        x = np.flip(x, axis)
    total = np.cumsum(x, axis=axis, dtype=x.dtype)
    if exclusive and x.shape[axis]:  # shift by one along axis, zero first
        total = np.roll(total, 1, axis=axis)
        first = [slice(None)] * x.ndim
        first[axis] = 0
        total[tuple(first)] = 0
    return np.flip(total, axis) if reverse else total
