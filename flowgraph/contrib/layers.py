"""tf.contrib.layers: initializers, weight regularizers and fully_connected as TF1's contrib named them."""
import numbers

from flowgraph.framework.graph import GraphKeys, add_to_collections, name_scope
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.initializers import (variance_scaling_initializer, xavier_initializer, xavier_initializer_conv2d,
                                    zeros_initializer)
from flowgraph.layers import flatten as _flatten
from flowgraph.layers import last_axis_product
from flowgraph.ops import math_ops, nn_ops
from flowgraph.variable_scope import get_variable, variable_scope

__all__ = ["xavier_initializer", "xavier_initializer_conv2d", "variance_scaling_initializer", "l1_regularizer",
           "l2_regularizer", "l1_l2_regularizer", "fully_connected", "flatten"]


def _check_scale(scale):
    """A usable scale, or None when it turns the regularizer off (0, as TF)."""
    if isinstance(scale, numbers.Integral):
        raise ValueError("scale cannot be an integer: %s" % (scale,))
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError("Setting a scale less than 0 on a regularizer: %g." % scale)
        if scale == 0.0:
            return None
    return scale


def _scaled_penalty(scale, scope, default_name, penalty):
    """A regularizer: weights -> scale * penalty(weights) in name scope `scope` (None for scale 0)."""
    scale = _check_scale(scale)
    if scale is None:
        return lambda _: None

    def regularizer(weights):
        with name_scope(scope, default_name, [weights]) as name:
            factor = convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return math_ops.multiply(factor, penalty(weights), name=name)
    return regularizer


def l1_regularizer(scale, scope=None):
    """A function of a weight tensor returning scale * sum(|weights|)."""
    return _scaled_penalty(scale, scope, "l1_regularizer", lambda w: math_ops.reduce_sum(math_ops.abs(w)))


def l2_regularizer(scale, scope=None):
    """A function of a weight tensor returning scale * sum(weights^2) / 2."""
    return _scaled_penalty(scale, scope, "l2_regularizer", nn_ops.l2_loss)


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """The sum of the L1 and L2 regularizers' losses."""
    l1, l2 = l1_regularizer(scale_l1), l2_regularizer(scale_l2)

    def l1_l2(weights):
        with name_scope(scope, "l1_l2_regularizer", [weights]) as name:
            losses = [loss for loss in (l1(weights), l2(weights)) if loss is not None]
            return math_ops.add_n(losses, name=name) if losses else None
    return l1_l2


def fully_connected(inputs, num_outputs, activation_fn=nn_ops.relu, normalizer_fn=None, normalizer_params=None,
                    weights_initializer=xavier_initializer(), weights_regularizer=None,
                    biases_initializer=zeros_initializer(), biases_regularizer=None, reuse=None,
                    variables_collections=None, outputs_collections=None, trainable=True, scope=None):
    """activation_fn(inputs @ weights + biases) with variables `fully_connected/weights` and `.../biases`
    (also in MODEL_VARIABLES). With `normalizer_fn` the normalizer replaces the biases, as in TF1."""
    inputs = convert_to_tensor(inputs)
    with variable_scope(scope, default_name="fully_connected", values=[inputs], reuse=reuse):
        if inputs.shape.rank is None or inputs.shape[-1] is None:
            raise ValueError("The last dimension of the inputs to fully_connected must be known, got shape %s"
                             % (inputs.shape,))
        collections = [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES] + list(variables_collections or [])
        weights = get_variable("weights", [inputs.shape[-1], num_outputs], dtype=inputs.dtype,
                               initializer=weights_initializer, regularizer=weights_regularizer,
                               trainable=trainable, collections=collections)
        if inputs.shape.rank == 2:
            outputs = math_ops.matmul(inputs, weights)
        else:
            outputs = last_axis_product(inputs, weights)
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        elif biases_initializer is not None:
            biases = get_variable("biases", [num_outputs], dtype=inputs.dtype, initializer=biases_initializer,
                                  regularizer=biases_regularizer, trainable=trainable, collections=collections)
            outputs = nn_ops.bias_add(outputs, biases)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
    if outputs_collections:
        add_to_collections(outputs_collections, outputs)
    return outputs


def flatten(inputs, outputs_collections=None, scope=None):
    """[batch, ...] -> [batch, product of the rest], in name scope `Flatten` as contrib named it."""
    outputs = _flatten(inputs, name=scope or "Flatten")
    if outputs_collections:
        add_to_collections(outputs_collections, outputs)
    return outputs
