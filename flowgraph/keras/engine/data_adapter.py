"""Numpy data for fit/evaluate/predict: validation splits, per-epoch (shuffled) batches, feed dtypes."""
import math

import numpy as np

from flowgraph.framework import nest
from flowgraph.keras import backend


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) from a step's `data`: x alone, (x,), (x, y) or (x, y, sample_weight)."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
        raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                         "found: %r" % (data,))
    return data, None, None


def as_arrays(structure):
    """Every leaf as a numpy array; floats become floatx (the dtype layers compute in), others are kept."""
    def convert(leaf):
        array = np.asarray(leaf)
        if array.dtype.kind == "f" and array.dtype != np.dtype(backend.floatx()):
            return array.astype(backend.floatx())
        return array
    return None if structure is None else nest.map_structure(convert, structure)


def num_samples(data):
    """The shared first dimension of every array in `data`; ValueError naming the sizes when they differ."""
    sizes = [len(a) for a in nest.flatten([d for d in data if d is not None])]
    if not sizes:
        raise ValueError("No data was given: pass numpy arrays as x (and y)")
    if len(set(sizes)) > 1:
        names = ("x", "y", "sample_weight")
        parts = ["%s sizes: %s" % (name, ", ".join(str(len(a)) for a in nest.flatten(d)))
                 for name, d in zip(names, data) if d is not None]
        raise ValueError("Data cardinality is ambiguous:\n  %s\nMake sure all arrays contain the same number of "
                         "samples." % "\n  ".join(parts))
    return sizes[0]


def take(data, indices):
    return tuple(None if d is None else nest.map_structure(lambda a: a[indices], d) for d in data)


def train_validation_split(data, validation_split):
    """(train, validation): the last `validation_split` fraction of the samples is held out, unshuffled."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError("`validation_split` must be in (0, 1), got %s" % validation_split)
    count = num_samples(data)
    split_at = int(math.floor(count * (1.0 - validation_split)))
    if split_at == 0 or split_at == count:
        raise ValueError("Training data contains %d samples, which is not sufficient to split it into a "
                         "validation and training set as specified by `validation_split=%s`."
                         % (count, validation_split))
    return take(data, slice(0, split_at)), take(data, slice(split_at, count))


class BatchIterator:
    """Batches of (x, y, sample_weight) numpy structures; a new shuffle each epoch when asked."""

    def __init__(self, data, batch_size=32, shuffle=False, steps=None):
        self.data = data
        self.count = num_samples(data)
        self.batch_size = int(batch_size)
        if self.batch_size <= 0:
            raise ValueError("batch_size must be a positive integer, got %s" % batch_size)
        self.shuffle = shuffle
        full_steps = int(math.ceil(self.count / self.batch_size))
        self.steps = full_steps if steps is None else min(int(steps), full_steps)

    def __iter__(self):
        if self.shuffle == "batch":
            starts = np.random.permutation(self.steps) * self.batch_size
            order = np.concatenate([np.arange(s, min(s + self.batch_size, self.count)) for s in starts])
        elif self.shuffle:
            order = np.random.permutation(self.count)
        else:
            order = None
        for step in range(self.steps):
            start, stop = step * self.batch_size, min((step + 1) * self.batch_size, self.count)
            yield step, take(self.data, slice(start, stop) if order is None else order[start:stop])
