"""Neural-network ops: activations, softmax, bias_add, l2_loss, the fused cross-entropies, top_k and in_top_k.

Each activation's gradient is an op of its own (ReluGrad, EluGrad, ...) as in TF: a backend computes it in one
pass, and its own gradient rule gives second order. Convolution and pooling live in conv_ops, the compositions
(dropout, moments, batch normalization, ...) in nn_impl.
"""
import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.graph import Tensor, name_scope
from flowgraph.framework.op_registry import NOT_DIFFERENTIABLE, OpDef, apply_op, constant_value, convert_to_tensor
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import array_ops, indexing_ops, math_ops, shape_rules

__all__ = ["relu", "relu6", "elu", "selu", "leaky_relu", "softplus", "softsign", "softmax", "log_softmax",
           "bias_add", "l2_loss", "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
           "sparse_softmax_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits", "top_k", "in_top_k"]

FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
REALS = FLOATS + (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.uint16)
INDEX_TYPES = (dtypes.int32, dtypes.int64)


def same_shape_pair(op):
    """Two inputs of one shape (a gradient and the features it belongs to, logits and labels)."""
    return op.inputs[0].shape.merge_with(op.inputs[1].shape)


def _is_zero(t):
    """True for the zeros substituted for an output nobody differentiated: a ZerosLike op in a graph, an all-zero
    value in eager mode."""
    if isinstance(t, Tensor):
        return t.op.type == "ZerosLike"
    value = constant_value(t)
    return value is not None and not np.any(value)


# ---- activations -------------------------------------------------------------------------------------------

def _activation(type_name, grad, allowed=FLOATS, attrs=None):
    return OpDef(type_name, inputs=("features",), attrs=attrs, shape=shape_rules.same_as_input, allowed=allowed,
                 grad=grad)


def _activation_grad(type_name, second_input, grad, attrs=None):
    return OpDef(type_name, inputs=("gradients", second_input), attrs=attrs, shape=same_shape_pair,
                 same_dtype=("gradients", second_input), allowed=REALS, grad=grad)


def where_negative(value, y):
    """`value` where y < 0, else 0, in one op: ReluGrad passes `value` where -y > 0."""
    return apply_op("ReluGrad", (value, math_ops.negative(y)))


def _grad_op_rule(grad_type, from_output=False, attrs=()):
    """The rule dx = GradOp(dy, features) (or of the outputs, which ReLU, ELU and SELU need instead)."""
    def rule(op, dy):
        x = op.outputs[0] if from_output else op.inputs[0]
        return [apply_op(grad_type, (dy, x), {name: op.get_attr(name) for name in attrs})]
    return rule


def _piecewise_linear_second_order(grad_type, attrs=()):
    """ReluGrad and kin are linear in the gradient, and the slope they apply is locally constant."""
    def rule(op, ddx):
        features = op.inputs[1]
        return [apply_op(grad_type, (ddx, features), {name: op.get_attr(name) for name in attrs}),
                array_ops.zeros_like(features)]
    return rule


def _exponential_second_order(grad_type):
    """EluGrad and SeluGrad: where the output y is negative they return dy * (y + constant), whose derivative
    with respect to y is dy."""
    def rule(op, ddx):
        dy, y = op.inputs
        return [apply_op(grad_type, (ddx, y)), where_negative(ddx * dy, y)]
    return rule


_activation("Relu", _grad_op_rule("ReluGrad", from_output=True), allowed=REALS)
_activation_grad("ReluGrad", "features", _piecewise_linear_second_order("ReluGrad"))
_activation("Relu6", _grad_op_rule("Relu6Grad"), allowed=REALS)
_activation_grad("Relu6Grad", "features", _piecewise_linear_second_order("Relu6Grad"))
_activation("LeakyRelu", _grad_op_rule("LeakyReluGrad", attrs=("alpha",)), attrs={"alpha": 0.2})
_activation_grad("LeakyReluGrad", "features", _piecewise_linear_second_order("LeakyReluGrad", attrs=("alpha",)),
                 attrs={"alpha": 0.2})
_activation("Elu", _grad_op_rule("EluGrad", from_output=True))
_activation_grad("EluGrad", "outputs", _exponential_second_order("EluGrad"))
_activation("Selu", _grad_op_rule("SeluGrad", from_output=True))
_activation_grad("SeluGrad", "outputs", _exponential_second_order("SeluGrad"))
# d/dx log(1 + e^x) = sigmoid(x), a public op, so second order works.
_activation("Softplus", lambda op, dy: [dy * math_ops.sigmoid(op.inputs[0])])
_activation("Softsign", lambda op, dy: [dy / math_ops.square(1 + math_ops.abs(op.inputs[0]))])


