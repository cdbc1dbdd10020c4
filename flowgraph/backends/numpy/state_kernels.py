"""Numpy kernels of the variable ops. Updates replace the cell's value (never write into it), so values
read or fetched before stay intact; AssignAdd/Sub hold the cell's lock for an exact read-modify-write."""
import numpy as np

from flowgraph.backends.numpy import numpy_kernel
from flowgraph.framework import errors


@numpy_kernel("VariableV2")
def _variable(cell, shape, dtype):
    return cell.read()


def check_same_shape(cell, value, op_type, expected):
    """TF's run-time check that an update keeps the variable's shape (static shapes may be partly unknown)."""
    if expected is None:
        return
    shape = np.shape(value)
    if len(expected) != len(shape) or any(d is not None and d != s for d, s in zip(expected, shape)):
        raise errors.InvalidArgumentError(
            None, None, "%s requires shapes of both tensors to match: variable %s has shape %s, the value has "
                        "shape %s" % (op_type, cell.name, list(expected), list(shape)))


@numpy_kernel("Assign")
def _assign(cell, value, validate_shape, use_locking):
    if validate_shape:
        check_same_shape(cell, value, "Assign",
                         cell.value.shape if cell.value is not None else cell.op.get_attr("shape"))
    cell.value = np.array(value, copy=True)
    return cell.value


@numpy_kernel("AssignAdd")
def _assign_add(cell, value, use_locking):
    with cell.lock:
        old = cell.read()
        check_same_shape(cell, value, "AssignAdd", old.shape)
        cell.value = new = old + value
    return new


@numpy_kernel("AssignSub")
def _assign_sub(cell, value, use_locking):
    with cell.lock:
        old = cell.read()
        check_same_shape(cell, value, "AssignSub", old.shape)
        cell.value = new = old - value
    return new


@numpy_kernel("IsVariableInitialized")
def _is_initialized(cell):
    return np.bool_(cell.value is not None)


@numpy_kernel("InitializedValue")
def _initialized_value(cell, default):
    value = cell.value
    return default if value is None else value
