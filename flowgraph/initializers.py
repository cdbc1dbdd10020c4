"""Initializers: objects called with (shape, dtype) that build the ops producing a Variable's initial value.

This module is also `tf.initializers` (TF1's lower-case names: zeros, random_normal, he_normal, ...) and holds
the Keras class names (Zeros, RandomNormal, GlorotUniform, ...), whose random defaults are Keras's smaller ones.
"""
import math

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import array_ops, math_ops, random_ops
from flowgraph.variables import global_variables_initializer as global_variables  # noqa: F401
from flowgraph.variables import local_variables_initializer as local_variables  # noqa: F401
from flowgraph.variables import variables_initializer as variables  # noqa: F401

__all__ = ["zeros_initializer", "ones_initializer", "constant_initializer", "random_normal_initializer",
           "random_uniform_initializer", "truncated_normal_initializer", "uniform_unit_scaling_initializer",
           "variance_scaling_initializer", "glorot_uniform_initializer", "glorot_normal_initializer",
           "orthogonal_initializer", "identity_initializer"]

# The standard deviation of a unit normal truncated to [-2, 2]; dividing by it restores the requested variance.
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


class Initializer:
    """Called as `init(shape, dtype=None, partition_info=None)`; returns a tensor of that shape."""

    def __init__(self, dtype=dtypes.float32):
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        raise NotImplementedError

    def _dtype(self, dtype):
        return dtypes.as_dtype(dtype) if dtype is not None else self.dtype

    def _float_dtype(self, dtype):
        dtype = self._dtype(dtype)
        if not dtype.is_floating:
            raise ValueError("Expected floating point type, got %s." % dtype.name)
        return dtype

    def _sample(self, distribution, shape, a, b, dtype):
        """Samples of `distribution` ('normal' or 'truncated_normal': mean a, stddev b; 'uniform': [a, b)) drawn
        by a random op seeded with `self.seed`; Keras's initializers override this to repeat seeded draws."""
        sampler = {"normal": random_ops.random_normal, "truncated_normal": random_ops.truncated_normal,
                   "uniform": random_ops.random_uniform}[distribution]
        return sampler(shape, a, b, dtype, seed=self.seed)

    def get_config(self):
        return {"dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _static_shape(shape, what):
    dims = TensorShape(shape)
    if not dims.is_fully_defined():
        raise ValueError("%s needs a fully defined shape, got %s" % (what, dims))
    return dims.as_list()


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


class random_normal_initializer(Initializer):  # noqa: N801
    """Normal samples with `mean` and `stddev`."""

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=dtypes.float32):
        super().__init__(dtype)
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        return self._sample("normal", shape, self.mean, self.stddev, self._float_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed, "dtype": self.dtype.name}


class truncated_normal_initializer(random_normal_initializer):  # noqa: N801
    """Normal samples with `mean` and `stddev`, re-drawn beyond two standard deviations."""

    def __call__(self, shape, dtype=None, partition_info=None):
        return self._sample("truncated_normal", shape, self.mean, self.stddev, self._float_dtype(dtype))


class random_uniform_initializer(Initializer):  # noqa: N801
    """Uniform samples in [minval, maxval); maxval defaults to 1 for floats."""

    def __init__(self, minval=0.0, maxval=None, seed=None, dtype=dtypes.float32):
        super().__init__(dtype)
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        return self._sample("uniform", shape, self.minval, self.maxval, self._dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed, "dtype": self.dtype.name}


class uniform_unit_scaling_initializer(Initializer):  # noqa: N801
    """Uniform in +-factor * sqrt(3 / input_size), input_size the product of all but the last dim (TF1)."""

    def __init__(self, factor=1.0, seed=None, dtype=dtypes.float32):
        super().__init__(dtype)
        self.factor, self.seed = factor, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        dims = _static_shape(shape, "uniform_unit_scaling_initializer")
        input_size = max(1.0, float(np.prod(dims[:-1])))
        limit = math.sqrt(3.0 / input_size) * self.factor
        return self._sample("uniform", dims, -limit, limit, self._float_dtype(dtype))

    def get_config(self):
        return {"factor": self.factor, "seed": self.seed, "dtype": self.dtype.name}


