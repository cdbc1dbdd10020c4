"""Reductions (sum, mean, max, prod, any, ...), arg max/min, cumulative sums, norms and moments.

Every reduction takes TF1's arguments: `axis` (None for all axes, an int, a list, negative from the end),
`keepdims` and the deprecated `reduction_indices`/`keep_dims`. The axes are static attrs.
"""
import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.graph import name_scope
from flowgraph.framework.op_registry import NOT_DIFFERENTIABLE, OpDef, apply_op, convert_to_tensor
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import array_ops, shape_rules
from flowgraph.ops.math_ops import (NUMERIC, abs, add, cast, divide, equal, exp, is_finite, is_tensor_like, log,
                                    not_equal, pow, sqrt, square, squared_difference, where_v2)

__all__ = ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_any", "reduce_all",
           "reduce_logsumexp", "reduce_variance", "reduce_std", "argmax", "argmin", "count_nonzero", "cumsum",
           "norm"]


# ---- axes and shapes ---------------------------------------------------------------------------------------

def reduction_axes(axis, rank, op_name):
    """A sorted tuple of non-negative axes, or None for all axes; ValueError when out of range."""
    if axis is None:
        return None
    array = np.asarray(axis)
    if array.size and array.dtype.kind not in "iu":
        raise TypeError("%s: axis must be int32 or int64, got %r" % (op_name, axis))
    axes = [int(a) for a in array.reshape([-1])]
    if rank is None:
        return tuple(axes)
    normalized = [shape_rules.normalize_axis(a, rank, op_name) for a in axes]
    if len(set(normalized)) != len(normalized):
        raise ValueError("%s: axes %s contain a duplicate dimension (rank %d)" % (op_name, axes, rank))
    return tuple(sorted(normalized))


def reduced_shape(op):
    x = op.inputs[0].shape
    axes, keep = op.get_attr("axis"), op.get_attr("keepdims")
    if x.rank is None:
        return TensorShape(None)
    if any(a < 0 for a in axes or ()):
        axes = tuple(a % x.rank for a in axes)
    axes = range(x.rank) if axes is None else axes
    if keep:
        return TensorShape([1 if i in axes else d for i, d in enumerate(x.dims)])
    return TensorShape([d for i, d in enumerate(x.dims) if i not in axes])


def keepdims_grad(op, dy):
    """dy reshaped so it broadcasts against the reduced input (reduced axes kept as size 1)."""
    if op.get_attr("keepdims"):
        return dy
    x, axis = op.inputs[0], op.get_attr("axis")
    if x.shape.rank is not None:
        axes = range(x.shape.rank) if axis is None else [a % x.shape.rank for a in axis]
        kept = [1 if i in axes else d for i, d in enumerate(x.shape.dims)]
        if None not in kept:
            return array_ops.reshape(dy, kept)
    return array_ops.reshape(dy, apply_op("ReducedShape", (array_ops.shape(x),), {"axis": axis}))


OpDef("ReducedShape", inputs=("input_shape",), attrs={"axis": None},
      shape=lambda op: op.inputs[0].shape, host_inputs=(0,), grad=NOT_DIFFERENTIABLE)


def _shape_of(x):
    """x's shape: a static list when known, else its dynamic shape tensor."""
    return x.shape.as_list() if x.shape.is_fully_defined() else array_ops.shape(x)


# ---- reductions: declarations ------------------------------------------------------------------------------

def _sum_grad(op, dy):
    return [_spread(op, dy, mean=False)]


def _mean_grad(op, dy):
    return [_spread(op, dy, mean=True)]


def _spread(op, dy, mean):
    """dy spread back over the reduced axes (divided by their size for a mean): one op, whatever is known."""
    x = op.inputs[0]
    attrs = {"axis": op.get_attr("axis"), "keepdims": op.get_attr("keepdims"), "mean": mean}
    return apply_op("ReductionGrad", (dy, array_ops.shape_tensor(_shape_of(x))), attrs)


def _reduction_grad_grad(op, ddx):
    """ReductionGrad is linear in dy: its gradient reduces ddx back over the same axes."""
    reduce = reduce_mean if op.get_attr("mean") else reduce_sum
    return [reduce(ddx, op.get_attr("axis"), keepdims=op.get_attr("keepdims")), None]


OpDef("ReductionGrad", inputs=("dy", "input_shape"), attrs={"axis": None, "keepdims": False, "mean": False},
      shape=lambda op: array_ops.constant_value_as_shape(op.inputs[1]), host_inputs=(1,),
      grad=_reduction_grad_grad)


def _max_min_grad(op, dy):
    """The gradient is shared equally among the elements equal to the extremum (as TF)."""
    x = op.inputs[0]
    chosen = cast(equal(keepdims_grad(op, op.outputs[0]), x), dy.dtype)
    count = reduce_sum(chosen, op.get_attr("axis"), keepdims=True)
    return [divide(chosen, count) * keepdims_grad(op, dy)]


