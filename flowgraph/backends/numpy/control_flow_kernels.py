"""Numpy kernels of the control-flow ops: the cond selection and assertions."""
import numpy as np

from flowgraph.backends.numpy import numpy_kernel
from flowgraph.framework import errors
from flowgraph.ops.control_flow_ops import format_assert_data


@numpy_kernel("CondSelect")
def _cond_select(pred, then_value, else_value):
    return then_value if pred else else_value


@numpy_kernel("Assert")
def _assert(condition, *data, summarize):
    if not np.all(condition):
        raise errors.InvalidArgumentError(None, None, format_assert_data(data, summarize))
