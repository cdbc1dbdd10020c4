"""Callbacks: hooks that fit/evaluate/predict call at the start and end of training, epochs and batches."""
import os

import numpy as np

from flowgraph.keras.utils.progbar import Progbar

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
           "LambdaCallback"]


class Callback:
    """Base class: override the `on_*` methods you need; `self.model` and `self.params` are set by fit."""

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_batch_begin(self, batch, logs=None):
        """Old name of on_train_batch_begin."""

    def on_batch_end(self, batch, logs=None):
        """Old name of on_train_batch_end."""

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass


class CallbackList:
    """Calls every callback in turn; fit adds a History (and a ProgbarLogger when verbose)."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        self.callbacks = list(callbacks or [])
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self.history = None
        if add_history:
            self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
            if self.history is None:
                self.history = History()
                self.callbacks.append(self.history)
        for callback in self.callbacks:
            callback.set_params(dict(params))
            if model is not None:
                callback.set_model(model)

    def __iter__(self):
        return iter(self.callbacks)


def _forward_hook(method, indexed):
    """A CallbackList method calling `method` on every callback with the same logs dict (Keras's protocol)."""
    if indexed:
        def hook(self, index, logs=None):
            logs = {} if logs is None else logs
            for callback in self.callbacks:
                getattr(callback, method)(index, logs)
    else:
        def hook(self, logs=None):
            logs = {} if logs is None else logs
            for callback in self.callbacks:
                getattr(callback, method)(logs)
    hook.__name__ = method
    return hook


for _mode in ("train", "test", "predict"):
    for _when in ("begin", "end"):
        setattr(CallbackList, "on_%s_%s" % (_mode, _when), _forward_hook("on_%s_%s" % (_mode, _when), False))
        setattr(CallbackList, "on_%s_batch_%s" % (_mode, _when),
                _forward_hook("on_%s_batch_%s" % (_mode, _when), True))
for _when in ("begin", "end"):
    setattr(CallbackList, "on_epoch_" + _when, _forward_hook("on_epoch_" + _when, True))


class History(Callback):
    """Records each epoch's logs: `history.history` maps 'loss', 'accuracy', 'val_loss', ... to lists."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self


class ProgbarLogger(Callback):
    """Prints 'Epoch i/n' and a progress bar per epoch (verbose=1), or one line per epoch (verbose=2)."""

    def __init__(self):
        super().__init__()
        self._progbar = None
        self._mode = "train"

    def on_train_begin(self, logs=None):
        self._mode = "train"

    def on_epoch_begin(self, epoch, logs=None):
        if self.params.get("verbose") and self.params.get("epochs", 1) > 1:
            print("Epoch %d/%d" % (epoch + 1, self.params.get("epochs", 1)))
        self._progbar = Progbar(self.params.get("steps"), verbose=self.params.get("verbose", 1))
        self._seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self._progbar.update(self._seen, list((logs or {}).items()), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self._progbar.update(self._seen, list((logs or {}).items()), finalize=True)

    def on_test_begin(self, logs=None):
        if self.model is not None and not getattr(self.model, "_in_fit", False):
            self._progbar = Progbar(self.params.get("steps"), verbose=self.params.get("verbose", 1))

    def on_test_batch_end(self, batch, logs=None):
        if self.model is not None and not getattr(self.model, "_in_fit", False):
            self._progbar.update(batch + 1, list((logs or {}).items()), finalize=False)

    def on_test_end(self, logs=None):
        if self.model is not None and not getattr(self.model, "_in_fit", False):
            self._progbar.update(self.params.get("steps"), list((logs or {}).items()), finalize=True)

    def on_predict_begin(self, logs=None):
        self._progbar = Progbar(self.params.get("steps"), verbose=self.params.get("verbose", 1))

    def on_predict_batch_end(self, batch, logs=None):
        self._progbar.update(batch + 1, finalize=False)

    def on_predict_end(self, logs=None):
        self._progbar.update(self.params.get("steps"), finalize=True)


def _monitor_mode(monitor, mode, owner):
    """np.less or np.greater: 'auto' maximizes accuracy-like and AUC quantities, minimizes the rest."""
    if mode not in ("auto", "min", "max"):
        raise ValueError("%s mode %r is unknown, expected one of ('auto', 'min', 'max')" % (owner, mode))
    if mode == "min":
        return np.less
    if mode == "max":
        return np.greater
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name.endswith("acc") or name.endswith("accuracy") or name.startswith("fmeasure") or name.endswith("auc"):
        return np.greater
    return np.less


class EarlyStopping(Callback):
    """Stop training when `monitor` has not improved by `min_delta` for `patience` epochs."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.monitor_op = _monitor_mode(monitor, mode, "EarlyStopping")
        self.min_delta = abs(min_delta) if self.monitor_op is np.greater else -abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self.monitor_op is np.less else -np.inf
        self.best_weights = None
        self.best_epoch = 0

    def _is_improvement(self, value, reference):
        return self.monitor_op(value - self.min_delta, reference)

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            print("Early stopping conditioned on metric `%s` which is not available. Available metrics are: %s"
                  % (self.monitor, ",".join(logs or {})))
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose > 0:
                    print("Restoring model weights from the end of the best epoch: %d." % (self.best_epoch + 1))
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print("Epoch %d: early stopping" % (self.stopped_epoch + 1))


class ModelCheckpoint(Callback):
    """Save the model (or only its weights) every epoch or every `save_freq` batches, or only when
    `monitor` improves; `filepath` may hold `{epoch}` and log names: 'weights.{epoch:02d}-{val_loss:.2f}.npz'."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError("Unrecognized save_freq: %r (expected 'epoch' or an integer)" % (save_freq,))
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.monitor_op = _monitor_mode(monitor, mode, "ModelCheckpoint")
        default = np.inf if self.monitor_op is np.less else -np.inf
        self.best = default if initial_value_threshold is None else initial_value_threshold
        self._epoch = 0
        self._batches_seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if isinstance(self.save_freq, int):
            self._batches_seen += 1
            if self._batches_seen % self.save_freq == 0:
                self._save(self._epoch, logs, batch=batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, logs)

    def _save(self, epoch, logs, batch=None):
        logs = dict(logs or {})
        path = self.filepath.format(epoch=epoch + 1, batch=(batch or 0) + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                print("Can save best model only with %s available, skipping." % self.monitor)
                return
            if not self.monitor_op(current, self.best):
                if self.verbose > 0:
                    print("\nEpoch %d: %s did not improve from %0.5f" % (epoch + 1, self.monitor, self.best))
                return
            if self.verbose > 0:
                print("\nEpoch %d: %s improved from %0.5f to %0.5f, saving model to %s"
                      % (epoch + 1, self.monitor, self.best, current, path))
            self.best = current
        elif self.verbose > 0:
            print("\nEpoch %d: saving model to %s" % (epoch + 1, path))
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class LambdaCallback(Callback):
    """A callback from functions: `on_epoch_end=lambda epoch, logs: ...` and the like."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None, on_batch_end=None,
                 on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end, "on_batch_begin": on_batch_begin,
                 "on_batch_end": on_batch_end, "on_train_begin": on_train_begin, "on_train_end": on_train_end}
        hooks.update(kwargs)
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise TypeError("LambdaCallback got an unknown hook %r" % name)
            if fn is not None:
                setattr(self, name, fn)
