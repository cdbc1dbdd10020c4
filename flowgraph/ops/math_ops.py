"""Math ops: elementwise arithmetic with broadcasting, comparisons, logic, unary functions, casts, select,
matmul and tensordot. Reductions live in reduction_ops and clipping in clip_ops; both are re-exported here,
since TF keeps them all under math_ops."""
import numpy as np

from flowgraph.framework import context, dtypes
from flowgraph.framework.graph import Tensor, name_scope
from flowgraph.framework.op_registry import REQUIRED, NOT_DIFFERENTIABLE, OpDef, apply_op, convert_to_tensor
from flowgraph.framework.shapes import TensorShape, broadcast_shapes
from flowgraph.ops import array_ops, shape_rules

__all__ = [
    "add", "subtract", "multiply", "divide", "truediv", "realdiv", "div", "floordiv", "floormod", "mod", "pow",
    "maximum", "minimum", "squared_difference", "div_no_nan", "divide_no_nan", "scalar_mul", "add_n",
    "accumulate_n", "negative", "abs", "sign", "square", "sqrt", "rsqrt", "exp", "expm1", "log", "log1p", "sin",
    "cos", "tan", "tanh", "sigmoid", "reciprocal", "reciprocal_no_nan", "round", "floor", "ceil", "erf",
    "is_nan", "is_inf", "is_finite", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "cast", "to_float", "to_double", "to_int32",
    "to_int64", "where", "where_v2", "matmul", "matrix_transpose", "tensordot", "broadcast_to",
]

FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
INTEGERS = (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.uint16)
NUMERIC = FLOATS + INTEGERS


def is_tensor_like(x):
    return isinstance(x, Tensor) or hasattr(x, "_as_tensor")


def apply_binary(type_name, x, y, name):
    """Apply a two-input op; a Python operand becomes a constant named `<op>/y` as TF names it."""
    if is_tensor_like(x) and is_tensor_like(y):
        return apply_op(type_name, (convert_to_tensor(x), convert_to_tensor(y)), name=name)
    if context.executing_eagerly():
        return apply_op(type_name, operands(x, y), name=name)
    with name_scope(name) as scope:
        return apply_op(type_name, operands(x, y), name=scope)


def apply_unary(type_name, x, name, attrs=None):
    """Apply a one-input op; a Python value becomes a constant named `<op>/x` as TF names it."""
    if is_tensor_like(x) or context.executing_eagerly():
        return apply_op(type_name, (convert_to_tensor(x),), attrs, name=name)
    with name_scope(name) as scope:
        return apply_op(type_name, (convert_to_tensor(x, name="x"),), attrs, name=scope)


def operands(x, y):
    """Convert a binary op's operands: a Python value takes the dtype of the tensor beside it (as TF)."""
    x_is, y_is = is_tensor_like(x), is_tensor_like(y)
    if x_is:
        x = convert_to_tensor(x)
        return x, convert_to_tensor(y, dtype=None if y_is else x.dtype, name="y")
    if y_is:
        y = convert_to_tensor(y)
        return convert_to_tensor(x, dtype=y.dtype, name="x"), y
    x = convert_to_tensor(x, name="x")
    return x, convert_to_tensor(y, dtype=x.dtype, name="y")


def _bool_output(op):
    return dtypes.bool


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


def reduce_to_shape(grad, like, other=None):
    """Sum `grad` over the axes along which `like` was broadcast, so it has `like`'s shape.

    The one helper every broadcasting op's gradient uses. Static shapes avoid the work when nothing can have
    been broadcast: equal known shapes, or (given the `other` operand) no axis where `like` could stretch.
    """
    if grad is None:
        return None
    if like.shape.is_fully_defined():
        if grad.shape == like.shape:
            return grad
        target = array_ops.shape_tensor(like.shape.as_list())
    elif other is not None and not _may_stretch(like.shape, other.shape):
        return grad
    else:
        target = array_ops.shape(like)
    return apply_op("SumToShape", (grad, target))


