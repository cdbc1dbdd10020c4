"""What a plan knows about each value while it is being made: shape, dtype, and where the value lives."""
import numpy as np

from flowgraph.backends.opencl.memory import Storage
from flowgraph.framework.shapes import TensorShape


class Value:
    """One tensor of a plan, at the concrete shapes the plan is made for.

    It is known on the host when the plan is made (`host`: constants and values computed from shapes), or lives
    in device memory (`storage`), or is computed on the host during each run (`runtime`: its index among the
    run's host values, as feeds are), or is an elementwise expression not computed yet (`pending`, see fusion).
    `cell` is set when the value is a variable's own buffer, which later steps may update in place.
    """

    __slots__ = ("shape", "dtype", "storage", "host", "runtime", "pending", "cell", "consumers", "fetched",
                 "last_use", "feed", "downloaded")

    def __init__(self, shape, dtype, storage=None, host=None, runtime=None, cell=None):
        self.shape = None if shape is None else tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.storage = storage
        self.host = host
        self.runtime = runtime
        self.pending = None
        self.cell = cell
        self.consumers = 0
        self.fetched = False
        self.last_use = None
        self.feed = None
        self.downloaded = None

    @classmethod
    def constant(cls, array):
        array = np.asarray(array)
        return cls(array.shape, array.dtype, host=array)

    @property
    def buffer(self):
        return self.storage.buffer

    @property
    def dynamic(self):
        """True when the shape is known only at run time (it depends on data)."""
        return self.shape is None

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    def scalar(self):
        """The host value as a numpy scalar of the value's dtype (bool as one byte, as kernels store it)."""
        value = np.asarray(self.host).reshape(())[()]
        return np.uint8(value) if self.dtype == np.bool_ else self.dtype.type(value)

    def __repr__(self):
        where = ("host" if self.host is not None else "pending" if self.pending is not None else
                 "device" if self.storage is not None else "runtime" if self.runtime is not None else "?")
        return "<Value %s %s %s>" % (self.dtype.name, self.shape, where)


def storage_of(arg):
    """The Storage behind a launch argument, or None for scalars, constants and arrays that own their buffer."""
    if isinstance(arg, Value):
        return arg.storage
    return arg if isinstance(arg, Storage) else None


class _ConcreteTensor:
    """An op input as shape rules see it, with the concrete shape (and host value) of this plan."""

    def __init__(self, tensor, value):
        self.shape = TensorShape(value.shape)
        self.dtype = tensor.dtype
        self.op = tensor.op
        self.name = tensor.name
        self.value_index = tensor.value_index
        self._host = value.host

    def _numpy_value(self):
        return self._host


class ConcreteOp:
    """An op with concrete input shapes, so its declared shape rule gives the output shapes of this plan."""

    def __init__(self, op, inputs):
        self._op = op
        self._opdef = op._opdef
        self._attrs = op._attrs
        self.inputs = self._inputs = inputs
        self.outputs = op.outputs
        self.type = op.type
        self.name = op.name
        self.op_def = op._opdef
        self.graph = op.graph

    def get_attr(self, name):
        return self._op.get_attr(name)


def concrete_shapes(op, in_values):
    """The output shapes of `op` for these values of all its inputs (ref inputs included), or None when they
    depend on data."""
    if op._opdef.num_outputs == 0:
        return []
    static = [t.shape for t in op._outputs]
    if all(s.is_fully_defined() for s in static) and all(t.shape.is_fully_defined() for t in op._inputs):
        return [tuple(s.as_list()) for s in static]  # checked when the graph was built
    if any(v.dynamic for v in in_values) or op._opdef.shape_rule is None:
        return None
    fake = ConcreteOp(op, [_ConcreteTensor(t, v) for t, v in zip(op._inputs, in_values)])
    try:
        shapes = op._opdef.shape_rule(fake)
    except (ValueError, TypeError, AttributeError, IndexError):
        return None
    shapes = [shapes] if isinstance(shapes, TensorShape) else list(shapes)
    result = []
    for s, known in zip(shapes, static):
        s = s.merge_with(known) if s.is_compatible_with(known) else s
        if not s.is_fully_defined():
            return None
        result.append(tuple(s.as_list()))
    return result
