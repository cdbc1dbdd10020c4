"""OpDef, the one declaration of an op, and `apply_op`, the one dispatcher every public op function calls.

An OpDef states the op's inputs and attrs, its shape and dtype rules, its gradient rule (or that it has none),
and which kernel computes it on each backend (backends fill `kernels` by type name). Graph mode adds an Operation;
eager mode hands the same declaration to the eager executor.
"""
import sys

import numpy as np

from flowgraph.framework import context, dtypes, limits
from flowgraph.framework.graph import Operation, Tensor, get_default_graph
from flowgraph.framework.shapes import TensorShape

OP_DEFS = {}
REQUIRED = object()
NOT_DIFFERENTIABLE = "not differentiable"
# Set by flowgraph.eager: runs an OpDef immediately and returns eager tensors.
eager_execute = None
_FOLD_MAX_ELEMENTS = 4096


class OpDef:
    """The declaration of one op type.

    inputs: input names; a final name starting with '*' takes a list (AddN, ConcatV2).
    attrs: name -> default (REQUIRED when the caller must give it).
    shape: rule(op) -> TensorShape, or a list of them for several outputs; it sees `op.inputs`, `op.get_attr`.
    dtype: rule(op) -> DType or list; defaults to the first input's dtype, or the `dtype` attr.
    grad: rule(op, *output_grads) -> one gradient (or None) per input, built from public ops; or
        NOT_DIFFERENTIABLE.
    num_outputs: 1, or "list" when the count depends on attrs (Split, Unpack), or 0.
    same_dtype: input names that must share one dtype (TF's attr T).
    allowed: the dtypes the first of `same_dtype` (or the first input) may have.
    stateful: never constant-folded or deduplicated (random ops, assignments).
    resource: "variable" when the op owns a variable (its kernel gets the session's cell), "rng" for a
        per-session random generator.
    ref_inputs: indices of inputs that must be variables; kernels receive the variable's cell there.
    host_inputs: indices of small inputs (shapes, axes) that device backends keep on the host.
    fold: rule(op) -> numpy value or None, for ops whose value is known from static facts (Shape, Rank).
    """

    def __init__(self, type_name, inputs=(), attrs=None, shape=None, dtype=None, grad=REQUIRED, num_outputs=1,
                 same_dtype=(), allowed=None, stateful=False, resource=None, ref_inputs=(), host_inputs=(),
                 fold=None):
        if grad is REQUIRED:
            raise TypeError("OpDef %s must declare grad= (a rule, or NOT_DIFFERENTIABLE)" % type_name)
        if type_name in OP_DEFS:
            raise ValueError("Op type %s is declared twice" % type_name)
        self.type_name = type_name
        self.input_names = tuple(n.lstrip("*") for n in inputs)
        self.variadic = bool(inputs) and inputs[-1].startswith("*")
        self.attr_defaults = dict(attrs or {})
        self.shape_rule = shape
        self.dtype_rule = dtype
        self.grad = grad
        self.num_outputs = num_outputs
        self.same_dtype = tuple(self.input_names.index(n) for n in same_dtype)
        self.allowed = tuple(allowed) if allowed else None
        self.stateful = stateful or resource is not None or bool(ref_inputs)
        self.resource = resource
        self.ref_inputs = tuple(ref_inputs)
        self.host_inputs = tuple(host_inputs)
        self.fold = fold
        self.kernels = {}
        self.module = sys._getframe(1).f_globals.get("__name__")  # where it is declared, for error messages
        OP_DEFS[type_name] = self

    @property
    def differentiable(self):
        return self.grad is not NOT_DIFFERENTIABLE

    def full_attrs(self, attrs):
        """`attrs` with defaults filled in; TypeError for unknown or missing ones."""
        result = dict(self.attr_defaults)
        if attrs:
            for key, value in attrs.items():
                if key not in result:
                    raise TypeError("Op %s has no attr named '%s'" % (self.type_name, key))
                result[key] = value
        missing = [k for k, v in result.items() if v is REQUIRED]
        if missing:
            raise TypeError("Op %s is missing required attrs %s" % (self.type_name, missing))
        return result

    def __repr__(self):
        return "<OpDef %s>" % self.type_name


def get_op_def(type_name):
    try:
        return OP_DEFS[type_name]
    except KeyError:
        raise LookupError("No op type named '%s' is declared" % type_name) from None


def register_kernel(backend, type_name):
    """Decorator: register `fn` as the kernel of `type_name` on `backend` ('numpy', 'opencl')."""
    def decorate(fn):
        get_op_def(type_name).kernels[backend] = fn
        return fn
    return decorate


def flat_inputs(opdef, inputs):
    """The public function passes inputs positionally, a list last for a variadic op; flatten it."""
    if opdef.variadic:
        return list(inputs[:-1]) + list(inputs[-1])
    return list(inputs)