def _may_stretch(shape, other):
    """Whether broadcasting `shape` against `other` may enlarge `shape` at run time (unknown dims included)."""
    if shape.rank is None or other.rank is None or other.rank > shape.rank:
        return True
    aligned = [None] * (shape.rank - other.rank) + [("dim", d) for d in other.dims]
    for mine, theirs in zip(shape.dims, aligned):
        if theirs is None or theirs[1] == 1:  # no axis there, or a 1 that stretches to mine
            continue
        if mine is None or mine == 1:
            return True
    return False


# ---- elementwise binary: declarations ----------------------------------------------------------------------

def _binary(type_name, grad, allowed=NUMERIC, dtype=None):
    return OpDef(type_name, inputs=("x", "y"), shape=shape_rules.broadcast_inputs, same_dtype=("x", "y"),
                 allowed=allowed, dtype=dtype, grad=grad)


def _grad_pair(op, gx, gy):
    x, y = op.inputs
    return [reduce_to_shape(gx, x, y), reduce_to_shape(gy, y, x)]


def _pow_grad(op, dy):
    x, y = op.inputs
    positive = greater(x, 0)
    # log(x) only where x > 0 (TF's convention: d/dy is 0 elsewhere); log of ones keeps 2nd order finite.
    log_x = _select(positive, log(_select(positive, x, array_ops.ones_like(x))), array_ops.zeros_like(x))
    return _grad_pair(op, dy * y * pow(x, y - 1), dy * op.outputs[0] * log_x)


def _extremum_grad(keep_x):
    """Maximum/Minimum: the gradient goes to x where it was chosen (ties included, as TF), else to y."""
    def grad(op, dy):
        x, y = op.inputs
        chosen_x = keep_x(x, y)
        zeros = array_ops.zeros_like(dy)
        return _grad_pair(op, _select(chosen_x, dy, zeros), _select(chosen_x, zeros, dy))
    return grad


def _squared_difference_grad(op, dy):
    x, y = op.inputs
    d = dy * 2 * (x - y)
    return _grad_pair(op, d, negative(d))


def _div_no_nan_grad(op, dy):
    x, y = op.inputs
    return _grad_pair(op, div_no_nan(dy, y), dy * div_no_nan(div_no_nan(negative(x), y), y))


_binary("AddV2", lambda op, dy: _grad_pair(op, dy, dy))
_binary("Sub", lambda op, dy: _grad_pair(op, dy, negative(dy)))
_binary("Mul", lambda op, dy: _grad_pair(op, dy * op.inputs[1], op.inputs[0] * dy))
_binary("RealDiv", lambda op, dy: _grad_pair(
    op, dy / op.inputs[1], negative(dy) * op.inputs[0] / (op.inputs[1] * op.inputs[1])), allowed=FLOATS)
_binary("FloorDiv", NOT_DIFFERENTIABLE)
_binary("FloorMod", lambda op, dy: _grad_pair(op, dy, negative(dy) * floordiv(op.inputs[0], op.inputs[1])))
_binary("Pow", _pow_grad, allowed=FLOATS + (dtypes.int32, dtypes.int64))
# (lambdas: the comparisons are defined below)
_binary("Maximum", _extremum_grad(lambda x, y: greater_equal(x, y)))
_binary("Minimum", _extremum_grad(lambda x, y: less_equal(x, y)))
_binary("SquaredDifference", _squared_difference_grad)
_binary("DivNoNan", _div_no_nan_grad, allowed=FLOATS)
for _type_name in ("Equal", "NotEqual"):
    _binary(_type_name, NOT_DIFFERENTIABLE, allowed=NUMERIC + (dtypes.bool, dtypes.string), dtype=_bool_output)
for _type_name in ("Less", "LessEqual", "Greater", "GreaterEqual"):
    _binary(_type_name, NOT_DIFFERENTIABLE, dtype=_bool_output)
for _type_name in ("LogicalAnd", "LogicalOr"):
    _binary(_type_name, NOT_DIFFERENTIABLE, allowed=(dtypes.bool,))


# ---- elementwise binary: public functions ------------------------------------------------------------------

def add(x, y, name=None):
    """x + y with broadcasting."""
    return apply_binary("AddV2", x, y, name or "Add")


def subtract(x, y, name=None):
    """x - y with broadcasting."""
    return apply_binary("Sub", x, y, name or "Sub")


def multiply(x, y, name=None):
    """x * y with broadcasting."""
    return apply_binary("Mul", x, y, name or "Mul")