def _features(features):
    return convert_to_tensor(features, name="features")


def relu(features, name=None):
    """max(features, 0); the gradient at exactly 0 is 0, as TF."""
    return apply_op("Relu", (_features(features),), name=name or "Relu")


def relu6(features, name=None):
    """min(max(features, 0), 6); the gradient is 0 at both kinks."""
    return apply_op("Relu6", (_features(features),), name=name or "Relu6")


def leaky_relu(features, alpha=0.2, name=None):
    """features where positive, alpha * features elsewhere; integer features are cast to float32 (as TF)."""
    features = _features(features)
    if features.dtype.is_integer:
        features = math_ops.cast(features, dtypes.float32)
    return apply_op("LeakyRelu", (features,), {"alpha": float(alpha)}, name=name or "LeakyRelu")


def elu(features, name=None):
    """features where positive, exp(features) - 1 elsewhere."""
    return apply_op("Elu", (_features(features),), name=name or "Elu")


def selu(features, name=None):
    """scale * elu with alpha, the self-normalizing constants of Klambauer et al."""
    return apply_op("Selu", (_features(features),), name=name or "Selu")


def softplus(features, name=None):
    """log(1 + exp(features)), without overflow for large inputs."""
    return apply_op("Softplus", (_features(features),), name=name or "Softplus")


def softsign(features, name=None):
    """features / (1 + |features|)."""
    return apply_op("Softsign", (_features(features),), name=name or "Softsign")


# ---- softmax -----------------------------------------------------------------------------------------------

def _softmax_shape(op):
    shape = op.inputs[0].shape.with_rank_at_least(1)
    shape_rules.normalize_axis(op.get_attr("axis"), shape.rank, op.type)
    return shape


def _softmax_grad(op, dy):
    y, axis = op.outputs[0], op.get_attr("axis")
    return [(dy - math_ops.reduce_sum(dy * y, axis, keepdims=True)) * y]


def _log_softmax_grad(op, dy):
    axis = op.get_attr("axis")
    probabilities = apply_op("Softmax", (op.inputs[0],), {"axis": axis})
    return [dy - probabilities * math_ops.reduce_sum(dy, axis, keepdims=True)]


# Unlike TF's ops, which work on the last axis only, these take the axis as an attr: no transposes around them.
OpDef("Softmax", inputs=("logits",), attrs={"axis": -1}, shape=_softmax_shape, allowed=FLOATS, grad=_softmax_grad)
OpDef("LogSoftmax", inputs=("logits",), attrs={"axis": -1}, shape=_softmax_shape, allowed=FLOATS,
      grad=_log_softmax_grad)


def _axis_argument(axis, dim):
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    return -1 if axis is None and dim is None else int(dim if axis is None else axis)


def softmax(logits, axis=None, name=None, dim=None):
    """exp(logits) / sum(exp(logits)) along `axis` (default -1), shifted by the max so it never overflows."""
    logits = convert_to_tensor(logits, name="logits")
    return apply_op("Softmax", (logits,), {"axis": _axis_argument(axis, dim)}, name=name or "Softmax")


def log_softmax(logits, axis=None, name=None, dim=None):
    """logits - log(sum(exp(logits))) along `axis` (default -1), exact for large logit differences."""
    logits = convert_to_tensor(logits, name="logits")
    return apply_op("LogSoftmax", (logits,), {"axis": _axis_argument(axis, dim)}, name=name or "LogSoftmax")


# ---- bias_add ----------------------------------------------------------------------------------------------

def channel_axis(data_format):
    """The channel axis of a data format: last for NHWC (and NWC, NDHWC), 1 for NCHW."""
    if data_format is None or data_format.startswith("N") and data_format.endswith("C"):
        return -1
    if data_format.startswith("NC"):
        return 1
    raise ValueError("data_format must be 'NHWC' or 'NCHW', got %r" % (data_format,))


def _bias_add_shape(op):
    value = op.inputs[0].shape.with_rank_at_least(2)
    bias = op.inputs[1].shape.with_rank(1)
    if value.rank is None:
        return value
    axis = channel_axis(op.get_attr("data_format"))
    channels, size = value[axis], bias[0]
    if channels is not None and size is not None and channels != size:
        raise ValueError("Dimensions must be equal, but are %d and %d" % (channels, size))
    dims = value.as_list()
    dims[axis] = channels if channels is not None else size
    return TensorShape(dims)


def _bias_add_grad_shape(op):
    dy = op.inputs[0].shape.with_rank_at_least(2)
    return TensorShape([None if dy.rank is None else dy[channel_axis(op.get_attr("data_format"))]])


