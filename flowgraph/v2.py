"""The TF2 namespace: `import flowgraph.v2 as tf` turns eager execution on and gives TF2's names.

Ops run as they are called and return EagerTensors; `tf.function` traces Python into graphs; `tf.Variable` is
the eager variable; `tf.compat.v1` is the graph-mode `flowgraph` namespace.
"""
import sys as _sys

import flowgraph as _flowgraph
from flowgraph import compat, errors, linalg, math, nn, random  # noqa: F401
from flowgraph.eager import enable as _enable
from flowgraph.eager import (EagerTensor as _EagerTensor, GradientTape, TensorSpec, UnconnectedGradients,  # noqa: F401
                             function, init_scope)
from flowgraph.eager.variable import EagerVariable as Variable
from flowgraph.framework import dtypes
from flowgraph.framework import graph as _graph
from flowgraph.framework.context import executing_eagerly  # noqa: F401
from flowgraph.framework.dtypes import (DType, as_dtype, bool, double, float16, float32, float64, half,  # noqa: F401,A004
                                        int8, int16, int32, int64, string, uint8, uint16)
from flowgraph.framework.graph import control_dependencies, device, is_tensor, name_scope  # noqa: F401
from flowgraph.framework.shapes import TensorShape  # noqa: F401
from flowgraph.gradients import custom_gradient  # noqa: F401
from flowgraph.ops.array_ops import *  # noqa: F401,F403
from flowgraph.ops.control_flow_ops import *  # noqa: F401,F403
from flowgraph.ops.indexing_ops import *  # noqa: F401,F403
from flowgraph.ops.math_ops import *  # noqa: F401,F403
from flowgraph.ops.sequence_ops import *  # noqa: F401,F403

# TF1 names that TF2's top level no longer has
for _name in ("placeholder", "placeholder_with_default", "to_float", "to_double", "to_int32", "to_int64", "div",
              "reverse_v2", "lin_space", "reduce_to_shape"):
    globals().pop(_name, None)

newaxis = None


class _TensorType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, (_graph.Tensor, _EagerTensor))

    def __subclasscheck__(cls, subclass):
        return issubclass(subclass, (_graph.Tensor, _EagerTensor))


class Tensor(metaclass=_TensorType):
    """TF2's tf.Tensor for isinstance checks: true of eager tensors and of graph tensors (inside functions)."""


def __getattr__(name):
    if name == "keras":  # imported on first use: Keras builds on this namespace
        from flowgraph import keras
        return keras
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


_enable()
compat.v2 = _sys.modules[__name__]
v1 = _flowgraph
