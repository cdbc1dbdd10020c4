"""Variable ops: the variable itself (its value lives in the session) and assignments to it."""
from flowgraph.framework import dtypes
from flowgraph.framework.graph import Tensor
from flowgraph.framework.op_registry import NOT_DIFFERENTIABLE, REQUIRED, OpDef, apply_op, convert_to_tensor
from flowgraph.framework.shapes import TensorShape

__all__ = ["assign", "assign_add", "assign_sub", "is_variable_initialized"]

OpDef("VariableV2", attrs={"shape": REQUIRED, "dtype": REQUIRED}, resource="variable",
      shape=lambda op: TensorShape(op.get_attr("shape")), grad=lambda op, dy: [])


def _assign_shape(op):
    ref, value = op.inputs
    if op.get_attr("validate_shape"):
        if not ref.shape.is_compatible_with(value.shape):
            raise ValueError("Shapes must be equal rank, but are %s and %s: cannot assign a value of shape %s "
                             "to variable %s of shape %s" % (ref.shape.as_proto_list(), value.shape.as_proto_list(),
                                                             value.shape, ref.op.name, ref.shape))
        return ref.shape.merge_with(value.shape)
    return value.shape


def _update_shape(op):
    ref, value = op.inputs
    if not ref.shape.is_compatible_with(value.shape):
        raise ValueError("Shapes must be equal, but are %s and %s: cannot update variable %s with a value of "
                         "another shape" % (ref.shape.as_proto_list(), value.shape.as_proto_list(), ref.op.name))
    return ref.shape


OpDef("Assign", inputs=("ref", "value"), attrs={"validate_shape": True, "use_locking": True}, ref_inputs=(0,),
      same_dtype=("ref", "value"), shape=_assign_shape, grad=NOT_DIFFERENTIABLE)
OpDef("AssignAdd", inputs=("ref", "value"), attrs={"use_locking": False}, ref_inputs=(0,),
      same_dtype=("ref", "value"), shape=_update_shape, grad=NOT_DIFFERENTIABLE)
OpDef("AssignSub", inputs=("ref", "value"), attrs={"use_locking": False}, ref_inputs=(0,),
      same_dtype=("ref", "value"), shape=_update_shape, grad=NOT_DIFFERENTIABLE)
OpDef("IsVariableInitialized", inputs=("ref",), ref_inputs=(0,), dtype=lambda op: dtypes.bool,
      shape=lambda op: TensorShape(()), grad=NOT_DIFFERENTIABLE)
# The variable's value when it has one, else `default`: what Variable.initialized_value() reads.
OpDef("InitializedValue", inputs=("ref", "default"), ref_inputs=(0,), same_dtype=("ref", "default"),
      shape=lambda op: op.inputs[0].shape, grad=NOT_DIFFERENTIABLE)


def variable_op(shape, dtype, name):
    return apply_op("VariableV2", (), {"shape": TensorShape(shape).dims, "dtype": dtypes.as_dtype(dtype)},
                    name=name)


def _ref(ref):
    return getattr(ref, "_ref", lambda: ref)()


def _value_for(ref, value):
    """Python values take the variable's dtype; a tensor of another dtype is left to the op's dtype check,
    which raises TypeError as TF does."""
    if isinstance(value, Tensor):
        return value
    return convert_to_tensor(value, dtype=ref.dtype.base_dtype, name="value")


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    """Store `value` in the variable; the op's output is the new value."""
    ref = _ref(ref)
    attrs = {"validate_shape": True if validate_shape is None else bool(validate_shape),
             "use_locking": True if use_locking is None else bool(use_locking)}
    return apply_op("Assign", (ref, _value_for(ref, value)), attrs, name=name or "Assign")


def assign_add(ref, value, use_locking=None, name=None):
    ref = _ref(ref)
    return apply_op("AssignAdd", (ref, _value_for(ref, value)), {"use_locking": bool(use_locking)},
                    name=name or "AssignAdd")


def assign_sub(ref, value, use_locking=None, name=None):
    ref = _ref(ref)
    return apply_op("AssignSub", (ref, _value_for(ref, value)), {"use_locking": bool(use_locking)},
                    name=name or "AssignSub")


def is_variable_initialized(variable):
    return apply_op("IsVariableInitialized", (_ref(variable),), name="IsVariableInitialized")


def initialized_value(variable, default):
    return apply_op("InitializedValue", (_ref(variable), default), name="initialized_value")
