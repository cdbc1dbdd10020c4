"""BatchNormalization: normalize with the batch's statistics while training (updating moving averages of
them), with the moving averages at inference. A frozen layer (`trainable=False`) always uses inference mode,
as in Keras 2, so fine-tuning does not disturb its statistics."""
from flowgraph import nn
from flowgraph.framework.graph import GraphKeys, add_to_collection
from flowgraph.framework.shapes import TensorShape
from flowgraph.framework import context
from flowgraph.ops import array_ops
from flowgraph.keras import initializers
from flowgraph.keras.engine.base_layer import Layer
from flowgraph.keras.layers.weight_options import add_configured_weight, set_weight_options, weight_options_config


class BatchNormalization(Layer):
    """gamma * (x - mean) / sqrt(variance + epsilon) + beta along the features `axis`."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        set_weight_options(self, "beta", beta_initializer, beta_regularizer, beta_constraint)
        set_weight_options(self, "gamma", gamma_initializer, gamma_regularizer, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        if input_shape.rank is None:
            raise ValueError("Input of layer %s has undefined rank" % self.name)
        self._rank = input_shape.rank
        axis = self.axis % self._rank
        size = input_shape[axis]
        if size is None:
            raise ValueError("Axis %s of input tensor should have a defined dimension but the layer received an "
                             "input with shape %s." % (self.axis, input_shape))
        self._axis = axis
        shape = [size]
        self.gamma = add_configured_weight(self, "gamma", shape) if self.scale else None
        self.beta = add_configured_weight(self, "beta", shape) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", shape, initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               initializer=self.moving_variance_initializer, trainable=False)
        self.built = True

    def _broadcast(self, param):
        """A per-feature vector shaped to broadcast against the input (features on `axis`)."""
        if param is None or self._axis == self._rank - 1:
            return param
        shape = [1] * self._rank
        shape[self._axis] = -1
        return array_ops.reshape(param, shape)

    def call(self, inputs, training=None):
        if not self.trainable:
            training = False
        gamma, beta = self._broadcast(self.gamma), self._broadcast(self.beta)
        if not training:
            return nn.batch_normalization(inputs, self._broadcast(self.moving_mean),
                                          self._broadcast(self.moving_variance), beta, gamma, self.epsilon)
        axes = [i for i in range(self._rank) if i != self._axis]
        mean, variance = nn.moments(inputs, axes)
        outputs = nn.batch_normalization(inputs, self._broadcast(mean), self._broadcast(variance), beta, gamma,
                                         self.epsilon)
        decay = 1.0 - self.momentum
        for moving, value in ((self.moving_mean, mean), (self.moving_variance, variance)):
            update = moving.assign_sub((moving - value) * decay)
            if not context.executing_eagerly():
                add_to_collection(GraphKeys.UPDATE_OPS, update.op)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(super().get_config(), axis=self.axis, momentum=self.momentum, epsilon=self.epsilon,
                    center=self.center, scale=self.scale,
                    moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
                    moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
                    **weight_options_config(self, "beta", "gamma"))
