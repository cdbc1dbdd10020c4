"""Core layers: Dense, Activation, ReLU, Softmax, Flatten, Reshape, Dropout, Lambda."""
import inspect

import numpy as np

from flowgraph import nn
from flowgraph.framework.graph import Tensor
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import array_ops, math_ops
from flowgraph.keras import activations, regularizers
from flowgraph.keras.engine.base_layer import Layer
from flowgraph.keras.layers.weight_options import add_configured_weight, set_weight_options, weight_options_config
from flowgraph.keras.utils import serialization


class Dense(Layer):
    """activation(inputs @ kernel + bias); inputs of rank > 2 are contracted on their last axis."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        if self.units <= 0:
            raise ValueError("Received an invalid value for `units`, expected a positive integer. Received: "
                             "units=%s" % units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        set_weight_options(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_options(self, "bias", bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        last = input_shape[-1] if input_shape.rank else None
        if last is None:
            raise ValueError("The last dimension of the inputs to a Dense layer should be defined. Found None. Full "
                             "input shape received: %s" % input_shape)
        self.kernel = add_configured_weight(self, "kernel", [last, self.units])
        self.bias = add_configured_weight(self, "bias", [self.units]) if self.use_bias else None
        self.built = True

    def call(self, inputs):
        rank = inputs.shape.rank
        if rank is None or rank <= 2:
            outputs = math_ops.matmul(inputs, self.kernel)
        else:
            outputs = math_ops.tensordot(inputs, self.kernel, [[rank - 1], [0]])
            if isinstance(outputs, Tensor):  # tensordot's reshapes lose the static batch dims
                outputs.set_shape(inputs.shape[:-1].concatenate([self.units]))
        if self.use_bias:
            outputs = nn.bias_add(outputs, self.bias)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape)
        if input_shape.rank is None or input_shape[-1] is None:
            raise ValueError("The last dimension of the inputs to a Dense layer should be defined. Found None. Full "
                             "input shape received: %s" % input_shape)
        return input_shape[:-1].concatenate([self.units])

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "activation": activations.serialize(self.activation),
                       "use_bias": self.use_bias,
                       "activity_regularizer": regularizers.serialize(self.activity_regularizer)})
        config.update(weight_options_config(self, "kernel", "bias"))
        return config


class Activation(Layer):
    """Applies an activation function (a name such as 'relu', or a function)."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(super().get_config(), activation=activations.serialize(self.activation))


class ReLU(Layer):
    """max(x, 0) with optional ceiling `max_value`, slope `negative_slope` below `threshold`."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError("max_value of a ReLU layer cannot be a negative value. Received: %s" % max_value)
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError("negative_slope of a ReLU layer cannot be a negative value. Received: %s"
                             % negative_slope)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs):
        return activations.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(super().get_config(), max_value=self.max_value, negative_slope=self.negative_slope,
                    threshold=self.threshold)


class Softmax(Layer):
    """Softmax along `axis` (the last by default)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return nn.softmax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(super().get_config(), axis=self.axis)


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...); a rank-1 input becomes (batch, 1)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.shape.rank is not None and inputs.shape.rank > 2:
            rank = inputs.shape.rank
            inputs = array_ops.transpose(inputs, [0] + list(range(2, rank)) + [1])
        rest = inputs.shape[1:]
        if rest.rank is not None and rest.is_fully_defined():
            return array_ops.reshape(inputs, [-1, int(np.prod(rest.as_list()))])
        return array_ops.reshape(inputs, array_ops.stack([array_ops.shape(inputs)[0], -1]))

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape)
        if input_shape.rank is None:
            return TensorShape([None, None])
        rest = input_shape[1:]
        return TensorShape([input_shape[0], rest.num_elements() if rest.rank else 1])

    def get_config(self):
        return dict(super().get_config(), data_format=self.data_format)


class Reshape(Layer):
    """Reshape each sample to `target_shape` (batch dimension kept; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def _resolved_target(self, input_shape):
        """`target_shape` with a -1 filled in when the sample size is known; ValueError if sizes disagree."""
        target = list(self.target_shape)
        sample = TensorShape(input_shape)[1:]
        total = sample.num_elements() if sample.rank is not None else None
        known = int(np.prod([d for d in target if d != -1]))
        if target.count(-1) > 1:
            raise ValueError("There must be at most one unknown dimension in output_shape. Received: "
                             "output_shape=%s." % (self.target_shape,))
        if total is None:
            return [None if d == -1 else d for d in target]
        if -1 in target:
            if known == 0 or total % known:
                raise ValueError("total size of new array must be unchanged, input_shape = %s, output_shape = %s"
                                 % (sample.as_list(), list(self.target_shape)))
            target[target.index(-1)] = total // known
        elif known != total:
            raise ValueError("total size of new array must be unchanged, input_shape = %s, output_shape = %s"
                             % (sample.as_list(), list(self.target_shape)))
        return target

    def call(self, inputs):
        target = self._resolved_target(inputs.shape)
        if None not in target:
            return array_ops.reshape(inputs, [-1] + target)
        return array_ops.reshape(inputs, array_ops.stack([array_ops.shape(inputs)[0]] + list(self.target_shape)))

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape)
        return TensorShape([input_shape[0] if input_shape.rank else None] + self._resolved_target(input_shape))

    def get_config(self):
        return dict(super().get_config(), target_shape=list(self.target_shape))


class Dropout(Layer):
    """While training, zero a fraction `rate` of the inputs and scale the rest by 1 / (1 - rate)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError("Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                             "Received: rate=%s" % rate)
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return array_ops.identity(inputs)
        return nn.dropout(inputs, rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(super().get_config(), rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)


class Lambda(Layer):
    """Wraps a function of tensors as a layer. Saving stores the function by name only (never its code), so
    reloading needs it in `custom_objects` (or registered)."""

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self._accepts_training = "training" in inspect.signature(function).parameters if callable(function) else False

    def call(self, inputs, training=None):
        kwargs = dict(self.arguments)
        if self._accepts_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            raise NotImplementedError("Lambda infers its output shape by tracing")
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = input_shape[0] if isinstance(input_shape, TensorShape) and input_shape.rank else None
        return TensorShape([batch] + list(self._output_shape))

    def get_config(self):
        name = getattr(self.function, "__name__", None)
        if name is None or name == "<lambda>":
            raise ValueError("Lambda layer %s wraps an anonymous function, which cannot be saved without pickling "
                             "code: define it with `def` and pass it in `custom_objects` when loading." % self.name)
        output_shape = self._output_shape
        if callable(output_shape):
            output_shape = serialization.get_registered_name(output_shape)
        return dict(super().get_config(), function=serialization.get_registered_name(self.function),
                    output_shape=output_shape, arguments=self.arguments)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["function"] = serialization.deserialize_keras_object(config["function"], {}, custom_objects,
                                                                    "function")
        if isinstance(config.get("output_shape"), str):
            config["output_shape"] = serialization.deserialize_keras_object(config["output_shape"], {},
                                                                            custom_objects, "function")
        return cls(**config)
