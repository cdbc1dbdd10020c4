"""Activation functions by name ('relu', 'softmax', ...), written with public ops so they differentiate."""
from flowgraph import nn
from flowgraph.ops import math_ops
from flowgraph.keras.utils import serialization

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign", "elu", "selu", "exponential",
           "linear", "hard_sigmoid", "swish", "silu", "gelu", "get", "serialize", "deserialize"]


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """x above `threshold` (else 0), capped at `max_value`, minus `alpha` times the part below the threshold."""
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return nn.relu(x)
    negative_part = nn.relu(threshold - x) if alpha != 0.0 else None
    if threshold != 0.0:
        out = x * math_ops.cast(x > threshold, x.dtype)
    else:
        out = nn.relu(x)
    if max_value is not None:
        out = math_ops.clip_by_value(out, 0.0, float(max_value))
    if negative_part is not None:
        out = out - alpha * negative_part
    return out


def sigmoid(x):
    return math_ops.sigmoid(x)


def tanh(x):
    return math_ops.tanh(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (the last by default)."""
    if x.shape.rank == 1:
        raise ValueError("Cannot apply softmax to a tensor that is 1D. Received input: %s" % (x,))
    return nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return nn.log_softmax(x, axis=axis)


def softplus(x):
    return nn.softplus(x)


def softsign(x):
    return nn.softsign(x)


def elu(x, alpha=1.0):
    out = nn.elu(x)
    return out if alpha == 1.0 else math_ops.where(x > 0, out, alpha * out)


def selu(x):
    return nn.selu(x)


def exponential(x):
    return math_ops.exp(x)


def linear(x):
    return x


def hard_sigmoid(x):
    """clip(0.2 * x + 0.5, 0, 1): Keras 2's piecewise-linear sigmoid."""
    return math_ops.clip_by_value(x * 0.2 + 0.5, 0.0, 1.0)


def swish(x):
    return x * math_ops.sigmoid(x)


silu = swish


def gelu(x, approximate=False):
    """x * P(X <= x) for a standard normal X; `approximate` uses the tanh formula."""
    if approximate:
        return 0.5 * x * (1.0 + math_ops.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1.0 + math_ops.erf(x * 0.7071067811865476))


_BY_NAME = {name: globals()[name] for name in __all__[:-3]}


def serialize(activation):
    return serialization.get_registered_name(activation)


def deserialize(name, custom_objects=None):
    return serialization.deserialize_keras_object(name, _BY_NAME, custom_objects, "activation function")


def get(identifier):
    """An activation function from a name, a function, or None (linear)."""
    if identifier is None:
        return linear
    return serialization.get_from_module(identifier, _BY_NAME, "activation function")