def scalar_mul(scalar, x, name=None):
    """A scalar times a tensor."""
    scalar = convert_to_tensor(scalar, dtype=convert_to_tensor(x).dtype, name="scalar")
    if scalar.shape.rank not in (None, 0):
        raise ValueError("scalar_mul: `scalar` must be a 0-D tensor, got shape %s" % scalar.shape)
    return multiply(scalar, x, name=name)


def truediv(x, y, name=None):
    """x / y; integer inputs are divided as floats (8/16-bit ints -> float32, wider ints -> float64, as TF)."""
    with name_scope(name or "truediv") as scope:
        x, y = operands(x, y)
        if x.dtype != y.dtype:
            raise TypeError("truediv: x and y must have the same dtype, got %s != %s" % (x.dtype.name, y.dtype.name))
        if not x.dtype.is_floating:
            target = dtypes.float32 if x.dtype.size <= 2 else dtypes.float64
            x, y = cast(x, target), cast(y, target)
        return apply_op("RealDiv", (x, y), name=scope)


def divide(x, y, name=None):
    """x / y as Python 3 divides: integer inputs give floats."""
    return truediv(x, y, name=name or "truediv")


def realdiv(x, y, name=None):
    """x / y for floating-point tensors."""
    return apply_binary("RealDiv", x, y, name or "RealDiv")


def div(x, y, name=None):
    """TF1's Python 2 division: floor division for integers, true division for floats."""
    with name_scope(name or "div") as scope:
        x, y = operands(x, y)
        return apply_op("FloorDiv" if x.dtype.is_integer else "RealDiv", (x, y), name=scope)


def floordiv(x, y, name=None):
    """floor(x / y) with broadcasting; integer division by zero is an error."""
    return apply_binary("FloorDiv", x, y, name or "floordiv")


def floormod(x, y, name=None):
    """x - floor(x / y) * y: the remainder has the sign of y (Python's %)."""
    return apply_binary("FloorMod", x, y, name or "FloorMod")


mod = floormod


def pow(x, y, name=None):  # noqa: A001 - TF's public name
    """x ** y with broadcasting; integers to negative integer powers are an error."""
    return apply_binary("Pow", x, y, name or "Pow")


def maximum(x, y, name=None):
    """The elementwise larger of x and y; the gradient goes to x on ties."""
    return apply_binary("Maximum", x, y, name or "Maximum")


def minimum(x, y, name=None):
    """The elementwise smaller of x and y; the gradient goes to x on ties."""
    return apply_binary("Minimum", x, y, name or "Minimum")


def squared_difference(x, y, name=None):
    """(x - y) ** 2 in one op."""
    return apply_binary("SquaredDifference", x, y, name or "SquaredDifference")


def div_no_nan(x, y, name=None):
    """x / y, but 0 wherever y is 0 (even when x is 0 or not finite)."""
    return apply_binary("DivNoNan", x, y, name or "div_no_nan")


divide_no_nan = div_no_nan


def equal(x, y, name=None):
    """x == y elementwise, as bool."""
    return apply_binary("Equal", x, y, name or "Equal")


def not_equal(x, y, name=None):
    """x != y elementwise, as bool."""
    return apply_binary("NotEqual", x, y, name or "NotEqual")


def less(x, y, name=None):
    """x < y elementwise, as bool."""
    return apply_binary("Less", x, y, name or "Less")


def less_equal(x, y, name=None):
    """x <= y elementwise, as bool."""
    return apply_binary("LessEqual", x, y, name or "LessEqual")


def greater(x, y, name=None):
    """x > y elementwise, as bool."""
    return apply_binary("Greater", x, y, name or "Greater")


def greater_equal(x, y, name=None):
    """x >= y elementwise, as bool."""
    return apply_binary("GreaterEqual", x, y, name or "GreaterEqual")


def logical_and(x, y, name=None):
    """x AND y for bool tensors, with broadcasting."""
    return apply_binary("LogicalAnd", x, y, name or "LogicalAnd")


def logical_or(x, y, name=None):
    """x OR y for bool tensors, with broadcasting."""
    return apply_binary("LogicalOr", x, y, name or "LogicalOr")


def logical_xor(x, y, name="LogicalXor"):
    """x XOR y, composed as TF does: (x OR y) AND NOT (x AND y)."""
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)), name=name)


