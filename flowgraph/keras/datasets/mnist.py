"""MNIST from a local `mnist.npz` (Keras's file: x_train, y_train, x_test, y_test), read without pickle."""
import numpy as np

from flowgraph.keras.datasets import local_files

_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path="mnist.npz"):
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (n, 28, 28) and uint8 labels (n,)."""
    path = local_files.resolve(path, "MNIST", "mnist.npz (arrays x_train, y_train, x_test, y_test)")
    with np.load(path, allow_pickle=False) as f:
        missing = [k for k in _KEYS if k not in f.files]
        if missing:
            raise ValueError("%s is not an MNIST file: arrays %s are missing (it has %s)" % (path, missing, f.files))
        x_train, y_train, x_test, y_test = (f[k] for k in _KEYS)
    for x, y, part in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if x.ndim != 3 or len(x) != len(y):
            raise ValueError("%s: x_%s has shape %s and y_%s %s; expected (n, rows, cols) images and n labels"
                             % (path, part, x.shape, part, y.shape))
    return (x_train, y_train), (x_test, y_test)
