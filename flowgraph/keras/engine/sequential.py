"""Sequential: a linear stack of layers, a functional model built as layers are added (once the input shape is
known: from an Input, a first layer's `input_shape`, `build()`, or the first batch of data)."""
from flowgraph.framework import dtypes, nest
from flowgraph.framework.shapes import TensorShape
from flowgraph.keras.engine import input_layer as input_layer_module
from flowgraph.keras.engine.base_layer import Layer
from flowgraph.keras.engine.functional import Functional
from flowgraph.keras.engine.keras_tensor import KerasTensor
from flowgraph.keras.engine.training import Model
from flowgraph.keras import backend
from flowgraph.keras.utils import serialization


class Sequential(Functional):
    """`Sequential([layer, ...])` or `add(layer)` one at a time; each layer takes the previous one's output."""

    def __init__(self, layers=None, name=None):
        Model.__init__(self, name=name or backend.unique_object_name("sequential"))
        self._sequential_layers = []
        self._input_layer = None
        self._chain = []
        self._functional_layers = []
        self.built = False
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._sequential_layers)

    def _summary_layers(self):
        return self.layers

    def add(self, layer):
        """Append a layer (a KerasTensor from `Input` sets the input instead)."""
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise TypeError("The added layer must be an instance of class Layer. Received: layer=%r of type %s."
                            % (layer, type(layer)))
        if isinstance(layer, input_layer_module.InputLayer):
            if self._sequential_layers or self._input_layer is not None:
                raise ValueError("An InputLayer can only be the first layer of a Sequential model")
            self._input_layer = layer
            self._rebuild_graph()
            return
        if any(l.name == layer.name for l in self._sequential_layers):
            raise ValueError("All layers added to a Sequential model should have unique names. Name \"%s\" is "
                             "already the name of a layer in this model. Update the `name` argument to pass a "
                             "unique name." % layer.name)
        if not self._sequential_layers and self._input_layer is None and hasattr(layer, "_batch_input_shape"):
            self._input_layer = input_layer_module.InputLayer(batch_input_shape=layer._batch_input_shape,
                                                              dtype=layer.dtype, name=layer.name + "_input")
        self._sequential_layers.append(layer)
        if self._is_graph_network:
            self._connect(self.outputs[0], [layer])
        else:
            self._rebuild_graph()

    def pop(self):
        """Remove the last layer."""
        if not self._sequential_layers:
            raise TypeError("There are no layers in the model.")
        self._sequential_layers.pop()
        if self._is_graph_network:
            self._chain.pop()
            self._init_graph_network(self._chain[0], self._chain[-1])
            self._functional_layers = [self._input_layer] + list(self._sequential_layers)

    def _rebuild_graph(self):
        """Chain all layers from the input (once it is known) into the functional graph this model runs."""
        if self._input_layer is not None:
            self._chain = [self._input_layer._inbound_nodes[0].outputs]
            self._connect(self._chain[0], self._sequential_layers)

    def _connect(self, tensor, layers):
        """Call `layers` in turn on `tensor`, extending the chain of outputs and the functional graph."""
        for layer in layers:
            tensor = layer(tensor)
            if len(nest.flatten(tensor)) != 1:
                raise ValueError("All layers in a Sequential model should have a single output tensor. For "
                                 "multi-output layers, use the functional API.")
            self._chain.append(tensor)
        self._init_graph_network(self._chain[0], self._chain[-1])
        self._functional_layers = [self._input_layer] + list(self._sequential_layers)

    def build(self, input_shape=None):
        """Create the input from `input_shape` (batch dimension included, None allowed) and build the stack."""
        if self._is_graph_network:
            self.built = True
            return
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")
        self._input_layer = input_layer_module.InputLayer(batch_input_shape=tuple(TensorShape(input_shape).dims))
        self._rebuild_graph()
        self._build_input_shape = list(TensorShape(input_shape).dims)

    def call(self, inputs, training=None, mask=None):
        if not self._is_graph_network:
            shape = TensorShape(getattr(inputs, "shape", None))
            self._input_layer = input_layer_module.InputLayer(
                batch_input_shape=(None,) + tuple(shape.dims[1:]), dtype=self._deferred_input_dtype(inputs))
            self._rebuild_graph()
        return super().call(inputs, training=training, mask=mask)

    def _deferred_input_dtype(self, inputs):
        """The dtype the input layer takes: the model's for floating data, else the data's own (ids)."""
        dtype = dtypes.as_dtype(inputs.dtype)
        return self.dtype if dtype.is_floating else dtype.name

    def _maybe_build(self, input_shapes):
        self.built = True

    def get_config(self):
        layers = []
        if self._input_layer is not None:
            layers.append(serialization.serialize_keras_object(self._input_layer))
        layers.extend(serialization.serialize_keras_object(layer) for layer in self._sequential_layers)
        return {"name": self.name, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from flowgraph.keras import layers as layers_module
        model = cls(name=config.get("name"))
        for layer_config in config["layers"]:
            model.add(layers_module.deserialize(layer_config, custom_objects=custom_objects))
        return model