# ---- elementwise unary -------------------------------------------------------------------------------------

def _unary(type_name, grad, allowed=FLOATS, dtype=None):
    return OpDef(type_name, inputs=("x",), shape=shape_rules.same_as_input, allowed=allowed, dtype=dtype,
                 grad=grad)


_ERF_SCALE = 2.0 / np.sqrt(np.pi)

_unary("Neg", lambda op, dy: [negative(dy)], allowed=NUMERIC)
_unary("Abs", lambda op, dy: [dy * sign(op.inputs[0])], allowed=NUMERIC)
_unary("Sign", lambda op, dy: [array_ops.zeros_like(op.inputs[0])], allowed=NUMERIC)
_unary("Square", lambda op, dy: [dy * (op.inputs[0] * 2)], allowed=NUMERIC)
_unary("Sqrt", lambda op, dy: [dy * 0.5 / op.outputs[0]])
_unary("Rsqrt", lambda op, dy: [dy * -0.5 * op.outputs[0] * square(op.outputs[0])])
_unary("Exp", lambda op, dy: [dy * op.outputs[0]])
_unary("Expm1", lambda op, dy: [dy * exp(op.inputs[0])])
_unary("Log", lambda op, dy: [dy * reciprocal(op.inputs[0])])
_unary("Log1p", lambda op, dy: [dy * reciprocal(op.inputs[0] + 1)])
_unary("Sin", lambda op, dy: [dy * cos(op.inputs[0])])
_unary("Cos", lambda op, dy: [negative(dy) * sin(op.inputs[0])])
_unary("Tan", lambda op, dy: [dy * square(reciprocal(cos(op.inputs[0])))])
_unary("Tanh", lambda op, dy: [dy * (1 - square(op.outputs[0]))])
_unary("Sigmoid", lambda op, dy: [dy * op.outputs[0] * (1 - op.outputs[0])])
_unary("Reciprocal", lambda op, dy: [negative(dy) * square(op.outputs[0])], allowed=NUMERIC)
_unary("Erf", lambda op, dy: [dy * _ERF_SCALE * exp(negative(square(op.inputs[0])))])
# Piecewise constant: TF gives no gradient at all (None), not zeros.
_unary("Round", NOT_DIFFERENTIABLE, allowed=NUMERIC)
_unary("Floor", NOT_DIFFERENTIABLE)
_unary("Ceil", NOT_DIFFERENTIABLE)
for _type_name in ("IsNan", "IsInf", "IsFinite"):
    _unary(_type_name, NOT_DIFFERENTIABLE, dtype=_bool_output)
_unary("LogicalNot", NOT_DIFFERENTIABLE, allowed=(dtypes.bool,))


def negative(x, name=None):
    """-x."""
    return apply_unary("Neg", x, name or "Neg")


def abs(x, name=None):  # noqa: A001 - TF's public name
    """|x|; its gradient at 0 is 0 (sign(0))."""
    return apply_unary("Abs", x, name or "Abs")


def sign(x, name=None):
    """-1, 0 or 1 by the sign of x (NaN stays NaN); its gradient is 0."""
    return apply_unary("Sign", x, name or "Sign")


def square(x, name=None):
    """x * x."""
    return apply_unary("Square", x, name or "Square")


def sqrt(x, name=None):
    """The square root; the gradient at 0 is inf, as TF."""
    return apply_unary("Sqrt", x, name or "Sqrt")


def rsqrt(x, name=None):
    """1 / sqrt(x)."""
    return apply_unary("Rsqrt", x, name or "Rsqrt")


def exp(x, name=None):
    """e ** x."""
    return apply_unary("Exp", x, name or "Exp")


def expm1(x, name=None):
    """e ** x - 1, accurate for small x."""
    return apply_unary("Expm1", x, name or "Expm1")


def log(x, name=None):
    """The natural logarithm."""
    return apply_unary("Log", x, name or "Log")


def log1p(x, name=None):
    """log(1 + x), accurate for small x."""
    return apply_unary("Log1p", x, name or "Log1p")


def sin(x, name=None):
    return apply_unary("Sin", x, name or "Sin")


def cos(x, name=None):
    return apply_unary("Cos", x, name or "Cos")


