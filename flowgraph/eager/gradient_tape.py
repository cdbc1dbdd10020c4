"""GradientTape: record eager computations and differentiate them (TF2's tf.GradientTape).

Inside a `function` trace the tape's targets are graph tensors; it then differentiates symbolically with
`flowgraph.gradients`, which sees the whole traced graph (so `watch` and `stop_recording` have no effect there).
"""
import contextlib
import enum

import numpy as np

from flowgraph.eager import tape
from flowgraph.eager.tensor import EagerTensor
from flowgraph.framework import nest
from flowgraph.framework.graph import Tensor
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.gradients import gradients
from flowgraph.ops import array_ops

_USED = "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)"


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


def _is_variable(value):
    return hasattr(value, "_cell") and not hasattr(value, "_value")


class GradientTape:
    """Records operations on watched tensors and variables while active, for `gradient` and `jacobian`.

    persistent: allow several gradient computations (else the record is released after the first).
    watch_accessed_variables: watch every trainable variable read while recording.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._record = None
        self._recording = False
        self._released_variables = ()  # what a released (used, non-persistent) record had watched

    def __enter__(self):
        self._push()
        return self

    def __exit__(self, *exc_info):
        if self._recording:
            self._pop()

    def _push(self):
        if self._record is None:
            self._record = tape.Recording(self._watch_accessed_variables)
        tape.active.append(self._record)
        self._recording = True

    def _pop(self):
        tape.active.remove(self._record)
        self._recording = False

    def watch(self, tensor):
        """Record operations on `tensor` (a tensor, variable, or a nested structure of them)."""
        for t in nest.flatten(tensor):
            if isinstance(t, Tensor):
                continue  # symbolic differentiation inside a trace needs no watching
            if not isinstance(t, EagerTensor) and not _is_variable(t):
                raise ValueError("Passed in object %r of type %r, not tf.Tensor or tf.Variable" % (t, type(t).__name__))
            if self._record is None:
                self._record = tape.Recording(self._watch_accessed_variables)
            self._record.watch(t)

    @contextlib.contextmanager
    def stop_recording(self):
        """Operations inside the block are not recorded on this tape."""
        if not self._recording:
            raise RuntimeError("Tape is not recording.")
        self._pop()
        try:
            yield
        finally:
            self._push()

    def reset(self):
        """Forget everything recorded, as if the tape's block were entered afresh."""
        recording = self._recording
        if recording:
            self._pop()
        self._record = None
        self._released_variables = ()
        if recording:
            self._push()

    def watched_variables(self):
        """The variables watched (explicitly, or by being read while recording), in the order first watched."""
        if self._record is None:
            return self._released_variables
        return tuple(self._record.watched_variables)

    # ---- differentiation -------------------------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None, unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of targets)/d(source) for each source, in the structure of `sources` (lists, dicts, ...).

        output_gradients: one gradient per target to start from (default ones). A source the target does not
        depend on gives None, or zeros with unconnected_gradients=ZERO.
        """
        unconnected = UnconnectedGradients(unconnected_gradients)
        targets, flat_sources = nest.flatten(target), nest.flatten(sources)
        seeds = [None] * len(targets) if output_gradients is None else nest.flatten(output_gradients)
        if len(seeds) != len(targets):
            raise ValueError("Passed %d output_gradients for %d targets" % (len(seeds), len(targets)))
        if any(isinstance(t, Tensor) for t in targets):
            grads = gradients(targets, flat_sources, grad_ys=seeds if output_gradients is not None else None,
                              unconnected_gradients=unconnected.value)
            return nest.pack_sequence_as(sources, grads)
        record = self._take_record()
        seeds = [_seed(t, s) for t, s in zip(targets, seeds)]
        grads = self._backprop(record, targets, seeds, flat_sources, unconnected)
        return nest.pack_sequence_as(sources, grads)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE, parallel_iterations=None,
                 experimental_use_pfor=True):
        """For each source, d(target)/d(source) shaped target.shape + source.shape (one backward pass per
        element of target; parallel_iterations and experimental_use_pfor are accepted for TF's signature)."""
        unconnected = UnconnectedGradients(unconnected_gradients)
        flat_sources = nest.flatten(sources)
        target_shape = _static_shape(target, "jacobian")
        size = int(np.prod(target_shape))
        if isinstance(target, Tensor):
            elements = array_ops.unstack(array_ops.reshape(target, [-1]), num=size)
            rows = [gradients(e, flat_sources, unconnected_gradients=unconnected.value) for e in elements]
        else:
            record = self._take_record()
            dtype = target.dtype.as_numpy_dtype
            rows = [self._backprop(record, [target], [EagerTensor(np.eye(1, size, i, dtype=dtype).reshape(
                target_shape))], flat_sources, unconnected) for i in range(size)]
        result = []
        for j, source in enumerate(flat_sources):
            result.append(_stacked([row[j] for row in rows], source, 0, list(target_shape)))
        return nest.pack_sequence_as(sources, result)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """d(target[i])/d(source[i]) for each i of the first (batch) axis, shaped
        [batch] + target.shape[1:] + source.shape[1:]: examples of a batch are assumed independent."""
        unconnected = UnconnectedGradients(unconnected_gradients)
        target_shape = _static_shape(target, "batch_jacobian", batch_unknown=True)
        source_shape = _static_shape(source, "batch_jacobian", batch_unknown=True)
        if len(target_shape) < 1 or len(source_shape) < 1:
            raise ValueError("batch_jacobian needs a batch axis: target shape %s, source shape %s"
                             % (target_shape, source_shape))
        if None not in (target_shape[0], source_shape[0]) and target_shape[0] != source_shape[0]:
            raise ValueError("Need first dimension of target shape (%s) and source shape (%s) to match."
                             % (tuple(target_shape), tuple(source_shape)))
        size = int(np.prod(target_shape[1:]))
        if isinstance(target, Tensor):
            columns = array_ops.unstack(array_ops.reshape(target, [-1, size]), num=size, axis=1)
            rows = [gradients(c, [source], unconnected_gradients=unconnected.value) for c in columns]
        else:
            record = self._take_record()
            dtype = target.dtype.as_numpy_dtype
            rows = []
            for i in range(size):
                seed = np.zeros((target_shape[0], size), dtype=dtype)
                seed[:, i] = 1
                rows.append(self._backprop(record, [target], [EagerTensor(seed.reshape(target_shape))], [source],
                                           unconnected))
        batch = target_shape[0] if target_shape[0] is not None else -1
        return _stacked([row[0] for row in rows], source, 1, [batch] + list(target_shape[1:]))

    def _take_record(self):
        """The record to differentiate; a non-persistent tape stops recording and gives its record up."""
        record = self._record
        if record is None:
            raise RuntimeError(_USED)
        if not self._persistent:
            if self._recording:
                self._pop()
            self._released_variables = tuple(record.watched_variables)
            self._record = None
        return record

    @staticmethod
    def _backprop(record, targets, seeds, sources, unconnected):
        for s in sources:
            if not isinstance(s, EagerTensor) and not _is_variable(s):
                raise TypeError("GradientTape sources must be tensors or variables, got %r" % (s,))
        grads = tape.backprop(record, targets, seeds, sources)
        if unconnected is UnconnectedGradients.ZERO:
            grads = [array_ops.zeros(s.shape.as_list(), dtype=s.dtype) if g is None else g
                     for g, s in zip(grads, sources)]
        return grads


def _seed(target, seed):
    """The gradient a backward pass starts from at `target`: ones unless given."""
    if seed is None:
        return array_ops.ones(target.shape.as_list(), dtype=target.dtype)
    return convert_to_tensor(seed, dtype=target.dtype)


def _static_shape(tensor, what, batch_unknown=False):
    shape = tensor.shape
    dims = shape.dims
    if dims is None or None in (dims[1:] if batch_unknown else dims):
        raise ValueError("%s needs the shape of %r to be known, got %s" % (what, tensor, shape))
    return dims


def _stacked(rows, source, axis, lead_shape):
    """Per-element gradients stacked on `axis` and reshaped to lead_shape + the source's shape (batch axis
    dropped for batch_jacobian); None when no element depends on the source."""
    if all(r is None for r in rows):
        return None
    rows = [array_ops.zeros_like(convert_to_tensor(source)) if r is None else r for r in rows]
    source_dims = source.shape.as_list()[axis:]
    return array_ops.reshape(array_ops.stack(rows, axis=axis), lead_shape + source_dims)
