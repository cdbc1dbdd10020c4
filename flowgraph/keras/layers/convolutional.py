"""Conv2D: 2-D convolution over (batch, rows, cols, channels) images (channels_first is transposed)."""
from flowgraph import nn
from flowgraph.framework.shapes import TensorShape
from flowgraph.keras import activations, regularizers
from flowgraph.keras.engine.base_layer import Layer
from flowgraph.keras.layers import conv_utils
from flowgraph.keras.layers.weight_options import add_configured_weight, set_weight_options, weight_options_config


class Conv2D(Layer):
    """activation(conv2d(inputs, kernel) + bias), kernel of shape kernel_size + (in_channels, filters)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if groups != 1:
            raise ValueError("Grouped convolutions (groups=%s) are not supported" % groups)
        self.filters = int(filters)
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, 2, "kernel_size")
        self.strides = conv_utils.normalize_tuple(strides, 2, "strides")
        self.padding = conv_utils.normalize_padding(padding)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.dilation_rate = conv_utils.normalize_tuple(dilation_rate, 2, "dilation_rate")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        set_weight_options(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_options(self, "bias", bias_initializer, bias_regularizer, bias_constraint)

    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        if input_shape.rank != 4:
            raise ValueError("Input 0 of layer \"%s\" is incompatible with the layer: expected min_ndim=4, found "
                             "ndim=%s. Full shape received: %s" % (self.name, input_shape.rank, input_shape))
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. The input_shape received is "
                             "%s, where axis %d (0-based) is the channel dimension, which found to be `None`."
                             % (input_shape, self._channel_axis() % 4))
        self.kernel = add_configured_weight(self, "kernel", list(self.kernel_size) + [channels, self.filters])
        self.bias = add_configured_weight(self, "bias", [self.filters]) if self.use_bias else None
        self.built = True

    def call(self, inputs):
        x = conv_utils.to_channels_last(inputs, self.data_format)
        outputs = nn.conv2d(x, self.kernel, strides=[1, self.strides[0], self.strides[1], 1],
                            padding=self.padding.upper(),
                            dilations=[1, self.dilation_rate[0], self.dilation_rate[1], 1])
        if self.use_bias:
            outputs = nn.bias_add(outputs, self.bias)
        return conv_utils.from_channels_last(self.activation(outputs), self.data_format)

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        rows, cols = (shape[2], shape[3]) if self.data_format == "channels_first" else (shape[1], shape[2])
        rows = conv_utils.conv_output_length(rows, self.kernel_size[0], self.padding, self.strides[0],
                                             self.dilation_rate[0])
        cols = conv_utils.conv_output_length(cols, self.kernel_size[1], self.padding, self.strides[1],
                                             self.dilation_rate[1])
        if self.data_format == "channels_first":
            return TensorShape([shape[0], self.filters, rows, cols])
        return TensorShape([shape[0], rows, cols, self.filters])

    def get_config(self):
        return dict(super().get_config(), filters=self.filters, kernel_size=list(self.kernel_size),
                    strides=list(self.strides), padding=self.padding, data_format=self.data_format,
                    dilation_rate=list(self.dilation_rate), groups=1,
                    activation=activations.serialize(self.activation), use_bias=self.use_bias,
                    activity_regularizer=regularizers.serialize(self.activity_regularizer),
                    **weight_options_config(self, "kernel", "bias"))


Convolution2D = Conv2D