def tan(x, name=None):
    return apply_unary("Tan", x, name or "Tan")


def tanh(x, name=None):
    """The hyperbolic tangent."""
    return apply_unary("Tanh", x, name or "Tanh")


def sigmoid(x, name=None):
    """1 / (1 + e ** -x), computed without overflow for large |x|."""
    return apply_unary("Sigmoid", x, name or "Sigmoid")


def reciprocal(x, name=None):
    """1 / x."""
    return apply_unary("Reciprocal", x, name or "Reciprocal")


def reciprocal_no_nan(x, name="reciprocal_no_nan"):
    """1 / x, but 0 where x is 0."""
    with name_scope(name) as scope:
        x = convert_to_tensor(x, name="x")
        return div_no_nan(array_ops.ones_like(x), x, name=scope)


def round(x, name=None):  # noqa: A001 - TF's public name
    """Round to the nearest integer, halves to even (banker's rounding, as TF); no gradient."""
    return apply_unary("Round", x, name or "Round")


def floor(x, name=None):
    """The largest integer not greater than x; no gradient."""
    return apply_unary("Floor", x, name or "Floor")


def ceil(x, name=None):
    """The smallest integer not less than x; no gradient."""
    return apply_unary("Ceil", x, name or "Ceil")


def erf(x, name=None):
    """The Gauss error function."""
    return apply_unary("Erf", x, name or "Erf")


def is_nan(x, name=None):
    return apply_unary("IsNan", x, name or "IsNan")


def is_inf(x, name=None):
    """True where x is +inf or -inf."""
    return apply_unary("IsInf", x, name or "IsInf")


def is_finite(x, name=None):
    return apply_unary("IsFinite", x, name or "IsFinite")


def logical_not(x, name=None):
    return apply_op("LogicalNot", (convert_to_tensor(x, dtype=dtypes.bool),), name=name or "LogicalNot")


# ---- casts -------------------------------------------------------------------------------------------------

def _cast_grad(op, dy):
    source = op.inputs[0].dtype
    if source.is_floating and op.outputs[0].dtype.is_floating:
        return [cast(dy, source)]
    return [None]


OpDef("Cast", inputs=("x",), attrs={"DstT": REQUIRED}, shape=shape_rules.same_as_input,
      dtype=lambda op: op.get_attr("DstT"), grad=_cast_grad)


def cast(x, dtype, name=None):
    """`x` as `dtype`: floats to ints truncate toward zero, nonzero to bool is True; no op when equal."""
    target = dtypes.as_dtype(dtype)
    if not is_tensor_like(x) and not context.executing_eagerly():
        with name_scope(name or "Cast") as scope:
            x = convert_to_tensor(x, name="x")
            return x if x.dtype == target else apply_op("Cast", (x,), {"DstT": target}, name=scope)
    x = convert_to_tensor(x)
    if x.dtype == target:
        return x
    return apply_op("Cast", (x,), {"DstT": target}, name=name or "Cast")


def to_float(x, name="ToFloat"):
    """TF1's cast to float32."""
    return cast(x, dtypes.float32, name=name)


def to_double(x, name="ToDouble"):
    """TF1's cast to float64."""
    return cast(x, dtypes.float64, name=name)


def to_int32(x, name="ToInt32"):
    """TF1's cast to int32."""
    return cast(x, dtypes.int32, name=name)


def to_int64(x, name="ToInt64"):
    """TF1's cast to int64."""
    return cast(x, dtypes.int64, name=name)


# ---- sums of lists -----------------------------------------------------------------------------------------

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
    if len(inputs) == 1:
        return array_ops.identity(inputs[0], name=name) if name else inputs[0]
    return apply_op("AddN", (inputs,), name=name or "AddN")


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """The same as add_n (TF's accumulate_n is add_n today)."""
    return add_n(inputs, name=name)


# ---- select ------------------------------------------------------------------------------------------------

def _select_shape(op):
    """TF1's Select: x and y of one shape; the condition has that shape or is a vector over the first axis."""
    condition, x, y = (t.shape for t in op.inputs)
    out = x.merge_with(y)
    if condition.rank is None or out.rank is None:
        return out
    if condition.rank == 1 and out.rank > 1:
        if condition[0] is not None and out[0] is not None and condition[0] != out[0]:
            raise ValueError("Select: a vector condition must have the length of the first dimension of x, "
                             "got %d and %d" % (condition[0], out[0]))
        return out
    return out.merge_with(condition)