def _prod_grad(op, dy):
    """d prod / d x_i is the product of the others, zeros included: with no zero in the group it is prod / x_i;
    with one zero, the zero's entry is the product of the rest and the others' are 0; with more, all are 0."""
    x, axis = op.inputs[0], op.get_attr("axis")
    is_zero = equal(x, 0)
    safe_x = where_v2(is_zero, array_ops.ones_like(x), x)
    zeros_in_group = reduce_sum(cast(is_zero, x.dtype), axis, keepdims=True)
    nonzero_product = reduce_prod(safe_x, axis, keepdims=True)
    at_zero = where_v2(equal(zeros_in_group, 1), nonzero_product, 0)
    elsewhere = where_v2(equal(zeros_in_group, 0), nonzero_product / safe_x, 0)
    return [where_v2(is_zero, at_zero, elsewhere) * keepdims_grad(op, dy)]


def _reduction(type_name, grad, allowed=NUMERIC):
    return OpDef(type_name, inputs=("input",), attrs={"axis": None, "keepdims": False}, shape=reduced_shape,
                 allowed=allowed, grad=grad)


_reduction("Sum", _sum_grad)
_reduction("Mean", _mean_grad)
_reduction("Max", _max_min_grad)
_reduction("Min", _max_min_grad)
_reduction("Prod", _prod_grad)
_reduction("Any", NOT_DIFFERENTIABLE, allowed=(dtypes.bool,))
_reduction("All", NOT_DIFFERENTIABLE, allowed=(dtypes.bool,))


# ---- reductions: public functions --------------------------------------------------------------------------

def _static_axis(axis, op_name):
    """A Python axis value from an int, a list, or a tensor whose value is known when the graph is built."""
    if is_tensor_like(axis):
        value = array_ops.constant_value(convert_to_tensor(axis))
        if value is None:
            raise ValueError("%s: the axis must be known when the graph is built, got tensor %s"
                             % (op_name, convert_to_tensor(axis).name))
        return value.tolist()
    return axis


def _reduction_args(axis, keepdims, reduction_indices, keep_dims):
    """Fold TF1's deprecated argument names into axis and keepdims; both spellings at once is an error."""
    if reduction_indices is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'reduction_indices'")
        axis = reduction_indices
    if keep_dims is not None:
        if keepdims is not None:
            raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'")
        keepdims = keep_dims
    return axis, bool(keepdims)


def _reduce(type_name, input_tensor, axis, keepdims, name, reduction_indices=None, keep_dims=None):
    x = convert_to_tensor(input_tensor)
    axis, keepdims = _reduction_args(axis, keepdims, reduction_indices, keep_dims)
    label = "%s '%s'" % (type_name, name) if name else type_name
    axes = reduction_axes(_static_axis(axis, type_name), x.shape.rank, label)
    return apply_op(type_name, (x,), {"axis": axes, "keepdims": keepdims}, name=name or type_name)


