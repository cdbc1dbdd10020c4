"""Model: a Layer that trains. compile() states the optimizer, loss and metrics; fit/evaluate/predict loop over
numpy batches and run the model's steps (`train_step`, `test_step`, `predict_step`: the math, written once)
through the graph or eager execution of `engine.execution`.

`Model(inputs, outputs)` builds a functional model; subclasses define layers in `__init__` and the forward
pass in `call`.
"""
import contextlib

import numpy as np

from flowgraph.framework import context, nest
from flowgraph.framework.graph import get_default_graph
from flowgraph.ops import array_ops
from flowgraph.keras import backend, callbacks as callbacks_module, optimizers
from flowgraph.keras.engine import base_layer, data_adapter, execution
from flowgraph.keras.engine.compile_utils import LossesContainer, MetricsContainer, describe_spec
from flowgraph.keras.engine.data_adapter import unpack_x_y_sample_weight


def default(method):
    """Mark a method as the base implementation, which `Layer` may skip (Model.build when called implicitly)."""
    method._is_default = True
    return method


class Model(base_layer.Layer):
    """A layer with training: compile, fit, evaluate, predict, summary, save."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from flowgraph.keras.engine.functional import Functional
            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError("Only keras.Model itself builds a functional model from inputs and outputs; a Model "
                            "subclass must create its layers in __init__ and use them in call()")
        super().__init__(**kwargs)
        self._is_graph_network = False
        self.optimizer = None
        self.loss = None
        self.compiled_loss = None
        self.compiled_metrics = None
        self.stop_training = False
        self.history = None
        self._is_compiled = False
        self._run_eagerly = None
        self._steps = None
        self._compile_config = None
        self._build_input_shape = None
        self._output_names = None
        self._in_fit = False

    # ---- structure -------------------------------------------------------------------------------------------
    @property
    def layers(self):
        return self._flatten_layers(include_self=False, recursive=False)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in `layers`."""
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError("Was asked to retrieve layer at index %d but model only has %d layers."
                                 % (index, len(self.layers)))
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError("No such layer: %s. Existing layers are: %s." % (name, [l.name for l in self.layers]))

    @property
    def output_names(self):
        return list(self._output_names or ["output_1"])

    def _summary_layers(self):
        return self.layers

    def call(self, inputs, training=None, mask=None):
        raise NotImplementedError("Model %s has no call(): subclasses of keras.Model must implement "
                                  "call(inputs, training=None)." % type(self).__name__)

    @default
    def build(self, input_shape):
        """Create the weights by calling the model on a probe of `input_shape` (None dims allowed)."""
        if self._is_graph_network:
            self.built = True
            return
        if input_shape is None:
            raise ValueError("Input shape must be defined when calling build() on a Model subclass.")
        self(_probe(input_shape))
        self._build_input_shape = _shape_lists(input_shape)
        self.built = True

    def _maybe_build(self, input_shapes):
        if self._build_input_shape is None and not self._is_graph_network:
            self._build_input_shape = _shape_lists(input_shapes)
        if getattr(type(self).build, "_is_default", False):
            self.built = True
            return
        super()._maybe_build(input_shapes)

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print each layer's type, output shape and parameter count, then the totals, as Keras 2 does."""
        if not self.built:
            raise ValueError("This model has not yet been built. Build the model first by calling `build()` or "
                             "calling `fit()` with some data, or specify an `input_shape` argument in the first "
                             "layer(s) for automatic build.")
        from flowgraph.keras.engine.summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def get_config(self):
        if type(self).get_config is Model.get_config:
            raise NotImplementedError("Model %s is a subclassed model: to save it with model.save(), implement "
                                      "get_config() (and from_config() if needed); save_weights() works without."
                                      % type(self).__name__)
        return super().get_config()

    # ---- compile ---------------------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=None, **kwargs):
        """Choose the optimizer (name or object), the loss (name, function or Loss; per output as a list or
        dict) and metrics ('accuracy' resolves to the variant that fits the labels and outputs)."""
        if kwargs:
            raise TypeError("Invalid keyword argument(s) in `compile()`: %s" % sorted(kwargs))
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.compiled_loss = LossesContainer(loss, loss_weights)
        self.compiled_metrics = MetricsContainer(metrics, weighted_metrics)
        self._run_eagerly = run_eagerly
        self._steps = None
        self._is_compiled = True
        self._compile_config = {"optimizer": optimizers.serialize(self.optimizer), "loss": describe_spec(loss),
                                "metrics": describe_spec(metrics), "loss_weights": loss_weights,
                                "weighted_metrics": describe_spec(weighted_metrics)}

    def _assert_compiled(self, method):
        if not self._is_compiled:
            raise RuntimeError("You must compile your model before training/testing. Use `model.compile(optimizer, "
                               "loss)` (called from %s)." % method)

    @property
    def metrics(self):
        """The loss tracker(s) and compiled metrics (available once the model has run a step)."""
        if not self._is_compiled:
            return []
        return self.compiled_loss.metrics + self.compiled_metrics.metrics

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    @property
    def run_eagerly(self):
        return bool(self._run_eagerly)

    # ---- steps: the math of training, evaluation and prediction, written once ------------------------------
    def train_step(self, data):
        """One optimization step on a batch; returns {metric name: result so far}."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with execution.StateUpdates() as updates:
            tape = _new_tape()
            with tape or contextlib.nullcontext():
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, sample_weight, regularization_losses=self.losses)
            self.optimizer.minimize(loss, self.trainable_variables, tape=tape)
            self.compiled_metrics.update_state(y, y_pred, sample_weight)
        with backend.after(updates.ops):
            return self._metric_results()

    def test_step(self, data):
        """Loss and metrics of a batch, in inference mode; returns {metric name: result so far}."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with execution.StateUpdates() as updates:
            y_pred = self(x, training=False)
            self.compiled_loss(y, y_pred, sample_weight, regularization_losses=self.losses)
            self.compiled_metrics.update_state(y, y_pred, sample_weight)
        with backend.after(updates.ops):
            return self._metric_results()

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _metric_results(self):
        return {metric.name: metric.result() for metric in self.metrics}

    def _step_for(self, kind):
        return {"train": self.train_step, "test": self.test_step, "predict": self.predict_step}[kind]

    def _prepare_step_state(self, kind, data):
        """Create every variable a step needs before it is built or traced: the model's weights, the loss and
        metric states, and the optimizer's slots."""
        x, y, _ = data
        needs_outputs = kind != "predict" and not (self.compiled_loss.built and self.compiled_metrics.built)
        if not self.built or (needs_outputs and not self._is_graph_network):
            y_pred = self(x, training=False)
        else:
            y_pred = self.outputs if self._is_graph_network else None
        if needs_outputs:
            if not self._is_graph_network:
                self._output_names = ["output_%d" % (i + 1) for i in range(len(nest.flatten(y_pred)))]
            if y is None:
                raise ValueError("Target data is missing. Your model was compiled with loss=%r, and therefore "
                                 "expects target data to be provided in `fit()`." % (self.loss,))
            self.compiled_loss.build(y_pred, self.output_names)
            self.compiled_metrics.build(y, y_pred, self.output_names)
            for metric in self.metrics:
                metric._ensure_state()
        if kind == "train":
            self.optimizer.build(self.trainable_variables)

    def _step_functions(self):
        if self._steps is None:
            weights = self.weights
            graph = backend.graph_of_variable(weights[0]) if weights else None
            if graph is None and not weights and not context.executing_eagerly():
                graph = get_default_graph()
            if graph is not None:
                self._steps = execution.GraphStepFunctions(self, graph)
            else:
                self._steps = execution.EagerStepFunctions(self, run_eagerly=bool(self._run_eagerly))
        return self._steps

    # ---- loops -----------------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for `epochs` passes over (x, y) in batches; returns a History of per-epoch logs.

        The training step is built (graph mode) or traced (eager mode) at the first batch of each input
        signature; as in Keras, changes to `trainable` take effect at the next compile().
        """
        self._assert_compiled("fit")
        data = (data_adapter.as_arrays(x), data_adapter.as_arrays(y), data_adapter.as_arrays(sample_weight))
        if class_weight is not None:
            data = (data[0], data[1], _class_weights(data[1], class_weight, data[2]))
        validation = None
        if validation_data is not None:
            validation = tuple(data_adapter.as_arrays(part) for part in
                               (validation_data + (None,) * (3 - len(validation_data)))[:3])
        elif validation_split:
            data, validation = data_adapter.train_validation_split(data, validation_split)
        batch_size = batch_size or 32
        batches = data_adapter.BatchIterator(data, batch_size, shuffle=shuffle, steps=steps_per_epoch)
        verbose = 1 if verbose == "auto" else verbose
        callback_list = callbacks_module.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                                      model=self, verbose=verbose, epochs=epochs,
                                                      steps=batches.steps)
        steps = self._step_functions()
        self.stop_training = False
        self._in_fit = True
        logs = {}
        try:
            callback_list.on_train_begin()
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                for step, batch in batches:
                    callback_list.on_train_batch_begin(step)
                    logs = _as_logs(steps.run("train", batch))
                    callback_list.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                epoch_logs = dict(logs)
                if validation is not None and (epoch + 1) % validation_freq == 0:
                    val_batches = data_adapter.BatchIterator(validation, validation_batch_size or batch_size,
                                                             steps=validation_steps)
                    val_logs = self._evaluate_loop(val_batches, callback_list)
                    epoch_logs.update({"val_" + name: value for name, value in val_logs.items()})
                callback_list.on_epoch_end(epoch, epoch_logs)
                logs = epoch_logs
                if self.stop_training:
                    break
            callback_list.on_train_end(logs)
        finally:
            self._in_fit = False
        return callback_list.history

    def _evaluate_loop(self, batches, callback_list):
        steps = self._step_functions()
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = {}
        for step, batch in batches:
            callback_list.on_test_batch_begin(step)
            logs = _as_logs(steps.run("test", batch))
            callback_list.on_test_batch_end(step, logs)
        callback_list.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss and metrics over (x, y): a scalar loss, [loss, metric, ...] in `metrics_names` order, or a dict."""
        self._assert_compiled("evaluate")
        data = (data_adapter.as_arrays(x), data_adapter.as_arrays(y), data_adapter.as_arrays(sample_weight))
        batches = data_adapter.BatchIterator(data, batch_size or 32, steps=steps)
        verbose = 1 if verbose == "auto" else verbose
        callback_list = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                                      verbose=verbose, epochs=1, steps=batches.steps)
        logs = self._evaluate_loop(batches, callback_list)
        return logs if return_dict else _in_order(logs, self.metrics_names)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for `x`, computed batch by batch (inference mode) and concatenated."""
        batches = data_adapter.BatchIterator((data_adapter.as_arrays(x), None, None), batch_size or 32, steps=steps)
        verbose = 1 if verbose == "auto" else verbose
        callback_list = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                                      verbose=verbose, epochs=1, steps=batches.steps)
        step_functions = self._step_functions()
        callback_list.on_predict_begin()
        outputs = []
        for step, batch in batches:
            callback_list.on_predict_batch_begin(step)
            outputs.append(step_functions.run("predict", batch))
            callback_list.on_predict_batch_end(step, {"outputs": outputs[-1]})
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("Expected input data to be non-empty.")
        return nest.pack_sequence_as(outputs[0], [np.concatenate(parts) for parts in
                                                  zip(*[nest.flatten(o) for o in outputs])])

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True,
                       return_dict=False):
        """One optimization step on exactly this batch; returns its loss (and metrics). With `reset_metrics`
        the metrics hold this batch alone (reset before and after); else they keep accumulating."""
        self._assert_compiled("train_on_batch")
        data = (data_adapter.as_arrays(x), data_adapter.as_arrays(y), data_adapter.as_arrays(sample_weight))
        if class_weight is not None:
            data = (data[0], data[1], _class_weights(data[1], class_weight, data[2]))
        return self._run_batch("train", data, reset_metrics, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        """Loss (and metrics) of this batch without training."""
        self._assert_compiled("test_on_batch")
        data = (data_adapter.as_arrays(x), data_adapter.as_arrays(y), data_adapter.as_arrays(sample_weight))
        return self._run_batch("test", data, reset_metrics, return_dict)

    def _run_batch(self, kind, data, reset_metrics, return_dict):
        """One 'train' or 'test' step on exactly `data`: its logs as a dict, or as values in metrics_names order."""
        data_adapter.num_samples(data)
        if reset_metrics:
            self.reset_metrics()
        logs = _as_logs(self._step_functions().run(kind, data))
        if reset_metrics:
            self.reset_metrics()
        return logs if return_dict else _in_order(logs, self.metrics_names)

    def predict_on_batch(self, x):
        return self._step_functions().run("predict", (data_adapter.as_arrays(x), None, None))

    # ---- saving ----------------------------------------------------------------------------------------------
    def save_weights(self, filepath, overwrite=True):
        """Write the weights to an .npz file (atomically: a temporary file renamed into place)."""
        from flowgraph.keras import saving
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        """Assign weights saved by `save_weights` (or inside a `save`d model), matched by position."""
        from flowgraph.keras import saving
        saving.load_weights(self, filepath)

    def save(self, filepath, overwrite=True):
        """Write the architecture (JSON config), the compile arguments and the weights to one archive."""
        from flowgraph.keras import saving
        saving.save_model(self, filepath, overwrite=overwrite)

    def to_json(self, **kwargs):
        import json
        from flowgraph.keras.utils import serialization
        return json.dumps(serialization.serialize_keras_object(self), **kwargs)


def _new_tape():
    """A GradientTape when executing eagerly; in graph mode (and while tracing) gradients are symbolic."""
    if not context.executing_eagerly():
        return None
    from flowgraph.eager import GradientTape
    return GradientTape()


def _as_logs(results):
    return {name: float(np.asarray(value)) for name, value in results.items()}


def _in_order(logs, names):
    values = [logs[name] for name in names if name in logs]
    return values[0] if len(values) == 1 else values


def _class_weights(y, class_weight, sample_weight):
    """Per-sample weights from {class index: weight}, for integer or one-hot labels."""
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("`class_weight` is only supported for models with a single output.")
    labels = np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else np.reshape(y, [-1])
    weights = np.array([class_weight.get(int(c), 1.0) for c in labels], dtype=backend.floatx())
    return weights if sample_weight is None else weights * sample_weight


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in value)


def _shape_lists(input_shape):
    """Input shapes as JSON-able lists: one list, or a list/dict of them."""
    if hasattr(input_shape, "as_list"):
        return input_shape.as_list()
    if _is_shape(input_shape):
        return list(input_shape)
    if isinstance(input_shape, dict):
        return {k: _shape_lists(v) for k, v in input_shape.items()}
    return [_shape_lists(s) for s in input_shape]


def _probe(input_shape):
    """Inputs of `input_shape` to build a subclassed model: placeholders in graph mode, zeros eagerly."""
    if hasattr(input_shape, "as_list") or _is_shape(input_shape):
        dims = list(input_shape.as_list() if hasattr(input_shape, "as_list") else input_shape)
        if context.executing_eagerly():
            return np.zeros([1 if d is None else d for d in dims], dtype=backend.floatx())
        return array_ops.placeholder(backend.floatx(), dims)
    if isinstance(input_shape, dict):
        return {k: _probe(v) for k, v in input_shape.items()}
    return [_probe(s) for s in input_shape]
