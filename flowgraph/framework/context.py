"""Whether ops run now (eager) or build a graph: eager when enabled and no graph is the default."""
from flowgraph.framework import graph as _graph

_state = {"eager": False}


def executing_eagerly():
    """True when eager execution is on and no `Graph.as_default()` block (or function trace) is open."""
    return _state["eager"] and not _graph._graph_stack.stack


def executing_eagerly_outside_functions():
    """True when eager execution is on and every open graph is a function being traced (`building_function`):
    where a variable created now lives, as TF's rule of the same name."""
    return _state["eager"] and all(getattr(g, "building_function", False) for g in _graph._graph_stack.stack)


def set_eager(enabled):
    _state["eager"] = bool(enabled)

