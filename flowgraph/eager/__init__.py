"""Eager execution: ops run as they are called (EagerTensor), GradientTape, and `function` to trace Python into
graphs. `enable()` (what `flowgraph.enable_eager_execution()` and `import flowgraph.v2` call) switches it on."""
from flowgraph import variables as _variables
from flowgraph.eager.execute import execute
from flowgraph.eager.func_graph import FuncGraph, init_scope
from flowgraph.eager.function import Function, function
from flowgraph.eager.gradient_tape import GradientTape, UnconnectedGradients
from flowgraph.eager.tensor import EagerTensor
from flowgraph.eager.tensor_spec import TensorSpec
from flowgraph.eager.variable import EagerVariable
from flowgraph.framework import context as _context
from flowgraph.framework import op_registry as _op_registry

__all__ = ["enable", "execute", "EagerTensor", "EagerVariable", "GradientTape", "UnconnectedGradients", "Function",
           "function", "FuncGraph", "init_scope", "TensorSpec"]


def enable():
    """Run ops eagerly from now on (outside `Graph.as_default()` blocks and function traces)."""
    _op_registry.eager_execute = execute
    _variables.eager_variable_class = EagerVariable
    _context.set_eager(True)
