"""CIFAR-100 from local files, read without pickle.

The "python version" of CIFAR-100 is a set of pickles, which cannot be read without unpickling (and so
running) whatever they contain; it is refused. Two pickle-free forms are accepted:
- the official **binary version** (`cifar-100-binary/` with `train.bin` and `test.bin`: records of one
  coarse-label byte, one fine-label byte and 3072 pixel bytes, channel planes of 32x32 rows);
- an **.npz** with uint8 arrays `x_train` (n, 32, 32, 3), `x_test`, and labels `y_train_fine`,
  `y_test_fine`, `y_train_coarse`, `y_test_coarse` (each (n,) or (n, 1)).
"""
import os

import numpy as np

from flowgraph.keras.datasets import local_files

_RECORD = 2 + 32 * 32 * 3
_EXPECTED = "the CIFAR-100 binary version (a folder with train.bin and test.bin) or a cifar100.npz"


def _read_binary(filename):
    raw = np.fromfile(filename, dtype=np.uint8)
    if raw.size % _RECORD:
        raise ValueError("%s is not a CIFAR-100 binary file: its size %d is not a multiple of %d bytes"
                         % (filename, raw.size, _RECORD))
    records = raw.reshape(-1, _RECORD)
    images = records[:, 2:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), records[:, 0:1].copy(), records[:, 1:2].copy()


def _from_folder(path, label_mode):
    if os.path.exists(os.path.join(path, "train")) and not os.path.exists(os.path.join(path, "train.bin")):
        raise ValueError("%s holds the pickled 'python version' of CIFAR-100, which flowgraph does not read "
                         "(unpickling can run arbitrary code). Use %s." % (path, _EXPECTED))
    parts = []
    for name in ("train.bin", "test.bin"):
        filename = os.path.join(path, name)
        if not os.path.exists(filename):
            raise FileNotFoundError("%s is missing: expected %s" % (filename, _EXPECTED))
        x, coarse, fine = _read_binary(filename)
        parts.append((x, fine if label_mode == "fine" else coarse))
    return parts[0], parts[1]


def _from_npz(path, label_mode):
    with np.load(path, allow_pickle=False) as f:
        keys = ["x_train", "y_train_" + label_mode, "x_test", "y_test_" + label_mode]
        missing = [k for k in keys if k not in f.files]
        if missing:
            raise ValueError("%s lacks arrays %s (it has %s); see keras.datasets.cifar100 for the layout"
                             % (path, missing, f.files))
        x_train, y_train, x_test, y_test = (f[k] for k in keys)
    for x in (x_train, x_test):
        if x.ndim != 4 or x.shape[1:] != (32, 32, 3):
            raise ValueError("%s: images must have shape (n, 32, 32, 3), got %s" % (path, x.shape))
    return (x_train, y_train.reshape(-1, 1)), (x_test, y_test.reshape(-1, 1))


def load_data(label_mode="fine", path="cifar-100-binary"):
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (n, 32, 32, 3), uint8 labels (n, 1); `label_mode`
    'fine' (100 classes) or 'coarse' (20 superclasses)."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError('`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode=%s.' % label_mode)
    path = local_files.resolve(path, "CIFAR-100", _EXPECTED)
    if os.path.isdir(path):
        return _from_folder(path, label_mode)
    return _from_npz(path, label_mode)
