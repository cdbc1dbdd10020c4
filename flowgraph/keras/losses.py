"""Keras losses: per-sample functions (`mean_squared_error(y_true, y_pred)`) and Loss objects that weight and
reduce them (default: the mean over all per-sample values, Keras's SUM_OVER_BATCH_SIZE).

Probabilities are clipped to [epsilon, 1 - epsilon] before taking logs, as Keras 2's backend does; with
`from_logits=True` the fused, overflow-safe cross-entropy ops are used instead.
"""
from flowgraph import nn
from flowgraph.framework import dtypes
from flowgraph.ops import array_ops, math_ops
from flowgraph.keras import backend
from flowgraph.keras.utils import serialization

__all__ = ["Reduction", "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "mean_squared_error", "mean_absolute_error",
           "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "mse", "mae",
           "MSE", "MAE", "compute_weighted_loss", "get", "serialize", "deserialize"]


class Reduction:
    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def validate(cls, key):
        if key not in (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE):
            raise ValueError("Invalid Reduction Key: %s. Expected keys are \"('auto', 'none', 'sum', "
                             "'sum_over_batch_size')\"" % (key,))


def compute_weighted_loss(losses, sample_weight=None, reduction=Reduction.SUM_OVER_BATCH_SIZE):
    """Weight per-sample losses (sample_weight broadcasts against them) and reduce them to a scalar."""
    losses = array_ops.convert_to_tensor(losses)
    if sample_weight is not None:
        sample_weight = math_ops.cast(sample_weight, losses.dtype)
        if sample_weight.shape.rank is not None and losses.shape.rank is not None and \
                sample_weight.shape.rank == losses.shape.rank + 1 and sample_weight.shape[-1] == 1:
            sample_weight = array_ops.squeeze(sample_weight, [-1])
        losses = losses * sample_weight
    if reduction == Reduction.NONE:
        return losses
    total = math_ops.reduce_sum(losses)
    if reduction == Reduction.SUM:
        return total
    return total / math_ops.cast(array_ops.size(losses), losses.dtype)


def _prepare(y_true, y_pred):
    """y_pred as a float tensor and y_true cast to its dtype."""
    y_pred = array_ops.convert_to_tensor(y_pred)
    y_true = math_ops.cast(array_ops.convert_to_tensor(y_true), y_pred.dtype)
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    """mean((y_pred - y_true)^2) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return math_ops.reduce_mean(math_ops.squared_difference(y_pred, y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_pred - y_true|) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return math_ops.reduce_mean(math_ops.abs(y_pred - y_true), axis=-1)


def _clipped(probabilities):
    eps = backend.epsilon()
    return math_ops.clip_by_value(probabilities, eps, 1.0 - eps)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-(y log p + (1 - y) log(1 - p)), averaged over `axis`; labels pulled toward 0.5 by `label_smoothing`."""
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        per_element = nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        eps = backend.epsilon()
        p = _clipped(y_pred)
        per_element = -(y_true * math_ops.log(p + eps) + (1.0 - y_true) * math_ops.log(1.0 - p + eps))
    return math_ops.reduce_mean(per_element, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y log p) over `axis` for one-hot (or soft) labels; probabilities are renormalized first."""
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        classes = math_ops.cast(array_ops.shape(y_true)[axis], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        return nn.softmax_cross_entropy_with_logits_v2(labels=y_true, logits=y_pred, axis=axis)
    p = _clipped(y_pred / math_ops.reduce_sum(y_pred, axis=axis, keepdims=True))
    return -math_ops.reduce_sum(y_true * math_ops.log(p), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """-log p[label] for integer labels (shape (batch,) or (batch, 1)); one loss per sample."""
    y_pred = array_ops.convert_to_tensor(y_pred)
    y_true = array_ops.convert_to_tensor(y_true)
    if axis not in (-1, y_pred.shape.rank - 1 if y_pred.shape.rank else -1):
        raise ValueError("sparse_categorical_crossentropy supports only the last axis, got axis=%s" % axis)
    logits = y_pred if from_logits else math_ops.log(_clipped(y_pred))
    labels = y_true
    if labels.shape.rank is not None and logits.shape.rank is not None and labels.shape.rank == logits.shape.rank:
        labels = array_ops.squeeze(labels, [-1])
    if labels.dtype not in (dtypes.int32, dtypes.int64):
        labels = math_ops.cast(labels, dtypes.int64)
    if logits.shape.rank == 2:
        return nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    classes = array_ops.shape(logits)[-1]
    flat = nn.sparse_softmax_cross_entropy_with_logits(labels=array_ops.reshape(labels, [-1]),
                                                       logits=array_ops.reshape(logits, array_ops.stack([-1, classes])))
    return array_ops.reshape(flat, array_ops.shape(labels))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


class Loss:
    """A loss object: `loss(y_true, y_pred, sample_weight=None)` gives the reduced, weighted loss."""

    def __init__(self, reduction=Reduction.AUTO, name=None):
        Reduction.validate(reduction)
        self.reduction = reduction
        self.name = name

    def __call__(self, y_true, y_pred, sample_weight=None):
        with backend.name_scope(self.name or type(self).__name__):
            losses = self.call(y_true, y_pred)
            reduction = Reduction.SUM_OVER_BATCH_SIZE if self.reduction == Reduction.AUTO else self.reduction
            return compute_weighted_loss(losses, sample_weight, reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError("Loss subclasses must implement call(y_true, y_pred)")

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A Loss around a per-sample function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, reduction=Reduction.AUTO, name=None, **kwargs):
        super().__init__(reduction=reduction, name=name)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = dict(self._fn_kwargs)
        config.update(super().get_config())
        return config


def _loss_class(class_name, fn, default_name, doc, **defaults):
    """A LossFunctionWrapper subclass whose constructor takes `fn`'s keyword arguments (Keras's signatures)."""
    def __init__(self, reduction=Reduction.AUTO, name=default_name, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError("%s got unexpected arguments %s" % (class_name, sorted(unknown)))
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, **dict(defaults, **kwargs))
    return type(class_name, (LossFunctionWrapper,), {"__init__": __init__, "__doc__": doc})


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error",
                               "Mean of squared errors.")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                                "Mean of absolute errors.")
BinaryCrossentropy = _loss_class("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                                 "Cross-entropy of 0/1 labels and probabilities (or logits).",
                                 from_logits=False, label_smoothing=0.0, axis=-1)
CategoricalCrossentropy = _loss_class("CategoricalCrossentropy", categorical_crossentropy,
                                      "categorical_crossentropy",
                                      "Cross-entropy of one-hot labels and class probabilities (or logits).",
                                      from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _loss_class("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                            "sparse_categorical_crossentropy",
                                            "Cross-entropy of integer labels and class probabilities (or logits).",
                                            from_logits=False, axis=-1)

_CLASSES = [MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy]
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({"mean_squared_error": mean_squared_error, "mean_absolute_error": mean_absolute_error,
                 "binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
                 "sparse_categorical_crossentropy": sparse_categorical_crossentropy, "mse": mean_squared_error,
                 "mae": mean_absolute_error, "MSE": mean_squared_error, "MAE": mean_absolute_error})


def serialize(loss):
    return serialization.serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    return serialization.deserialize_keras_object(name, _BY_NAME, custom_objects, "loss function")


def get(identifier):
    """A loss function or Loss object from a name, a config dict, an instance or a function."""
    return serialization.get_from_module(identifier, _BY_NAME, "loss function")
