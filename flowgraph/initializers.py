"""Initializers: objects called with (shape, dtype) that build the ops producing a Variable's initial value."""
import numpy as np

from flowgraph.framework import dtypes
from flowgraph.ops import array_ops

__all__ = ["zeros_initializer", "ones_initializer", "constant_initializer"]


class Initializer:
    """Called as `init(shape, dtype=None, partition_info=None)`; returns a tensor of that shape."""

    def __init__(self, dtype=dtypes.float32):
        self.dtype = dtypes.as_dtype(dtype)

    def _dtype(self, dtype):
        return dtypes.as_dtype(dtype) if dtype is not None else self.dtype

    def get_config(self):
        return {"dtype": self.dtype.name}


class zeros_initializer(Initializer):  # noqa: N801 - TF's public name
    def __call__(self, shape, dtype=None, partition_info=None):
        return array_ops.zeros(shape, self._dtype(dtype))


class ones_initializer(Initializer):  # noqa: N801
    def __call__(self, shape, dtype=None, partition_info=None):
        return array_ops.ones(shape, self._dtype(dtype))


class constant_initializer(Initializer):  # noqa: N801
    """A scalar fills the shape; a list or array must have the shape's number of elements."""

    def __init__(self, value=0, dtype=dtypes.float32, verify_shape=False):
        super().__init__(dtype)
        self.value = value

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self._dtype(dtype)
        value = np.asarray(self.value, dtype=dtype.as_numpy_dtype)
        return array_ops.constant(value, dtype=dtype, shape=shape)

    def get_config(self):
        return {"value": np.asarray(self.value).tolist(), "dtype": self.dtype.name}
