"""Where an eager op runs: on the OpenCL device of the innermost `device` scope, or, for an op that updates a
variable, where that variable lives; with numpy otherwise. Values move between host and device only here."""
import logging

import numpy as np

from flowgraph.devices import device_kind
from flowgraph.eager.tensor import EagerTensor, is_host_value
from flowgraph.framework.graph import get_default_graph

log = logging.getLogger("flowgraph.opencl")
_scopes = {}  # canonical device string -> EagerDevice, or None for numpy


def device_for(opdef, inputs):
    """The EagerDevice that runs `opdef` on `inputs` now, or None for numpy."""
    if opdef.ref_inputs:
        for i in opdef.ref_inputs:
            cell = getattr(inputs[i], "_cell", None)
            value = None if cell is None else cell.value
            if value is not None and not is_host_value(value):
                return device_of(value)
        return None
    return scope_device()


def scope_device():
    """The EagerDevice of the innermost device scope, or None when it names no OpenCL device."""
    spec = get_default_graph()._current_device()
    if not spec:
        return None
    try:
        return _scopes[spec]
    except KeyError:
        pass
    found = None
    if device_kind(spec) == "opencl":
        from opencl import runtime
        if runtime.available():
            from flowgraph.backends.opencl.eager import eager_device
            found = eager_device(int(spec.rpartition(":")[2] or 0))
        else:
            log.warning("eager ops are placed on %s but this machine has no OpenCL device: they run on numpy", spec)
    _scopes[spec] = found
    return found


def device_of(array):
    """The EagerDevice holding the DeviceArray `array`."""
    from flowgraph.backends.opencl.eager import eager_device
    return eager_device(array.device.index)


def on_device(tensor, device):
    """`tensor`'s value as a DeviceArray of `device`; a host value is copied there once (and kept)."""
    value = tensor._value
    if not is_host_value(value):
        return value if value.device is device.device else device.constant(tensor._numpy_value())
    mirror = tensor._mirror
    if mirror is None or mirror.device is not device.device:
        mirror = tensor._mirror = device.constant(value)
    return mirror


def device_args(opdef, inputs, device):
    """What `device.run` takes for `inputs`, or None when one of them cannot live on the device: ref inputs as
    their variables' cells (moved to the device if they are on the host), host inputs as numpy values."""
    refs, host_inputs = opdef.ref_inputs, opdef.host_inputs
    args = []
    for i, t in enumerate(inputs):
        if i in refs:
            cell = t._cell
            if is_host_value(cell.value):
                cell.value = device.upload(cell.value)
            args.append(cell)
        elif i in host_inputs:
            args.append(t._numpy_value())
        elif device.holds(t._value.dtype):
            args.append(on_device(t, device))
        else:
            return None
    return args


def to_device(result, device):
    """A numpy kernel's result (computed for an op placed on `device`) as an EagerTensor on the device, keeping
    the host value as its mirror; values of dtypes the device cannot hold stay on the host."""
    value = result if result.__class__ is np.ndarray else np.asarray(result)
    if not device.holds(value.dtype):
        return EagerTensor(result)
    value = np.asarray(value, order="C")
    return EagerTensor(device.constant(value), value)
