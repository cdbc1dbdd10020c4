"""Layer: the base of every Keras layer and model.

A layer owns weights (created once, in `build(input_shape)`, through `add_weight`) and computes in `call`, with
public ops only, so one `call` serves graph mode, eager mode and traced functions. Calling a layer on
KerasTensors records a Node for the functional API instead of computing. Sublayers are found by looking at the
layer's attributes (also inside lists, tuples and dicts), so subclassed layers and models need no registration.
"""
import inspect
import threading

import numpy as np

from flowgraph.framework import dtypes, nest
from flowgraph.framework.graph import is_tensor
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.framework.shapes import TensorShape
from flowgraph.keras import backend
from flowgraph.keras.engine.keras_tensor import KerasTensor, Node, TensorSpec, any_keras_tensor
from flowgraph.ops import array_ops, math_ops

_LAYER_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights", "activity_regularizer",
                 "autocast"}
# Attributes that reference other layers without owning them.
_NOT_SUBLAYERS = {"_inbound_nodes", "_outbound_nodes", "_keras_history"}


class _CallContext(threading.local):
    """The `training` value of each layer call in progress, so inner layers inherit the outer one's."""

    def __init__(self):
        self.training = []


_call_context = _CallContext()


def _expects_argument(method, name):
    parameters = inspect.signature(method).parameters
    return name in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