def _select_grad(op, dy):
    condition = op.inputs[0]
    zeros = array_ops.zeros_like(dy)
    return [None, apply_op("Select", (condition, dy, zeros)), apply_op("Select", (condition, zeros, dy))]


def _select_v2_shape(op):
    condition, x, y = (t.shape for t in op.inputs)
    return broadcast_shapes(condition, broadcast_shapes(x, y))


def _select_v2_grad(op, dy):
    condition, x, y = op.inputs
    zeros = array_ops.zeros_like(dy)
    return [None, reduce_to_shape(_select(condition, dy, zeros), x), reduce_to_shape(_select(condition, zeros, dy), y)]


OpDef("Select", inputs=("condition", "t", "e"), shape=_select_shape, same_dtype=("t", "e"),
      dtype=lambda op: op.inputs[1].dtype, grad=_select_grad)
OpDef("SelectV2", inputs=("condition", "t", "e"), shape=_select_v2_shape, same_dtype=("t", "e"),
      dtype=lambda op: op.inputs[1].dtype, grad=_select_v2_grad)
OpDef("Where", inputs=("input",), shape=lambda op: TensorShape([None, op.inputs[0].shape.rank]),
      dtype=lambda op: dtypes.int64, grad=NOT_DIFFERENTIABLE)


def _select(condition, x, y):
    """SelectV2 on tensors, for gradient rules."""
    return apply_op("SelectV2", (condition, x, y))


def _apply_select(type_name, condition, x, y, name):
    with name_scope(name or type_name) as scope:
        condition = convert_to_tensor(condition, preferred_dtype=dtypes.bool, name="condition")
        if condition.dtype != dtypes.bool:
            raise TypeError("Input 'condition' of '%s' Op has type %s that does not match expected type of bool."
                            % (type_name, condition.dtype.name))
        x, y = operands(x, y)
        return apply_op(type_name, (condition, x, y), name=scope)


def where(condition, x=None, y=None, name=None):
    """TF1's where: with only `condition`, the int64 [n, rank] coordinates of its true (nonzero) elements;
    with x and y, elements of x where condition is true, else of y: x and y of one shape, condition of that
    shape or a vector over the first axis (use where_v2 for general broadcasting)."""
    if x is None and y is None:
        return apply_op("Where", (convert_to_tensor(condition, preferred_dtype=dtypes.bool),), name=name or "Where")
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    return _apply_select("Select", condition, x, y, name)


def where_v2(condition, x=None, y=None, name=None):
    """TF2's where: like `where`, but condition, x and y broadcast against each other."""
    if x is None and y is None:
        return where(condition, name=name)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    return _apply_select("SelectV2", condition, x, y, name)


# ---- matmul and tensordot ----------------------------------------------------------------------------------

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
      same_dtype=("a", "b"), allowed=NUMERIC, grad=_matmul_grad)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False,
           b_is_sparse=False, name=None):
    """a @ b over the last two axes, batch axes broadcast; transpose (= adjoint for real types) flags."""
    a, b = convert_to_tensor(a, name="a"), convert_to_tensor(b, name="b")
    return apply_op("MatMul", (a, b), {"transpose_a": bool(transpose_a or adjoint_a),
                                       "transpose_b": bool(transpose_b or adjoint_b)}, name=name or "MatMul")


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """`a` with its last two axes swapped (batch axes stay)."""
    a = convert_to_tensor(a, name="a")
    if a.shape.rank is None or a.shape.rank < 2:
        raise ValueError("matrix_transpose needs a tensor of known rank >= 2, got shape %s" % a.shape)
    rank = a.shape.rank
    return array_ops.transpose(a, list(range(rank - 2)) + [rank - 1, rank - 2], name=name)