def apply_op(type_name, inputs=(), attrs=None, name=None):
    """Build (graph mode) or run (eager mode) one op; returns its output, its outputs, or the op itself.

    `inputs` must already be tensors of the right dtypes: public functions convert Python values first.
    """
    opdef = OP_DEFS[type_name]
    inputs = flat_inputs(opdef, inputs)
    if context._state["eager"] and eager_execute is not None and context.executing_eagerly():
        return eager_execute(opdef, inputs, attrs, name)
    graph = get_default_graph()
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError("Input %d of %s op must be a Tensor, got %r" % (i, type_name, type(t).__name__))
        if t.graph is not graph:
            raise ValueError("Tensor %s must be from the same graph as the %s op being created (it is from "
                             "another graph)." % (t.name, type_name))
    attrs = opdef.full_attrs(attrs)
    check_input_dtypes(opdef, inputs, name)
    for i in opdef.ref_inputs:
        if inputs[i].op.op_def.resource != "variable":
            raise TypeError("Input '%s' of '%s' Op requires a Variable, got tensor %s"
                            % (opdef.input_names[min(i, len(opdef.input_names) - 1)], type_name, inputs[i].name))
    op = graph._create_op(opdef, inputs, attrs, graph._op_name(name, type_name))
    graph._register_op(op, infer_outputs(op))
    if opdef.num_outputs == 1:
        return op._outputs[0]
    if opdef.num_outputs == 0:
        return op
    return list(op._outputs)


def check_input_dtypes(opdef, inputs, name=None):
    """TF's attr-T rule: inputs that share a type must match exactly; no silent int/float mixing."""
    same = opdef.same_dtype
    if same:
        first = inputs[same[0]].dtype
        for i in same[1:]:
            if i < len(inputs) and inputs[i].dtype != first:
                raise TypeError("Input '%s' of '%s' Op has type %s that does not match type %s of argument '%s'."
                                % (opdef.input_names[i], name or opdef.type_name, inputs[i].dtype.name,
                                   first.name, opdef.input_names[same[0]]))
        if opdef.variadic:
            for t in inputs[len(opdef.input_names) - 1:]:
                if t.dtype != first:
                    raise TypeError("Inputs of '%s' Op must all have type %s, got %s"
                                    % (name or opdef.type_name, first.name, t.dtype.name))
    if opdef.allowed and inputs:
        dt = inputs[same[0] if same else 0].dtype
        if dt not in opdef.allowed:
            raise TypeError("Value for attr 'T' of %s is not in the list of allowed values for '%s' Op: %s"
                            % (dt.name, name or opdef.type_name, ", ".join(d.name for d in opdef.allowed)))


def infer_outputs(op):
    """[(dtype, shape)] for each output, from the OpDef's rules; ValueError names the op and input shapes."""
    opdef = op._opdef
    if opdef.num_outputs == 0:
        return []
    try:
        shapes = opdef.shape_rule(op) if opdef.shape_rule else TensorShape(None)
    except ValueError as e:
        shapes_text = ", ".join(t.shape.as_proto_list() for t in op._inputs)
        raise ValueError("%s for '%s' (op: '%s') with input shapes: %s." % (e, op.name, opdef.type_name,
                                                                           shapes_text)) from None
    if opdef.dtype_rule is not None:
        types = opdef.dtype_rule(op)
    elif "dtype" in op._attrs:
        types = dtypes.as_dtype(op._attrs["dtype"])
    else:
        types = op._inputs[0].dtype
    if isinstance(shapes, TensorShape):
        shapes = [shapes]
    if isinstance(types, dtypes.DType):
        types = [types] * len(shapes)
    for i, (dt, shape) in enumerate(zip(types, shapes)):
        if shape.is_fully_defined() and dt is not dtypes.string:
            limits.check_build_size(shape.as_list(), dt.as_numpy_dtype, "Output %d of op '%s'" % (i, op.name))
    return list(zip(types, shapes))


# ---- conversion and constant folding -----------------------------------------------------------------------

def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None, dtype_hint=None):
    """A Tensor for `value`: tensors pass through (dtype checked), Variables give their value, Python and
    numpy values become Const ops (eager tensors when executing eagerly)."""
    if isinstance(value, Tensor):
        if dtype is not None and dtypes.as_dtype(dtype) != value.dtype:
            raise ValueError("Tensor conversion requested dtype %s for Tensor with dtype %s: %r"
                             % (dtypes.as_dtype(dtype).name, value.dtype.name, value))
        return value
    as_tensor = getattr(value, "_as_tensor", None)
    if as_tensor is not None:
        return as_tensor(dtype)
    return constant(value, dtype=dtype, name=name or "Const", dtype_hint=preferred_dtype or dtype_hint)


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False, dtype_hint=None):
    """A Const op holding `value` (converted to `dtype`, broadcast to `shape` when given)."""
    array = constant_array(value, dtype, shape, verify_shape, dtype_hint)
    return apply_op("Const", (), {"value": array, "dtype": dtypes.as_dtype(array.dtype)}, name=name)


