"""variable_scope and get_variable: TF1's named, reusable variables, shared by name within a graph."""
import contextlib

from flowgraph.framework import dtypes
from flowgraph.framework.graph import GraphKeys, get_default_graph, name_scope
from flowgraph.framework.shapes import TensorShape
from flowgraph.variables import Variable

__all__ = ["AUTO_REUSE", "VariableScope", "variable_scope", "get_variable", "get_variable_scope",
           "get_local_variable", "no_regularizer"]


class _ReuseMode:
    def __repr__(self):
        return "AUTO_REUSE"


AUTO_REUSE = _ReuseMode()


def no_regularizer(_):
    return None


class VariableScope:
    """The defaults get_variable uses inside a `variable_scope`: name prefix, reuse, initializer, ..."""

    def __init__(self, reuse, name="", initializer=None, regularizer=None, caching_device=None,
                 partitioner=None, custom_getter=None, name_scope="", dtype=dtypes.float32, use_resource=None,
                 constraint=None):
        self.name = name
        self.original_name_scope = name_scope
        self.reuse = reuse
        self.initializer = initializer
        self.regularizer = regularizer
        self.dtype = dtypes.as_dtype(dtype)
        self.constraint = constraint
        self.custom_getter = custom_getter
        self.caching_device = caching_device
        self.partitioner = partitioner
        self.use_resource = use_resource

    def reuse_variables(self):
        self.reuse = True

    def set_initializer(self, initializer):
        self.initializer = initializer

    def set_regularizer(self, regularizer):
        self.regularizer = regularizer

    def set_dtype(self, dtype):
        self.dtype = dtypes.as_dtype(dtype)

    def get_variable(self, name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None,
                     collections=None, **kwargs):
        full_name = self.name + "/" + name if self.name else name
        return _state().get(full_name, shape, dtype or self.dtype, _first(initializer, self.initializer),
                            _first(regularizer, self.regularizer), self.reuse, trainable, collections,
                            _first(kwargs.get("constraint"), self.constraint))


def _first(value, default):
    return default if value is None else value


class _ScopeState:
    """Per graph: the current VariableScope, how often each scope name was opened, and the variables."""

    def __init__(self):
        self.current = VariableScope(False)
        self.scope_counts = {}
        self.variables = {}

    def get(self, name, shape, dtype, initializer, regularizer, reuse, trainable, collections, constraint):
        existing = self.variables.get(name)
        if existing is not None:
            if reuse is False or reuse is None:
                raise ValueError("Variable %s already exists, disallowed. Did you mean to set reuse=True or "
                                 "reuse=tf.AUTO_REUSE in VarScope?" % name)
            if shape is not None and not TensorShape(shape).is_compatible_with(existing.shape):
                raise ValueError("Trying to share variable %s, but specified shape %s and found shape %s."
                                 % (name, TensorShape(shape), existing.shape))
            if dtype is not None and dtypes.as_dtype(dtype) != existing.dtype:
                raise ValueError("Trying to share variable %s, but specified dtype %s and found dtype %s."
                                 % (name, dtypes.as_dtype(dtype).name, existing.dtype.name))
            return existing
        if reuse is True:
            raise ValueError("Variable %s does not exist, or was not created with tf.get_variable(). Did you mean "
                             "to set reuse=tf.AUTO_REUSE in VarScope?" % name)
        variable = _create(name, shape, dtype, initializer, trainable, collections, constraint)
        self.variables[name] = variable
        if regularizer is not None:
            with name_scope(name + "/Regularizer/"):
                loss = regularizer(variable.value())
            if loss is not None:
                get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
        return variable


