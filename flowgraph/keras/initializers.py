"""Keras weight initializers: objects called as `init(shape, dtype)` that return the initial-value tensor.

Unseeded random initializers draw with the random ops. A seeded one gives the same values on every call, as
Keras 2's do (it draws from a numpy generator seeded with `seed` and returns them as a constant), so graph and
eager models built with the same seeds start from the same weights. VarianceScaling and its named variants
(Glorot, He, LeCun) scale by the fan-in/fan-out of the shape, as Keras 2 computes them.
"""
import math

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.initializers import compute_fans
from flowgraph.ops import array_ops, random_ops
from flowgraph.keras import backend
from flowgraph.keras.utils import serialization

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
           "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",
           "LecunUniform", "get", "serialize", "deserialize"]


def _dtype(dtype):
    return dtypes.as_dtype(dtype or backend.floatx())


def _truncated(rng, shape):
    """Standard normal draws, those beyond two standard deviations drawn again."""
    values = rng.standard_normal(shape)
    while True:
        outside = np.abs(values) > 2.0
        if not outside.any():
            return values
        values[outside] = rng.standard_normal(int(outside.sum()))


def _draw(distribution, shape, dtype, seed, low_or_mean, high_or_stddev):
    """`distribution` ('uniform', 'normal', 'truncated_normal') samples: random ops, or fixed ones when seeded."""
    dtype = _dtype(dtype)
    if seed is None:
        sampler = {"uniform": random_ops.random_uniform, "normal": random_ops.random_normal,
                   "truncated_normal": random_ops.truncated_normal}[distribution]
        return sampler(shape, low_or_mean, high_or_stddev, dtype=dtype)
    rng = np.random.default_rng(seed)
    shape = [int(d) for d in shape]
    if distribution == "uniform":
        values = low_or_mean + (high_or_stddev - low_or_mean) * rng.random(shape)
    elif distribution == "normal":
        values = low_or_mean + high_or_stddev * rng.standard_normal(shape)
    else:
        values = low_or_mean + high_or_stddev * _truncated(rng, shape)
    return array_ops.constant(values.astype(dtype.as_numpy_dtype))


class Initializer:
    """Base class: `__call__(shape, dtype=None)` returns a tensor; `get_config` gives the constructor args."""

    def __call__(self, shape, dtype=None, **kwargs):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None, **kwargs):
        return array_ops.zeros(shape, _dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None, **kwargs):
        return array_ops.ones(shape, _dtype(dtype))


class Constant(Initializer):
    """Every element `value` (a scalar), or `value` itself when it already has the shape."""

    def __init__(self, value=0):
        self.value = value

    def __call__(self, shape, dtype=None, **kwargs):
        return array_ops.constant(self.value, dtype=_dtype(dtype), shape=shape)

    def get_config(self):
        return {"value": np.asarray(self.value).tolist()}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None, **kwargs):
        return _draw("normal", shape, dtype, self.seed, self.mean, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None, **kwargs):
        return _draw("uniform", shape, dtype, self.seed, self.minval, self.maxval)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(Initializer):
    """Normal draws re-drawn beyond two standard deviations."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None, **kwargs):
        return _draw("truncated_normal", shape, dtype, self.seed, self.mean, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Draws with variance `scale / n`, n the fan-in, fan-out or their mean (`mode`)."""

    _TRUNCATED_STDDEV_OF_UNIT = 0.87962566103423978  # stddev of a unit normal truncated at +-2

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if scale <= 0.0:
            raise ValueError("`scale` must be positive float. Received: scale=%s." % scale)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError("Invalid `mode` argument: %r (expected fan_in, fan_out or fan_avg)" % (mode,))
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError("Invalid `distribution` argument: %r" % (distribution,))
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None, **kwargs):
        fan_in, fan_out = compute_fans([int(d) for d in shape])
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / self._TRUNCATED_STDDEV_OF_UNIT
            return _draw("truncated_normal", shape, dtype, self.seed, 0.0, stddev)
        if self.distribution == "untruncated_normal":
            return _draw("normal", shape, dtype, self.seed, 0.0, math.sqrt(scale))
        limit = math.sqrt(3.0 * scale)
        return _draw("uniform", shape, dtype, self.seed, -limit, limit)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _named_variance_scaling(class_name, scale, mode, distribution, doc):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}
    return type(class_name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc})


GlorotUniform = _named_variance_scaling("GlorotUniform", 1.0, "fan_avg", "uniform",
                                        "Uniform in +-sqrt(6 / (fan_in + fan_out)): Dense and Conv2D's default.")
GlorotNormal = _named_variance_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                                       "Truncated normal with stddev sqrt(2 / (fan_in + fan_out)).")
HeNormal = _named_variance_scaling("HeNormal", 2.0, "fan_in", "truncated_normal",
                                   "Truncated normal with stddev sqrt(2 / fan_in), for ReLU networks.")
HeUniform = _named_variance_scaling("HeUniform", 2.0, "fan_in", "uniform", "Uniform in +-sqrt(6 / fan_in).")
LecunNormal = _named_variance_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal",
                                      "Truncated normal with stddev sqrt(1 / fan_in), for SELU networks.")
LecunUniform = _named_variance_scaling("LecunUniform", 1.0, "fan_in", "uniform", "Uniform in +-sqrt(3 / fan_in).")

_CLASSES = [Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, GlorotUniform,
            GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform]
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({backend.to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"zero": Zeros, "one": Ones, "normal": RandomNormal, "uniform": RandomUniform})


def serialize(initializer):
    return serialization.serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    return serialization.deserialize_keras_object(config, _BY_NAME, custom_objects, "initializer")


def get(identifier):
    """An initializer from a name ('glorot_uniform'), a config dict, an instance or a function."""
    return serialization.get_from_module(identifier, _BY_NAME, "initializer", instantiate_classes=True)
