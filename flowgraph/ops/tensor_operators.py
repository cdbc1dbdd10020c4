"""Python operators on tensors and variables (`a + b`, `a @ b`, `a[1:, ::2]`, ...), with TF's op names."""
from flowgraph.framework.graph import Tensor
from flowgraph.ops import indexing_ops, math_ops

# operator -> (function name in math_ops, op name TF gives it)
_BINARY = {
    "add": ("add", "add"), "sub": ("subtract", "sub"), "mul": ("multiply", "mul"), "truediv": ("truediv", "truediv"),
    "floordiv": ("floordiv", "floordiv"), "mod": ("floormod", "mod"), "pow": ("pow", "pow"),
    "matmul": ("matmul", "matmul"), "and": ("logical_and", "and"), "or": ("logical_or", "or"),
    "xor": ("logical_xor", "xor"),
}
_COMPARISONS = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}


def _binary(fn_name, op_name):
    def forward(self, other):
        return getattr(math_ops, fn_name)(self, other, name=op_name)

    def reverse(self, other):
        return getattr(math_ops, fn_name)(other, self, name=op_name)
    return forward, reverse


def _comparison(fn_name):
    return lambda self, other: getattr(math_ops, fn_name)(self, other)


def install(cls):
    """Give `cls` (Tensor, Variable, EagerTensor) the operator overloads."""
    for key, (fn_name, op_name) in _BINARY.items():
        forward, reverse = _binary(fn_name, op_name)
        setattr(cls, "__%s__" % key, forward)
        setattr(cls, "__r%s__" % key, reverse)
    for key, fn_name in _COMPARISONS.items():
        setattr(cls, "__%s__" % key, _comparison(fn_name))
    cls.__neg__ = lambda self: math_ops.negative(self)
    cls.__abs__ = lambda self: math_ops.abs(self)
    cls.__invert__ = lambda self: math_ops.logical_not(self)
    cls.__getitem__ = lambda self, key: indexing_ops.slice_helper(self, key)


install(Tensor)
