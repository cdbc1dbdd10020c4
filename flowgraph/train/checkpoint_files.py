"""Checkpoint files: `<prefix>.npz` holds the arrays, `<prefix>.index.json` names them and fingerprints the data.

Every file is written atomically (io.atomic), so a crash mid-save never leaves a half-written file under a
checkpoint's name. The index is written last and records the data file's
SHA-256, so a data file that does not belong to its index (truncated, corrupted, or replaced) is detected
on reading and reported as DataLossError. Arrays are loaded without pickle.
"""
import hashlib
import json
import os
import zipfile

import numpy as np

from flowgraph.framework import errors
from flowgraph.io.atomic import write_atomically

FORMAT = "flowgraph-checkpoint"
VERSION = 1
DATA_SUFFIX = ".npz"
INDEX_SUFFIX = ".index.json"


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checkpoint(prefix, arrays):
    """Write `arrays` ({name: numpy array}) as the checkpoint `prefix`: data first, then its index."""
    names = sorted(arrays)
    keys = {name: "arr_%d" % i for i, name in enumerate(names)}
    data_path = prefix + DATA_SUFFIX
    write_atomically(data_path, lambda f: np.savez(f, **{keys[n]: np.asarray(arrays[n]) for n in names}))
    index = {
        "format": FORMAT,
        "version": VERSION,
        "data_sha256": _sha256(data_path),
        "variables": [{"name": n, "key": keys[n], "dtype": np.asarray(arrays[n]).dtype.name,
                       "shape": list(np.shape(arrays[n]))} for n in names],
    }
    text = json.dumps(index, indent=1).encode("utf-8")
    write_atomically(prefix + INDEX_SUFFIX, lambda f: f.write(text))


def checkpoint_exists(prefix):
    """Whether `prefix` names a checkpoint (its index file exists)."""
    return os.path.isfile(prefix + INDEX_SUFFIX)


def delete_checkpoint(prefix):
    for suffix in (INDEX_SUFFIX, DATA_SUFFIX):
        try:
            os.remove(prefix + suffix)
        except FileNotFoundError:
            pass


class CheckpointReader:
    """The variables of one checkpoint: names, shapes and dtypes from the index, values on demand."""

    def __init__(self, prefix):
        self.prefix = prefix
        if not checkpoint_exists(prefix):
            raise errors.NotFoundError(None, None, "Unsuccessful TensorSliceReader constructor: Failed to find any "
                                                   "matching files for %s (no %s)" % (prefix, prefix + INDEX_SUFFIX))
        try:
            with open(prefix + INDEX_SUFFIX, "rb") as f:
                index = json.loads(f.read().decode("utf-8"))
            if index.get("format") != FORMAT:
                raise ValueError("not a %s index" % FORMAT)
            self._digest = index["data_sha256"]
            self._entries = {e["name"]: (e["key"], np.dtype(e["dtype"]), tuple(e["shape"]))
                             for e in index["variables"]}
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
            raise errors.DataLossError(None, None, "Checkpoint index %s is corrupted: %s"
                                       % (prefix + INDEX_SUFFIX, e)) from None

    def names(self):
        return sorted(self._entries)

    def has_tensor(self, name):
        return name in self._entries

    def shape(self, name):
        return self._entry(name)[2]

    def dtype(self, name):
        return self._entry(name)[1]

    def _entry(self, name):
        try:
            return self._entries[name]
        except KeyError:
            raise errors.NotFoundError(None, None, "Key %s not found in checkpoint %s" % (name, self.prefix)) from None

    def read(self, names):
        """{name: array} for `names`, checked against the index; DataLossError when the data is damaged."""
        entries = {name: self._entry(name) for name in names}
        data_path = self.prefix + DATA_SUFFIX
        try:
            if _sha256(data_path) != self._digest:
                raise ValueError("its SHA-256 does not match the index (truncated, corrupted or replaced)")
            values = {}
            with np.load(data_path, allow_pickle=False) as data:
                for name, (key, dtype, shape) in entries.items():
                    value = data[key]
                    if value.dtype != dtype or value.shape != shape:
                        raise ValueError("%s holds %s %s, the index says %s %s"
                                         % (name, value.dtype, value.shape, dtype, shape))
                    values[name] = value
            return values
        except FileNotFoundError as e:
            raise errors.NotFoundError(None, None, "Checkpoint data %s is missing: %s" % (data_path, e)) from None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
            raise errors.DataLossError(None, None, "Checkpoint data %s is unreadable: %s" % (data_path, e)) from None
