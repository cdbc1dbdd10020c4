"""Weight regularizers: callables mapping a weight to a scalar loss that fit adds to the training loss."""
from flowgraph.ops import math_ops
from flowgraph.keras.utils import serialization

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize", "deserialize"]


class Regularizer:
    """Base class: `__call__(weight)` returns a scalar tensor; `get_config` the constructor arguments."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = float(l1)
        self.l2 = float(l2)

    def __call__(self, x):
        terms = []
        if self.l1:
            terms.append(self.l1 * math_ops.reduce_sum(math_ops.abs(x)))
        if self.l2:
            terms.append(self.l2 * math_ops.reduce_sum(math_ops.square(x)))
        if not terms:
            return math_ops.cast(0.0, x.dtype)
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """l1 * sum(|x|)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """l2 * sum(x^2)."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


l1 = L1
l2 = L2


def l1_l2(l1=0.01, l2=0.01):  # noqa: F811 - Keras's argument names
    return L1L2(l1=l1, l2=l2)


_BY_NAME = {"L1L2": L1L2, "L1": L1, "L2": L2, "l1": L1, "l2": L2, "l1_l2": l1_l2}


def serialize(regularizer):
    return serialization.serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    return serialization.deserialize_keras_object(config, _BY_NAME, custom_objects, "regularizer")


def get(identifier):
    """A regularizer from a name ('l2'), a config dict, an instance, a function, or None."""
    return serialization.get_from_module(identifier, _BY_NAME, "regularizer", instantiate_classes=True)
