"""Numpy kernels of the array ops."""
import numpy as np

from flowgraph.backends.numpy import numpy_kernel
from flowgraph.framework import errors


@numpy_kernel("Const")
def _const(value, dtype):
    return value


@numpy_kernel("Placeholder")
def _placeholder(dtype, shape):
    raise errors.InvalidArgumentError(None, None, "A placeholder was run without a fed value")


@numpy_kernel("PlaceholderWithDefault")
def _placeholder_with_default(x, shape):
    return x


@numpy_kernel("Identity")
def _identity(x):
    return x


@numpy_kernel("StopGradient")
def _stop_gradient(x):
    return x


@numpy_kernel("NoOp")
def _no_op():
    return None


@numpy_kernel("Shape")
def _shape(x, out_type):
    return np.array(np.shape(x), dtype=out_type.as_numpy_dtype)


@numpy_kernel("Reshape")
def _reshape(x, shape):
    return np.reshape(x, shape)


@numpy_kernel("Fill")
def _fill(dims, value):
    return np.full(dims, value, dtype=np.asarray(value).dtype)


@numpy_kernel("ZerosLike")
def _zeros_like(x):
    return np.zeros_like(x)


@numpy_kernel("OnesLike")
def _ones_like(x):
    return np.ones_like(x)


@numpy_kernel("Pack")
def _pack(*values, axis):
    return np.stack(values, axis=axis)


@numpy_kernel("Unpack")
def _unpack(value, num, axis):
    return [np.take(value, i, axis=axis) for i in range(num)]


@numpy_kernel("BooleanMask")
def _boolean_mask(tensor, mask):
    return tensor[mask]


@numpy_kernel("BooleanMaskGrad")
def _boolean_mask_grad(dy, mask, shape):
    dx = np.zeros(tuple(shape), dtype=dy.dtype)
    dx[mask] = dy
    return dx
