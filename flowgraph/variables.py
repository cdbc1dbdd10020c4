"""Variable: a named value that persists across Session.run calls (its value lives in each session)."""
from flowgraph.framework import context, dtypes
from flowgraph.framework.graph import GraphKeys, get_collection, name_scope
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import array_ops, state_ops

__all__ = ["Variable", "global_variables", "all_variables", "trainable_variables", "local_variables",
           "model_variables", "moving_average_variables", "variables_initializer", "global_variables_initializer",
           "local_variables_initializer", "initialize_all_variables", "initialize_variables",
           "initialize_local_variables", "is_variable_initialized", "report_uninitialized_variables",
           "assert_variables_initialized"]

# Set by flowgraph.eager: the class `Variable(...)` builds while executing eagerly.
eager_variable_class = None


class Variable:
    """A graph variable, as TF1's: ops `name` (VariableV2), `name/Assign` (initializer) and `name/read`."""

    def __new__(cls, *args, **kwargs):
        if cls is Variable and eager_variable_class is not None and context.executing_eagerly_outside_functions():
            return eager_variable_class(*args, **kwargs)
        return super().__new__(cls)

    def __init__(self, initial_value=None, trainable=None, collections=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None, expected_shape=None,
                 import_scope=None, constraint=None, use_resource=None, synchronization=None, aggregation=None,
                 shape=None):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        self._trainable = True if trainable is None else bool(trainable)
        self._constraint = constraint
        from_fn = callable(initial_value)
        with name_scope(name, "Variable", [] if from_fn else [initial_value]) as scope:
            if from_fn:
                with name_scope("Initializer"):
                    initial_value = initial_value()
            self._initial_value = convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
            var_shape = self._initial_value.shape if validate_shape else TensorShape(shape)
            if shape is not None and validate_shape:
                var_shape = TensorShape(shape).merge_with(var_shape)
            if validate_shape and not var_shape.is_fully_defined():
                raise ValueError("initial_value must have a shape specified: %s" % self._initial_value)
            self._variable = state_ops.variable_op(var_shape.dims, self._initial_value.dtype, name=scope)
            self._initializer_op = state_ops.assign(self._variable, self._initial_value,
                                                    validate_shape=validate_shape, name="Assign").op
            self._snapshot = array_ops.identity(self._variable, name="read")
        graph = self._variable.graph
        collections = [GraphKeys.GLOBAL_VARIABLES] if collections is None else list(collections)
        if self._trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        graph.add_to_collections(collections, self)

    name = property(lambda self: self._variable.name)
    op = property(lambda self: self._variable.op)
    dtype = property(lambda self: self._variable.dtype)
    shape = property(lambda self: self._variable.shape)
    graph = property(lambda self: self._variable.graph)
    device = property(lambda self: self._variable.device)
    initializer = property(lambda self: self._initializer_op)
    initial_value = property(lambda self: self._initial_value)
    trainable = property(lambda self: self._trainable)
    constraint = property(lambda self: self._constraint)

    def get_shape(self):
        return self.shape

    def value(self):
        """The snapshot tensor ('name/read:0') that ops read."""
        return self._snapshot

    def read_value(self):
        """A fresh read of the variable (an Identity op)."""
        return array_ops.identity(self._variable, name="read")

    def _ref(self):
        return self._variable

    def _check_conversion_dtype(self, dtype):
        """ValueError (TF's message) when a conversion asks for another dtype than the variable's."""
        if dtype is not None and dtypes.as_dtype(dtype) != self.dtype:
            raise ValueError("Incompatible type conversion requested to type '%s' for variable of type '%s' (%s)"
                             % (dtypes.as_dtype(dtype).name, self.dtype.name, self.name))

    def _as_tensor(self, dtype=None):
        """The snapshot, or inside a `control_dependencies` block a fresh read that honours it."""
        self._check_conversion_dtype(dtype)
        if self._variable.graph._control_stack:
            return array_ops.identity(self._variable, name="read")
        return self._snapshot

    def _as_graph_element(self):
        return self._snapshot

    def assign(self, value, use_locking=False, name=None, read_value=True):
        op = state_ops.assign(self._variable, value, use_locking=use_locking, name=name)
        return op if read_value else op.op

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        op = state_ops.assign_add(self._variable, delta, use_locking=use_locking, name=name)
        return op if read_value else op.op

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        op = state_ops.assign_sub(self._variable, delta, use_locking=use_locking, name=name)
        return op if read_value else op.op

    def initialized_value(self):
        """The value if initialized, else the initial value: for initializing other variables from this one."""
        with name_scope(None):
            return state_ops.initialized_value(self._variable, self._initial_value)

    def eval(self, session=None):
        return self._snapshot.eval(session=session)

    def load(self, value, session=None):
        """Assign `value` in `session` (default: the default session) without adding ops each call."""
        from flowgraph.client.session import get_default_session
        session = session or get_default_session()
        session.run(self._initializer_op, {self._initial_value: value})

    def __repr__(self):
        return "<tf.Variable '%s' shape=%s dtype=%s>" % (self.name, self.shape, self.dtype.name)

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __bool__(self):
        raise TypeError("Using a `tf.Variable` as a Python `bool` is not allowed (variable %s)." % self.name)


def global_variables(scope=None):
    return get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


all_variables = global_variables


def trainable_variables(scope=None):
    return get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope=None):
    return get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def model_variables(scope=None):
    return get_collection(GraphKeys.MODEL_VARIABLES, scope)


def moving_average_variables(scope=None):
    return get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """One op that runs the initializers of `var_list`."""
    if var_list and not context.executing_eagerly():
        return array_ops.group(*[v.initializer for v in var_list], name=name)
    return array_ops.no_op(name=name)


initialize_variables = variables_initializer


def global_variables_initializer():
    return variables_initializer(global_variables())


initialize_all_variables = global_variables_initializer


def local_variables_initializer():
    return variables_initializer(local_variables(), name="init")


initialize_local_variables = local_variables_initializer


def is_variable_initialized(variable):
    return state_ops.is_variable_initialized(variable)


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    """A 1-D string tensor of the names of the variables in `var_list` that are not initialized."""
    from flowgraph.ops import math_ops
    var_list = global_variables() + local_variables() if var_list is None else list(var_list)
    with name_scope(name):
        if not var_list:
            return array_ops.constant([], dtype=dtypes.string)
        initialized = array_ops.stack([state_ops.is_variable_initialized(v) for v in var_list])
        names = array_ops.constant([v.op.name.encode() for v in var_list], dtype=dtypes.string)
        return array_ops.boolean_mask(names, math_ops.logical_not(initialized))


def assert_variables_initialized(var_list=None):
    """An op that fails with FailedPreconditionError when a variable of `var_list` is not initialized."""
    var_list = global_variables() if var_list is None else var_list
    return array_ops.group(*[v.value() for v in var_list], name="assert_variables_initialized")

