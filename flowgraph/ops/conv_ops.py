"""Convolution and pooling ops (NHWC), with their gradients as ops of their own so that backends reuse them
and second order works: Conv2DBackpropInput/Filter, MaxPoolGrad (and its gradient MaxPoolGradGrad), AvgPoolGrad.

SAME padding is TF's: the total padding max((out - 1) * stride + effective_kernel - size, 0) is split with the
smaller half before, so an odd total pads one more row (column) after.
"""
from flowgraph.framework.graph import name_scope
from flowgraph.framework.op_registry import OpDef, apply_op, constant_value_as_shape, convert_to_tensor
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import array_ops
from flowgraph.ops.nn_ops import FLOATS, REALS

__all__ = ["conv1d", "conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "conv2d_transpose", "max_pool",
           "avg_pool", "max_pool2d", "avg_pool2d"]

PADDINGS = ("SAME", "VALID")


# ---- static shapes -----------------------------------------------------------------------------------------

def rank4(shape):
    if shape.rank is not None and shape.rank != 4:
        raise ValueError("Shape must be rank 4 but is rank %d" % shape.rank)
    return shape.with_rank(4)


def output_size(size, kernel, stride, dilation, padding):
    """One spatial output size, or None when the input size is unknown."""
    if size is None or kernel is None:
        return None
    effective = (kernel - 1) * dilation + 1
    if padding == "SAME":
        return -(-size // stride)
    if size < effective:
        raise ValueError("Negative dimension size caused by subtracting %d from %d" % (effective, size))
    return (size - effective) // stride + 1


def _check_unit_batch_and_depth(values, what):
    if values[0] != 1 or values[3] != 1:
        raise ValueError("Current implementation does not yet support %s in the batch and depth dimensions."
                         % what)


def windowed_shape(input_shape, kernel_hw, channels, strides, dilations, padding):
    """[N, out_h, out_w, channels] of a convolution or pool over an NHWC input."""
    _check_unit_batch_and_depth(strides, "strides")
    _check_unit_batch_and_depth(dilations, "dilations")
    return TensorShape([input_shape[0],
                        output_size(input_shape[1], kernel_hw[0], strides[1], dilations[1], padding),
                        output_size(input_shape[2], kernel_hw[1], strides[2], dilations[2], padding),
                        channels])


def _check_depth(input_depth, filter_depth):
    if input_depth is not None and filter_depth is not None and input_depth != filter_depth:
        raise ValueError("Dimensions must be equal, but are %d and %d" % (input_depth, filter_depth))


def _conv2d_shape(op):
    x, f = rank4(op.inputs[0].shape), rank4(op.inputs[1].shape)
    _check_depth(x[3], f[2])
    return windowed_shape(x, f[:2].as_list(), f[3], op.get_attr("strides"), op.get_attr("dilations"),
                          op.get_attr("padding"))


def _check_out_backprop(op, input_shape, filter_shape, out_backprop_shape):
    """The out_backprop must have the shape the forward convolution would have produced."""
    _check_depth(input_shape[3], filter_shape[2])
    expected = windowed_shape(input_shape, filter_shape[:2].as_list(), filter_shape[3], op.get_attr("strides"),
                              op.get_attr("dilations"), op.get_attr("padding"))
    if not expected.is_compatible_with(out_backprop_shape):
        raise ValueError("Conv2D backprop: out_backprop has shape %s, but the convolution of an input of shape %s "
                         "with a filter of shape %s gives %s" % (out_backprop_shape.as_proto_list(),
                                                                 input_shape.as_proto_list(),
                                                                 filter_shape.as_proto_list(),
                                                                 expected.as_proto_list()))


def _backprop_input_shape(op):
    x = rank4(constant_value_as_shape(op.inputs[0]))
    f, dy = rank4(op.inputs[1].shape), rank4(op.inputs[2].shape)
    _check_out_backprop(op, x, f, dy)
    return x


def _backprop_filter_shape(op):
    f = rank4(constant_value_as_shape(op.inputs[1]))
    x, dy = rank4(op.inputs[0].shape), rank4(op.inputs[2].shape)
    _check_out_backprop(op, x, f, dy)
    return f


# ---- convolution -------------------------------------------------------------------------------------------

CONV_ATTRS = {"strides": None, "padding": None, "dilations": [1, 1, 1, 1], "data_format": "NHWC",
              "use_cudnn_on_gpu": True}


def conv_attrs_of(op):
    """The attrs of a convolution op, for the gradient ops that repeat them."""
    return {name: op.get_attr(name) for name in CONV_ATTRS}


def _conv2d_grad(op, dy):
    x, f = op.inputs
    return [apply_op("Conv2DBackpropInput", (array_ops.shape(x), f, dy), conv_attrs_of(op)),
            apply_op("Conv2DBackpropFilter", (x, array_ops.shape(f), dy), conv_attrs_of(op))]


def _backprop_input_grad(op, ddx):
    """Conv2DBackpropInput is linear in the filter and in out_backprop, the adjoint of Conv2D in each."""
    sizes, f, dy = op.inputs
    return [None, apply_op("Conv2DBackpropFilter", (ddx, array_ops.shape(f), dy), conv_attrs_of(op)),
            apply_op("Conv2D", (ddx, f), conv_attrs_of(op))]


def _backprop_filter_grad(op, ddf):
    x, sizes, dy = op.inputs
    return [apply_op("Conv2DBackpropInput", (array_ops.shape(x), ddf, dy), conv_attrs_of(op)), None,
            apply_op("Conv2D", (x, ddf), conv_attrs_of(op))]


OpDef("Conv2D", inputs=("input", "filter"), attrs=CONV_ATTRS, shape=_conv2d_shape, same_dtype=("input", "filter"),
      allowed=FLOATS, grad=_conv2d_grad)
OpDef("Conv2DBackpropInput", inputs=("input_sizes", "filter", "out_backprop"), attrs=CONV_ATTRS,
      shape=_backprop_input_shape, dtype=lambda op: op.inputs[1].dtype, same_dtype=("filter", "out_backprop"),
      allowed=FLOATS, host_inputs=(0,), grad=_backprop_input_grad)
OpDef("Conv2DBackpropFilter", inputs=("input", "filter_sizes", "out_backprop"), attrs=CONV_ATTRS,
      shape=_backprop_filter_shape, same_dtype=("input", "out_backprop"), allowed=FLOATS, host_inputs=(1,),
      grad=_backprop_filter_grad)


def spatial_sequence(value, name, data_format="NHWC"):
    """TF's rule for strides, ksize and dilations: an int, or 1, 2 or 4 ints; batch and channels get 1."""
    if data_format != "NHWC":
        raise ValueError("Only the NHWC data format is implemented, got data_format=%r" % (data_format,))
    if value is None:
        raise ValueError("%s must be given" % name)
    values = [int(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
    if len(values) == 1:
        return [1, values[0], values[0], 1]
    if len(values) == 2:
        return [1, values[0], values[1], 1]
    if len(values) == 4:
        return values
    raise ValueError("%s should be of length 1, 2 or 4 but was %d" % (name, len(values)))


def _padding(padding):
    if padding not in PADDINGS:
        raise ValueError("padding must be one of %s, got %r" % (" or ".join(PADDINGS), padding))
    return padding


def _conv_attrs(strides, padding, dilations, data_format):
    return {"strides": spatial_sequence(strides, "strides", data_format), "padding": _padding(padding),
            "dilations": spatial_sequence(dilations if dilations is not None else 1, "dilations", data_format),
            "data_format": data_format}


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True, data_format="NHWC",  # noqa: A002
           dilations=(1, 1, 1, 1), name=None, filters=None):
    """2-D convolution (cross-correlation, as TF) of an NHWC input with an HWIO filter.

    `strides` and `dilations` are ints or 1, 2 or 4 ints; `padding` is "SAME" (output size ceil(in / stride))
    or "VALID" (only windows inside the input).
    """
    x = convert_to_tensor(input, name="input")
    f = convert_to_tensor(filters if filter is None else filter, dtype=x.dtype, name="filter")
    return apply_op("Conv2D", (x, f), _conv_attrs(strides, padding, dilations, data_format), name=name or "Conv2D")


def _width_sequence(value, name):
    """conv1d's stride or dilation: an int, or 1 or 3 ints (batch and channels 1), as the width of a conv2d."""
    values = [int(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
    if len(values) == 3:
        values = values[1:2]
    if len(values) != 1:
        raise ValueError("%s should be of length 1 or 3 but was %d" % (name, len(values)))
    return [1, 1, values[0], 1]


def conv1d(value=None, filters=None, stride=None, padding=None, use_cudnn_on_gpu=None, data_format=None,
           name=None, input=None, dilations=None):  # noqa: A002
    """1-D convolution of an NWC input with a [width, in_channels, out_channels] filter (a conv2d over a
    height of 1, as TF computes it)."""
    if data_format not in (None, "NWC"):
        raise ValueError("Only the NWC data format is implemented, got data_format=%r" % (data_format,))
    if stride is None:
        raise ValueError("stride must be given")
    with name_scope(name, "conv1d", [value, filters]) as scope:
        value = convert_to_tensor(input if value is None else value, name="input")
        filters = convert_to_tensor(filters, dtype=value.dtype, name="filters")
        rows = array_ops.expand_dims(value, 1)
        kernel = array_ops.expand_dims(filters, 0)
        result = conv2d(rows, kernel, _width_sequence(stride, "stride"), padding,
                        dilations=_width_sequence(1 if dilations is None else dilations, "dilations"))
        return array_ops.squeeze(result, [1], name=scope)


def conv2d_backprop_input(input_sizes, filter=None, out_backprop=None, strides=None, padding=None,  # noqa: A002
                          use_cudnn_on_gpu=True, data_format="NHWC", dilations=(1, 1, 1, 1), name=None,
                          filters=None):
    """The gradient of conv2d with respect to its input, an input of shape `input_sizes`."""
    f = convert_to_tensor(filters if filter is None else filter, name="filter")
    dy = convert_to_tensor(out_backprop, dtype=f.dtype, name="out_backprop")
    return apply_op("Conv2DBackpropInput", (array_ops.shape_tensor(input_sizes, name="input_sizes"), f, dy),
                    _conv_attrs(strides, padding, dilations, data_format), name=name or "Conv2DBackpropInput")


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding, use_cudnn_on_gpu=True,  # noqa: A002
                           data_format="NHWC", dilations=(1, 1, 1, 1), name=None):
    """The gradient of conv2d with respect to its filter, a filter of shape `filter_sizes`."""
    x = convert_to_tensor(input, name="input")
    dy = convert_to_tensor(out_backprop, dtype=x.dtype, name="out_backprop")
    return apply_op("Conv2DBackpropFilter", (x, array_ops.shape_tensor(filter_sizes, name="filter_sizes"), dy),
                    _conv_attrs(strides, padding, dilations, data_format), name=name or "Conv2DBackpropFilter")


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None, padding="SAME",  # noqa: A002
                     data_format="NHWC", name=None, input=None, filters=None, dilations=None):  # noqa: A002
    """The transpose of conv2d (its gradient with respect to the input): upsamples `value` to `output_shape`.

    The filter is [height, width, output_channels, input_channels], the layout conv2d's filter has for the
    convolution being transposed.
    """
    with name_scope(name, "conv2d_transpose", [value, filter, output_shape]) as scope:
        value = convert_to_tensor(input if value is None else value, name="value")
        f = convert_to_tensor(filters if filter is None else filter, dtype=value.dtype, name="filter")
        sizes = array_ops.shape_tensor(output_shape, name="output_shape")
        out_channels = constant_value_as_shape(sizes)
        if out_channels.rank == 4 and out_channels[3] is not None and f.shape.rank == 4 \
                and f.shape[2] is not None and out_channels[3] != f.shape[2]:
            raise ValueError("output_shape does not match filter's output channels, %d != %d"
                             % (out_channels[3], f.shape[2]))
        if value.shape.rank == 4 and f.shape.rank == 4 and value.shape[3] is not None \
                and f.shape[3] is not None and value.shape[3] != f.shape[3]:
            raise ValueError("input channels does not match filter's input channels, %d != %d"
                             % (value.shape[3], f.shape[3]))
        return apply_op("Conv2DBackpropInput", (sizes, f, value), _conv_attrs(strides, padding, dilations,
                                                                              data_format), name=scope)


# ---- pooling -----------------------------------------------------------------------------------------------

POOL_ATTRS = {"ksize": None, "strides": None, "padding": None, "data_format": "NHWC"}


def _pool_shape(op):
    x = rank4(op.inputs[0].shape)
    ksize = op.get_attr("ksize")
    _check_unit_batch_and_depth(ksize, "pooling")
    return windowed_shape(x, ksize[1:3], x[3], op.get_attr("strides"), [1, 1, 1, 1], op.get_attr("padding"))


def pool_attrs_of(op):
    return {name: op.get_attr(name) for name in POOL_ATTRS}


def _max_pool_grad_shape(op):
    """MaxPoolGrad gives the pooled input's shape; MaxPoolGradGrad the pooled output's."""
    return rank4(op.inputs[0].shape)


def _max_pool_grad_grad_shape(op):
    return rank4(op.inputs[1].shape)


def _avg_pool_grad_shape(op):
    return rank4(constant_value_as_shape(op.inputs[0]))


def _zeros_for_pool_inputs(op):
    return [array_ops.zeros_like(op.inputs[0]), array_ops.zeros_like(op.inputs[1])]


OpDef("MaxPool", inputs=("input",), attrs=POOL_ATTRS, shape=_pool_shape, allowed=REALS,
      grad=lambda op, dy: [apply_op("MaxPoolGrad", (op.inputs[0], op.outputs[0], dy), pool_attrs_of(op))])
# The gradient goes to the first maximum of each window (row-major order), as TF's CPU kernel.
OpDef("MaxPoolGrad", inputs=("orig_input", "orig_output", "grad"), attrs=POOL_ATTRS, shape=_max_pool_grad_shape,
      same_dtype=("orig_input", "orig_output", "grad"), allowed=REALS,
      grad=lambda op, ddx: _zeros_for_pool_inputs(op) + [
          apply_op("MaxPoolGradGrad", (op.inputs[0], op.inputs[1], ddx), pool_attrs_of(op))])
# Picks, for each window, the gradient at its maximum: the adjoint of MaxPoolGrad in `grad`.
OpDef("MaxPoolGradGrad", inputs=("orig_input", "orig_output", "grad"), attrs=POOL_ATTRS,
      shape=_max_pool_grad_grad_shape, same_dtype=("orig_input", "orig_output", "grad"), allowed=REALS,
      grad=lambda op, ddy: _zeros_for_pool_inputs(op) + [
          apply_op("MaxPoolGrad", (op.inputs[0], op.inputs[1], ddy), pool_attrs_of(op))])
OpDef("AvgPool", inputs=("value",), attrs=POOL_ATTRS, shape=_pool_shape, allowed=FLOATS,
      grad=lambda op, dy: [apply_op("AvgPoolGrad", (array_ops.shape(op.inputs[0]), dy), pool_attrs_of(op))])
OpDef("AvgPoolGrad", inputs=("orig_input_shape", "grad"), attrs=POOL_ATTRS, shape=_avg_pool_grad_shape,
      dtype=lambda op: op.inputs[1].dtype, host_inputs=(0,),
      grad=lambda op, ddx: [None, apply_op("AvgPool", (ddx,), pool_attrs_of(op))])


def _pool_attrs(ksize, strides, padding, data_format):
    return {"ksize": spatial_sequence(ksize, "ksize", data_format),
            "strides": spatial_sequence(strides, "strides", data_format), "padding": _padding(padding),
            "data_format": data_format}


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):  # noqa: A002
    """The maximum of each ksize window of an NHWC input; SAME windows ignore the padding."""
    value = convert_to_tensor(input if value is None else value, name="input")
    return apply_op("MaxPool", (value,), _pool_attrs(ksize, strides, padding, data_format), name=name or "MaxPool")


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):  # noqa: A002
    """The mean of each ksize window of an NHWC input; with SAME padding only the input's own elements count."""
    value = convert_to_tensor(input if value is None else value, name="input")
    return apply_op("AvgPool", (value,), _pool_attrs(ksize, strides, padding, data_format), name=name or "AvgPool")


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """max_pool under its TF 1.14+ name."""
    return max_pool(input, ksize, strides, padding, data_format=data_format, name=name)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """avg_pool under its TF 1.14+ name."""
    return avg_pool(input, ksize, strides, padding, data_format=data_format, name=name)
