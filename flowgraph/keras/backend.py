"""Keras's backend state: floatx and epsilon, layer-name counters, and where weights live.

A model's weights are graph Variables in graph mode (values held by a Session: the default one when it runs the
model's graph, else one this module owns per graph) and eager Variables in eager mode. Everything that reads or
writes weight values goes through `get_values` / `set_values`, so callers never ask which world they are in.
"""
import collections
import contextlib
import re
import weakref

import numpy as np

from flowgraph.client.session import Session, get_default_session
from flowgraph.framework import context, dtypes
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.framework.graph import Graph, control_dependencies, get_default_graph, reset_default_graph
from flowgraph.ops import state_ops
from flowgraph.variables import Variable

_config = {"floatx": "float32", "epsilon": 1e-7}
_graph_name_counts = weakref.WeakKeyDictionary()  # graph -> Counter of layer-name prefixes (graph mode)
_eager_name_counts = collections.Counter()
_initialized = weakref.WeakKeyDictionary()  # session -> ids of variables known to be initialized there


def floatx():
    """The default float type of layers and weights ('float32')."""
    return _config["floatx"]


def set_floatx(value):
    _config["floatx"] = str(value)


def epsilon():
    """The fuzz factor Keras adds to avoid division by zero and log(0) (1e-7)."""
    return _config["epsilon"]


def set_epsilon(value):
    _config["epsilon"] = float(value)


def to_snake_case(name):
    """'MaxPooling2D' -> 'max_pooling2d', 'ReLU' -> 're_lu': the default layer name, as Keras derives it."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    snake = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return "private" + snake if snake.startswith("_") else snake


def _name_counts():
    if context.executing_eagerly():
        return _eager_name_counts
    graph = get_default_graph()
    counts = _graph_name_counts.get(graph)
    if counts is None:
        counts = _graph_name_counts[graph] = collections.Counter()
    return counts


def unique_object_name(prefix, zero_based=True):
    """`prefix`, then `prefix_1`, `prefix_2`, ... (`prefix_1` first when not zero-based, as Input names are):
    counted per graph in graph mode, per process in eager mode."""
    counts = _name_counts()
    index = counts[prefix] + (0 if zero_based else 1)
    counts[prefix] += 1
    return prefix if index == 0 else "%s_%d" % (prefix, index)


def clear_session():
    """Forget layer-name counters (names start again at `dense`); in graph mode also reset the default graph."""
    _eager_name_counts.clear()
    if not context.executing_eagerly():
        _graph_name_counts.pop(get_default_graph(), None)
        reset_default_graph()


def name_scope(name):
    """A graph name scope in graph mode (and while tracing a function); nothing when executing eagerly."""
    if context.executing_eagerly():
        return contextlib.nullcontext("")
    return get_default_graph().name_scope(name)


def after(ops):
    """Ops built inside run after `ops` (graph mode); eager code already runs in order."""
    ops = [op for op in ops if op is not None]
    if context.executing_eagerly() or not ops:
        return contextlib.nullcontext()
    return control_dependencies(ops)


# ---- where weights live ------------------------------------------------------------------------------------

def make_variable(initial_value, name, dtype, trainable=True, owner=None, collections=None):
    """A Variable of the current world: a graph Variable (named under the current name scope, in
    `collections`), or an eager one named `owner/name`. A variable made while a function is being traced is
    made eagerly, outside the trace, as TF's `init_scope` does."""
    from flowgraph.eager import init_scope
    with init_scope():
        if context.executing_eagerly():
            return Variable(initial_value, name="%s/%s" % (owner, name) if owner else name, trainable=trainable,
                            dtype=dtype)
        return Variable(initial_value, name=name, trainable=trainable, dtype=dtype, collections=collections)


def graph_of_variable(variable):
    """The Graph a graph-mode Variable lives in, or None for an eager Variable."""
    graph = getattr(variable, "graph", None)
    return graph if isinstance(graph, Graph) else None


def get_session(graph):
    """The Session that runs `graph` for Keras: the default session when it runs this graph, else Keras's own."""
    default = get_default_session()
    if default is not None and default.graph is graph and not default.closed:
        return default
    session = getattr(graph, "_keras_session", None)  # kept on the graph: it lives exactly as long
    if session is None or session.closed:
        session = graph._keras_session = Session(graph=graph)
    return session


def initialize_variables(session, variables):
    """Run the initializers of those `variables` not yet initialized in `session` (each checked once)."""
    known = _initialized.setdefault(session, set())
    pending = [v for v in variables if id(v) not in known]
    if not pending:
        return
    with session.graph.as_default():
        checks = [_is_initialized_op(v) for v in pending]
    done = session.run(checks)
    missing = [v.initializer for v, ok in zip(pending, done) if not ok]
    if missing:
        session.run(missing)
    known.update(id(v) for v in pending)


def _is_initialized_op(variable):
    op = getattr(variable, "_keras_is_initialized", None)
    if op is None:
        op = variable._keras_is_initialized = state_ops.is_variable_initialized(variable)
    return op


def _graph_session(variables):
    graph = graph_of_variable(variables[0])
    session = get_session(graph)
    initialize_variables(session, variables)
    return session


def get_values(variables):
    """The numpy values of `variables` (graph or eager), read in one session run in graph mode."""
    variables = list(variables)
    if not variables:
        return []
    if graph_of_variable(variables[0]) is None:
        return [np.array(v.numpy()) for v in variables]
    return [np.asarray(value) for value in _graph_session(variables).run(variables)]


def set_values(pairs):
    """Assign numpy values to variables: [(variable, value)]; the shape must match exactly."""
    pairs = list(pairs)
    for variable, value in pairs:
        value = np.asarray(value)
        expected = tuple(variable.shape.as_list())
        if value.shape != expected:
            raise ValueError("Weight %s has shape %s, but the value given for it has shape %s"
                             % (variable.name, expected, value.shape))
    if not pairs:
        return
    if graph_of_variable(pairs[0][0]) is None:
        for variable, value in pairs:
            variable.assign(np.asarray(value, dtype=variable.dtype.as_numpy_dtype))
        return
    session = get_session(graph_of_variable(pairs[0][0]))
    known = _initialized.setdefault(session, set())
    for variable, value in pairs:
        variable.load(np.asarray(value, dtype=variable.dtype.as_numpy_dtype), session)
        known.add(id(variable))


def as_dtype_of(array):
    """The flowgraph dtype of a numpy array."""
    return dtypes.as_dtype(array.dtype)


def to_eager_tensor(array):
    """A numpy array as an eager tensor of the same dtype (in eager mode)."""
    return convert_to_tensor(array)


def count_params(weights):
    """The number of scalars in `weights` (each counted once)."""
    unique = {id(w): w for w in weights}
    return int(sum(int(np.prod(w.shape.as_list())) for w in unique.values()))