def compute_fans(shape):
    """(fan_in, fan_out): a dense kernel's [in, out], or a conv kernel's [..., in, out] times its window size."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = int(np.prod(shape[:-2]))
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class variance_scaling_initializer(Initializer):  # noqa: N801
    """Samples with variance scale / n, n the fan_in, fan_out or their mean (`mode`).

    distribution: "truncated_normal" (also "normal"; stddev corrected for the truncation), "untruncated_normal",
    or "uniform" (limit sqrt(3 * scale / n)).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, dtype=dtypes.float32):
        super().__init__(dtype)
        if scale <= 0.0:
            raise ValueError("`scale` must be positive float. Received: scale=%s." % scale)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError("Invalid `mode` argument: %r (expected fan_in, fan_out or fan_avg)" % (mode,))
        distribution = distribution.lower()
        if distribution not in ("normal", "uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError("Invalid `distribution` argument: %r (expected truncated_normal, untruncated_normal "
                             "or uniform)" % (distribution,))
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self._float_dtype(dtype)
        dims = _static_shape(shape if partition_info is None else partition_info.full_shape,
                             type(self).__name__)
        fan_in, fan_out = compute_fans(dims)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution in ("normal", "truncated_normal"):
            return self._sample("truncated_normal", shape, 0.0, math.sqrt(scale) / TRUNCATED_NORMAL_STDDEV, dtype)
        if self.distribution == "untruncated_normal":
            return self._sample("normal", shape, 0.0, math.sqrt(scale), dtype)
        limit = math.sqrt(3.0 * scale)
        return self._sample("uniform", shape, -limit, limit, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed,
                "dtype": self.dtype.name}


def _variance_scaling_preset(class_name, scale, mode, distribution, doc):
    """A VarianceScaling subclass with fixed parameters (Glorot, He, LeCun); only seed and dtype are free."""
    def __init__(self, seed=None, dtype=dtypes.float32):
        variance_scaling_initializer.__init__(self, scale, mode, distribution, seed, dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}
    members = {"__init__": __init__, "get_config": get_config, "__doc__": doc}
    return type(class_name, (variance_scaling_initializer,), members)


glorot_uniform_initializer = _variance_scaling_preset(
    "glorot_uniform_initializer", 1.0, "fan_avg", "uniform", "Uniform in +-sqrt(6 / (fan_in + fan_out)).")
glorot_normal_initializer = _variance_scaling_preset(
    "glorot_normal_initializer", 1.0, "fan_avg", "truncated_normal",
    "Truncated normal with stddev sqrt(2 / (fan_in + fan_out)).")
he_normal = _variance_scaling_preset("he_normal", 2.0, "fan_in", "truncated_normal",
                                     "Truncated normal with stddev sqrt(2 / fan_in).")
he_uniform = _variance_scaling_preset("he_uniform", 2.0, "fan_in", "uniform", "Uniform in +-sqrt(6 / fan_in).")
lecun_normal = _variance_scaling_preset("lecun_normal", 1.0, "fan_in", "truncated_normal",
                                        "Truncated normal with stddev sqrt(1 / fan_in).")
lecun_uniform = _variance_scaling_preset("lecun_uniform", 1.0, "fan_in", "uniform", "Uniform in +-sqrt(3 / fan_in).")


class xavier_initializer(Initializer):  # noqa: N801 - tf.contrib.layers' name
    """tf.contrib.layers' Xavier: uniform in +-sqrt(6 / (fan_in + fan_out)), or a truncated normal with stddev
    sqrt(1.3 * 2 / (fan_in + fan_out)) (contrib's own truncation factor, not the core 0.8796)."""

    def __init__(self, uniform=True, seed=None, dtype=dtypes.float32):
        super().__init__(dtype)
        self.uniform, self.seed = uniform, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self._float_dtype(dtype)
        fan_in, fan_out = compute_fans(_static_shape(shape, "xavier_initializer"))
        n = (fan_in + fan_out) / 2.0
        if self.uniform:
            limit = math.sqrt(3.0 / n)
            return self._sample("uniform", shape, -limit, limit, dtype)
        return self._sample("truncated_normal", shape, 0.0, math.sqrt(1.3 / n), dtype)

    def get_config(self):
        return {"uniform": self.uniform, "seed": self.seed, "dtype": self.dtype.name}


xavier_initializer_conv2d = xavier_initializer


class orthogonal_initializer(Initializer):  # noqa: N801
    """A random orthogonal matrix times `gain`, over the shape flattened to [prod(shape[:-1]), shape[-1]]."""

    def __init__(self, gain=1.0, seed=None, dtype=dtypes.float32):
        super().__init__(dtype)
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        dims = _static_shape(shape, "orthogonal_initializer")
        if len(dims) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional, got shape %s" % dims)
        matrix = random_ops.random_orthogonal([int(np.prod(dims[:-1])), dims[-1]], self._float_dtype(dtype),
                                              seed=self.seed)
        return math_ops.multiply(array_ops.reshape(matrix, dims), self.gain)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed, "dtype": self.dtype.name}


