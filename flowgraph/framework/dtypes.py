"""DType: the element types a tensor may hold, with numpy interop."""
import numpy as np


class DType:
    """An element type; compares equal to anything `as_dtype` maps to it."""

    __slots__ = ("name", "as_numpy_dtype", "_np")

    def __init__(self, name, numpy_type):
        self.name = name
        self.as_numpy_dtype = numpy_type
        self._np = np.dtype(numpy_type)

    @property
    def base_dtype(self):
        return self

    @property
    def real_dtype(self):
        return self

    @property
    def is_floating(self):
        return self._np.kind == "f"

    @property
    def is_integer(self):
        return self._np.kind in "iu"

    @property
    def is_unsigned(self):
        return self._np.kind == "u"

    @property
    def is_bool(self):
        return self._np.kind == "b"

    @property
    def is_complex(self):
        return False

    @property
    def is_numeric(self):
        return self._np.kind in "iuf"

    @property
    def size(self):
        return self._np.itemsize

    @property
    def min(self):
        return np.finfo(self._np).min if self.is_floating else np.iinfo(self._np).min

    @property
    def max(self):
        return np.finfo(self._np).max if self.is_floating else np.iinfo(self._np).max

    def is_compatible_with(self, other):
        return self == other

    def __eq__(self, other):
        if other is self:
            return True
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return "tf." + self.name

    def __str__(self):
        return "<dtype: %r>" % self.name

    def __reduce__(self):
        return as_dtype, (self.name,)


float16 = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
uint16 = DType("uint16", np.uint16)
bool = DType("bool", np.bool_)  # noqa: A001 - TF's public name
string = DType("string", np.object_)
half = float16
double = float64

ALL_DTYPES = (float16, float32, float64, int8, int16, int32, int64, uint8, uint16, bool, string)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NAME.update({"half": float16, "double": float64, "float": float32})
_BY_NUMPY = {d._np: d for d in ALL_DTYPES}
_BY_NUMPY[np.dtype(np.str_)] = string
_BY_NUMPY[np.dtype(np.bytes_)] = string
_BY_PYTHON = {float: float32, int: int32, type(True): bool, str: string, bytes: string}


def as_dtype(value):
    """The DType named by a DType, a numpy dtype or type, a Python type, or a name."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        try:
            return _BY_NAME[value]
        except KeyError:
            raise TypeError("Cannot convert %r to a dtype: unknown name" % value) from None
    if value in _BY_PYTHON:
        return _BY_PYTHON[value]
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError("Cannot convert %r to a dtype" % (value,)) from None
    if npd.kind in "SU":
        return string
    try:
        return _BY_NUMPY[npd]
    except KeyError:
        raise TypeError("Cannot convert %r to a dtype: %s is not supported" % (value, npd)) from None


def dtype_of_value(value):
    """The DType TF gives a Python or numpy value: Python floats are float32, ints int32."""
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return as_dtype(value.dtype)
    probe = np.asarray(value)
    if probe.dtype.kind == "f":
        return float32
    if probe.dtype.kind in "iu":
        if probe.size and (probe.max() > np.iinfo(np.int32).max or probe.min() < np.iinfo(np.int32).min):
            return int64
        return int32
    return as_dtype(probe.dtype)
