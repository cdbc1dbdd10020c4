"""`function`: trace a Python function into a graph once per input signature and run the graph on later calls.

The signature of a call is its structure with, for each tensor (EagerTensor or numpy value), its dtype and shape,
for each variable its dtype and shape, and every other Python value by value (unhashable ones by identity): a
call with a new signature traces again. Outside eager execution (in a graph, or inside another trace) the
Python function is simply called, so its ops join the graph being built.
"""
import functools
import inspect
import weakref

import numpy as np

from flowgraph.eager.concrete import ConcreteFunction
from flowgraph.eager.func_graph import FuncGraph
from flowgraph.eager.tensor import EagerTensor
from flowgraph.eager.tensor_spec import TensorSpec
from flowgraph.eager.variable import EagerVariable
from flowgraph.framework import context, dtypes, nest
from flowgraph.framework.graph import Operation, Tensor
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.ops import array_ops

_TENSOR, _VARIABLE = "tensor", "variable"


def function(func=None, input_signature=None, autograph=True, jit_compile=None):
    """Decorator (with or without arguments) making a `Function` of `func`.

    input_signature: a list of TensorSpec (nested as the arguments are): trace once, for these shapes (None
    dims accept any size) and dtypes. autograph, jit_compile: accepted for TF's signature; Python control flow
    runs while tracing, and there is no separate compiler.
    """
    def decorate(fn):
        return Function(fn, input_signature)
    return decorate if func is None else decorate(func)


class Function:
    """A callable that runs `python_function` as traced graphs, one per input signature."""

    def __init__(self, python_function, input_signature=None):
        functools.update_wrapper(self, python_function)
        self._python_function = python_function
        self._signature = inspect.signature(python_function)
        self._input_signature = None if input_signature is None else list(input_signature)
        self._traces = {}
        self._tracing_count = 0
        self._bound = weakref.WeakKeyDictionary()
        params = list(self._signature.parameters.values())
        simple = all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
        self._num_positional = len(params) if simple else None

    python_function = property(lambda self: self._python_function)
    input_signature = property(lambda self: self._input_signature)

    def experimental_get_tracing_count(self):
        """How many times the Python function has been traced."""
        return self._tracing_count

    def __get__(self, instance, owner):
        """As a method: one Function per instance, with the instance bound (so it is not part of signatures)."""
        if instance is None:
            return self
        bound = self._bound.get(instance)
        if bound is None:
            bound = self._bound[instance] = Function(self._python_function.__get__(instance, owner),
                                                     self._input_signature)
        return bound

    def __call__(self, *args, **kwargs):
        if not context.executing_eagerly():
            return self._python_function(*args, **kwargs)
        if kwargs or len(args) != self._num_positional:
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        tensors, variables = [], []
        if self._input_signature is None:
            key = (_structure_key(args, tensors, variables), _structure_key(kwargs, tensors, variables))
        else:
            key = None
            tensors = _conform_to_signature(args, kwargs, self._input_signature)
        trace = self._traces.get(key)
        if trace is None:
            trace = self._traces[key] = self._trace(args, kwargs)
        return trace.call(tensors, variables)

    def _trace(self, args, kwargs):
        """Run the Python function on placeholders in a new FuncGraph; returns the _Trace to call."""
        self._tracing_count += 1
        graph = FuncGraph(getattr(self._python_function, "__name__", "function"))
        placeholders = []
        with graph.as_default():
            if self._input_signature is None:
                names = list(self._signature.parameters)
                args = [_to_graph(a, _arg_name(names, i), graph, placeholders) for i, a in enumerate(args)]
                kwargs = {k: _to_graph(v, k, graph, placeholders) for k, v in kwargs.items()}
            else:
                specs = nest.flatten(self._input_signature)
                placeholders = [array_ops.placeholder(s.dtype, s.shape, name=s.name or "args_%d" % i)
                                for i, s in enumerate(specs)]
                args = nest.pack_sequence_as(self._input_signature, placeholders)
                kwargs = {}
            structure = self._python_function(*args, **kwargs)
            outputs = [_graph_output(leaf, graph) for leaf in nest.flatten(structure)]
        graph.order_variable_accesses()
        concrete = ConcreteFunction(graph, placeholders + [p for _, p in graph.captures], outputs, graph.updates())
        return _Trace(concrete, structure, [t for t, _ in graph.captures], graph.variables)

    def __repr__(self):
        return "<flowgraph.function %s>" % getattr(self._python_function, "__name__", self._python_function)