class identity_initializer(Initializer):  # noqa: N801
    """`gain` times the identity matrix (rectangular shapes get ones on the main diagonal); 2-D only."""

    def __init__(self, gain=1.0, dtype=dtypes.float32):
        super().__init__(dtype)
        self.gain = gain

    def __call__(self, shape, dtype=None, partition_info=None):
        dims = _static_shape(shape if partition_info is None else partition_info.full_shape, "identity_initializer")
        if len(dims) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices, got shape %s" % dims)
        dtype = self._float_dtype(dtype)
        return array_ops.constant(self.gain * np.eye(*dims), dtype=dtype)

    def get_config(self):
        return {"gain": self.gain, "dtype": self.dtype.name}


# ---- tf.initializers names ---------------------------------------------------------------------------------

zeros = zeros_initializer
ones = ones_initializer
constant = constant_initializer
random_normal = random_normal_initializer
random_uniform = random_uniform_initializer
truncated_normal = truncated_normal_initializer
uniform_unit_scaling = uniform_unit_scaling_initializer
variance_scaling = variance_scaling_initializer
glorot_uniform = glorot_uniform_initializer
glorot_normal = glorot_normal_initializer
orthogonal = orthogonal_initializer
identity = identity_initializer


# ---- Keras class names -------------------------------------------------------------------------------------

class RandomNormal(random_normal_initializer):
    """Keras's random normal: stddev 0.05 by default."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None, dtype=dtypes.float32):
        super().__init__(mean, stddev, seed, dtype)


class TruncatedNormal(truncated_normal_initializer):
    """Keras's truncated normal: stddev 0.05 by default."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None, dtype=dtypes.float32):
        super().__init__(mean, stddev, seed, dtype)


class RandomUniform(random_uniform_initializer):
    """Keras's random uniform: [-0.05, 0.05) by default."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None, dtype=dtypes.float32):
        super().__init__(minval, maxval, seed, dtype)


Zeros = zeros_initializer
Ones = ones_initializer
Constant = constant_initializer
VarianceScaling = variance_scaling_initializer
GlorotUniform = glorot_uniform_initializer
GlorotNormal = glorot_normal_initializer
HeNormal = he_normal
HeUniform = he_uniform
LecunNormal = lecun_normal
LecunUniform = lecun_uniform
Orthogonal = orthogonal_initializer
Identity = identity_initializer
