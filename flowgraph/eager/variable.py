"""EagerVariable: `tf.Variable` while executing eagerly. Its value lives in a VariableCell that eager update ops
and traced functions share, so an assign inside a `function` is seen outside it.

A variable created under an OpenCL device scope (or from a value on the device) lives on that device: updates
run there and write its buffer in place, so each read is a device-side snapshot."""
import copy

from flowgraph.backends.resources import VariableCell
from flowgraph.eager import placement, tape
from flowgraph.eager.func_graph import init_scope
from flowgraph.eager.tensor import DEVICE, EagerTensor, _numpy_text, is_host_value
from flowgraph.framework import context
from flowgraph.framework.graph import get_default_graph
from flowgraph.framework.op_registry import constant_value, convert_to_tensor
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import state_ops
from flowgraph.variables import Variable


def _stored_value(initial):
    """The value a new variable holds: on the device of the scope it is created in, else where `initial` is; a
    device value is copied, as updates write it in place."""
    device = placement.scope_device()
    value = initial._value
    if device is None and not is_host_value(value):
        device = placement.device_of(value)
    if device is None or not device.holds(value.dtype):
        return initial._numpy_value()
    if is_host_value(value):
        return device.upload(value)
    return device.copy(placement.on_device(initial, device))


class VariableHandle:
    """What the ref input of an update op (Assign, AssignAdd, optimizer updates) receives in eager mode."""

    __slots__ = ("_variable",)

    def __init__(self, variable):
        self._variable = variable

    dtype = property(lambda self: self._variable.dtype)
    shape = property(lambda self: self._variable.shape)
    name = property(lambda self: self._variable._cell.name)
    op = property(lambda self: self)  # shape rules name the variable as `ref.op.name`
    _cell = property(lambda self: self._variable._cell)

    def __repr__(self):
        return "<VariableHandle %s>" % self.name


class EagerVariable(Variable):
    """A variable of eager execution (TF2's tf.Variable). Reads are recorded on gradient tapes; trainable
    variables are watched automatically by tapes that read them."""

    def __init__(self, initial_value=None, trainable=None, validate_shape=True, caching_device=None, name=None,
                 variable_def=None, dtype=None, import_scope=None, constraint=None, synchronization=None,
                 aggregation=None, shape=None, collections=None):
        if hasattr(self, "_cell"):
            return  # built by flowgraph.Variable.__new__, after which Python calls __init__ once more
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        scope = get_default_graph().get_name_scope()
        with init_scope():
            if callable(initial_value):
                initial_value = initial_value()
            value = convert_to_tensor(initial_value, dtype=dtype)
        if not isinstance(value, EagerTensor):  # a tensor of the function being traced: lift it if it is constant
            known = constant_value(value)
            value = EagerTensor(known) if known is not None else value
        if not isinstance(value, EagerTensor):
            raise ValueError("Tensor-typed variable initializers must either be wrapped in an init_scope or "
                             "callable (e.g., `tf.Variable(lambda : tf.truncated_normal([10, 40]))`) when "
                             "building functions. Please file a feature request if this restriction "
                             "inconveniences you.")
        var_shape = value.shape if validate_shape else TensorShape(None)
        if shape is not None:
            var_shape = TensorShape(shape)
            if not var_shape.is_compatible_with(value.shape):
                raise ValueError("The initial value's shape (%s) is not compatible with the explicitly supplied "
                                 "`shape` argument (%s)." % (value.shape, var_shape))
        base_name = (name or "Variable").split(":")[0]
        self._shape = var_shape
        self._dtype = value.dtype
        self._trainable = True if trainable is None else bool(trainable)
        self._constraint = constraint
        self._initial_value = value
        self._cell = VariableCell(scope + "/" + base_name if scope else base_name)
        self._cell.value = _stored_value(value)
        self._handle = VariableHandle(self)

    name = property(lambda self: self._cell.name + ":0")
    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: self._shape)
    device = property(lambda self: DEVICE if is_host_value(self._cell.value) else
                      "/opencl:%d" % self._cell.value.device.index)
    initializer = property(lambda self: None)  # eager variables are initialized when created

    # TF1-style code names things after `var.op.name` (optimizer slots, update scopes): the handle has that name
    op = property(lambda self: self._handle)

    @property
    def graph(self):
        raise AttributeError("Variable.graph is undefined when eager execution is enabled.")

    def numpy(self):
        return EagerTensor(self._cell.value).numpy()

    def __array__(self, dtype=None, copy=None):
        return EagerTensor(self._cell.value).__array__(dtype, copy)

    def value(self):
        return self._read()

    def read_value(self):
        return self._read()

    def _read(self):
        """The current value: an EagerTensor (recorded on tapes), or inside a function trace a graph read."""
        if context.executing_eagerly():
            value = self._cell.value
            value = EagerTensor(value if is_host_value(value) else placement.device_of(value).copy(value))
            if tape.active:
                tape.variable_read(self, value)
            return value
        read = getattr(get_default_graph(), "read_variable", None)
        if read is None:
            raise ValueError("Variable %s was created eagerly and cannot be used in a graph; use it inside a "
                             "tf.function or eagerly." % self.name)
        tape.variable_accessed(self)
        return read(self)

    def _as_tensor(self, dtype=None):
        self._check_conversion_dtype(dtype)
        return self._read()

    def _ref(self):
        """The ref input of update ops: the handle eagerly, the captured variable op inside a function trace."""
        if context.executing_eagerly():
            return self._handle
        capture = getattr(get_default_graph(), "capture_variable", None)
        if capture is None:
            raise ValueError("Variable %s was created eagerly and cannot be updated in a graph; update it inside "
                             "a tf.function or eagerly." % self.name)
        return capture(self)

    def _as_graph_element(self):
        return self._read()

    def assign(self, value, use_locking=None, name=None, read_value=True):
        """Store `value`; returns the new value (None with read_value=False)."""
        value = convert_to_tensor(value, dtype=self.dtype)
        if context.executing_eagerly() and not self._shape.is_compatible_with(value.shape):
            raise ValueError("Cannot assign value to variable ' %s': Shape mismatch.The variable shape %s, and the "
                             "assigned value shape %s are incompatible." % (self.name, self._shape, value.shape))
        validate = self._shape.is_fully_defined()
        return self._updated(state_ops.assign(self, value, validate_shape=validate, use_locking=use_locking,
                                              name=name), read_value)

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        return self._updated(state_ops.assign_add(self, delta, use_locking=use_locking, name=name), read_value)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        return self._updated(state_ops.assign_sub(self, delta, use_locking=use_locking, name=name), read_value)

    @staticmethod
    def _updated(result, read_value):
        if read_value:
            return result
        return None if isinstance(result, EagerTensor) else result.op

    def initialized_value(self):
        return self._read()

    def eval(self, session=None):
        raise NotImplementedError("eval is not supported when eager execution is enabled, is .numpy() what you're "
                                  "looking for?")

    def load(self, value, session=None):
        self.assign(value)

    def __bool__(self):
        return bool(EagerTensor(self._cell.value))

    def __float__(self):
        return float(EagerTensor(self._cell.value))

    def __int__(self):
        return int(EagerTensor(self._cell.value))

    def __deepcopy__(self, memo):
        return EagerVariable(copy.deepcopy(self.numpy(), memo), trainable=self._trainable, name=self._cell.name,
                             shape=self._shape, constraint=self._constraint)

    def __repr__(self):
        return "<tf.Variable '%s' shape=%s dtype=%s, numpy=%s>" % (self.name, self._shape, self.dtype.name,
                                                                   _numpy_text(EagerTensor(self._cell.value), True))
