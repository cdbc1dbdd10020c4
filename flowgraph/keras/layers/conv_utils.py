"""Shared arithmetic of convolution and pooling layers: argument normalization and output lengths."""
from flowgraph.ops import array_ops


def normalize_tuple(value, n, name):
    """An int or an n-sequence of ints as an n-tuple; ValueError naming the argument otherwise."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) != n or not all(isinstance(v, int) for v in value):
        raise ValueError("The `%s` argument must be a tuple of %d integers. Received: %s" % (name, n, value))
    return value


def normalize_padding(value):
    padding = value.lower()
    if padding not in ("valid", "same"):
        raise ValueError("The `padding` argument must be one of 'valid', 'same'. Received: %s" % value)
    return padding


def normalize_data_format(value):
    data_format = (value or "channels_last").lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of 'channels_first', 'channels_last'. "
                         "Received: %s" % value)
    return data_format


def conv_output_length(length, filter_size, padding, stride, dilation=1):
    """Output length of a convolution or pooling window sliding along `length` (None stays None)."""
    if length is None:
        return None
    dilated = filter_size + (filter_size - 1) * (dilation - 1)
    out = length if padding == "same" else length - dilated + 1
    return (out + stride - 1) // stride


def to_channels_last(x, data_format):
    return array_ops.transpose(x, [0, 2, 3, 1]) if data_format == "channels_first" else x


def from_channels_last(x, data_format):
    return array_ops.transpose(x, [0, 3, 1, 2]) if data_format == "channels_first" else x