def _bias_add_grad_grad(op, ddb):
    """BiasAddGrad sums over all but the channel axis: its adjoint broadcasts back along them."""
    dy, data_format = op.inputs[0], op.get_attr("data_format")
    if channel_axis(data_format) == 1:
        if dy.shape.rank is None:
            raise ValueError("The gradient of BiasAddGrad in %s needs the rank of %s, which is unknown"
                             % (data_format, dy.name))
        ddb = array_ops.reshape(ddb, [1, -1] + [1] * (dy.shape.rank - 2))
    return [math_ops.broadcast_to(ddb, array_ops.shape(dy))]


OpDef("BiasAdd", inputs=("value", "bias"), attrs={"data_format": "NHWC"}, shape=_bias_add_shape,
      same_dtype=("value", "bias"), allowed=REALS,
      grad=lambda op, dy: [dy, apply_op("BiasAddGrad", (dy,), {"data_format": op.get_attr("data_format")})])
OpDef("BiasAddGrad", inputs=("out_backprop",), attrs={"data_format": "NHWC"}, shape=_bias_add_grad_shape,
      allowed=REALS, grad=_bias_add_grad_grad)


def bias_add(value, bias, data_format=None, name=None):
    """value + bias, with the 1-D bias added along the channel axis (last for NHWC, 1 for NCHW)."""
    value = convert_to_tensor(value, name="input")
    bias = convert_to_tensor(bias, dtype=value.dtype, name="bias")
    channel_axis(data_format)  # rejects an unknown data format here, where the caller can see it
    return apply_op("BiasAdd", (value, bias), {"data_format": data_format or "NHWC"}, name=name or "BiasAdd")


# ---- l2_loss -----------------------------------------------------------------------------------------------

OpDef("L2Loss", inputs=("t",), shape=shape_rules.scalar, allowed=FLOATS, grad=lambda op, dy: [op.inputs[0] * dy])


def l2_loss(t, name=None):
    """sum(t ** 2) / 2, a scalar: half the squared L2 norm, as weight decay uses it."""
    return apply_op("L2Loss", (convert_to_tensor(t, name="t"),), name=name or "L2Loss")


# ---- cross-entropies ---------------------------------------------------------------------------------------

def _xent_shape(op):
    logits = op.inputs[0].shape.with_rank(2)
    labels = op.inputs[1].shape.with_rank(2)
    if not logits.is_compatible_with(labels):
        raise ValueError("logits and labels must be same size: logits_size=%s labels_size=%s"
                         % (logits.as_proto_list(), labels.as_proto_list()))
    merged = logits.merge_with(labels)
    return [TensorShape([merged[0]]), merged]


def _sparse_xent_shape(op):
    logits = op.inputs[0].shape.with_rank(2)
    labels = op.inputs[1].shape.with_rank(1)
    batch = TensorShape([logits[0]]).merge_with(labels)
    return [batch, TensorShape([batch[0], logits[1]])]


def _xent_logits_grad(op, dloss, dbackprop):
    """Gradient into the logits of both softmax cross-entropies.

    The first term uses the backprop output (softmax - labels). When someone differentiated that output too
    (second order), its own Jacobian, the softmax's, adds the second term.
    """
    grad = array_ops.expand_dims(dloss, -1) * op.outputs[1]
    if not _is_zero(dbackprop):
        probabilities = apply_op("Softmax", (op.inputs[0],), {"axis": -1})
        grad = grad + (dbackprop - math_ops.reduce_sum(dbackprop * probabilities, 1, keepdims=True)) * probabilities
    return grad


def _xent_grad(op, dloss, dbackprop):
    """The labels get -log_softmax(logits) per unit loss, minus what flows into the backprop output (TF
    leaves that second-order term out; it is the exact derivative of backprop = softmax - labels)."""
    logits_grad = _xent_logits_grad(op, dloss, dbackprop)
    log_probabilities = apply_op("LogSoftmax", (op.inputs[0],), {"axis": -1})
    labels_grad = array_ops.reshape(dloss, [-1, 1]) * math_ops.negative(log_probabilities)
    if not _is_zero(dbackprop):
        labels_grad = labels_grad - dbackprop
    return [logits_grad, labels_grad]


OpDef("SoftmaxCrossEntropyWithLogits", inputs=("features", "labels"), shape=_xent_shape, num_outputs=2,
      same_dtype=("features", "labels"), allowed=FLOATS, grad=_xent_grad)