def constant_array(value, dtype=None, shape=None, verify_shape=False, dtype_hint=None):
    """The numpy array a constant holds, with TF's dtype rules (Python floats -> float32, ints -> int32)."""
    if isinstance(value, (Tensor, Operation)):
        raise TypeError("Expected a Python or numpy value for a constant, got %r; use the tensor itself" % (value,))
    if dtype is not None:
        dt = dtypes.as_dtype(dtype)
    else:
        dt = dtypes.dtype_of_value(value)
        if dtype_hint is not None:
            hint = dtypes.as_dtype(dtype_hint)
            if _fits(value, dt, hint):
                dt = hint
    array = np.asarray(value)
    if dt is dtypes.string:
        array = np.asarray(value, dtype=object)
    else:
        if array.dtype.kind == "f" and (dt.is_integer or dt.is_bool):
            if not np.all(np.isfinite(array)) or not np.array_equal(array, np.trunc(array)):
                raise TypeError("Cannot convert %r to EagerTensor/Tensor of dtype %s: it has fractional values"
                                % (value, dt.name))
        if array.dtype.kind in "USO" and dt.is_numeric:
            raise TypeError("Cannot convert %r to a %s tensor" % (value, dt.name))
        array = np.asarray(array, dtype=dt.as_numpy_dtype)
    if shape is not None:
        shape = tuple(int(d) for d in shape)
        limits.check_build_size(shape, array.dtype, "A constant")
        if array.shape != shape:
            if verify_shape:
                raise TypeError("Expected Tensor's shape: %s, got %s." % (shape, array.shape))
            if array.size == 1:
                array = np.full(shape, array.reshape(()), dtype=array.dtype)
            elif array.size == int(np.prod(shape)):
                array = array.reshape(shape)
            else:
                raise TypeError("Eager execution of tf.constant with unsupported shape: value has %d elements, "
                                "shape is %s with %d elements." % (array.size, shape, int(np.prod(shape))))
    return array


def _fits(value, natural, hint):
    """A Python int may become a float tensor (`x * 2`), a float never an int one."""
    if natural == hint:
        return True
    if natural.is_integer and (hint.is_floating or hint.is_integer):
        return True
    return natural.is_floating and hint.is_floating


def constant_value(tensor):
    """The numpy value of `tensor` when it is known without running the graph, else None."""
    if not isinstance(tensor, Tensor):
        value = getattr(tensor, "_numpy_value", None)
        return value() if value is not None else None
    op = tensor.op
    if op._folded is None:
        op._folded = _fold(op) or ()
    outputs = op._folded
    return outputs[tensor.value_index] if outputs else None


def _fold(op):
    opdef = op.op_def
    if opdef.type_name == "Const":
        return (op.get_attr("value"),)
    if opdef.fold is not None:
        value = opdef.fold(op)
        return None if value is None else (value,)
    kernel = opdef.kernels.get("numpy")
    if opdef.stateful or kernel is None or opdef.num_outputs == 0 or not op.inputs:  # a Placeholder is not known
        return None
    for t in op._outputs:  # fold only small results whose size is known: folding must never allocate much
        size = t.shape.num_elements()
        if size is None or size > _FOLD_MAX_ELEMENTS:
            return None
    values = []
    for t in op.inputs:
        v = constant_value(t)
        if v is None or np.size(v) > _FOLD_MAX_ELEMENTS:
            return None
        values.append(v)
    result = kernel(*values, **op._attrs)
    return (result,) if opdef.num_outputs == 1 else tuple(result)


def constant_value_as_shape(tensor):
    """A TensorShape from a 1-D shape tensor, with None where an element is not statically known."""
    value = constant_value(tensor)
    if value is not None:
        return TensorShape([None if d == -1 else int(d) for d in np.reshape(value, [-1])])
    op = tensor.op
    if op.type == "Shape":
        return op.inputs[0].shape
    if op.type == "Pack":
        return TensorShape([_scalar_dim(t) for t in op.inputs])
    if op.type == "ConcatV2":
        result = TensorShape([])
        for t in op.inputs:
            result = result.concatenate(constant_value_as_shape(t))
        return result
    length = tensor.shape[0] if tensor.shape.rank == 1 else None
    return TensorShape(None if length is None else [None] * length)


def _scalar_dim(t):
    v = constant_value(t)
    return None if v is None or int(v) == -1 else int(v)
