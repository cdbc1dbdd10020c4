"""tf.layers: TF1's functional layers. Each call opens a variable scope named as TF names it (`dense`,
`dense_1`, ... or `name`), creates its variables there with get_variable (so `reuse` shares them), and builds
its ops in the matching name scope (`dense/MatMul`, `dense/BiasAdd`, `dense/Relu`).

`training` (dropout, batch_normalization) may be a Python bool or a scalar bool tensor; a tensor selects
between the training and inference computations when the graph runs.
"""
import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.graph import GraphKeys, add_to_collection, name_scope
from flowgraph.framework.op_registry import constant_value, convert_to_tensor
from flowgraph.initializers import ones_initializer, zeros_initializer
from flowgraph.ops import array_ops, control_flow_ops, conv_ops, math_ops, nn_impl, nn_ops, state_ops
from flowgraph.variable_scope import get_variable, variable_scope

__all__ = ["dense", "conv2d", "max_pooling2d", "average_pooling2d", "flatten", "dropout", "batch_normalization"]

_DATA_FORMATS = {"channels_last": "NHWC", "channels_first": "NCHW"}


def _pair(value, what):
    """An int or a pair of ints as a pair (kernel sizes, strides, pool sizes)."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in pair):
        raise ValueError("The `%s` argument must be an int or a tuple of 2 positive integers. Received: %r"
                         % (what, value))
    return tuple(int(v) for v in pair)


def _padding(padding):
    if str(padding).lower() not in ("valid", "same"):
        raise ValueError("The `padding` argument must be 'valid' or 'same'. Received: %r" % (padding,))
    return str(padding).upper()


def _data_format(data_format):
    try:
        return _DATA_FORMATS[data_format]
    except KeyError:
        raise ValueError("The `data_format` argument must be 'channels_last' or 'channels_first'. Received: %r"
                         % (data_format,)) from None


def _training_value(training):
    """True/False when `training` is known while building the graph, else the bool tensor that decides."""
    if isinstance(training, (bool, np.bool_)):
        return bool(training)
    training = convert_to_tensor(training, dtype=dtypes.bool)
    value = constant_value(training)
    return training if value is None else bool(value)


def _select(training, when_training, otherwise):
    """`when_training()` or `otherwise()`, decided now for a Python bool or when the graph runs for a tensor."""
    if training is True:
        return when_training()
    if training is False:
        return otherwise()
    return control_flow_ops.cond(training, when_training, otherwise)


def _finish(outputs, activation, activity_regularizer):
    """Apply the activation, and record the activity regularizer's loss on the outputs."""
    if activation is not None:
        outputs = activation(outputs)
    if activity_regularizer is not None:
        with name_scope("ActivityRegularizer"):
            loss = activity_regularizer(outputs)
        if loss is not None:
            add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    return outputs


def _last_dimension(inputs, layer):
    dim = inputs.shape[-1] if inputs.shape.rank else None
    if dim is None:
        raise ValueError("The last dimension of the inputs to `%s` should be defined. Found `None` in shape %s."
                         % (layer, inputs.shape))
    return dim