OpDef("SparseSoftmaxCrossEntropyWithLogits", inputs=("features", "labels"), shape=_sparse_xent_shape,
      num_outputs=2, allowed=FLOATS,
      grad=lambda op, dloss, dbackprop: [_xent_logits_grad(op, dloss, dbackprop), None])
# Not a TF op (TF composes it from five); fused, it is exact for any logit and its gradient sigmoid(x) - z
# is right at x = 0 too.
OpDef("SigmoidCrossEntropyWithLogits", inputs=("logits", "labels"), shape=same_shape_pair,
      same_dtype=("logits", "labels"), allowed=FLOATS,
      grad=lambda op, dy: [dy * (math_ops.sigmoid(op.inputs[0]) - op.inputs[1]), dy * math_ops.negative(op.inputs[0])])


def _known_rank(tensor, function_name):
    rank = tensor.shape.rank
    if rank is None or rank == 0:
        raise ValueError("%s needs logits of known rank >= 1, got %s with shape %s"
                         % (function_name, tensor.name, tensor.shape))
    return rank


def _classes_last(tensor, axis, rank):
    """`tensor` with the class `axis` moved to the end, as TF transposes when it is not the last."""
    axis = shape_rules.normalize_axis(axis, rank, "softmax_cross_entropy_with_logits")
    if axis == rank - 1:
        return tensor
    return array_ops.transpose(tensor, [i for i in range(rank) if i != axis] + [axis])


def _as_matrix(tensor):
    """[examples, classes] from a tensor of any rank >= 1 whose last axis holds the classes."""
    classes = tensor.shape[-1]
    return array_ops.reshape(tensor, [-1, array_ops.shape(tensor)[-1] if classes is None else classes])


def _batch_shaped(loss, like, name):
    """The flat per-example loss reshaped to `like`'s shape (static when known)."""
    shape = like.shape
    return array_ops.reshape(loss, shape.as_list() if shape.is_fully_defined() else array_ops.shape(like),
                             name=name)


def _check_xent_arguments(sentinel, labels, logits, function_name):
    if sentinel is not None:
        raise ValueError("Only call `%s` with named arguments (labels=..., logits=..., ...)" % function_name)
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided to %s." % function_name)


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    """-sum(labels * log_softmax(logits)) along the class axis (default -1): one loss per example.

    Gradients flow into the labels as well (stop_gradient them to prevent it). Logits of rank other than 2
    are flattened to [examples, classes] for the fused op, and the loss is reshaped back.
    """
    axis = _axis_argument(axis, dim)
    with name_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
        rank = _known_rank(logits, "softmax_cross_entropy_with_logits")
        logits, labels = _classes_last(logits, axis, rank), _classes_last(labels, axis, rank)
        if rank == 2:
            return apply_op("SoftmaxCrossEntropyWithLogits", (logits, labels), name=scope)[0]
        loss = apply_op("SoftmaxCrossEntropyWithLogits", (_as_matrix(logits), _as_matrix(labels)))[0]
        return _batch_shaped(loss, logits[..., 0], scope)


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None):
    """TF1's softmax cross-entropy: as softmax_cross_entropy_with_logits_v2, but the labels get no gradient."""
    _check_xent_arguments(_sentinel, labels, logits, "softmax_cross_entropy_with_logits")
    with name_scope(name, "softmax_cross_entropy_with_logits_sg", [logits, labels]) as scope:
        labels = array_ops.stop_gradient(labels, name="labels_stop_gradient")
        return softmax_cross_entropy_with_logits_v2(labels, logits, axis=dim if axis is None else axis, name=scope)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """-log_softmax(logits)[label] for integer class labels: one loss per example, shaped like `labels`.

    A label outside [0, classes) raises InvalidArgumentError when the graph runs; the labels get no gradient.
    """
    _check_xent_arguments(_sentinel, labels, logits, "sparse_softmax_cross_entropy_with_logits")
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        if labels.dtype not in INDEX_TYPES:
            raise TypeError("labels of sparse_softmax_cross_entropy_with_logits must be int32 or int64, got %s"
                            % labels.dtype.name)
        rank = _known_rank(logits, "sparse_softmax_cross_entropy_with_logits")
        if labels.shape.rank is not None and labels.shape.rank != rank - 1:
            raise ValueError("Rank mismatch: Rank of labels (received %d) should equal rank of logits minus 1 "
                             "(received %d)." % (labels.shape.rank, rank))
        if not labels.shape.is_compatible_with(logits.shape[:-1]):
            raise ValueError("Shape mismatch: The shape of labels (received %s) should equal the shape of logits "
                             "except for the last dimension (received %s)." % (labels.shape, logits.shape))
        if rank == 2:
            return apply_op("SparseSoftmaxCrossEntropyWithLogits", (logits, labels), name=scope)[0]
        loss = apply_op("SparseSoftmaxCrossEntropyWithLogits",
                        (_as_matrix(logits), array_ops.reshape(labels, [-1])))[0]
        return _batch_shaped(loss, labels, scope)


