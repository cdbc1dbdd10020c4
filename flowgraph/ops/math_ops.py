"""Math ops: elementwise arithmetic with broadcasting, matmul, reductions."""
from flowgraph.framework import context, dtypes
from flowgraph.framework.graph import Tensor, name_scope
from flowgraph.framework.op_registry import NOT_DIFFERENTIABLE, OpDef, apply_op, convert_to_tensor
from flowgraph.framework.shapes import TensorShape, broadcast_shapes
from flowgraph.ops import array_ops, shape_rules

__all__ = ["logical_not", "add", "add_n", "subtract", "multiply", "divide", "truediv", "negative", "matmul", "reduce_sum",
           "broadcast_to", "reduce_to_shape"]

FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


def _is_tensor_like(x):
    return isinstance(x, Tensor) or hasattr(x, "_as_tensor")


def apply_binary(type_name, x, y, name):
    """Apply a two-input op; a Python operand becomes a constant named `<op>/y` as TF names it."""
    if _is_tensor_like(x) and _is_tensor_like(y):
        return apply_op(type_name, (convert_to_tensor(x), convert_to_tensor(y)), name=name)
    if context.executing_eagerly():
        return apply_op(type_name, operands(x, y), name=name)
    with name_scope(name) as scope:
        return apply_op(type_name, operands(x, y), name=scope)


def operands(x, y):
    """Convert a binary op's operands: a Python value takes the dtype of the tensor beside it (as TF)."""
    x_is, y_is = _is_tensor_like(x), _is_tensor_like(y)
    if x_is:
        x = convert_to_tensor(x)
        return x, convert_to_tensor(y, dtype=None if y_is else x.dtype, name="y")
    if y_is:
        y = convert_to_tensor(y)
        return convert_to_tensor(x, dtype=y.dtype, name="x"), y
    x = convert_to_tensor(x, name="x")
    return x, convert_to_tensor(y, dtype=x.dtype, name="y")


# ---- broadcasting and its gradient -------------------------------------------------------------------------

def _sum_to_shape(op):
    return array_ops.constant_value_as_shape(op.inputs[1])


OpDef("SumToShape", inputs=("input", "shape"), shape=_sum_to_shape, host_inputs=(1,),
      grad=lambda op, dy: [broadcast_to(dy, array_ops.shape(op.inputs[0])), None])


def _broadcast_to_shape(op):
    target = array_ops.constant_value_as_shape(op.inputs[1])
    broadcast_shapes(op.inputs[0].shape, target)
    return target


OpDef("BroadcastTo", inputs=("input", "shape"), shape=_broadcast_to_shape, host_inputs=(1,),
      grad=lambda op, dy: [reduce_to_shape(dy, op.inputs[0]), None])


def broadcast_to(input, shape, name=None):  # noqa: A002 - TF's argument name
    """`input` broadcast (numpy rules) to `shape`."""
    return apply_op("BroadcastTo", (convert_to_tensor(input), array_ops.shape_tensor(shape)), name=name)


def reduce_to_shape(grad, like):
    """Sum `grad` over the axes along which `like` was broadcast, so it has `like`'s shape.

    The one helper every broadcasting op's gradient uses; static shapes avoid work when nothing was broadcast.
    """
    if grad is None:
        return None
    if grad.shape.is_fully_defined() and like.shape.is_fully_defined():
        if grad.shape == like.shape:
            return grad
        target = array_ops.shape_tensor(like.shape.as_list())
    else:
        target = array_ops.shape(like)
    return apply_op("SumToShape", (grad, target))


# ---- elementwise binary ------------------------------------------------------------------------------------

def _binary(type_name, grad, allowed=None):
    return OpDef(type_name, inputs=("x", "y"), shape=shape_rules.broadcast_inputs, same_dtype=("x", "y"),
                 allowed=allowed, grad=grad)


def _grad_pair(op, gx, gy):
    x, y = op.inputs
    return [reduce_to_shape(gx, x), reduce_to_shape(gy, y)]


_binary("AddV2", lambda op, dy: _grad_pair(op, dy, dy))
_binary("Sub", lambda op, dy: _grad_pair(op, dy, negative(dy)))
_binary("Mul", lambda op, dy: _grad_pair(op, dy * op.inputs[1], op.inputs[0] * dy))
_binary("RealDiv", lambda op, dy: _grad_pair(
    op, dy / op.inputs[1], negative(dy) * op.inputs[0] / (op.inputs[1] * op.inputs[1])))

OpDef("Neg", inputs=("x",), shape=shape_rules.same_as_input, grad=lambda op, dy: [negative(dy)])


def add(x, y, name=None):
    return apply_binary("AddV2", x, y, name or "Add")


def subtract(x, y, name=None):
    return apply_binary("Sub", x, y, name or "Sub")


def multiply(x, y, name=None):
    return apply_binary("Mul", x, y, name or "Mul")


def truediv(x, y, name=None):
    """x / y; integer inputs are divided as floats (int32 -> float64, as TF)."""
    with name_scope(name or "truediv") as scope:
        x, y = operands(x, y)
        if not x.dtype.is_floating:
            target = dtypes.float32 if x.dtype.size <= 2 else dtypes.float64
            x, y = cast(x, target), cast(y, target)
        return apply_op("RealDiv", (x, y), name=scope)