def last_axis_product(inputs, kernel):
    """inputs [..., in] times kernel [in, units] -> [..., units], keeping the static leading dims as TF does."""
    outputs = math_ops.tensordot(inputs, kernel, [[inputs.shape.rank - 1], [0]])
    outputs.set_shape(inputs.shape[:-1].concatenate([kernel.shape[1]]))
    return outputs


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
          reuse=None):
    """activation(inputs @ kernel + bias) over the last axis; `kernel` is [in, units] (glorot-uniform unless
    given), `bias` [units] (zeros). Inputs of rank > 2 are multiplied along their last axis."""
    inputs = convert_to_tensor(inputs)
    with variable_scope(name, default_name="dense", values=[inputs], reuse=reuse):
        kernel = get_variable("kernel", [_last_dimension(inputs, "Dense"), units], dtype=inputs.dtype,
                              initializer=kernel_initializer, regularizer=kernel_regularizer, trainable=trainable,
                              constraint=kernel_constraint)
        if inputs.shape.rank == 2:
            outputs = math_ops.matmul(inputs, kernel)
        else:
            outputs = last_axis_product(inputs, kernel)
        if use_bias:
            bias = get_variable("bias", [units], dtype=inputs.dtype, initializer=bias_initializer,
                                regularizer=bias_regularizer, trainable=trainable, constraint=bias_constraint)
            outputs = nn_ops.bias_add(outputs, bias)
        return _finish(outputs, activation, activity_regularizer)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer=zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
           reuse=None):
    """2-D convolution with a [kh, kw, in_channels, filters] kernel, then bias and activation."""
    inputs = convert_to_tensor(inputs)
    kernel_size = _pair(kernel_size, "kernel_size")
    strides, dilation_rate = _pair(strides, "strides"), _pair(dilation_rate, "dilation_rate")
    data_format = _data_format(data_format)
    with variable_scope(name, default_name="conv2d", values=[inputs], reuse=reuse):
        if inputs.shape.rank != 4:
            raise ValueError("Input 0 of layer conv2d is incompatible with the layer: expected ndim=4, found "
                             "shape %s" % (inputs.shape,))
        channels = inputs.shape[3] if data_format == "NHWC" else inputs.shape[1]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found `None` in shape %s."
                             % (inputs.shape,))
        kernel = get_variable("kernel", list(kernel_size) + [channels, filters], dtype=inputs.dtype,
                              initializer=kernel_initializer, regularizer=kernel_regularizer, trainable=trainable,
                              constraint=kernel_constraint)
        outputs = conv_ops.conv2d(inputs, kernel, strides=[1, 1] + list(strides) if data_format == "NCHW" else
                                  [1] + list(strides) + [1], padding=_padding(padding), data_format=data_format,
                                  dilations=[1, 1] + list(dilation_rate) if data_format == "NCHW" else
                                  [1] + list(dilation_rate) + [1])
        if use_bias:
            bias = get_variable("bias", [filters], dtype=inputs.dtype, initializer=bias_initializer,
                                regularizer=bias_regularizer, trainable=trainable, constraint=bias_constraint)
            outputs = nn_ops.bias_add(outputs, bias, data_format=data_format)
        return _finish(outputs, activation, activity_regularizer)


def _pooling2d(pool, default_name, inputs, pool_size, strides, padding, data_format, name):
    pool_size, strides = _pair(pool_size, "pool_size"), _pair(strides, "strides")
    data_format = _data_format(data_format)
    window = [1, 1] + list(pool_size) if data_format == "NCHW" else [1] + list(pool_size) + [1]
    step = [1, 1] + list(strides) if data_format == "NCHW" else [1] + list(strides) + [1]
    with name_scope(name, default_name, [inputs]):
        return pool(convert_to_tensor(inputs), window, step, _padding(padding), data_format=data_format)


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """The maximum over each pool_size window, moving by `strides`."""
    return _pooling2d(conv_ops.max_pool, "max_pooling2d", inputs, pool_size, strides, padding, data_format, name)


def average_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """The mean over each pool_size window (with 'same' padding, over the window's inputs only)."""
    return _pooling2d(conv_ops.avg_pool, "average_pooling2d", inputs, pool_size, strides, padding, data_format,
                      name)


