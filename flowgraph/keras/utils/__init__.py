"""keras.utils: custom-object registration, the progress bar, and label helpers."""
import numpy as np

from flowgraph.keras.utils.progbar import Progbar  # noqa: F401
from flowgraph.keras.utils.serialization import (CustomObjectScope, custom_object_scope,  # noqa: F401
                                                 get_custom_objects, get_registered_name,
                                                 register_keras_serializable)

__all__ = ["Progbar", "CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
           "register_keras_serializable", "to_categorical"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot rows for integer class labels (a trailing axis of size 1 is dropped first)."""
    y = np.asarray(y, dtype="int64")
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    num_classes = int(np.max(y)) + 1 if num_classes is None else num_classes
    categorical = np.zeros((y.shape[0], num_classes), dtype=dtype)
    categorical[np.arange(y.shape[0]), y] = 1
    return categorical.reshape(shape + (num_classes,))
