"""2-D pooling layers: MaxPooling2D, AveragePooling2D (windows) and GlobalAveragePooling2D."""
from flowgraph import nn
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import math_ops
from flowgraph.keras.engine.base_layer import Layer
from flowgraph.keras.layers import conv_utils


class _Pooling2D(Layer):
    """A window of `pool_size` moved by `strides` (default: the window size) over rows and columns."""

    _pool = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = conv_utils.normalize_tuple(pool_size, 2, "pool_size")
        self.strides = conv_utils.normalize_tuple(self.pool_size if strides is None else strides, 2, "strides")
        self.padding = conv_utils.normalize_padding(padding)
        self.data_format = conv_utils.normalize_data_format(data_format)

    def call(self, inputs):
        x = conv_utils.to_channels_last(inputs, self.data_format)
        pool = getattr(nn, self._pool)
        outputs = pool(x, ksize=[1, self.pool_size[0], self.pool_size[1], 1],
                       strides=[1, self.strides[0], self.strides[1], 1], padding=self.padding.upper())
        return conv_utils.from_channels_last(outputs, self.data_format)

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        if len(shape) != 4:
            raise ValueError("Input 0 of layer \"%s\" is incompatible with the layer: expected ndim=4, found "
                             "ndim=%d. Full shape received: %s" % (self.name, len(shape), shape))
        first = self.data_format == "channels_first"
        rows, cols = (shape[2], shape[3]) if first else (shape[1], shape[2])
        rows = conv_utils.conv_output_length(rows, self.pool_size[0], self.padding, self.strides[0])
        cols = conv_utils.conv_output_length(cols, self.pool_size[1], self.padding, self.strides[1])
        if first:
            return TensorShape([shape[0], shape[1], rows, cols])
        return TensorShape([shape[0], rows, cols, shape[3]])

    def get_config(self):
        return dict(super().get_config(), pool_size=list(self.pool_size), strides=list(self.strides),
                    padding=self.padding, data_format=self.data_format)


class MaxPooling2D(_Pooling2D):
    """The maximum of each window."""

    _pool = "max_pool"


class AveragePooling2D(_Pooling2D):
    """The mean of each window (with 'same' padding, of its in-bounds part)."""

    _pool = "avg_pool"


class GlobalAveragePooling2D(Layer):
    """The mean over rows and columns: (batch, rows, cols, channels) -> (batch, channels)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.keepdims = keepdims

    def _axes(self):
        return [2, 3] if self.data_format == "channels_first" else [1, 2]

    def call(self, inputs):
        return math_ops.reduce_mean(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        if self.keepdims:
            return TensorShape([1 if i in self._axes() else d for i, d in enumerate(shape)])
        return TensorShape([d for i, d in enumerate(shape) if i not in self._axes()])

    def get_config(self):
        return dict(super().get_config(), data_format=self.data_format, keepdims=self.keepdims)


MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
