"""Streaming metrics: state variables updated batch by batch (`update_state`), read with `result()` and
zeroed with `reset_state()`, in graph mode (ops run by the model's session) and eager mode alike.

State variables are created on first use, in the world the metric is first used in (the model's graph, or
eagerly before fit traces its step), so a metric object may be built before the model exists.
"""
import numpy as np

from flowgraph.framework import context, dtypes
from flowgraph.framework.graph import GraphKeys
from flowgraph.ops import array_ops, math_ops
from flowgraph.keras import backend, losses
from flowgraph.keras.utils import serialization

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "accuracy", "binary_accuracy",
           "categorical_accuracy", "sparse_categorical_accuracy", "get", "serialize", "deserialize"]


class Metric:
    """Base class: subclasses create state with `add_weight` (in `build_state` or `__init__`) and implement
    `update_state(...)` and `result()`. `update_state` returns the update op in graph mode, None eagerly."""

    def __init__(self, name=None, dtype=None):
        self.name = name or backend.to_snake_case(type(self).__name__)
        self.dtype = dtypes.as_dtype(dtype or backend.floatx())
        self._variables = []
        self._state_built = False

    def build_state(self):
        """Create the state variables (called once, on first use)."""

    def _ensure_state(self):
        if not self._state_built:
            self._state_built = True
            with backend.name_scope(self.name):
                self.build_state()

    def add_weight(self, name, shape=(), dtype=None, initializer="zeros"):
        """A non-trainable state variable (in graph mode a LOCAL_VARIABLES one, as tf.metrics' are)."""
        from flowgraph.keras import initializers
        dtype = dtypes.as_dtype(dtype or self.dtype)
        init = initializers.get(initializer)
        variable = backend.make_variable(lambda: init(shape, dtype), name, dtype, trainable=False, owner=self.name,
                                         collections=[GraphKeys.LOCAL_VARIABLES, "metric_variables"])
        self._variables.append(variable)
        return variable

    @property
    def variables(self):
        self._ensure_state()
        return list(self._variables)

    weights = variables

    def reset_state(self):
        """Zero the state (values are written directly: no ops are added to a graph)."""
        variables = self.variables
        backend.set_values([(v, np.zeros(v.shape.as_list(), v.dtype.as_numpy_dtype)) for v in variables])

    reset_states = reset_state

    def update_state(self, *args, **kwargs):
        raise NotImplementedError("Metric subclasses must implement update_state")

    def result(self):
        raise NotImplementedError("Metric subclasses must implement result")

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the result so far."""
        update = self.update_state(*args, **kwargs)
        with backend.after([update]):
            return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return "<%s name=%s>" % (type(self).__name__, self.name)


def _group(updates):
    updates = [u for u in updates if u is not None]
    if not updates or context.executing_eagerly():
        return None
    return array_ops.group(*updates)


class _Reduce(Metric):
    """A running total (and count): the weighted sum of all values seen, or their weighted mean."""

    _mean = True

    def build_state(self):
        self.total = self.add_weight("total")
        if self._mean:
            self.count = self.add_weight("count")

    def update_state(self, values, sample_weight=None):
        self._ensure_state()
        values = math_ops.cast(values, self.dtype)
        if sample_weight is not None:
            sample_weight = math_ops.cast(sample_weight, self.dtype)
            if sample_weight.shape.rank is not None and values.shape.rank is not None and \
                    sample_weight.shape.rank > values.shape.rank:
                sample_weight = array_ops.squeeze(sample_weight, [-1])
            weights = sample_weight * array_ops.ones_like(values)
            values = values * sample_weight
            num_values = math_ops.reduce_sum(weights)
        else:
            num_values = math_ops.cast(array_ops.size(values), self.dtype)
        updates = [self.total.assign_add(math_ops.reduce_sum(values))]
        if self._mean:
            updates.append(self.count.assign_add(num_values))
        return _group(updates)

    def result(self):
        self._ensure_state()
        if not self._mean:
            return array_ops.identity(self.total)
        return math_ops.div_no_nan(self.total, self.count)


class Mean(_Reduce):
    """The (weighted) mean of all values seen."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Sum(_Reduce):
    """The (weighted) sum of all values seen."""

    _mean = False

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = array_ops.convert_to_tensor(y_pred)
        y_true = array_ops.convert_to_tensor(y_true)
        return super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight=sample_weight)

    def get_config(self):
        config = dict(self._fn_kwargs)
        config.update(super().get_config())
        return config