def _tensordot_axes(axes, a_rank, b_rank):
    """(a_axes, b_axes) as lists of non-negative ints from an int N (last N of a, first N of b) or a pair."""
    value = array_ops.constant_value(axes) if is_tensor_like(axes) else axes
    if value is None:
        raise ValueError("tensordot: `axes` must be known when the graph is built, got tensor %s" % axes.name)
    if np.ndim(value) == 0:
        n = int(value)
        if n < 0 or n > min(a_rank, b_rank):
            raise ValueError("tensordot: axes=%d must be in [0, %d] for ranks %d and %d"
                             % (n, min(a_rank, b_rank), a_rank, b_rank))
        return list(range(a_rank - n, a_rank)), list(range(n))
    if len(value) != 2:
        raise ValueError("tensordot: `axes` must be an int or a pair of axis lists, got %r" % (axes,))
    a_axes, b_axes = ([int(i) for i in np.reshape(side, [-1])] for side in value)
    if len(a_axes) != len(b_axes):
        raise ValueError("tensordot: the axis lists %s and %s have different lengths" % (a_axes, b_axes))
    return ([shape_rules.normalize_axis(i, a_rank, "tensordot") for i in a_axes],
            [shape_rules.normalize_axis(i, b_rank, "tensordot") for i in b_axes])


def _as_matrix(t, free, summed, free_first):
    """`t` transposed and reshaped to [prod(free), prod(summed)] (or [prod(summed), prod(free)])."""
    order = free + summed if free_first else summed + free
    if order != list(range(len(order))):
        t = array_ops.transpose(t, order)
    split = len(free) if free_first else len(summed)
    return array_ops.reshape(t, [_num_elements(t, 0, split), _num_elements(t, split, len(order))])


def _num_elements(t, start, stop):
    """The number of elements in axes [start, stop) of `t`: an int when static, else a scalar int32 tensor."""
    dims = t.shape.as_list()[start:stop]
    if None not in dims:
        return int(np.prod(dims, dtype=np.int64))
    return reduce_prod(array_ops.stack(array_ops.unstack(array_ops.shape(t))[start:stop]))


def tensordot(a, b, axes, name=None):
    """Sum of a * b over `axes`: an int N (the last N axes of a with the first N of b) or a pair of axis lists.

    Built as transpose + reshape + one matmul; the free axes of a then of b make the result.
    """
    with name_scope(name or "Tensordot") as scope:
        a, b = convert_to_tensor(a, name="a"), convert_to_tensor(b, name="b")
        if a.shape.rank is None or b.shape.rank is None:
            raise ValueError("tensordot needs inputs of known rank, got shapes %s and %s" % (a.shape, b.shape))
        a_axes, b_axes = _tensordot_axes(axes, a.shape.rank, b.shape.rank)
        for i, j in zip(a_axes, b_axes):
            if a.shape[i] is not None and b.shape[j] is not None and a.shape[i] != b.shape[j]:
                raise ValueError("tensordot: dimension %d of a (%d) must equal dimension %d of b (%d); shapes %s "
                                 "and %s" % (i, a.shape[i], j, b.shape[j], a.shape, b.shape))
        a_free = [i for i in range(a.shape.rank) if i not in a_axes]
        b_free = [i for i in range(b.shape.rank) if i not in b_axes]
        product = matmul(_as_matrix(a, a_free, a_axes, True), _as_matrix(b, b_free, b_axes, False))
        out_dims = [a.shape[i] for i in a_free] + [b.shape[i] for i in b_free]
        if None not in out_dims:
            if product.shape.as_list() == out_dims:
                return product
            return array_ops.reshape(product, out_dims, name=scope)
        a_dims, b_dims = array_ops.unstack(array_ops.shape(a)), array_ops.unstack(array_ops.shape(b))
        dynamic = [a_dims[i] for i in a_free] + [b_dims[i] for i in b_free]
        return array_ops.reshape(product, array_ops.stack(dynamic), name=scope)


# Reductions and clipping are TF math ops too; they import the names above, so they come last.
from flowgraph.ops.reduction_ops import *  # noqa: E402,F401,F403
from flowgraph.ops.reduction_ops import __all__ as _reduction_names  # noqa: E402
from flowgraph.ops.reduction_ops import reduce_prod  # noqa: E402 - used by tensordot
from flowgraph.ops.clip_ops import *  # noqa: E402,F401,F403
from flowgraph.ops.clip_ops import __all__ as _clip_names  # noqa: E402

__all__ += _reduction_names + _clip_names
