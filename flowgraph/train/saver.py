"""Saver: writes a session's variable values to checkpoints and restores them, keeping the last few."""
import os
import time

import numpy as np

from flowgraph.framework import errors
from flowgraph.framework.graph import GraphKeys, get_default_graph, name_scope
from flowgraph.ops import array_ops, state_ops
from flowgraph.train import checkpoint_files, checkpoint_management
from flowgraph.train.training_util import global_step as global_step_value
from flowgraph.variables import Variable

__all__ = ["Saver"]


def _named_variables(var_list):
    """{checkpoint name: variable}: a dict as given, or each variable under its op name ('dense/kernel')."""
    if isinstance(var_list, dict):
        named = dict(var_list)
    else:
        named = {}
        for var in var_list:
            if not isinstance(var, Variable):
                raise TypeError("Variable to save is not a Variable: %r" % (var,))
            if var.op.name in named:
                raise ValueError("At least two variables have the same name: %s" % var.op.name)
            named[var.op.name] = var
    for name, var in named.items():
        if not isinstance(var, Variable):
            raise TypeError("Variable to save for key %r is not a Variable: %r" % (name, var))
    return named


class Saver:
    """Saves and restores variables (default: all global variables) by name.

    A checkpoint is `<prefix>.npz` + `<prefix>.index.json` (see checkpoint_files); the directory's `checkpoint`
    file names the latest. Values move through the session (one fetch to save, fed assignments to restore),
    so they come from and go to wherever the session keeps them. TF1's meta graph (`.meta`) is not written.
    """

    def __init__(self, var_list=None, max_to_keep=5, keep_checkpoint_every_n_hours=10000.0, name=None,
                 allow_empty=False, pad_step_number=False, save_relative_paths=False):
        graph = get_default_graph()
        if var_list is None:
            var_list = graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
        self._variables = _named_variables(var_list)
        self._max_to_keep = max_to_keep
        self._keep_every_seconds = keep_checkpoint_every_n_hours * 3600.0
        self._next_kept_time = time.time() + self._keep_every_seconds
        self._pad_step_number = pad_step_number
        self._save_relative_paths = save_relative_paths
        self._last_checkpoints = []  # [(prefix, time saved)], oldest first
        self._graph = graph
        if not self._variables and not allow_empty:
            raise ValueError("No variables to save")
        self._names = sorted(self._variables)
        variables = [self._variables[n] for n in self._names]
        self._reads = [v.value() for v in variables]
        with name_scope(name, "save"):
            self._feeds = [array_ops.placeholder(v.dtype, v.shape, name="restore_value") for v in variables]
            assigns = [state_ops.assign(v, feed) for v, feed in zip(variables, self._feeds)]
            self._restore_op = array_ops.group(*assigns, name="restore_all")

    @property
    def last_checkpoints(self):
        """The prefixes of the checkpoints this saver keeps, oldest first."""
        return [prefix for prefix, _ in self._last_checkpoints]

    def save(self, sess, save_path, global_step=None, latest_filename=None, write_meta_graph=True,
             write_state=True):
        """Write the variables' values in `sess` to `save_path` (`save_path-<step>` with a global step) and
        return that prefix. `write_meta_graph` is accepted for TF1 scripts; no meta graph is written."""
        if global_step is not None:
            if not isinstance(global_step, (int, np.integer)):
                global_step = global_step_value(sess, global_step)
            save_path = ("%s-%08d" if self._pad_step_number else "%s-%d") % (save_path, global_step)
        directory = os.path.dirname(save_path) or "."
        if not os.path.isdir(directory):
            raise ValueError("Parent directory of %s doesn't exist, can't save." % save_path)
        if sess.graph is not self._graph:
            raise ValueError("The session's graph is not the graph this Saver was built in")
        values = sess.run(self._reads)
        checkpoint_files.write_checkpoint(save_path, dict(zip(self._names, values)))
        if write_state:
            self._record(save_path)
            recorded = [self._state_path(p) for p in self.last_checkpoints]
            checkpoint_management.update_checkpoint_state(directory, recorded[-1], recorded, latest_filename)
        return save_path

    def _state_path(self, prefix):
        return os.path.basename(prefix) if self._save_relative_paths else prefix

    def _record(self, prefix):
        """Make `prefix` the latest; past `max_to_keep`, forget the oldest and delete its files, unless
        keep_checkpoint_every_n_hours says to keep it."""
        now = time.time()
        self._last_checkpoints = [(p, t) for p, t in self._last_checkpoints if p != prefix]
        self._last_checkpoints.append((prefix, now))
        if not self._max_to_keep:
            self._last_checkpoints = self._last_checkpoints[-1:]
            return
        while len(self._last_checkpoints) > self._max_to_keep:
            oldest, saved_at = self._last_checkpoints.pop(0)
            if saved_at > self._next_kept_time:
                self._next_kept_time += self._keep_every_seconds
            else:
                checkpoint_files.delete_checkpoint(oldest)

    def restore(self, sess, save_path):
        """Load every variable of this saver from the checkpoint `save_path` into `sess`.

        NotFoundError names a variable the checkpoint lacks; InvalidArgumentError one whose stored shape or
        dtype differs; DataLossError reports damaged files.
        """
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        if not checkpoint_files.checkpoint_exists(save_path):
            raise ValueError("The passed save_path is not a valid checkpoint: %s" % save_path)
        reader = checkpoint_files.CheckpointReader(save_path)
        for name in self._names:
            var = self._variables[name]
            if not reader.has_tensor(name):
                raise errors.NotFoundError(None, var.op, "Key %s not found in checkpoint %s (variable %s)"
                                           % (name, save_path, var.name))
            stored_shape, stored_dtype = reader.shape(name), reader.dtype(name)
            if not var.shape.is_compatible_with(stored_shape):
                raise errors.InvalidArgumentError(
                    None, var.op, "Restoring %s from checkpoint %s: the variable has shape %s but the checkpoint "
                                  "holds shape %s" % (name, save_path, var.shape.as_list(), list(stored_shape)))
            if stored_dtype != var.dtype.as_numpy_dtype:
                raise errors.InvalidArgumentError(
                    None, var.op, "Restoring %s from checkpoint %s: the variable has dtype %s but the checkpoint "
                                  "holds dtype %s" % (name, save_path, var.dtype.name, stored_dtype))
        values = reader.read(self._names)
        sess.run(self._restore_op, {feed: values[name] for feed, name in zip(self._feeds, self._names)})