def reduce_sum(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Sum over `axis` (None: all axes; int or list; negative counts from the end)."""
    return _reduce("Sum", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_mean(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Mean over `axis`; for integers the quotient is truncated toward zero, as TF."""
    return _reduce("Mean", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_max(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Maximum over `axis` (-inf, or the dtype's lowest value, for empty axes); ties share the gradient."""
    return _reduce("Max", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_min(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Minimum over `axis` (inf, or the dtype's largest value, for empty axes); ties share the gradient."""
    return _reduce("Min", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_prod(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Product over `axis`; the gradient is exact where inputs are zero."""
    return _reduce("Prod", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_any(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Logical OR over `axis` of a bool tensor."""
    return _reduce("Any", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_all(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Logical AND over `axis` of a bool tensor."""
    return _reduce("All", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """log(sum(exp(x))) over `axis`, without overflow: the (finite) maximum is subtracted first."""
    axis, keepdims = _reduction_args(axis, keepdims, reduction_indices, keep_dims)
    with name_scope(name or "ReduceLogSumExp") as scope:
        x = convert_to_tensor(input_tensor)
        raw_max = reduce_max(x, axis, keepdims=True)
        shift = array_ops.stop_gradient(where_v2(is_finite(raw_max), raw_max, array_ops.zeros_like(raw_max)))
        result = log(reduce_sum(exp(x - shift), axis, keepdims=keepdims))
        if not keepdims:
            shift = array_ops.reshape(shift, _shape_of(result))
        return add(result, shift, name=scope)


def _floating(x, op_name):
    x = convert_to_tensor(x)
    if not x.dtype.is_floating:
        raise TypeError("%s: input must be a floating-point tensor, got %s" % (op_name, x.dtype.name))
    return x


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """The population variance (divided by N) over `axis`."""
    with name_scope(name or "reduce_variance"):
        x = _floating(input_tensor, "reduce_variance")
        means = reduce_mean(x, axis, keepdims=True)
        return reduce_mean(squared_difference(x, means), axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """The population standard deviation over `axis`."""
    with name_scope(name or "reduce_std"):
        return sqrt(reduce_variance(_floating(input_tensor, "reduce_std"), axis, keepdims=keepdims))


def count_nonzero(input_tensor=None, axis=None, keepdims=None, dtype=dtypes.int64, name=None,
                  reduction_indices=None, keep_dims=None, input=None):  # noqa: A002 - TF's argument name
    """The number of nonzero (true) elements over `axis`, as `dtype`."""
    if input is not None:
        if input_tensor is not None:
            raise ValueError("Cannot specify both 'input' and 'input_tensor'")
        input_tensor = input
    axis, keepdims = _reduction_args(axis, keepdims, reduction_indices, keep_dims)
    with name_scope(name or "count_nonzero"):
        x = convert_to_tensor(input_tensor)
        nonzero = cast(not_equal(x, array_ops.zeros([], dtype=x.dtype)), dtypes.int64)
        return cast(reduce_sum(nonzero, axis, keepdims=keepdims), dtype)


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):  # noqa: A002
    """Vector p-norms over `axis` (ord 'euclidean', 'fro', 1, 2, np.inf or any p > 0); the Euclidean and
    Frobenius norms also over an axis pair or the whole tensor. Matrix operator norms are not supported."""
    axis, keepdims = _reduction_args(axis, keepdims, None, keep_dims)
    axes = np.reshape(_static_axis(axis, "norm"), [-1]).tolist() if axis is not None else None
    if ord in ("euclidean", "fro"):
        if ord == "fro" and axes is not None and len(axes) != 2:
            raise ValueError("norm: 'fro' needs an axis pair, got axis=%r" % (axis,))
    elif (axes is not None and len(axes) != 1) or not isinstance(ord, (int, float)) or ord <= 0:
        raise ValueError("norm: ord=%r over axis=%r is not supported (vector norms need a single axis and a "
                         "positive ord)" % (ord, axis))
    with name_scope(name or "norm"):
        x = _floating(tensor, "norm")
        if ord in ("euclidean", "fro", 2):
            return sqrt(reduce_sum(square(x), axes, keepdims=keepdims))
        if ord == np.inf:
            return reduce_max(abs(x), axes, keepdims=keepdims)
        if ord == 1:
            return reduce_sum(abs(x), axes, keepdims=keepdims)
        return pow(reduce_sum(pow(abs(x), float(ord)), axes, keepdims=keepdims), 1.0 / ord)


# ---- arg max/min and cumulative sums -----------------------------------------------------------------------

def _arg_shape(op):
    x = op.inputs[0].shape
    if x.rank is None:
        return TensorShape(None)
    axis = shape_rules.normalize_axis(op.get_attr("axis"), x.rank, op.type)
    return TensorShape(x.dims[:axis] + x.dims[axis + 1:])


for _type_name in ("ArgMax", "ArgMin"):
    OpDef(_type_name, inputs=("input",), attrs={"axis": 0, "output_type": dtypes.int64}, shape=_arg_shape,
          allowed=NUMERIC, dtype=lambda op: dtypes.as_dtype(op.get_attr("output_type")), grad=NOT_DIFFERENTIABLE)


def _arg(type_name, input, axis, name, dimension, output_type):  # noqa: A002
    if dimension is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dimension'")
        axis = dimension
    output_type = dtypes.as_dtype(output_type)
    if output_type not in (dtypes.int32, dtypes.int64):
        raise TypeError("%s: output_type must be int32 or int64, got %s" % (type_name, output_type.name))
    axis = 0 if axis is None else int(_static_axis(axis, type_name))
    return apply_op(type_name, (convert_to_tensor(input),), {"axis": axis, "output_type": output_type},
                    name=name or type_name)


def argmax(input, axis=None, name=None, dimension=None, output_type=dtypes.int64):  # noqa: A002
    """The index of the largest value along `axis` (default 0, as TF1); the first one on ties."""
    return _arg("ArgMax", input, axis, name, dimension, output_type)


def argmin(input, axis=None, name=None, dimension=None, output_type=dtypes.int64):  # noqa: A002
    """The index of the smallest value along `axis` (default 0, as TF1); the first one on ties."""
    return _arg("ArgMin", input, axis, name, dimension, output_type)


def _cumsum_shape(op):
    x = op.inputs[0].shape
    shape_rules.normalize_axis(op.get_attr("axis"), x.rank, "Cumsum")
    return x


def _cumsum_grad(op, dy):
    return [cumsum(dy, op.get_attr("axis"), exclusive=op.get_attr("exclusive"), reverse=not op.get_attr("reverse"))]


OpDef("Cumsum", inputs=("x",), attrs={"axis": 0, "exclusive": False, "reverse": False}, shape=_cumsum_shape,
      allowed=NUMERIC, grad=_cumsum_grad)


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sums along `axis`; `exclusive` leaves each element out of its own sum, `reverse` runs from the end."""
    attrs = {"axis": int(_static_axis(axis, "Cumsum")), "exclusive": bool(exclusive), "reverse": bool(reverse)}
    return apply_op("Cumsum", (convert_to_tensor(x),), attrs, name=name or "Cumsum")