def accuracy(y_true, y_pred):
    """1.0 where y_pred equals y_true exactly, else 0.0."""
    if y_true.dtype != y_pred.dtype:
        y_pred = math_ops.cast(y_pred, y_true.dtype)
    return math_ops.cast(math_ops.equal(y_true, y_pred), backend.floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """The fraction, over the last axis, of predictions on the right side of `threshold`."""
    y_pred = math_ops.cast(y_pred > threshold, y_pred.dtype)
    y_true = math_ops.cast(y_true, y_pred.dtype)
    return math_ops.reduce_mean(math_ops.cast(math_ops.equal(y_true, y_pred), backend.floatx()), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the predicted class (argmax) is the one-hot label's class."""
    return math_ops.cast(math_ops.equal(math_ops.argmax(y_true, axis=-1), math_ops.argmax(y_pred, axis=-1)),
                         backend.floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the predicted class (argmax) equals the integer label (shape (batch,) or (batch, 1))."""
    if y_true.shape.rank is not None and y_pred.shape.rank is not None and y_true.shape.rank == y_pred.shape.rank:
        y_true = array_ops.squeeze(y_true, [-1])
    predicted = math_ops.argmax(y_pred, axis=-1)
    if predicted.dtype != y_true.dtype:
        predicted = math_ops.cast(predicted, y_true.dtype)
    return math_ops.cast(math_ops.equal(y_true, predicted), backend.floatx())


def _wrapper_class(class_name, fn, default_name, doc, **defaults):
    """A MeanMetricWrapper subclass whose constructor takes `fn`'s keyword arguments."""
    def __init__(self, name=default_name, dtype=None, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError("%s got unexpected arguments %s" % (class_name, sorted(unknown)))
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **dict(defaults, **kwargs))
    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc})


Accuracy = _wrapper_class("Accuracy", accuracy, "accuracy", "How often predictions equal labels.")
BinaryAccuracy = _wrapper_class("BinaryAccuracy", binary_accuracy, "binary_accuracy",
                                "How often thresholded predictions match binary labels.", threshold=0.5)
CategoricalAccuracy = _wrapper_class("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy",
                                     "How often the argmax of predictions matches one-hot labels.")
SparseCategoricalAccuracy = _wrapper_class("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                           "sparse_categorical_accuracy",
                                           "How often the argmax of predictions matches integer labels.")
MeanSquaredError = _wrapper_class("MeanSquaredError", losses.mean_squared_error, "mean_squared_error",
                                  "The running mean squared error.")
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", losses.mean_absolute_error, "mean_absolute_error",
                                   "The running mean absolute error.")
BinaryCrossentropy = _wrapper_class("BinaryCrossentropy", losses.binary_crossentropy, "binary_crossentropy",
                                    "The running binary cross-entropy.", from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _wrapper_class("CategoricalCrossentropy", losses.categorical_crossentropy,
                                         "categorical_crossentropy", "The running categorical cross-entropy.",
                                         from_logits=False, label_smoothing=0.0)
SparseCategoricalCrossentropy = _wrapper_class("SparseCategoricalCrossentropy",
                                               losses.sparse_categorical_crossentropy,
                                               "sparse_categorical_crossentropy",
                                               "The running sparse categorical cross-entropy.", from_logits=False)

_CLASSES = [Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, MeanSquaredError,
            MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy]
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({"accuracy": accuracy, "acc": accuracy, "binary_accuracy": binary_accuracy,
                 "categorical_accuracy": categorical_accuracy,
                 "sparse_categorical_accuracy": sparse_categorical_accuracy,
                 "mean_squared_error": losses.mean_squared_error, "mse": losses.mean_squared_error,
                 "mean_absolute_error": losses.mean_absolute_error, "mae": losses.mean_absolute_error,
                 "binary_crossentropy": losses.binary_crossentropy,
                 "categorical_crossentropy": losses.categorical_crossentropy,
                 "sparse_categorical_crossentropy": losses.sparse_categorical_crossentropy})


def serialize(metric):
    return serialization.serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    return serialization.deserialize_keras_object(config, _BY_NAME, custom_objects, "metric function")


def get(identifier):
    """A metric function or Metric object from a name, a config dict, an instance or a function."""
    return serialization.get_from_module(identifier, _BY_NAME, "metric function")
