"""tf.losses (TF1): loss functions that weight, reduce and collect their result in GraphKeys.LOSSES.

As in TF1, every loss is computed in float32 (inputs are cast) and the reduced result is cast back to the
dtype of the per-element losses.
"""
import numbers

from flowgraph.framework import context, dtypes
from flowgraph.framework.graph import GraphKeys, add_to_collection, get_collection, name_scope
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.ops import array_ops, math_ops, nn_ops

__all__ = ["Reduction", "compute_weighted_loss", "absolute_difference", "mean_squared_error", "huber_loss",
           "log_loss", "hinge_loss", "cosine_distance", "softmax_cross_entropy", "sparse_softmax_cross_entropy",
           "sigmoid_cross_entropy", "add_loss", "get_losses", "get_regularization_loss", "get_regularization_losses",
           "get_total_loss"]


class Reduction:
    """How compute_weighted_loss reduces the weighted per-element losses."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_OVER_NONZERO_WEIGHTS,
                cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError("Invalid Reduction Key %s." % (key,))


def _check_broadcastable(weights, losses):
    """TF's rule: weights are a scalar, or have the losses' rank with each dimension 1 or equal."""
    w, v = weights.shape, losses.shape
    if w.rank is None or v.rank is None or w.rank == 0:
        return
    if w.rank != v.rank or any(a is not None and b is not None and a not in (1, b) for a, b in zip(w.dims, v.dims)):
        raise ValueError("weights can not be broadcast to values. values.rank=%d. weights.rank=%d. values.shape=%s. "
                         "weights.shape=%s." % (v.rank, w.rank, v, w))


def _num_elements(losses):
    """The number of loss elements as a float32 scalar (static when the shape is known)."""
    count = losses.shape.num_elements()
    if count is not None:
        return convert_to_tensor(float(count), dtype=dtypes.float32, name="num_elements")
    with name_scope(None, "num_elements", [losses]):
        return math_ops.cast(array_ops.size(losses), dtypes.float32)


def _num_present(losses, weights, weights_value):
    """How many loss elements have a nonzero weight (a nonzero scalar Python weight counts them all)."""
    if isinstance(weights_value, numbers.Real) and weights_value != 0:
        return _num_elements(losses)
    with name_scope(None, "num_present", [losses, weights]) as scope:
        present = math_ops.cast(math_ops.not_equal(weights, 0.0), dtypes.float32)
        return math_ops.reduce_sum(present * array_ops.ones_like(losses), name=scope)


def _denominator(reduction, losses, weights, weights_value):
    """What the weighted sum is divided by, or None for a plain sum."""
    if reduction == Reduction.MEAN:
        return math_ops.reduce_sum(array_ops.ones_like(losses) * weights)
    if reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
        return _num_present(losses, weights, weights_value)
    if reduction == Reduction.SUM_OVER_BATCH_SIZE:
        return _num_elements(losses)
    return None


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """losses * weights, reduced as `reduction` says (a scalar unless Reduction.NONE); added to
    `loss_collection`. Means divide with div_no_nan, so all-zero weights give 0, not NaN."""
    Reduction.validate(reduction)
    with name_scope(scope, "weighted_loss", [losses, weights]):
        losses = convert_to_tensor(losses, name="losses")
        input_dtype = losses.dtype
        weights_value = weights
        losses = math_ops.cast(losses, dtypes.float32)
        weights = math_ops.cast(convert_to_tensor(weights, dtype_hint=dtypes.float32, name="weights"),
                                dtypes.float32)
        _check_broadcastable(weights, losses)
        weighted = math_ops.multiply(losses, weights)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            loss = math_ops.reduce_sum(weighted)
            denominator = _denominator(reduction, losses, weights, weights_value)
            if denominator is not None:
                loss = math_ops.div_no_nan(loss, denominator, name="value")
        loss = math_ops.cast(loss, input_dtype)
        add_loss(loss, loss_collection)
        return loss


def _float32_pair(labels, predictions, first_name, second_name):
    """Both arguments cast to float32, with compatible shapes (ValueError naming both otherwise)."""
    if labels is None:
        raise ValueError("Argument `%s` must not be None." % first_name)
    if predictions is None:
        raise ValueError("Argument `%s` must not be None." % second_name)
    predictions = math_ops.cast(convert_to_tensor(predictions, name=second_name), dtypes.float32)
    labels = math_ops.cast(convert_to_tensor(labels, name=first_name), dtypes.float32)
    if not predictions.shape.is_compatible_with(labels.shape):
        raise ValueError("Shapes %s and %s are incompatible: %s and %s must have one shape"
                         % (predictions.shape, labels.shape, second_name, first_name))
    return labels, predictions


def absolute_difference(labels, predictions, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """|predictions - labels|, weighted and reduced."""
    with name_scope(scope, "absolute_difference", [predictions, labels, weights]) as scope:
        labels, predictions = _float32_pair(labels, predictions, "labels", "predictions")
        losses = math_ops.abs(math_ops.subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def mean_squared_error(labels, predictions, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """(predictions - labels) ** 2, weighted and reduced (by default the mean over nonzero weights)."""
    with name_scope(scope, "mean_squared_error", [predictions, labels, weights]) as scope:
        labels, predictions = _float32_pair(labels, predictions, "labels", "predictions")
        losses = math_ops.squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """0.5 * e ** 2 where |e| <= delta, else delta * (|e| - 0.5 * delta), for e = predictions - labels.

    Written as 0.5 * q ** 2 + delta * (|e| - q) with q = min(|e|, delta), whose gradient at |e| == delta is
    counted once (TF's formulation).
    """
    with name_scope(scope, "huber_loss", [predictions, labels, weights]) as scope:
        labels, predictions = _float32_pair(labels, predictions, "labels", "predictions")
        abs_error = math_ops.abs(math_ops.subtract(predictions, labels))
        quadratic = math_ops.minimum(abs_error, delta)
        linear = math_ops.subtract(abs_error, quadratic)
        losses = math_ops.add(0.5 * math_ops.multiply(quadratic, quadratic), math_ops.multiply(delta, linear))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None, loss_collection=GraphKeys.LOSSES,
             reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """-labels * log(p + epsilon) - (1 - labels) * log(1 - p + epsilon) for probabilities p."""
    with name_scope(scope, "log_loss", [predictions, labels, weights]) as scope:
        labels, predictions = _float32_pair(labels, predictions, "labels", "predictions")
        losses = math_ops.subtract(math_ops.negative(labels * math_ops.log(predictions + epsilon)),
                                   (1 - labels) * math_ops.log(1 - predictions + epsilon))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """max(0, 1 - y * logits) with 0/1 labels mapped to y = -1/+1."""
    with name_scope(scope, "hinge_loss", [logits, labels, weights]) as scope:
        labels, logits = _float32_pair(labels, logits, "labels", "logits")
        signs = math_ops.subtract(2 * labels, 1)
        losses = nn_ops.relu(math_ops.subtract(1.0, math_ops.multiply(signs, logits)))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def cosine_distance(labels, predictions, axis=None, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS, dim=None):
    """1 - sum(labels * predictions, axis), for unit-normalized labels and predictions; `axis` is kept as a
    dimension of size 1."""
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("You must specify argument `axis`.")
    with name_scope(scope, "cosine_distance_loss", [predictions, labels, weights]) as scope:
        labels, predictions = _float32_pair(labels, predictions, "labels", "predictions")
        losses = 1 - math_ops.reduce_sum(math_ops.multiply(predictions, labels), axis=(axis,), keepdims=True)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def _logits_and_labels(labels, logits, labels_name):
    """Logits as given and labels cast to their dtype, with compatible shapes."""
    if labels is None:
        raise ValueError("Argument `%s` must not be None." % labels_name)
    if logits is None:
        raise ValueError("Argument `logits` must not be None.")
    logits = convert_to_tensor(logits, name="logits")
    labels = math_ops.cast(convert_to_tensor(labels, name=labels_name), logits.dtype)
    if not logits.shape.is_compatible_with(labels.shape):
        raise ValueError("Shapes %s and %s are incompatible: logits and %s must have one shape"
                         % (logits.shape, labels.shape, labels_name))
    return labels, logits


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Softmax cross-entropy per example, weighted and reduced; no gradient flows into the labels.

    label_smoothing s > 0 replaces the labels by labels * (1 - s) + s / num_classes.
    """
    with name_scope(scope, "softmax_cross_entropy_loss", [logits, onehot_labels, weights]) as scope:
        onehot_labels, logits = _logits_and_labels(onehot_labels, logits, "onehot_labels")
        if label_smoothing > 0:
            classes = math_ops.cast(array_ops.shape(onehot_labels)[-1], logits.dtype)
            onehot_labels = onehot_labels * (1.0 - label_smoothing) + label_smoothing / classes
        onehot_labels = array_ops.stop_gradient(onehot_labels, name="labels_stop_gradient")
        losses = nn_ops.softmax_cross_entropy_with_logits_v2(labels=onehot_labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def _drop_trailing_unit_axis(tensor, rank):
    """`tensor` without its last axis when it has rank `rank` + 1 and that axis may be 1 ([batch, 1] labels)."""
    shape = tensor.shape
    if shape.rank is not None and rank is not None and shape.rank == rank + 1 and shape[-1] in (1, None):
        return array_ops.squeeze(tensor, [-1])
    return tensor


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Softmax cross-entropy per example for integer class labels, weighted and reduced.

    Labels (and weights) with a trailing axis of size 1 are squeezed, as TF does.
    """
    if labels is None:
        raise ValueError("Argument `labels` must not be None.")
    if logits is None:
        raise ValueError("Argument `logits` must not be None.")
    with name_scope(scope, "sparse_softmax_cross_entropy_loss", [logits, labels, weights]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        rank = None if logits.shape.rank is None else logits.shape.rank - 1
        labels = _drop_trailing_unit_axis(labels, rank)
        weights = convert_to_tensor(weights, dtype_hint=dtypes.float32, name="weights")
        weights = _drop_trailing_unit_axis(weights, labels.shape.rank)
        losses = nn_ops.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Sigmoid cross-entropy per element, weighted and reduced.

    label_smoothing s > 0 replaces the labels by labels * (1 - s) + s / 2.
    """
    with name_scope(scope, "sigmoid_cross_entropy_loss", [logits, multi_class_labels, weights]) as scope:
        multi_class_labels, logits = _logits_and_labels(multi_class_labels, logits, "multi_class_labels")
        if label_smoothing > 0:
            multi_class_labels = multi_class_labels * (1 - label_smoothing) + 0.5 * label_smoothing
        losses = nn_ops.sigmoid_cross_entropy_with_logits(labels=multi_class_labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """Add `loss` to `loss_collection` (nothing when the collection is None or empty, or in eager mode, where
    there are no collections to gather losses from)."""
    if loss_collection and not context.executing_eagerly():
        add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    """The losses in `loss_collection`, optionally only those whose names match `scope`."""
    return get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    """The regularization losses collected (GraphKeys.REGULARIZATION_LOSSES), optionally filtered by scope."""
    return get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    """The sum of the regularization losses, or a float32 0 when there are none."""
    losses = get_regularization_losses(scope)
    if losses:
        return math_ops.add_n(losses, name=name)
    return convert_to_tensor(0.0, dtype=dtypes.float32, name=name)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of the collected losses and, by default, the regularization losses.

    Raises ValueError when there is no loss at all.
    """
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("No losses found to add up: add losses to GraphKeys.LOSSES first (tf.losses.* do)")
    return math_ops.add_n(losses, name=name)
