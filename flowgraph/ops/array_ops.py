"""Array ops: constants, placeholders, identity, shapes and reshaping, filling."""
import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.graph import Tensor, control_dependencies, name_scope
from flowgraph.framework.op_registry import (NOT_DIFFERENTIABLE, REQUIRED, OpDef, apply_op, constant,
                                             constant_value, constant_value_as_shape, convert_to_tensor)
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import shape_rules

__all__ = ["stack", "unstack", "boolean_mask", "constant", "placeholder", "placeholder_with_default", "identity", "stop_gradient", "no_op", "group",
           "tuple", "shape", "reshape", "fill", "zeros", "ones", "zeros_like", "ones_like", "convert_to_tensor"]

_python_tuple = tuple

# ---- declarations ------------------------------------------------------------------------------------------

OpDef("Const", attrs={"value": REQUIRED, "dtype": REQUIRED},
      shape=lambda op: TensorShape(np.shape(op.get_attr("value"))), grad=NOT_DIFFERENTIABLE)

OpDef("Placeholder", attrs={"dtype": REQUIRED, "shape": None},
      shape=lambda op: TensorShape(op.get_attr("shape")), grad=NOT_DIFFERENTIABLE)

OpDef("PlaceholderWithDefault", inputs=("input",), attrs={"shape": None},
      shape=lambda op: op.inputs[0].shape.merge_with(TensorShape(op.get_attr("shape"))),
      grad=lambda op, dy: [dy])

OpDef("Identity", inputs=("input",), shape=shape_rules.same_as_input, grad=lambda op, dy: [dy])

OpDef("StopGradient", inputs=("input",), shape=shape_rules.same_as_input, grad=NOT_DIFFERENTIABLE)

OpDef("NoOp", num_outputs=0, grad=NOT_DIFFERENTIABLE)


def _shape_fold(op):
    static = op.inputs[0].shape
    if not static.is_fully_defined():
        return None
    return np.array(static.as_list(), dtype=dtypes.as_dtype(op.get_attr("out_type")).as_numpy_dtype)


OpDef("Shape", inputs=("input",), attrs={"out_type": dtypes.int32},
      shape=lambda op: TensorShape([op.inputs[0].shape.rank]), dtype=lambda op: dtypes.as_dtype(op.get_attr("out_type")),
      grad=NOT_DIFFERENTIABLE, fold=_shape_fold)


def _reshape_shape(op):
    x = op.inputs[0].shape
    target = constant_value_as_shape(op.inputs[1])
    if target.rank is None:
        return target
    dims = target.as_list()
    requested = constant_value(op.inputs[1])
    wildcard = [] if requested is None else list(np.flatnonzero(np.reshape(requested, [-1]) == -1))
    if len(wildcard) > 1:
        raise ValueError("Reshape: only one input size may be -1, not both %d and %d" % tuple(wildcard[:2]))
    known = 1
    for d in dims:
        if d is not None:
            known *= d
    total = x.num_elements()
    if total is not None and None not in dims and known != total:
        raise ValueError("Cannot reshape a tensor with %d elements to shape %s (%d elements)"
                         % (total, target.as_proto_list(), known))
    if total is not None and wildcard and dims.count(None) == 1:
        if known == 0 or total % known:
            raise ValueError("Reshape cannot infer the missing input size for an empty tensor unless all "
                             "specified input sizes are non-zero" if known == 0 else
                             "Input to reshape is a tensor with %d values, but the requested shape requires a "
                             "multiple of %d" % (total, known))
        dims[wildcard[0]] = total // known
    return TensorShape(dims)


OpDef("Reshape", inputs=("tensor", "shape"), shape=_reshape_shape, host_inputs=(1,),
      grad=lambda op, dy: [reshape(dy, shape(op.inputs[0])), None])


def _fill_shape(op):
    return constant_value_as_shape(op.inputs[0])


OpDef("Fill", inputs=("dims", "value"), shape=_fill_shape, dtype=lambda op: op.inputs[1].dtype, host_inputs=(0,),
      grad=lambda op, dy: [None, _math().reduce_sum(dy)])

