"""Output signatures of layers that do not state their output shape (Lambda, custom layers, subclassed models).

Graph mode: `call` is applied to placeholders in the graph the layer's weights live in; the ops it adds are
never run (a Session only runs what a fetch needs). Eager mode: `call` runs on small zero inputs, twice with
different sizes for the unknown dimensions, and output dimensions that follow them are reported unknown.
"""
import numpy as np

from flowgraph.framework import context, nest
from flowgraph.framework.graph import get_default_graph
from flowgraph.keras.engine.keras_tensor import TensorSpec, is_keras_tensor
from flowgraph.ops import array_ops


def output_signature(layer, inputs, args, kwargs):
    if context.executing_eagerly():
        return _probe_eagerly(layer, inputs, args, kwargs)
    return _trace_in_graph(layer, inputs, args, kwargs)


def _substitute(structure, make):
    return nest.map_structure(lambda leaf: make(leaf) if is_keras_tensor(leaf) else leaf, structure)


def _trace_in_graph(layer, inputs, args, kwargs):
    with get_default_graph().name_scope("%s_signature" % layer.name):
        def placeholder(t):
            return array_ops.placeholder(t.dtype, t.shape.dims)
        outputs = layer(_substitute(inputs, placeholder), *_substitute(list(args), placeholder),
                        **_substitute(kwargs, placeholder))
    return nest.map_structure(lambda t: TensorSpec(t.shape, t.dtype), outputs)


def _probe_eagerly(layer, inputs, args, kwargs):
    results = []
    for size in (2, 3):
        def zeros(t, size=size):
            dims = [size if d is None else d for d in t.shape.as_list()]
            return np.zeros(dims, dtype=t.dtype.as_numpy_dtype)
        outputs = layer(_substitute(inputs, zeros), *_substitute(list(args), zeros), **_substitute(kwargs, zeros))
        results.append(outputs)

    def merge(a, b):
        dims = [da if da == db else None for da, db in zip(list(a.shape), list(b.shape))]
        return TensorSpec(dims, a.dtype)
    return nest.pack_sequence_as(results[0], [merge(a, b) for a, b in zip(nest.flatten(results[0]),
                                                                         nest.flatten(results[1]))])