class _Trace:
    """A ConcreteFunction with what a call needs around it: captured values, which variables come from the
    arguments, and the structure of the Python function's result."""

    def __init__(self, concrete, structure, captured, variables):
        self.concrete = concrete
        self.structure = structure
        self.single = not nest.is_nested(structure)
        self.captured = captured
        self.variables = variables

    def call(self, tensors, variables):
        bound = self.variables
        if variables:
            unique = list({id(v): v for v in variables}.values())
            bound = unique + self.variables[len(unique):]
        flat = self.concrete.call(tensors + self.captured, bound)
        return flat[0] if self.single else nest.pack_sequence_as(self.structure, flat)


def _arg_name(names, i):
    return names[i] if i < len(names) else "args_%d" % i


def _is_tensor_value(value):
    return isinstance(value, (EagerTensor, np.ndarray, np.generic))


def _structure_key(value, tensors, variables):
    """A hashable key for `value`'s signature; appends its tensors and variables (in flattening order)."""
    if isinstance(value, EagerTensor):
        tensors.append(value)
        return _TENSOR, value._value.dtype, value._value.shape
    if isinstance(value, (np.ndarray, np.generic)):
        tensors.append(value)
        return _TENSOR, value.dtype, value.shape
    if isinstance(value, EagerVariable):
        first = next((i for i, v in enumerate(variables) if v is value), len(variables))
        variables.append(value)
        return _VARIABLE, value.dtype, value.shape, first
    if isinstance(value, dict):
        return type(value), tuple((k, _structure_key(value[k], tensors, variables)) for k in nest.dict_keys(value))
    if isinstance(value, (list, tuple)):
        return type(value), tuple(_structure_key(v, tensors, variables) for v in value)
    try:
        hash(value)
    except TypeError:
        return type(value), id(value)
    return type(value), value


def _to_graph(value, name, graph, placeholders):
    """`value` as the traced function sees it: tensors become placeholders, variables are captured."""
    if isinstance(value, dict):
        return type(value)((k, _to_graph(value[k], name, graph, placeholders)) for k in nest.dict_keys(value))
    if isinstance(value, (list, tuple)):
        items = [_to_graph(v, name, graph, placeholders) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if _is_tensor_value(value):
        placeholder = array_ops.placeholder(dtypes.as_dtype(value.dtype), value.shape, name=name)
        placeholders.append(placeholder)
        return placeholder
    if isinstance(value, EagerVariable):
        graph.capture_variable(value)
    return value


def _graph_output(leaf, graph):
    """A result of the traced function as a tensor of `graph` (None for None and for ops, as TF returns)."""
    if leaf is None or isinstance(leaf, Operation):
        return None
    if isinstance(leaf, Tensor):
        if leaf.graph is not graph:
            raise ValueError("The traced function returned %s, a tensor of another graph" % leaf.name)
        return leaf
    return convert_to_tensor(leaf)


def _conform_to_signature(args, kwargs, signature):
    """The call's arguments as EagerTensors matching the TensorSpecs; TypeError when one cannot."""
    specs = nest.flatten(signature)
    try:
        values = nest.flatten_up_to(signature, list(args) + list(kwargs.values()))
    except ValueError as e:
        raise TypeError("Binding inputs to tf.function failed: the arguments %r do not match the input signature "
                        "%r (%s)" % (args, signature, e)) from None
    tensors = []
    for value, spec in zip(values, specs):
        if not isinstance(spec, TensorSpec):
            raise TypeError("input_signature must contain TensorSpecs, got %r" % (spec,))
        if isinstance(value, EagerTensor):
            tensor = value
        elif isinstance(value, EagerVariable):
            tensor = value.read_value()
        else:
            try:
                tensor = convert_to_tensor(value, dtype=spec.dtype)
            except (TypeError, ValueError):
                tensor = None
        if tensor is None or not spec.is_compatible_with(tensor):
            got = TensorSpec.from_tensor(tensor) if tensor is not None else value
            raise TypeError("Binding inputs to tf.function failed due to `Can not cast %r to %r`. Received args: %r "
                            "and kwargs: %r" % (got, spec, args, kwargs))
        tensors.append(tensor)
    return tensors