def _pack_shape(op):
    shape = op.inputs[0].shape
    for t in op.inputs[1:]:
        shape = shape.merge_with(t.shape)
    if shape.rank is None:
        return shape
    axis = shape_rules.normalize_axis(op.get_attr("axis"), shape.rank + 1, "Pack")
    dims = shape.as_list()
    return TensorShape(dims[:axis] + [len(op.inputs)] + dims[axis:])


OpDef("Pack", inputs=("*values",), attrs={"axis": 0}, shape=_pack_shape, same_dtype=("values",),
      grad=lambda op, dy: unstack(dy, num=len(op.inputs), axis=op.get_attr("axis")))


def _unpack_shape(op):
    shape = op.inputs[0].shape
    if shape.rank is None:
        return [TensorShape(None)] * op.get_attr("num")
    axis = shape_rules.normalize_axis(op.get_attr("axis"), shape.rank, "Unpack")
    if shape[axis] is not None and shape[axis] != op.get_attr("num"):
        raise ValueError("Cannot unpack %d values from dimension %d of size %d" % (op.get_attr("num"), axis,
                                                                                 shape[axis]))
    dims = shape.as_list()
    return [TensorShape(dims[:axis] + dims[axis + 1:])] * op.get_attr("num")


OpDef("Unpack", inputs=("value",), attrs={"num": REQUIRED, "axis": 0}, shape=_unpack_shape, num_outputs="list",
      grad=lambda op, *dys: [stack(dys, axis=op.get_attr("axis"))])


def _boolean_mask_shape(op):
    tensor, mask = op.inputs[0].shape, op.inputs[1].shape
    if tensor.rank is None or mask.rank is None:
        return TensorShape(None)
    tensor[:mask.rank].assert_is_compatible_with(mask)
    return TensorShape([None]).concatenate(tensor[mask.rank:])


OpDef("BooleanMask", inputs=("tensor", "mask"), shape=_boolean_mask_shape,
      grad=lambda op, dy: [apply_op("BooleanMaskGrad", (dy, op.inputs[1], shape(op.inputs[0]))), None])
# Scatters the rows of dy back to where the mask is true, zeros elsewhere: BooleanMask's gradient.
OpDef("BooleanMaskGrad", inputs=("dy", "mask", "shape"), host_inputs=(2,),
      shape=lambda op: constant_value_as_shape(op.inputs[2]),
      grad=lambda op, ddx: [boolean_mask(ddx, op.inputs[1]), None, None])

OpDef("ZerosLike", inputs=("x",), shape=shape_rules.same_as_input, grad=NOT_DIFFERENTIABLE)
OpDef("OnesLike", inputs=("x",), shape=shape_rules.same_as_input, grad=NOT_DIFFERENTIABLE)


def _math():
    from flowgraph.ops import math_ops
    return math_ops


# ---- public functions --------------------------------------------------------------------------------------

def placeholder(dtype, shape=None, name=None):
    """A value fed at run time; `shape` may contain None for any size (None alone: any rank)."""
    shape = None if shape is None else TensorShape(shape).dims
    return apply_op("Placeholder", (), {"dtype": dtypes.as_dtype(dtype), "shape": shape}, name=name)


def placeholder_with_default(input, shape, name=None):  # noqa: A002 - TF's argument name
    """`input` unless a value is fed; the fed value must have `shape`."""
    return apply_op("PlaceholderWithDefault", (convert_to_tensor(input),), {"shape": TensorShape(shape).dims},
                    name=name)


def identity(input, name=None):  # noqa: A002
    return apply_op("Identity", (convert_to_tensor(input),), name=name)


def stop_gradient(input, name=None):  # noqa: A002
    """The input's value; gradients do not flow through it."""
    return apply_op("StopGradient", (convert_to_tensor(input),), name=name)


def no_op(name=None):
    return apply_op("NoOp", (), name=name)


def group(*inputs, **kwargs):
    """One op that runs after all `inputs` (ops or tensors) have run."""
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError("group() got unexpected keyword arguments %s" % sorted(kwargs))
    flat = []
    for item in inputs:
        flat.extend(item if isinstance(item, (list, _python_tuple, set)) else [item])
    flat = [x for x in flat if x is not None]
    with control_dependencies(flat):
        return no_op(name=name or "group_deps")


