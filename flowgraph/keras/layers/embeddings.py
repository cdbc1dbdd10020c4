"""Embedding: integer ids -> rows of a trainable (input_dim, output_dim) table."""
from flowgraph import nn
from flowgraph.framework import dtypes
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import math_ops
from flowgraph.keras import regularizers
from flowgraph.keras.engine.base_layer import Layer
from flowgraph.keras.layers.weight_options import add_configured_weight, set_weight_options, weight_options_config


class Embedding(Layer):
    """Looks up `embeddings[ids]`; the output has the ids' shape plus `output_dim`."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 activity_regularizer=None, embeddings_constraint=None, mask_zero=False, input_length=None,
                 **kwargs):
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if input_dim <= 0 or output_dim <= 0:
            raise ValueError("Both `input_dim` and `output_dim` should be positive, Received input_dim = %s and "
                             "output_dim = %s" % (input_dim, output_dim))
        if mask_zero:
            raise ValueError("mask_zero=True is not supported: flowgraph's Keras layers do not propagate masks")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        set_weight_options(self, "embeddings", embeddings_initializer, embeddings_regularizer, embeddings_constraint)
        self.input_length = input_length

    def build(self, input_shape):
        self.embeddings = add_configured_weight(self, "embeddings", [self.input_dim, self.output_dim])
        self.built = True

    def _convert_input(self, value):
        tensor = super()._convert_input(value)
        if tensor.dtype not in (dtypes.int32, dtypes.int64):
            tensor = math_ops.cast(tensor, dtypes.int32)
        return tensor

    def call(self, inputs):
        if inputs.dtype not in (dtypes.int32, dtypes.int64):
            inputs = math_ops.cast(inputs, dtypes.int32)
        return nn.embedding_lookup(self.embeddings, inputs)

    def compute_output_shape(self, input_shape):
        return TensorShape(input_shape).concatenate([self.output_dim])

    def _output_dtype(self, input_dtype):
        return dtypes.as_dtype(self.dtype)

    def get_config(self):
        return dict(super().get_config(), input_dim=self.input_dim, output_dim=self.output_dim,
                    activity_regularizer=regularizers.serialize(self.activity_regularizer), mask_zero=False,
                    input_length=self.input_length, **weight_options_config(self, "embeddings"))
