"""Numpy kernels of the random ops: each gets the op's per-session numpy Generator first.

Samples are drawn in float64 (float32 natively where numpy can) and cast, so float16 works too.
"""
import numpy as np

from flowgraph.backends.numpy import numpy_kernel
from flowgraph.framework import errors, limits


def _size(shape, dtype, what):
    shape = tuple(int(d) for d in shape)
    limits.check_run_size(shape, dtype.as_numpy_dtype, what)
    return shape


def _native(dtype):
    """The dtype numpy's Generator can sample directly, closest to `dtype`."""
    return np.float32 if dtype.as_numpy_dtype == np.float32 else np.float64


@numpy_kernel("RandomStandardNormal")
def _random_normal(rng, shape, dtype, seed, seed2):
    sample = rng.standard_normal(_size(shape, dtype, "RandomStandardNormal"), dtype=_native(dtype))
    return sample.astype(dtype.as_numpy_dtype, copy=False)


@numpy_kernel("RandomUniform")
def _random_uniform(rng, shape, dtype, seed, seed2):
    sample = rng.random(_size(shape, dtype, "RandomUniform"), dtype=_native(dtype))
    return sample.astype(dtype.as_numpy_dtype, copy=False)


@numpy_kernel("RandomUniformInt")
def _random_uniform_int(rng, shape, minval, maxval, seed, seed2):
    if minval >= maxval:
        raise errors.InvalidArgumentError(None, None, "Need minval < maxval: %d >= %d" % (minval, maxval))
    shape = tuple(int(d) for d in shape)
    limits.check_run_size(shape, minval.dtype, "RandomUniformInt")
    return rng.integers(minval, maxval, size=shape, dtype=minval.dtype)


@numpy_kernel("TruncatedNormal")
def _truncated_normal(rng, shape, dtype, seed, seed2):
    """Standard normal samples; those beyond two standard deviations are re-drawn (as TF)."""
    sample = rng.standard_normal(_size(shape, dtype, "TruncatedNormal"))
    outside = np.abs(sample) > 2.0
    while np.any(outside):
        sample[outside] = rng.standard_normal(int(np.count_nonzero(outside)))
        outside = np.abs(sample) > 2.0
    return sample.astype(dtype.as_numpy_dtype)


@numpy_kernel("RandomOrthogonal")
def _random_orthogonal(rng, shape, dtype, seed, seed2):
    rows, cols = (int(d) for d in shape)
    normal = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(normal)
    q *= np.sign(np.diag(r))  # makes the distribution uniform over orthogonal matrices
    return (q if rows >= cols else q.T).astype(dtype.as_numpy_dtype)


@numpy_kernel("RandomShuffle")
def _random_shuffle(rng, value, seed, seed2):
    if np.ndim(value) == 0:
        return np.array(value)
    return rng.permutation(value)


@numpy_kernel("Multinomial")
def _multinomial(rng, logits, num_samples, seed, seed2, output_dtype):
    """Inverse-CDF sampling per row from softmax(logits), computed in float64; -inf logits never drawn."""
    if num_samples < 0:
        raise errors.InvalidArgumentError(None, None, "num_samples should be nonnegative, got %d" % num_samples)
    logits = np.asarray(logits, dtype=np.float64)
    batch, classes = logits.shape
    if classes == 0 and num_samples > 0:
        raise errors.InvalidArgumentError(None, None, "num_classes should be positive, got 0")
    out = np.zeros((batch, int(num_samples)), dtype=output_dtype.as_numpy_dtype)
    if batch == 0 or num_samples == 0:
        return out
    weights = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    cdf = np.cumsum(weights, axis=1)
    cdf /= cdf[:, -1:]
    draws = rng.random((batch, int(num_samples)))
    for row in range(batch):
        out[row] = np.minimum(np.searchsorted(cdf[row], draws[row], side="right"), classes - 1)
    return out
