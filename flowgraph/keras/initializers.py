"""Keras weight initializers: TF1's initializers (flowgraph.initializers) with Keras 2's conventions.

What Keras does differently lives in its `Initializer` base: the dtype is no constructor argument (a call without
one uses `backend.floatx()`), so configs leave it out; and a seeded initializer gives the same values on every
call (it draws from a numpy generator seeded with `seed` and returns them as a constant), so graph and eager
models built with the same seeds start from the same weights. Unseeded ones draw with the random ops. The
distributions, fan computations and Glorot/He/LeCun presets are TF1's.
"""
import numpy as np

from flowgraph import initializers
from flowgraph.framework import dtypes
from flowgraph.ops import array_ops
from flowgraph.keras import backend
from flowgraph.keras.utils import serialization

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
           "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",
           "LecunUniform", "get", "serialize", "deserialize"]


def _truncated(rng, shape):
    """Standard normal draws, those beyond two standard deviations drawn again."""
    values = rng.standard_normal(shape)
    while True:
        outside = np.abs(values) > 2.0
        if not outside.any():
            return values
        values[outside] = rng.standard_normal(int(outside.sum()))


class Initializer(initializers.Initializer):
    """Base class: `__call__(shape, dtype=None)` returns a tensor; `get_config` gives the constructor args."""

    dtype = dtypes.float32  # never used by a call (see `_dtype`); there for subclasses that skip the base __init__

    def _dtype(self, dtype):
        return dtypes.as_dtype(dtype or backend.floatx())

    def _sample(self, distribution, shape, a, b, dtype):
        if self.seed is None:
            return super()._sample(distribution, shape, a, b, dtype)
        rng = np.random.default_rng(self.seed)
        shape = [int(d) for d in shape]
        if distribution == "uniform":
            values = a + (b - a) * rng.random(shape)
        elif distribution == "normal":
            values = a + b * rng.standard_normal(shape)
        else:
            values = a + b * _truncated(rng, shape)
        return array_ops.constant(values.astype(dtype.as_numpy_dtype))

    def get_config(self):
        config = super().get_config()
        config.pop("dtype")
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)


class Zeros(Initializer, initializers.zeros_initializer):
    def __init__(self):
        super().__init__()


class Ones(Initializer, initializers.ones_initializer):
    def __init__(self):
        super().__init__()


class Constant(Initializer, initializers.constant_initializer):
    """Every element `value` (a scalar), or `value` itself when it already has the shape."""

    def __init__(self, value=0):
        super().__init__(value)


class RandomNormal(Initializer, initializers.RandomNormal):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(mean, stddev, seed)


class RandomUniform(Initializer, initializers.RandomUniform):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(minval, maxval, seed)


class TruncatedNormal(Initializer, initializers.TruncatedNormal):
    """Normal draws re-drawn beyond two standard deviations."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(mean, stddev, seed)


class VarianceScaling(Initializer, initializers.variance_scaling_initializer):
    """Draws with variance `scale / n`, n the fan-in, fan-out or their mean (`mode`); 'normal' is Keras's name
    for the truncated normal."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if distribution.lower() == "normal":
            distribution = "truncated_normal"
        super().__init__(scale, mode, distribution, seed)


def _preset(class_name, tf1_preset, doc):
    """The Keras class of a TF1 Glorot/He/LeCun preset: a VarianceScaling whose only argument is `seed`."""
    def __init__(self, seed=None):
        tf1_preset.__init__(self, seed)
    return type(class_name, (VarianceScaling, tf1_preset), {"__init__": __init__, "__doc__": doc})


GlorotUniform = _preset("GlorotUniform", initializers.glorot_uniform_initializer,
                        "Uniform in +-sqrt(6 / (fan_in + fan_out)): Dense and Conv2D's default.")
GlorotNormal = _preset("GlorotNormal", initializers.glorot_normal_initializer,
                       "Truncated normal with stddev sqrt(2 / (fan_in + fan_out)).")
HeNormal = _preset("HeNormal", initializers.he_normal, "Truncated normal with stddev sqrt(2 / fan_in), for ReLU.")
HeUniform = _preset("HeUniform", initializers.he_uniform, "Uniform in +-sqrt(6 / fan_in).")
LecunNormal = _preset("LecunNormal", initializers.lecun_normal,
                      "Truncated normal with stddev sqrt(1 / fan_in), for SELU networks.")
LecunUniform = _preset("LecunUniform", initializers.lecun_uniform, "Uniform in +-sqrt(3 / fan_in).")

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