def _create(name, shape, dtype, initializer, trainable, collections, constraint):
    """A new Variable named `name`; `initializer` is an initializer (called with shape and dtype) or a value."""
    from flowgraph import initializers
    dtype = dtypes.as_dtype(dtype)
    if initializer is None:
        initializer = (initializers.glorot_uniform_initializer() if dtype.is_floating
                       else initializers.zeros_initializer())
    if callable(initializer):
        shape = TensorShape(shape)
        if not shape.is_fully_defined():
            raise ValueError("Shape of a new variable (%s) must be fully defined, but instead was %s."
                             % (name, shape if shape.rank is not None else None))
        initial_value = lambda: initializer(shape.as_list(), dtype=dtype)  # noqa: E731
    else:
        initial_value = initializer
        dtype = None if hasattr(initializer, "dtype") else dtype
    with name_scope(None):
        return Variable(initial_value, trainable=trainable, collections=collections, name=name, dtype=dtype,
                        constraint=constraint)


def _state():
    graph = get_default_graph()
    if graph._variable_scope_state is None:
        graph._variable_scope_state = _ScopeState()
    return graph._variable_scope_state


def get_variable_scope():
    return _state().current


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None,
                 collections=None, caching_device=None, partitioner=None, validate_shape=True, use_resource=None,
                 custom_getter=None, constraint=None, synchronization=None, aggregation=None):
    """The variable `scope/name`: created on first use, shared when the scope allows reuse."""
    return get_variable_scope().get_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                                             regularizer=regularizer, trainable=trainable, collections=collections,
                                             constraint=constraint)


def get_local_variable(name, shape=None, dtype=None, initializer=None, **kwargs):
    return get_variable(name, shape, dtype, initializer, trainable=False,
                        collections=[GraphKeys.LOCAL_VARIABLES], **kwargs)


def _unique_scope_name(state, parent, prefix):
    """`prefix`, or `prefix_N` with the first N whose scope was never opened under `parent` (as TF)."""
    base = parent.name + "/" + prefix if parent.name else prefix
    if not state.scope_counts.get(base):
        return prefix
    index = 1
    while state.scope_counts.get("%s_%d" % (base, index)):
        index += 1
    return "%s_%d" % (prefix, index)


@contextlib.contextmanager
def variable_scope(name_or_scope, default_name=None, values=None, initializer=None, regularizer=None,
                   caching_device=None, partitioner=None, custom_getter=None, reuse=None, dtype=None,
                   use_resource=None, constraint=None, auxiliary_name_scope=True):
    """Prefix get_variable names (and open a name scope); `reuse` True or AUTO_REUSE shares variables.

    With `name_or_scope=None`, `default_name` is made unique (dense, dense_1, ...) as tf.layers relies on.
    """
    state = _state()
    parent = state.current
    if isinstance(name_or_scope, VariableScope):
        full_name = name_or_scope.name
        scope_for_names = name_or_scope.original_name_scope
    else:
        if name_or_scope is None:
            if default_name is None:
                raise ValueError("If default_name is None then name_or_scope is required")
            name_or_scope = _unique_scope_name(state, parent, default_name)
        full_name = parent.name + "/" + name_or_scope if parent.name else name_or_scope
        state.scope_counts[full_name] = state.scope_counts.get(full_name, 0) + 1
        scope_for_names = name_or_scope
    if reuse is None or reuse is False:
        reuse = parent.reuse if parent.reuse in (True, AUTO_REUSE) else reuse
    inherited = isinstance(name_or_scope, VariableScope) and name_or_scope or parent
    new_scope = VariableScope(
        reuse if reuse is not None else inherited.reuse, full_name,
        initializer if initializer is not None else inherited.initializer,
        regularizer if regularizer is not None else inherited.regularizer,
        caching_device, partitioner, custom_getter, "",
        dtype if dtype is not None else inherited.dtype, use_resource,
        constraint if constraint is not None else inherited.constraint)
    graph = get_default_graph()
    scope_ctx = graph.name_scope(scope_for_names) if auxiliary_name_scope else contextlib.nullcontext(None)
    with scope_ctx as opened:
        if opened is not None:
            new_scope.original_name_scope = opened
        state.current = new_scope
        try:
            yield new_scope
        finally:
            state.current = parent
