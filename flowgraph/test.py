"""Numeric gradient checking, as TF's `tf.test.compute_gradient` (v1 signature)."""
import numpy as np

from flowgraph.client.session import get_default_session
from flowgraph.framework.graph import Tensor
from flowgraph.gradients import gradients
from flowgraph.ops import array_ops

__all__ = ["compute_gradient", "compute_gradient_error", "is_built_with_cuda", "is_gpu_available"]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def compute_gradient(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None,
                     extra_feed_dict=None, session=None):
    """(theoretical, numerical) Jacobians of y w.r.t. x, each [x_size, y_size]; lists when x is a list.

    The theoretical one comes from the graph's gradient ops, the numerical one from central differences.
    """
    session = session or get_default_session()
    if session is None:
        raise ValueError("compute_gradient needs a session: pass session= or use `with tf.Session():`")
    xs, shapes = _as_list(x), _as_list(x_shape) if isinstance(x, (list, tuple)) else [x_shape]
    inits = _as_list(x_init_value) if isinstance(x, (list, tuple)) else [x_init_value]
    if init_targets is not None:
        session.run(init_targets)
    feed = dict(extra_feed_dict or {})
    values = []
    for xi, shape, init in zip(xs, shapes, inits):
        dtype = xi.dtype.as_numpy_dtype
        values.append(np.asarray(init, dtype=dtype) if init is not None
                      else np.random.default_rng(0).standard_normal(shape).astype(dtype))
    y_size = int(np.prod(y_shape))
    dy = array_ops.placeholder(y.dtype, y_shape)
    grads = gradients(y, xs, grad_ys=dy)
    results = []
    for i, (xi, value) in enumerate(zip(xs, values)):
        base = dict(feed)
        base.update({xj: vj for xj, vj in zip(xs, values)})
        theoretical = np.zeros((value.size, y_size))
        if grads[i] is not None:
            for j in range(y_size):
                onehot = np.zeros(y_size, dtype=y.dtype.as_numpy_dtype)
                onehot[j] = 1
                base[dy] = onehot.reshape(y_shape)
                theoretical[:, j] = np.reshape(session.run(grads[i], base), [-1])
        numerical = np.zeros((value.size, y_size))
        flat = value.reshape(-1).copy()
        for k in range(value.size):
            for sign in (1, -1):
                perturbed = flat.copy()
                perturbed[k] += sign * delta
                base[xi] = perturbed.reshape(value.shape)
                numerical[k] += sign * np.reshape(session.run(y, base), [-1]).astype(np.float64) / (2 * delta)
        results.append((theoretical, numerical))
    return results if isinstance(x, (list, tuple)) else results[0]


def compute_gradient_error(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None,
                           extra_feed_dict=None, session=None):
    """The largest absolute difference between the theoretical and numerical Jacobians."""
    result = compute_gradient(x, x_shape, y, y_shape, x_init_value, delta, init_targets, extra_feed_dict, session)
    pairs = result if isinstance(result, list) else [result]
    return max(float(np.max(np.abs(t - n))) if t.size else 0.0 for t, n in pairs)


def is_built_with_cuda():
    return False


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
    return False


def is_tensor(x):
    return isinstance(x, Tensor)