def divide(x, y, name=None):
    return truediv(x, y, name=name or "truediv")


def negative(x, name=None):
    return apply_op("Neg", (convert_to_tensor(x),), name=name or "Neg")


def cast(x, dtype, name=None):
    """Placeholder until the full cast op lands: identity when dtypes already match."""
    x = convert_to_tensor(x)
    if x.dtype == dtypes.as_dtype(dtype):
        return x
    raise NotImplementedError("cast is not declared yet")


def _add_n_shape(op):
    shape = op.inputs[0].shape
    for t in op.inputs[1:]:
        shape = shape.merge_with(t.shape)
    return shape


OpDef("AddN", inputs=("*inputs",), shape=_add_n_shape, same_dtype=("inputs",),
      grad=lambda op, dy: [dy] * len(op.inputs))


def add_n(inputs, name=None):
    """The elementwise sum of a list of tensors of one shape and dtype."""
    inputs = [convert_to_tensor(t) for t in inputs]
    if not inputs:
        raise ValueError("add_n needs at least one tensor, got an empty list")
    if len(inputs) == 1 and name is None:
        return inputs[0]
    return apply_op("AddN", (inputs,), name=name or "AddN")


OpDef("LogicalNot", inputs=("x",), shape=shape_rules.same_as_input, allowed=(dtypes.bool,),
      grad=NOT_DIFFERENTIABLE)


def logical_not(x, name=None):
    return apply_op("LogicalNot", (convert_to_tensor(x, dtype=dtypes.bool),), name=name or "LogicalNot")


# ---- matmul ------------------------------------------------------------------------------------------------

def _matmul_shape(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    if a.rank is None or b.rank is None:
        return TensorShape(None)
    if a.rank < 2 or b.rank < 2:
        raise ValueError("Shape must be rank >= 2 for MatMul, got ranks %d and %d" % (a.rank, b.rank))
    m, k1 = (a[-1], a[-2]) if op.get_attr("transpose_a") else (a[-2], a[-1])
    k2, n = (b[-1], b[-2]) if op.get_attr("transpose_b") else (b[-2], b[-1])
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError("Dimensions must be equal, but are %d and %d" % (k1, k2))
    batch = broadcast_shapes(a[:-2], b[:-2])
    return batch.concatenate([m, n])


def _matmul_grad(op, dy):
    a, b = op.inputs
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    if not ta and not tb:
        ga, gb = matmul(dy, b, transpose_b=True), matmul(a, dy, transpose_a=True)
    elif not ta and tb:
        ga, gb = matmul(dy, b), matmul(dy, a, transpose_a=True)
    elif ta and not tb:
        ga, gb = matmul(b, dy, transpose_b=True), matmul(a, dy)
    else:
        ga, gb = matmul(b, dy, transpose_a=True, transpose_b=True), matmul(dy, a, transpose_a=True, transpose_b=True)
    if a.shape.rank == 2 and b.shape.rank == 2:  # no batch axes, nothing was broadcast
        return [ga, gb]
    return [reduce_to_shape(ga, a), reduce_to_shape(gb, b)]


OpDef("MatMul", inputs=("a", "b"), attrs={"transpose_a": False, "transpose_b": False}, shape=_matmul_shape,
      same_dtype=("a", "b"), grad=_matmul_grad)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False,
           b_is_sparse=False, name=None):
    """a @ b over the last two axes, batch axes broadcast; transpose (= adjoint for real types) flags."""
    a, b = convert_to_tensor(a, name="a"), convert_to_tensor(b, name="b")
    return apply_op("MatMul", (a, b), {"transpose_a": bool(transpose_a or adjoint_a),
                                       "transpose_b": bool(transpose_b or adjoint_b)}, name=name or "MatMul")


# ---- reductions --------------------------------------------------------------------------------------------

def reduction_axes(axis, rank, op_name):
    """A sorted tuple of non-negative axes, or None for all axes; ValueError when out of range."""
    if axis is None:
        return None
    axes = [int(a) for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
    if rank is None:
        return tuple(axes)
    return tuple(sorted({shape_rules.normalize_axis(a, rank, op_name) for a in axes}))


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


def _reduction(type_name, grad, allowed=None):
    return OpDef(type_name, inputs=("input",), attrs={"axis": None, "keepdims": False}, shape=reduced_shape,
                 allowed=allowed, grad=grad)


_reduction("Sum", lambda op, dy: [broadcast_to(keepdims_grad(op, dy), array_ops.shape(op.inputs[0]))])


def _reduce(type_name, input_tensor, axis, keepdims, name, reduction_indices=None, keep_dims=None):
    x = convert_to_tensor(input_tensor)
    axis = reduction_indices if axis is None else axis
    keepdims = keep_dims if keepdims is None else keepdims
    if isinstance(axis, Tensor):
        value = array_ops.constant_value(axis)
        if value is None:
            raise ValueError("%s: the reduction axis must be known when the graph is built, got tensor %s"
                             % (type_name, axis.name))
        axis = value.tolist()
    axes = reduction_axes(axis, x.shape.rank, type_name)
    return apply_op(type_name, (x,), {"axis": axes, "keepdims": bool(keepdims)}, name=name or type_name)


def reduce_sum(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Sum over `axis` (None: all axes; int or list; negative counts from the end)."""
    return _reduce("Sum", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)
