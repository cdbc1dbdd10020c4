"""Numpy kernels of the variable ops. Updates replace the cell's value (never write into it), so values
read or fetched before stay intact; AssignAdd/Sub hold the cell's lock for an exact read-modify-write."""
import numpy as np

from flowgraph.backends.numpy import numpy_kernel


@numpy_kernel("VariableV2")
def _variable(cell, shape, dtype):
    return cell.read()


@numpy_kernel("Assign")
def _assign(cell, value, validate_shape, use_locking):
    cell.value = np.array(value, copy=True)
    return cell.value


@numpy_kernel("AssignAdd")
def _assign_add(cell, value, use_locking):
    with cell.lock:
        cell.value = new = cell.read() + value
    return new


@numpy_kernel("AssignSub")
def _assign_sub(cell, value, use_locking):
    with cell.lock:
        cell.value = new = cell.read() - value
    return new


@numpy_kernel("IsVariableInitialized")
def _is_initialized(cell):
    return np.bool_(cell.value is not None)


@numpy_kernel("InitializedValue")
def _initialized_value(cell, default):
    value = cell.value
    return default if value is None else value