def flatten(inputs, name=None, data_format="channels_last"):
    """[batch, ...] -> [batch, product of the rest]; channels_first inputs are flattened in channels_last order,
    as TF does, so a model flattens the same way in either format."""
    inputs = convert_to_tensor(inputs)
    with name_scope(name, "flatten", [inputs]):
        if _data_format(data_format) == "NCHW" and inputs.shape.rank is not None and inputs.shape.rank > 1:
            inputs = array_ops.transpose(inputs, [0] + list(range(2, inputs.shape.rank)) + [1])
        rest = inputs.shape[1:] if inputs.shape.rank is not None else None
        if rest is not None and rest.is_fully_defined():
            return array_ops.reshape(inputs, [-1, rest.num_elements()])
        return array_ops.reshape(inputs, array_ops.stack([array_ops.shape(inputs)[0], -1]))


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """While training, zero each element with probability `rate` and scale the rest by 1 / (1 - rate);
    otherwise the inputs unchanged."""
    inputs = convert_to_tensor(inputs)
    training = _training_value(training)
    with name_scope(name, "dropout", [inputs]):
        return _select(training, lambda: nn_impl.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed),
                       lambda: array_ops.identity(inputs))


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=zeros_initializer(), gamma_initializer=ones_initializer(),
                        moving_mean_initializer=zeros_initializer(), moving_variance_initializer=ones_initializer(),
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                        training=False, trainable=True, name=None, reuse=None, fused=None):
    """Normalize over every axis but `axis`: with the batch's statistics while training, else the moving ones.

    While training (a True or a tensor `training`), two AssignSub ops in GraphKeys.UPDATE_OPS move the
    non-trainable `moving_mean`/`moving_variance` toward the batch's by (1 - momentum); run them with the
    train op. As TF, 4-D inputs normalized over the channel axis use the fused kernel, whose moving variance
    takes the unbiased batch variance; other inputs use moments (biased variance).
    """
    inputs = convert_to_tensor(inputs)
    training = _training_value(training)
    rank = inputs.shape.rank
    if rank is None:
        raise ValueError("Input has undefined rank: batch_normalization needs to know it")
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise ValueError("Invalid axis %d for input of rank %d" % (axis, rank))
    channels = inputs.shape[axis]
    if channels is None:
        raise ValueError("Input has undefined `axis` dimension. Input shape: %s" % (inputs.shape,))
    if fused is None:
        fused = rank == 4 and axis in (1, 3)
    elif fused and not (rank == 4 and axis in (1, 3)):
        raise ValueError("fused batch normalization needs a 4-D input normalized over axis 1 or 3, got axis %d of "
                         "shape %s" % (axis, inputs.shape))
    with variable_scope(name, default_name="batch_normalization", values=[inputs], reuse=reuse):
        param_dtype = dtypes.float32 if inputs.dtype == dtypes.float16 else inputs.dtype
        gamma = get_variable("gamma", [channels], dtype=param_dtype, initializer=gamma_initializer,
                             regularizer=gamma_regularizer, trainable=trainable,
                             constraint=gamma_constraint) if scale else None
        beta = get_variable("beta", [channels], dtype=param_dtype, initializer=beta_initializer,
                            regularizer=beta_regularizer, trainable=trainable,
                            constraint=beta_constraint) if center else None
        moving_mean = get_variable("moving_mean", [channels], dtype=param_dtype, initializer=moving_mean_initializer,
                                   trainable=False)
        moving_variance = get_variable("moving_variance", [channels], dtype=param_dtype,
                                       initializer=moving_variance_initializer, trainable=False)
        gamma = gamma if gamma is not None else array_ops.ones([channels], param_dtype)
        beta = beta if beta is not None else array_ops.zeros([channels], param_dtype)
        if fused:
            outputs, mean, variance = _fused(inputs, gamma, beta, moving_mean, moving_variance, epsilon, axis,
                                             training)
        else:
            outputs, mean, variance = _unfused(inputs, gamma, beta, moving_mean, moving_variance, epsilon, axis,
                                               training)
        if training is not False:
            decay = _select(training, lambda: 1.0 - convert_to_tensor(momentum, dtype=param_dtype),
                            lambda: array_ops.zeros([], param_dtype))
            for variable, value in ((moving_mean, mean), (moving_variance, variance)):
                with name_scope("AssignMovingAvg") as scope:
                    update = state_ops.assign_sub(variable, (variable - value) * decay, name=scope)
                add_to_collection(GraphKeys.UPDATE_OPS, update.op)
        return outputs


def _fused(inputs, gamma, beta, moving_mean, moving_variance, epsilon, axis, training):
    data_format = "NHWC" if axis == 3 else "NCHW"

    def train():
        return nn_impl.fused_batch_norm(inputs, gamma, beta, epsilon=epsilon, data_format=data_format)

    def infer():
        return nn_impl.fused_batch_norm(inputs, gamma, beta, moving_mean, moving_variance, epsilon=epsilon,
                                        data_format=data_format, is_training=False)
    return _select(training, train, infer)


def _unfused(inputs, gamma, beta, moving_mean, moving_variance, epsilon, axis, training):
    rank = inputs.shape.rank
    reduction_axes = [i for i in range(rank) if i != axis]
    broadcast = [1] * rank
    broadcast[axis] = inputs.shape[axis]

    def statistics(mean, variance):
        normalized = nn_impl.batch_normalization(inputs, _broadcast(mean, broadcast, axis, rank),
                                                 _broadcast(variance, broadcast, axis, rank),
                                                 _broadcast(beta, broadcast, axis, rank),
                                                 _broadcast(gamma, broadcast, axis, rank), epsilon)
        return normalized, mean, variance

    def train():
        mean, variance = nn_impl.moments(inputs, reduction_axes)
        return statistics(mean, variance)
    return _select(training, train, lambda: statistics(moving_mean.value(), moving_variance.value()))


def _broadcast(vector, shape, axis, rank):
    """A per-channel vector shaped to broadcast against the input (a no-op when the channel axis is last)."""
    return vector if axis == rank - 1 else array_ops.reshape(vector, shape)
