"""flowgraph: a define-and-run deep-learning framework in the style of TensorFlow 1.

`import flowgraph as tf` gives the `tf.compat.v1` world (graph mode); `import flowgraph.v2 as tf` the eager one.
"""
import sys as _sys

from flowgraph.framework import dtypes as _dtypes_module
from flowgraph.framework.dtypes import (DType, as_dtype, bool, double, float16, float32, float64, half,  # noqa: A004
                                        int8, int16, int32, int64, string, uint8, uint16)
from flowgraph.framework.shapes import TensorShape
from flowgraph.framework.graph import (Graph, GraphKeys, Operation, Tensor, add_to_collection, add_to_collections,
                                       control_dependencies, device, get_collection, get_collection_ref,
                                       get_default_graph, is_tensor, name_scope, reset_default_graph)
from flowgraph.framework.context import executing_eagerly
from flowgraph.framework.limits import set_tensor_size_limit, tensor_size_limit
from flowgraph.framework.random_seed import set_random_seed, get_seed
from flowgraph.ops.array_ops import *  # noqa: F401,F403
from flowgraph.ops.indexing_ops import *  # noqa: F401,F403
from flowgraph.ops.sequence_ops import *  # noqa: F401,F403
from flowgraph.ops.math_ops import *  # noqa: F401,F403
from flowgraph.ops.state_ops import *  # noqa: F401,F403
from flowgraph.ops.random_ops import *  # noqa: F401,F403
from flowgraph.ops.control_flow_ops import *  # noqa: F401,F403
from flowgraph.ops.debug_ops import *  # noqa: F401,F403
from flowgraph.ops import tensor_operators as _tensor_operators
from flowgraph.backends.numpy import load_kernels as _load_kernels
from flowgraph.variables import *  # noqa: F401,F403
from flowgraph.variables import Variable
from flowgraph.variable_scope import *  # noqa: F401,F403
from flowgraph.initializers import *  # noqa: F401,F403
from flowgraph.gradients import gradients, hessians, RegisterGradient, NotDifferentiable, no_gradient, custom_gradient
from flowgraph.eager import GradientTape, TensorSpec, UnconnectedGradients, function, init_scope
from flowgraph.client.session import (ConfigProto, GPUOptions, InteractiveSession, RunMetadata, RunOptions,
                                      Session, get_default_session)
from flowgraph.framework import errors
from flowgraph import test, nn, losses, layers, train, initializers, compat, math, linalg, random, keras
from flowgraph.devices import devices
from flowgraph import io, summary
from flowgraph import contrib
from flowgraph.io import GraphDef, import_graph_def

_load_kernels()
_tensor_operators.install(Variable)

__version__ = "0.1.0"
dtypes = _dtypes_module
newaxis = None


def disable_eager_execution():
    """Graph mode (the default here); kept so TF1 scripts' preambles run."""
    from flowgraph.framework import context
    context.set_eager(False)


def disable_v2_behavior():
    disable_eager_execution()


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    """Run ops immediately (TF 1.x's switch to eager)."""
    from flowgraph import eager
    eager.enable()


_sys.modules[__name__ + ".v1"] = _sys.modules[__name__]
_sys.modules[__name__ + ".compat.v1"] = _sys.modules[__name__]
compat.v1 = _sys.modules[__name__]
v1 = _sys.modules[__name__]
