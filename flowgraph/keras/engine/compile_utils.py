"""What compile() was given, made concrete per model output: the loss of each output (and its weight) and
the metrics of each output, with Keras's names ('loss', 'accuracy', 'dense_1_loss', 'val_' prefixes are fit's).

Both containers are built once the outputs' shapes are known (`build`), so 'accuracy' can resolve to the
binary, categorical or sparse-categorical variant as Keras decides it.
"""
from flowgraph.framework import nest
from flowgraph.ops import array_ops, math_ops
from flowgraph.keras import losses as losses_module, metrics as metrics_module
from flowgraph.keras.utils import serialization


def _per_output(spec, output_names, what):
    """A list with one entry per output from a single spec, a list, or a dict keyed by output name."""
    if isinstance(spec, dict):
        unknown = set(spec) - set(output_names)
        if unknown:
            raise ValueError("Unknown entries in %s dictionary: %s. Only expected the following keys: %s"
                             % (what, sorted(unknown), output_names))
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and what == "loss":
        if len(spec) != len(output_names):
            raise ValueError("When passing a list as loss, it should have one entry per model outputs. The model "
                             "has %d outputs, but you passed loss=%r" % (len(output_names), spec))
        return list(spec)
    return [spec] * len(output_names)


def describe_spec(spec):
    """A compile() argument as JSON: names stay names, objects and functions become their configs or names."""
    if isinstance(spec, dict):
        return {k: describe_spec(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [describe_spec(v) for v in spec]
    return spec if isinstance(spec, str) or spec is None else serialization.serialize_keras_object(spec)


def per_output_values(values, output_names, count):
    """Targets or sample weights as a list in output order: a dict is matched by output name, a single value
    applies to every output, a list is taken as is."""
    if values is None:
        return [None] * count
    if isinstance(values, dict):
        missing = [name for name in output_names[:count] if name not in values]
        if missing:
            raise ValueError("Found no data for outputs %s: the dict has keys %s, the model's outputs are %s"
                             % (missing, sorted(values), output_names[:count]))
        return [values[name] for name in output_names[:count]]
    flat = nest.flatten(values)
    return flat * count if len(flat) == 1 and count > 1 else flat


def match_dtype_and_rank(y_true, y_pred, sample_weight):
    """Labels of shape (batch,) against (batch, 1) predictions get a last axis; floats share y_pred's dtype."""
    if y_true.shape.rank == 1 and y_pred.shape.rank == 2:
        y_true = array_ops.expand_dims(y_true, -1)
    if sample_weight is not None and sample_weight.shape.rank == 1 and y_pred.shape.rank == 2:
        sample_weight = array_ops.expand_dims(sample_weight, -1)
    if y_true.dtype.is_floating and y_pred.dtype.is_floating and y_true.dtype != y_pred.dtype:
        y_true = math_ops.cast(y_true, y_pred.dtype)
    if sample_weight is not None and sample_weight.dtype != y_pred.dtype:
        sample_weight = math_ops.cast(sample_weight, y_pred.dtype)
    return y_true, y_pred, sample_weight


class LossesContainer:
    """The compiled loss: sum over outputs of weight * loss, plus the regularization losses."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        self._user_loss = loss
        self._user_weights = loss_weights
        self._output_names = list(output_names or [])
        self._losses = None
        self._weights = None
        self.loss_metric = metrics_module.Mean(name="loss")
        self._output_metrics = []

    @property
    def built(self):
        return self._losses is not None

    def build(self, y_pred, output_names):
        """Resolve the loss spec against the model's (flattened) outputs and their names."""
        if self.built:
            return
        self._output_names = list(output_names)
        count = len(nest.flatten(y_pred))
        names = self._output_names[:count]
        self._losses = [self._as_loss(spec) for spec in _per_output(self._user_loss, names, "loss")]
        weights = self._user_weights
        if weights is None:
            self._weights = [1.0] * count
        elif isinstance(weights, dict):
            self._weights = [float(weights.get(name, 1.0)) for name in names]
        else:
            weights = list(weights) if isinstance(weights, (list, tuple)) else [weights] * count
            if len(weights) != count:
                raise ValueError("loss_weights has %d entries for %d outputs" % (len(weights), count))
            self._weights = [float(w) for w in weights]
        if count > 1:
            self._output_metrics = [metrics_module.Mean(name="%s_loss" % name) if loss is not None else None
                                    for name, loss in zip(names, self._losses)]

    @staticmethod
    def _as_loss(spec):
        if spec is None:
            return None
        loss = losses_module.get(spec)
        if isinstance(loss, losses_module.Loss):
            return loss
        name = spec if isinstance(spec, str) else serialization.get_registered_name(loss)
        return losses_module.LossFunctionWrapper(loss, name=name)

    @property
    def metrics(self):
        if not self.built:
            return []
        return [self.loss_metric] + [m for m in self._output_metrics if m is not None]

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        """The total loss to minimize; the loss metrics are updated with it (see `StateUpdates` for graph mode)."""
        y_pred = nest.flatten(y_pred)
        y_true = per_output_values(y_true, self._output_names, len(y_pred))
        if len(y_true) != len(y_pred):
            raise ValueError("The model has %d outputs but %d targets were given" % (len(y_pred), len(y_true)))
        weights = per_output_values(sample_weight, self._output_names, len(y_pred))
        terms, batch = [], None
        metrics = self._output_metrics or [None] * len(y_pred)
        for y_t, y_p, sw, loss, weight, metric in zip(y_true, y_pred, weights, self._losses, self._weights, metrics):
            if loss is None:
                continue
            y_t, y_p, sw = match_dtype_and_rank(y_t, y_p, sw)
            value = loss(y_t, y_p, sample_weight=sw)
            if batch is None:
                batch = math_ops.cast(array_ops.shape(y_t)[0], value.dtype)
            if metric is not None:
                metric.update_state(value, sample_weight=batch)
            terms.append(value * weight if weight != 1.0 else value)
        if regularization_losses:
            terms.append(math_ops.add_n([math_ops.cast(r, terms[0].dtype) for r in regularization_losses]))
        if not terms:
            raise ValueError("The model cannot be trained: compile() gave no loss for any of its outputs")
        total = math_ops.add_n(terms) if len(terms) > 1 else terms[0]
        self.loss_metric.update_state(total, sample_weight=batch)
        return total

    def get_config(self):
        return {"loss": describe_spec(self._user_loss), "loss_weights": self._user_weights}


class MetricsContainer:
    """The compiled metrics, one list per output, resolved once y_true and y_pred shapes are known."""

    def __init__(self, metrics=None, weighted_metrics=None):
        self._user_metrics = metrics
        self._user_weighted = weighted_metrics
        self._per_output = None
        self._per_output_weighted = None
        self._output_names = []

    @property
    def built(self):
        return self._per_output is not None

    def build(self, y_true, y_pred, output_names):
        if self.built:
            return
        y_pred = nest.flatten(y_pred)
        names = list(output_names)[:len(y_pred)]
        self._output_names = names
        y_true = per_output_values(y_true, names, len(y_pred))
        prefix = len(y_pred) > 1
        self._per_output = self._resolve(self._user_metrics, y_true, y_pred, names, prefix)
        self._per_output_weighted = self._resolve(self._user_weighted, y_true, y_pred, names, prefix)

    def _resolve(self, spec, y_true, y_pred, names, prefix):
        if not spec:
            return [[] for _ in y_pred]
        if isinstance(spec, dict):
            per_output = [spec.get(name) for name in names]
        elif isinstance(spec, (list, tuple)) and spec and all(isinstance(s, (list, tuple)) for s in spec):
            per_output = list(spec)
        else:
            per_output = [spec] * len(y_pred)
        result = []
        for specs, y_t, y_p, name in zip(per_output, y_true, y_pred, names):
            specs = [] if specs is None else specs if isinstance(specs, (list, tuple)) else [specs]
            objects = [self._as_metric(s, y_t, y_p) for s in specs]
            if prefix:
                for m in objects:
                    m.name = "%s_%s" % (name, m.name)
            result.append(objects)
        return result

    @staticmethod
    def _as_metric(spec, y_true, y_pred):
        if isinstance(spec, metrics_module.Metric):
            return spec
        if spec in ("accuracy", "acc", "crossentropy", "ce"):
            t_shape, p_shape = y_true.shape.as_list(), y_pred.shape.as_list()
            binary = p_shape[-1] == 1
            sparse = len(t_shape) < len(p_shape) or (t_shape[-1] == 1 and p_shape[-1] != 1)
            if spec in ("accuracy", "acc"):
                fn = metrics_module.binary_accuracy if binary else metrics_module.sparse_categorical_accuracy \
                    if sparse else metrics_module.categorical_accuracy
            else:
                fn = losses_module.binary_crossentropy if binary else losses_module.sparse_categorical_crossentropy \
                    if sparse else losses_module.categorical_crossentropy
            return metrics_module.MeanMetricWrapper(fn, name=spec)
        metric = metrics_module.get(spec)
        if isinstance(metric, metrics_module.Metric):
            return metric
        if isinstance(metric, type) and issubclass(metric, metrics_module.Metric):
            return metric()
        name = spec if isinstance(spec, str) else serialization.get_registered_name(metric)
        return metrics_module.MeanMetricWrapper(metric, name=name)

    @property
    def metrics(self):
        if not self.built:
            return []
        return [m for group in (self._per_output, self._per_output_weighted) for ms in group for m in ms]

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Update every metric with this batch."""
        y_pred = nest.flatten(y_pred)
        y_true = per_output_values(y_true, self._output_names, len(y_pred))
        weights = per_output_values(sample_weight, self._output_names, len(y_pred))
        for i, (y_t, y_p, sw) in enumerate(zip(y_true, y_pred, weights)):
            y_t, y_p, sw = match_dtype_and_rank(y_t, y_p, sw)
            for metric in self._per_output[i]:
                metric.update_state(y_t, y_p)
            for metric in self._per_output_weighted[i]:
                metric.update_state(y_t, y_p, sample_weight=sw)

    def get_config(self):
        return {"metrics": describe_spec(self._user_metrics), "weighted_metrics": describe_spec(self._user_weighted)}