def tuple(tensors, name=None, control_inputs=None):  # noqa: A001 - TF's public name
    """The same tensors, each available only once all of them (and `control_inputs`) are computed."""
    with name_scope(name, "tuple", tensors):
        gate = group([t for t in tensors if t is not None] + list(control_inputs or []))
        result = []
        for t in tensors:
            if t is None:
                result.append(None)
                continue
            with control_dependencies([gate]):
                result.append(identity(t))
        return result


def shape(input, name=None, out_type=dtypes.int32):  # noqa: A002
    """The dynamic shape of `input` as a 1-D int tensor."""
    return apply_op("Shape", (convert_to_tensor(input),), {"out_type": dtypes.as_dtype(out_type)}, name=name)


def shape_tensor(dims, name="shape"):
    """A 1-D int32 tensor from a list that may mix ints and scalar tensors."""
    if isinstance(dims, Tensor) or hasattr(dims, "_as_tensor"):
        return convert_to_tensor(dims)
    if isinstance(dims, TensorShape):
        dims = dims.as_list()
    dims = list(dims) if not np.isscalar(dims) else [dims]
    if any(isinstance(d, Tensor) for d in dims):
        return stack([convert_to_tensor(d, dtype=dtypes.int32) for d in dims], name=name)
    value = np.asarray(dims, dtype=np.int64)
    dtype = dtypes.int32 if (value.size == 0 or value.max() < 2 ** 31) else dtypes.int64
    return constant(value.astype(dtype.as_numpy_dtype).reshape([-1]), name=name)


def stack(values, axis=0, name="stack"):
    """Join same-shaped tensors along a new axis."""
    values = [convert_to_tensor(v) for v in values]
    if not values:
        raise ValueError("stack needs at least one tensor, got an empty list")
    return apply_op("Pack", (values,), {"axis": int(axis)}, name=name)


def unstack(value, num=None, axis=0, name="unstack"):
    """Split `value` along `axis` into a list of tensors with that axis removed."""
    value = convert_to_tensor(value)
    if num is None:
        rank = value.shape.rank
        num = value.shape[axis] if rank is not None and -rank <= axis < rank else None
        if num is None:
            raise ValueError("Cannot infer argument `num` from shape %s" % value.shape)
    return apply_op("Unpack", (value,), {"num": int(num), "axis": int(axis)}, name=name)


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """The elements (or rows) of `tensor` where `mask` is true, as a 1-D (or row) list."""
    return apply_op("BooleanMask", (convert_to_tensor(tensor), convert_to_tensor(mask, dtype=dtypes.bool)),
                    name=name)


def reshape(tensor, shape, name=None):  # noqa: F811 - TF's argument name
    """`tensor` with a new shape; one dimension may be -1 and is inferred."""
    return apply_op("Reshape", (convert_to_tensor(tensor), shape_tensor(shape)), name=name)


def fill(dims, value, name=None):
    """A tensor of shape `dims` filled with the scalar `value`."""
    return apply_op("Fill", (shape_tensor(dims), convert_to_tensor(value)), name=name)


def _filled(shape_, dtype, scalar, name):
    dtype = dtypes.as_dtype(dtype)
    if isinstance(shape_, Tensor) or (not isinstance(shape_, TensorShape) and not np.isscalar(shape_)
                                      and any(isinstance(d, Tensor) for d in shape_)):
        return fill(shape_, constant(scalar, dtype=dtype), name=name)
    dims = TensorShape(shape_).as_list() if isinstance(shape_, TensorShape) else np.reshape(shape_, [-1]).tolist()
    return constant(np.full(dims, scalar, dtype=dtype.as_numpy_dtype), dtype=dtype, name=name)


def zeros(shape, dtype=dtypes.float32, name=None):
    return _filled(shape, dtype, 0, name or "zeros")


def ones(shape, dtype=dtypes.float32, name=None):
    return _filled(shape, dtype, 1, name or "ones")


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    tensor = convert_to_tensor(tensor)
    if dtype is not None and dtypes.as_dtype(dtype) != tensor.dtype:
        return zeros(shape(tensor), dtype=dtype, name=name)
    return apply_op("ZerosLike", (tensor,), name=name)


def ones_like(tensor, dtype=None, name=None, optimize=True):
    tensor = convert_to_tensor(tensor)
    if dtype is not None and dtypes.as_dtype(dtype) != tensor.dtype:
        return ones(shape(tensor), dtype=dtype, name=name)
    return apply_op("OnesLike", (tensor,), name=name)

