"""KerasTensor and Node: the symbolic values and layer calls that the functional API records.

Calling a layer on KerasTensors computes nothing: it records a Node (which layer, applied to which inputs, with
which extra arguments) and returns KerasTensors carrying static shapes and dtypes. A functional model replays
its nodes on real tensors (graph tensors, eager tensors, or those of a traced function), so the math of a model
is written once, in its layers' `call`.
"""
from flowgraph.framework import dtypes, nest
from flowgraph.framework.shapes import TensorShape


class KerasTensor:
    """A symbolic tensor of the functional API: a static shape (batch dim usually None) and a dtype."""

    def __init__(self, shape, dtype, name=None):
        self.shape = TensorShape(shape)
        self.dtype = dtypes.as_dtype(dtype)
        self.name = name
        self._keras_history = None  # (layer, node_index, tensor_index), set by the Node that outputs it

    @property
    def node(self):
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    def get_shape(self):
        return self.shape

    def _as_tensor(self, dtype=None):
        layer = self._keras_history[0].name if self._keras_history else "?"
        raise TypeError("%r is a symbolic KerasTensor (output of layer '%s'): it has no value. Apply ops to it "
                        "inside a layer (for example a `keras.layers.Lambda`), not directly." % (self, layer))

    def __repr__(self):
        creator = " (created by layer '%s')" % self._keras_history[0].name if self._keras_history else ""
        return "<KerasTensor: shape=%s dtype=%s%s>" % (self.shape, self.dtype.name, creator)

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a Python bool (%r)" % self)


class TensorSpec:
    """The static shape and dtype of a tensor: what output signatures are made of."""

    def __init__(self, shape, dtype):
        self.shape = TensorShape(shape)
        self.dtype = dtypes.as_dtype(dtype)

    def __repr__(self):
        return "TensorSpec(shape=%s, dtype=%s)" % (self.shape, self.dtype.name)


def is_keras_tensor(x):
    return isinstance(x, KerasTensor)


def any_keras_tensor(structure):
    return any(isinstance(leaf, KerasTensor) for leaf in nest.flatten(structure))


class Node:
    """One call of `layer` on KerasTensors: `call_args`/`call_kwargs` hold the KerasTensors and other arguments."""

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.input_tensors = [t for t in nest.flatten([self.call_args, self.call_kwargs]) if is_keras_tensor(t)]
        self.outputs = outputs
        self.output_tensors = nest.flatten(outputs)
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for t in self.input_tensors:
            t._keras_history[0]._outbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = (layer, node_index, i)

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors]

    @property
    def is_input(self):
        return not self.input_tensors

    def inbound_history(self):
        """[(layer name, node index, tensor index)] of the inputs, for configs and summaries."""
        return [(t._keras_history[0].name, t._keras_history[1], t._keras_history[2]) for t in self.input_tensors]

    def map_arguments(self, tensor_map):
        """(args, kwargs) with every KerasTensor replaced by its value in `tensor_map` (keyed by id)."""
        def value(leaf):
            return tensor_map[id(leaf)] if is_keras_tensor(leaf) else leaf
        return nest.map_structure(value, self.call_args), nest.map_structure(value, self.call_kwargs)