class Layer:
    """Base class of layers: weights, losses, config, and the call protocol (`build` once, then `call`)."""

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        unknown = set(kwargs) - _LAYER_KWARGS
        if unknown:
            raise TypeError("Keyword argument not understood: %s" % ", ".join(sorted(repr(k) for k in unknown)))
        self._name = name or backend.unique_object_name(backend.to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self._dtype = dtypes.as_dtype(dtype or backend.floatx()).name
        self.built = False
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._weight_order = []  # every own weight, in creation order: the order of saving and loading
        self._callable_losses = []
        self._call_losses = []
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._initial_weights = kwargs.get("weights")
        self._autocast = kwargs.get("autocast", True)
        from flowgraph.keras import regularizers
        self.activity_regularizer = regularizers.get(kwargs.get("activity_regularizer"))
        if "batch_input_shape" in kwargs:
            self._batch_input_shape = tuple(kwargs["batch_input_shape"])
        elif "input_shape" in kwargs or "input_dim" in kwargs:
            shape = kwargs["input_shape"] if "input_shape" in kwargs else (kwargs["input_dim"],)
            self._batch_input_shape = (kwargs.get("batch_size"),) + tuple(shape)

    # ---- identity and config ---------------------------------------------------------------------------------
    name = property(lambda self: self._name)
    dtype = property(lambda self: self._dtype)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freezing a layer freezes its sublayers too: their weights move to `non_trainable_weights`."""
        for layer in self._flatten_layers():
            layer._trainable = bool(value)

    def get_config(self):
        """The constructor arguments that rebuild this layer; subclasses with new arguments must extend it."""
        own_init = type(self).__init__
        if own_init is not Layer.__init__ and type(self).get_config is Layer.get_config:
            extra = [p for p in inspect.signature(own_init).parameters
                     if p not in ("self", "trainable", "name", "dtype", "args", "kwargs")]
            if extra:
                raise NotImplementedError("Layer %s has arguments %s in `__init__` and therefore must override "
                                          "`get_config()`." % (type(self).__name__, extra))
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if hasattr(self, "_batch_input_shape"):
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ---- sublayers and weights -------------------------------------------------------------------------------
    def _direct_sublayers(self):
        """Layers held in attributes (or lists, tuples, dicts of them), in assignment order."""
        found = []
        for key, value in self.__dict__.items():
            if key in _NOT_SUBLAYERS:
                continue
            items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) \
                else [value]
            found.extend(item for item in items if isinstance(item, Layer) and item is not self)
        return found

    def _flatten_layers(self, include_self=True, recursive=True):
        """This layer and its sublayers, depth first, each once."""
        seen, result = set(), []

        def visit(layer, depth):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            if depth > 0 or include_self:
                result.append(layer)
            if depth == 0 or recursive:
                for child in layer._direct_sublayers():
                    visit(child, depth + 1)
        visit(self, 0)
        return result

    @staticmethod
    def _unique(weights):
        seen, result = set(), []
        for w in weights:
            if id(w) not in seen:
                seen.add(id(w))
                result.append(w)
        return result

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        children = [w for layer in self._flatten_layers(include_self=False, recursive=False)
                    for w in layer.trainable_weights]
        return self._unique(self._trainable_weights + children)

    @property
    def non_trainable_weights(self):
        children = self._flatten_layers(include_self=False, recursive=False)
        if self.trainable:
            weights = self._non_trainable_weights + [w for c in children for w in c.non_trainable_weights]
        else:
            weights = self._trainable_weights + self._non_trainable_weights + [w for c in children for w in c.weights]
        return self._unique(weights)

    @property
    def weights(self):
        return self._unique(self.trainable_weights + self.non_trainable_weights)

    trainable_variables = property(lambda self: self.trainable_weights)
    non_trainable_variables = property(lambda self: self.non_trainable_weights)
    variables = property(lambda self: self.weights)

    def _weights_in_creation_order(self):
        """Every weight of this layer and its sublayers, independent of `trainable`: the saving order."""
        return self._unique([w for layer in self._flatten_layers() for w in layer._weight_order])

    def get_weights(self):
        """The weights' values as numpy arrays, in the order of `weights`."""
        return backend.get_values(self.weights)

    def set_weights(self, weights):
        """Assign numpy arrays to `weights`, in order; the count and every shape must match."""
        params = self.weights
        weights = list(weights)
        if len(params) != len(weights):
            raise ValueError("You called `set_weights(weights)` on layer \"%s\" with a weight list of length %d, "
                             "but the layer was expecting %d weights." % (self.name, len(weights), len(params)))
        backend.set_values(zip(params, weights))

    def count_params(self):
        if not self.built:
            raise ValueError("You tried to call `count_params` on layer %s, but the layer isn't built. You can "
                             "build it manually via: `%s.build(batch_input_shape)`." % (self.name, self.name))
        return backend.count_params(self.weights)

    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None,
                   constraint=None, **kwargs):
        """Create a weight Variable (graph or eager, by the mode) owned by this layer."""
        from flowgraph.keras import constraints, initializers, regularizers
        dtype = dtypes.as_dtype(dtype or self.dtype)
        shape = TensorShape(() if shape is None else shape)
        if not shape.is_fully_defined():
            raise ValueError("Weight %s of layer %s must have a fully defined shape, got %s" % (name, self.name, shape))
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating else "zeros"
        initializer = initializers.get(initializer)
        regularizer = regularizers.get(regularizer)
        constraint = constraints.get(constraint)
        trainable = True if trainable is None else bool(trainable)
        variable = backend.make_variable(lambda: initializer(shape.as_list(), dtype=dtype), name or "Variable", dtype,
                                         trainable, owner=self.name)
        variable._keras_constraint = constraint  # optimizers apply it after each update
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        self._weight_order.append(variable)
        if regularizer is not None:
            self._callable_losses.append(lambda: regularizer(variable))
        return variable

    # ---- losses ----------------------------------------------------------------------------------------------
    def add_loss(self, losses):
        """Add loss terms: tensors computed in `call` (kept for that call), or zero-argument callables."""
        for loss in losses if isinstance(losses, (list, tuple)) else [losses]:
            if isinstance(loss, KerasTensor):
                raise TypeError("add_loss on the symbolic output of a functional model is not supported (%r): "
                                "add the loss inside a layer's `call` instead." % (loss,))
            if loss is None:
                continue
            if is_tensor(loss):
                self._call_losses.append(loss)
            elif callable(loss):
                self._callable_losses.append(loss)
            else:
                self._call_losses.append(convert_to_tensor(loss, dtype=dtypes.float32))

    @property
    def losses(self):
        """Losses added in the latest call of this layer and its sublayers, and their weight regularization."""
        collected = []
        for layer in self._flatten_layers():
            collected.extend(layer._call_losses)
            for make_loss in layer._callable_losses:
                loss = make_loss()
                if loss is not None:
                    collected.append(loss)
        return collected

    def _clear_call_losses(self):
        for layer in self._flatten_layers():
            layer._call_losses = []

    # ---- calling ---------------------------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights, knowing the input shape (a TensorShape, or a list of them)."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return inputs

    def compute_output_shape(self, input_shape):
        raise NotImplementedError("Layer %s does not implement compute_output_shape" % type(self).__name__)

    def compute_output_signature(self, input_signature):
        """TensorSpecs structured like the outputs, from the input KerasTensors (or TensorSpecs).

        The default uses `compute_output_shape`; None means unknown, and `call` is then traced.
        """
        shapes = nest.map_structure(lambda t: t.shape, input_signature)
        try:
            output_shapes = self.compute_output_shape(shapes)
        except NotImplementedError:
            return None
        dtype = self._output_dtype(nest.flatten(input_signature)[0].dtype)
        if isinstance(output_shapes, list) and output_shapes and isinstance(output_shapes[0], (TensorShape, tuple)):
            return [TensorSpec(s, dtype) for s in output_shapes]
        return TensorSpec(output_shapes, dtype)

    def _output_dtype(self, input_dtype):
        """Floating inputs are computed in the layer's dtype; others (ids, masks) pass through."""
        return dtypes.as_dtype(self.dtype) if input_dtype.is_floating else input_dtype

    def __call__(self, *args, **kwargs):
        if not args:
            raise TypeError("Layer %s was called without inputs" % self.name)
        inputs, args = args[0], args[1:]
        if any_keras_tensor([inputs, list(args), kwargs]):
            return self._functional_call(inputs, args, kwargs)
        return self._concrete_call(inputs, args, kwargs)

    def _expects(self, name):
        cache = type(self).__dict__.get("_expects_cache")
        if cache is None:
            cache = {}
            type.__setattr__(type(self), "_expects_cache", cache)
        if name not in cache:
            cache[name] = _expects_argument(self.call, name)
        return cache[name]

    def _convert_input(self, value):
        """Numpy and Python inputs become tensors; floating ones take the layer's dtype (Keras's autocast)."""
        if is_tensor(value) or hasattr(value, "_as_tensor"):
            tensor = convert_to_tensor(value)
            if self._autocast and tensor.dtype.is_floating and tensor.dtype.name != self.dtype:
                return math_ops.cast(tensor, self.dtype)
            return tensor
        if value is None or isinstance(value, (bool, str)):
            return value
        array = np.asarray(value)
        if array.dtype.kind == "f":
            return convert_to_tensor(array, dtype=self.dtype)
        return convert_to_tensor(array)

    def _concrete_call(self, inputs, args, kwargs):
        inputs = nest.map_structure(self._convert_input, inputs)
        outermost = not _call_context.training
        training = kwargs.pop("training", None)
        if training is None and not outermost:
            training = _call_context.training[-1]
        if outermost:
            self._clear_call_losses()
        _call_context.training.append(training)
        try:
            with backend.name_scope(self.name):
                if not self.built:
                    self._maybe_build(nest.map_structure(lambda t: t.shape, inputs))
                if self._expects("training"):
                    kwargs["training"] = training
                outputs = self.call(inputs, *args, **kwargs)
                if self.activity_regularizer is not None:
                    self._add_activity_loss(outputs)
        finally:
            _call_context.training.pop()
        return outputs

    def _add_activity_loss(self, outputs):
        for output in nest.flatten(outputs):
            batch = math_ops.cast(array_ops.shape(output)[0], output.dtype)
            self.add_loss(self.activity_regularizer(output) / batch)

    def _maybe_build(self, input_shapes):
        if self.built:
            return
        shapes = input_shapes
        if isinstance(shapes, (list, tuple)) and len(shapes) == 1:
            shapes = shapes[0]
        self.build(shapes)
        self.built = True
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def _functional_call(self, inputs, args, kwargs):
        """Record a Node: build the layer if needed, infer the output signature, return KerasTensors."""
        if not self.built:
            with backend.name_scope(self.name):
                self._maybe_build(nest.map_structure(lambda t: t.shape, inputs))
        signature = self.compute_output_signature(inputs)
        if signature is None:
            signature = self._traced_output_signature(inputs, args, kwargs)
        outputs = nest.map_structure(lambda spec: KerasTensor(spec.shape, spec.dtype), signature)
        node = Node(self, (inputs,) + tuple(args), kwargs, outputs)
        for i, t in enumerate(node.output_tensors):
            t.name = "%s/%d" % (self.name, i) if len(node.output_tensors) > 1 else self.name
        return outputs

    def _traced_output_signature(self, inputs, args, kwargs):
        """Shapes and dtypes of `call` applied to placeholders of the KerasTensors' specs."""
        from flowgraph.keras.engine import tracing
        return tracing.output_signature(self, inputs, args, kwargs)

    # ---- functional-API views ----------------------------------------------------------------------------
    def _single_node(self, what):
        if not self._inbound_nodes:
            raise AttributeError("Layer %s is not connected, no %s to return." % (self.name, what))
        if len(self._inbound_nodes) > 1:
            raise AttributeError("Layer %s has multiple inbound nodes, hence the notion of \"layer %s\" is "
                                 "ill-defined." % (self.name, what))
        return self._inbound_nodes[0]

    @property
    def input(self):
        node = self._single_node("input")
        return nest.unpack_singleton(node.input_tensors) if node.input_tensors else node.outputs

    @property
    def output(self):
        return self._single_node("output").outputs

    @property
    def input_shape(self):
        return nest.map_structure(_shape_tuple, self.input)

    @property
    def output_shape(self):
        return nest.map_structure(_shape_tuple, self.output)

    def __repr__(self):
        return "<%s name=%s, built=%s>" % (type(self).__name__, self.name, self.built)


def _shape_tuple(t):
    return tuple(t.shape.as_list()) if t.shape.rank is not None else None

