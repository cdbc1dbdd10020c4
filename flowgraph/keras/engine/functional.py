"""Functional models: a DAG of layer calls recorded on KerasTensors, replayed on real tensors by `call`."""
from flowgraph.framework import dtypes, nest
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.ops import math_ops
from flowgraph.keras import backend
from flowgraph.keras.engine import input_layer as input_layer_module
from flowgraph.keras.engine.keras_tensor import TensorSpec, is_keras_tensor
from flowgraph.keras.engine.training import Model
from flowgraph.keras.utils import serialization

import numpy as np


def _nodes_in_order(inputs, outputs):
    """The nodes that compute `outputs` from `inputs`, each after the nodes it reads (a topological order)."""
    available = {id(t) for t in inputs}
    order, done, visiting = [], set(), set()

    def visit(node):
        if id(node) in done:
            return
        if id(node) in visiting:
            raise ValueError("The functional graph has a cycle through layer %s" % node.layer.name)
        visiting.add(id(node))
        for t in node.input_tensors:
            if id(t) not in available:
                parent = t.node
                if parent.is_input:
                    raise ValueError("Graph disconnected: cannot obtain value for tensor %r at layer \"%s\". The "
                                     "following previous layers were accessed without issue: %s"
                                     % (t, node.layer.name, [n.layer.name for n in order]))
                visit(parent)
        visiting.discard(id(node))
        done.add(id(node))
        order.append(node)
        available.update(id(t) for t in node.output_tensors)

    for t in inputs:
        order.append(t.node)
        done.add(id(t.node))
    for t in outputs:
        if id(t) not in available:
            visit(t.node)
    return order


