"""The numpy backend: one kernel per op type, each a function of numpy arrays and the op's attrs.

Kernels never modify their inputs; stateful kernels receive the session's VariableCell (for ref inputs and
variables) or numpy Generator (for random ops) as leading arguments.
"""
import functools

from flowgraph.framework.op_registry import register_kernel

numpy_kernel = functools.partial(register_kernel, "numpy")

# Ops whose numpy kernel may return a view of (or the same array as) an input or a stored value; the
# session copies fetched values that may alias state the user must not be able to modify.
VIEW_OPS = {"Const", "Identity", "VariableV2", "Reshape", "PlaceholderWithDefault", "StopGradient",
            "BroadcastTo", "InitializedValue", "CheckNumerics", "Assign", "AssignAdd", "AssignSub",
            "IdentityN", "Transpose", "ExpandDims", "Squeeze", "Split", "SplitV", "Slice", "StridedSlice",
            "ReverseV2", "CondSelect", "ReductionGrad",
            "ApplyGradientDescent", "ApplyAdam"}  # these two may return the variable's own array (updated in place)


def load_kernels():
    """Import the kernel modules, which register themselves by op type."""
    from flowgraph.backends.numpy import (array_kernels, control_flow_kernels, conv_kernels,  # noqa: F401
                                         debug_kernels, math_kernels, nn_kernels, random_kernels, state_kernels,
                                         summary_kernels, training_kernels)
