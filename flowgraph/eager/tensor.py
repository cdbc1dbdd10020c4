"""EagerTensor: a value computed now, with the interface of a graph Tensor and numpy interop (TF2's tf.Tensor)."""
import numpy as np

from flowgraph.framework import context, dtypes
from flowgraph.framework.graph import get_default_graph
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import tensor_operators

# numpy dtype -> DType, for the dtype of every value without as_dtype's generality
NUMPY_TO_DTYPE = {np.dtype(d.as_numpy_dtype): d for d in dtypes.ALL_DTYPES}
DEVICE = "/numpy:0"


def _no_graph_attribute(attr):
    def undefined(self):
        raise AttributeError("Tensor.%s is undefined when eager execution is enabled." % attr)
    return property(undefined)


class EagerTensor:
    """An immutable value held by the backend: a numpy array (or a numpy scalar for 0-d results), or an OpenCL
    DeviceArray for values computed under an OpenCL device scope.

    `_mirror` caches the value's copy on the other side (the host copy of a device value, the device copy of a
    host value), so each crossing happens once. Ops on it run at once. Like TF2's tensors, `==` is elementwise;
    unlike them, hashing is by identity so tensors may key dicts and sets.
    """

    __slots__ = ("_value", "_shape", "_mirror", "__weakref__")
    __array_priority__ = 100  # numpy defers `ndarray + EagerTensor` to EagerTensor.__radd__
    _is_eager_tensor = True

    def __init__(self, value, mirror=None):
        self._value = value
        self._shape = None  # the TensorShape, made on first use
        self._mirror = mirror

    @property
    def dtype(self):
        return NUMPY_TO_DTYPE[self._value.dtype]

    @property
    def shape(self):
        shape = self._shape
        if shape is None:
            shape = self._shape = TensorShape(self._value.shape)
        return shape

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def device(self):
        value = self._value
        return DEVICE if is_host_value(value) else "/opencl:%d" % value.device.index

    backing_device = device
    name = _no_graph_attribute("name")
    op = _no_graph_attribute("op")
    graph = _no_graph_attribute("graph")

    def get_shape(self):
        return self.shape

    def set_shape(self, shape):
        """Eager shapes are exact: accepted when compatible, ValueError otherwise (as TF)."""
        if not self.shape.is_compatible_with(shape):
            raise ValueError("Tensor's shape %s is not compatible with supplied shape %s" % (self.shape,
                                                                                          TensorShape(shape)))

    def numpy(self):
        """A copy of the value: an ndarray, or a numpy scalar for a 0-d tensor."""
        value = self._numpy_value()
        if value.__class__ is np.ndarray:
            return value[()] if value.ndim == 0 else value.copy()
        return value

    def _numpy_value(self):
        """The value on the host without a copy (a device value is copied to the host once), for numpy kernels,
        constant folding and shape rules."""
        value = self._value
        if is_host_value(value):
            return value
        host = self._mirror
        if host is None:
            host = self._mirror = value.get()
        return host

    def __array__(self, dtype=None, copy=None):
        value = np.asarray(self._numpy_value())
        if dtype is not None:
            value = value.astype(dtype, copy=False)
        return value.copy() if copy else value

    def _as_tensor(self, dtype=None):
        """Itself when executing eagerly; inside a function trace a captured input; in a graph a constant."""
        if dtype is not None and dtypes.as_dtype(dtype) != self.dtype:
            raise ValueError("Tensor conversion requested dtype %s for Tensor with dtype %s: %r"
                             % (dtypes.as_dtype(dtype).name, self.dtype.name, self))
        if context.executing_eagerly():
            return self
        graph = get_default_graph()
        capture = getattr(graph, "capture", None)
        if capture is not None:
            return capture(self)
        from flowgraph.ops import array_ops
        return array_ops.constant(self._numpy_value(), dtype=self.dtype)

    # ---- Python protocols --------------------------------------------------------------------------------
    def __repr__(self):
        return "<tf.Tensor: shape=%s, dtype=%s, numpy=%s>" % (self.shape, self.dtype.name, _numpy_text(self, True))

    def __str__(self):
        return "tf.Tensor(%s, shape=%s, dtype=%s)" % (_numpy_text(self, False), self.shape, self.dtype.name)

    def __format__(self, format_spec):
        return format(self.numpy(), format_spec)

    def __bool__(self):
        return bool(self._numpy_value())

    def __float__(self):
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __index__(self):
        if not self.dtype.is_integer:
            raise TypeError("Only integer tensors can be used as an index, got dtype %s" % self.dtype.name)
        return int(self._scalar())

    def _scalar(self):
        if self._value.size != 1:
            raise TypeError("Only size-1 tensors can be converted to Python scalars, got shape %s" % self.shape)
        return np.reshape(self._numpy_value(), ())[()]

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return self._value.shape[0]

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        from flowgraph.ops import array_ops
        return iter(array_ops.unstack(self, num=self._value.shape[0]))

    def __eq__(self, other):
        return _compare(self, other, "equal", False)

    def __ne__(self, other):
        return _compare(self, other, "not_equal", True)

    def __hash__(self):
        return id(self)

    def __copy__(self):
        return self  # immutable

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return EagerTensor, (self.numpy(),)


tensor_operators.install(EagerTensor)


def is_host_value(value):
    """True for numpy values, False for device arrays."""
    return value.__class__ is np.ndarray or isinstance(value, np.generic)


def _numpy_text(tensor, is_repr):
    """The value as numpy prints it; a multi-line value starts on its own line (as TF prints it). A 0-d value
    prints as its scalar does (`3.0`, not `array(3., dtype=float32)`), as TF shows it."""
    value = np.asarray(tensor._numpy_value())
    if value.ndim == 0:
        return str(value[()]) if value.dtype != object else repr(value[()])
    text = repr(value) if is_repr else str(value)
    return "\n" + text if "\n" in text else text


def _compare(tensor, other, fn_name, when_incompatible):
    """TF2's tensor equality: elementwise, False (or True for !=) when the shapes cannot broadcast."""
    from flowgraph.ops import math_ops
    if other is None:
        return when_incompatible
    other_shape = np.shape(getattr(other, "_value", other))
    try:
        np.broadcast_shapes(tensor._value.shape, other_shape)
    except ValueError:
        return EagerTensor(np.bool_(when_incompatible))
    return getattr(math_ops, fn_name)(tensor, other)
