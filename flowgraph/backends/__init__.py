"""Backends by device name. The numpy backend is always there; others register when importable."""
import os

from flowgraph.framework.graph import canonical_device

_FACTORIES = {}


def register_backend(kind, factory):
    """`factory(index)` returns an object with `name` and `make_plan(schedule, store)`."""
    _FACTORIES[kind] = factory


def get_backend(device=None):
    """The backend for a device string ('numpy', '/opencl:0', ...); FLOWGRAPH_DEVICE sets the default."""
    spec = canonical_device(device or os.environ.get("FLOWGRAPH_DEVICE") or "numpy")
    kind, _, index = spec.lstrip("/").partition(":")
    if kind in ("cpu", ""):
        kind = "numpy"
    if kind not in _FACTORIES and kind == "opencl":
        from flowgraph.backends import opencl_backend  # noqa: F401 - registers itself
    try:
        factory = _FACTORIES[kind]
    except KeyError:
        raise ValueError("Unknown device %r: expected one of %s" % (device, sorted(_FACTORIES) + ["opencl"])) from None
    return factory(int(index or 0))


class NumpyBackend:
    name = "numpy"
    device = "/numpy:0"

    def make_plan(self, schedule, store):
        from flowgraph.backends.numpy.executor import NumpyPlan
        return NumpyPlan(schedule, store)


_NUMPY = NumpyBackend()
register_backend("numpy", lambda index: _NUMPY)