def convert_logits_and_labels(logits, labels):
    """(logits, labels) as tensors of the logits' dtype; ValueError unless their shapes agree."""
    logits = convert_to_tensor(logits, name="logits")
    labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
    if not logits.shape.is_compatible_with(labels.shape):
        raise ValueError("logits and labels must have the same shape (%s vs %s)" % (logits.shape, labels.shape))
    return logits, labels


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """-z * log(sigmoid(x)) - (1 - z) * log(1 - sigmoid(x)) per element, computed without overflow as
    max(x, 0) - x * z + log(1 + exp(-|x|)); labels and logits have one shape."""
    _check_xent_arguments(_sentinel, labels, logits, "sigmoid_cross_entropy_with_logits")
    logits, labels = convert_logits_and_labels(logits, labels)
    return apply_op("SigmoidCrossEntropyWithLogits", (logits, labels), name=name or "logistic_loss")


# ---- top_k and in_top_k ------------------------------------------------------------------------------------

def _top_k_shape(op):
    x = op.inputs[0].shape.with_rank_at_least(1)
    k = constant_value(op.inputs[1])
    if k is not None:
        k = int(k)
        if k < 0:
            raise ValueError("Need k >= 0, got %d" % k)
        if x.rank is not None and x[-1] is not None and x[-1] < k:
            raise ValueError("input must have at least k columns. Had %d, needed %d" % (x[-1], k))
    if x.rank is None:
        return [x, x]
    shape = x[:-1].concatenate([k])
    return [shape, shape]


def _top_k_grad(op, dvalues, dindices):
    """Each value's gradient goes back to the position it was taken from."""
    x = op.inputs[0]
    depth = x.shape[-1] if x.shape[-1] is not None else array_ops.shape(x)[-1]
    positions = indexing_ops.one_hot(op.outputs[1], depth, dtype=dvalues.dtype)
    return [math_ops.reduce_sum(positions * array_ops.expand_dims(dvalues, -1), -2), None]


OpDef("TopKV2", inputs=("input", "k"), attrs={"sorted": True, "index_type": dtypes.int32}, shape=_top_k_shape,
      dtype=lambda op: [op.inputs[0].dtype, dtypes.as_dtype(op.get_attr("index_type"))], num_outputs=2,
      host_inputs=(1,), allowed=REALS, grad=_top_k_grad)


def top_k(input, k=1, sorted=True, index_type=dtypes.int32, name=None):  # noqa: A002 - TF's argument names
    """(values, indices) of the k largest entries along the last axis, largest first; among equal values
    the lower index comes first."""
    x = convert_to_tensor(input, name="input")
    k = convert_to_tensor(k, dtype=dtypes.int32, name="k")
    index_type = dtypes.as_dtype(index_type)
    if index_type not in INDEX_TYPES:
        raise TypeError("index_type of top_k must be int32 or int64, got %s" % index_type.name)
    values, indices = apply_op("TopKV2", (x, k), {"sorted": bool(sorted), "index_type": index_type},
                               name=name or "TopKV2")
    return values, indices


def _in_top_k_shape(op):
    predictions = op.inputs[0].shape.with_rank(2)
    targets = op.inputs[1].shape.with_rank(1)
    op.inputs[2].shape.with_rank(0)
    return TensorShape([predictions[0]]).merge_with(targets)


OpDef("InTopKV2", inputs=("predictions", "targets", "k"), shape=_in_top_k_shape, host_inputs=(2,),
      same_dtype=("targets", "k"), allowed=INDEX_TYPES, dtype=lambda op: dtypes.bool, grad=NOT_DIFFERENTIABLE)


def in_top_k(predictions, targets, k, name=None):
    """Whether each target class is among the k highest predictions of its row.

    Classes tied with the k-th highest value all count as in the top k; a row with a non-finite prediction or
    an out of range target gives False.
    """
    predictions = convert_to_tensor(predictions, name="predictions")
    if predictions.dtype != dtypes.float32:
        raise TypeError("Value passed to parameter 'predictions' has DataType %s not in list of allowed values: "
                        "float32" % predictions.dtype.name)
    targets = convert_to_tensor(targets, name="targets")
    k = convert_to_tensor(k, dtype=targets.dtype, name="k")
    return apply_op("InTopKV2", (predictions, targets, k), name=name or "in_top_k")