class Functional(Model):
    """`Model(inputs, outputs)`: inputs are `Input(...)` tensors, outputs KerasTensors computed from them."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name or backend.unique_object_name("model"), trainable=trainable, **kwargs)
        self._init_graph_network(inputs, outputs)

    def _init_graph_network(self, inputs, outputs):
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        self.inputs = nest.flatten(inputs)
        self.outputs = nest.flatten(outputs)
        for t in self.inputs + self.outputs:
            if not is_keras_tensor(t):
                raise ValueError("Functional model inputs and outputs must be KerasTensors (from keras.Input and "
                                 "layer calls), got %r" % (t,))
        for t in self.inputs:
            if not isinstance(t._keras_history[0], input_layer_module.InputLayer):
                raise ValueError("Input tensors to a Functional must come from `keras.Input`. Received: %r "
                                 "(missing previous layer metadata)." % (t,))
        self._nodes_in_order = _nodes_in_order(self.inputs, self.outputs)
        layers = []
        for node in self._nodes_in_order:
            if node.layer not in layers:
                layers.append(node.layer)
        self._functional_layers = layers
        self._input_layers = [t._keras_history[0] for t in self.inputs]
        self._output_names = self._unique_output_names()
        self._is_graph_network = True
        self.built = True

    def _unique_output_names(self):
        names, seen = [], {}
        for t in self.outputs:
            base = t._keras_history[0].name
            seen[base] = seen.get(base, 0) + 1
            names.append(base if seen[base] == 1 else "%s_%d" % (base, seen[base] - 1))
        return names

    @property
    def layers(self):
        return list(self._functional_layers)

    @property
    def input_names(self):
        return [layer.name for layer in self._input_layers]

    @property
    def input_shape(self):
        return nest.unpack_singleton([tuple(t.shape.as_list()) for t in self.inputs])

    @property
    def output_shape(self):
        return nest.unpack_singleton([tuple(t.shape.as_list()) for t in self.outputs])

    @property
    def input(self):
        return nest.unpack_singleton(self.inputs)

    @property
    def output(self):
        return nest.unpack_singleton(self.outputs)

    # ---- running -------------------------------------------------------------------------------------------
    def _flat_inputs(self, inputs):
        """The given inputs in the order of `self.inputs` (a dict is matched by input name)."""
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError("Missing data for input(s) %s: the model expects inputs %s"
                                 % (missing, self.input_names))
            return [inputs[n] for n in self.input_names]
        flat = nest.flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError("Layer \"%s\" expects %d input(s), but it received %d input tensors."
                             % (self.name, len(self.inputs), len(flat)))
        return flat

    def _convert_input(self, value):
        return value

    def _conform(self, value, spec):
        """An input value as a tensor of its Input's dtype, with a rank the Input accepts."""
        dtype = spec.dtype
        if isinstance(value, (np.ndarray, list, tuple, int, float, np.generic)):
            value = convert_to_tensor(np.asarray(value, dtype=dtype.as_numpy_dtype))
        else:
            value = convert_to_tensor(value)
            if value.dtype != dtype and (value.dtype.is_floating or dtype.is_floating or dtype == dtypes.bool):
                value = math_ops.cast(value, dtype)
        if spec.shape.rank is not None and value.shape.rank is not None and value.shape.rank != spec.shape.rank:
            raise ValueError("Input 0 of layer \"%s\" is incompatible with the layer: expected shape=%s, found "
                             "shape=%s" % (self.name, spec.shape, value.shape))
        return value

    def call(self, inputs, training=None, mask=None):
        tensor_map = {}
        for spec, value in zip(self.inputs, self._flat_inputs(inputs)):
            tensor_map[id(spec)] = self._conform(value, spec)
        for node in self._nodes_in_order:
            if node.is_input:
                continue
            args, kwargs = node.map_arguments(tensor_map)
            outputs = node.layer(*args, **kwargs)
            for t, value in zip(node.output_tensors, nest.flatten(outputs)):
                tensor_map[id(t)] = value
        return nest.pack_sequence_as(self._nested_outputs, [tensor_map[id(t)] for t in self.outputs])

    def compute_output_signature(self, input_signature):
        flat = self._flat_inputs(input_signature)
        for spec, given in zip(self.inputs, flat):
            if not spec.shape.is_compatible_with(given.shape):
                raise ValueError("Input of model \"%s\" has shape %s, incompatible with the model's input %s"
                                 % (self.name, given.shape, spec.shape))
        return nest.pack_sequence_as(self._nested_outputs, [TensorSpec(t.shape, t.dtype) for t in self.outputs])

    # ---- config --------------------------------------------------------------------------------------------
    def _node_indices(self):
        """For each node of this model: its index among its layer's nodes that belong to this model."""
        own = {id(n) for n in self._nodes_in_order}
        index = {}
        for layer in self._functional_layers:
            count = 0
            for node in layer._inbound_nodes:
                if id(node) in own:
                    index[id(node)] = count
                    count += 1
        return index

    def get_config(self):
        """Keras 2's functional config: layers with their inbound nodes, and the input/output coordinates."""
        node_index = self._node_indices()

        def coordinates(t):
            layer, _, tensor_index = t._keras_history
            return [layer.name, node_index[id(t.node)], tensor_index]

        layer_configs = []
        for layer in self._functional_layers:
            inbound = []
            for node in layer._inbound_nodes:
                if id(node) not in node_index or node.is_input:
                    continue
                kwargs = {k: v for k, v in node.call_kwargs.items() if not is_keras_tensor(v)}
                entry = [coordinates(t) + [kwargs] for t in node.input_tensors]
                inbound.append(entry)
            config = serialization.serialize_keras_object(layer)
            config["name"] = layer.name
            config["inbound_nodes"] = inbound
            layer_configs.append(config)
        return {"name": self.name, "layers": layer_configs,
                "input_layers": [coordinates(t) for t in self.inputs],
                "output_layers": [coordinates(t) for t in self.outputs]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the layers, then replay their calls in an order where every input is available."""
        from flowgraph.keras import layers as layers_module
        created = {}
        pending = []
        for layer_config in config["layers"]:
            layer = layers_module.deserialize({"class_name": layer_config["class_name"],
                                               "config": layer_config["config"]}, custom_objects=custom_objects)
            created[layer_config["name"]] = layer
            pending.extend((layer, node_data) for node_data in layer_config.get("inbound_nodes", []))
        outputs_by_node = {}
        for layer in created.values():
            if isinstance(layer, input_layer_module.InputLayer):
                outputs_by_node[(layer.name, 0)] = [layer._inbound_nodes[0].outputs]
        node_counts = {}
        while pending:
            progress = False
            for item in list(pending):
                layer, node_data = item
                sources = [(name, node) for name, node, _, _ in node_data]
                if not all(source in outputs_by_node for source in sources):
                    continue
                inputs = [nest.flatten(outputs_by_node[(name, node)])[tensor] for name, node, tensor, _ in node_data]
                kwargs = node_data[0][3] if node_data else {}
                outputs = layer(inputs[0] if len(inputs) == 1 else inputs, **kwargs)
                index = node_counts.get(layer.name, 0)
                node_counts[layer.name] = index + 1
                outputs_by_node[(layer.name, index)] = outputs
                pending.remove(item)
                progress = True
            if not progress:
                raise ValueError("Cannot rebuild the functional model from its config: the calls of layers %s "
                                 "need inputs that no layer produces" % sorted({l.name for l, _ in pending}))

        def tensor_at(coordinates):
            name, node, tensor = coordinates[:3]
            return nest.flatten(outputs_by_node[(name, node)])[tensor]
        inputs = [tensor_at(c) for c in config["input_layers"]]
        outputs = [tensor_at(c) for c in config["output_layers"]]
        return cls(nest.unpack_singleton(inputs), nest.unpack_singleton(outputs), name=config.get("name"))
