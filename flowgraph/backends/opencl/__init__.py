"""The OpenCL backend: plans that keep values on an OpenCL device, built on the graph-agnostic `opencl` package.

Kernels register per op type in `OpDef.kernels["opencl"]`, in one of two forms:
- `elementwise("Relu", "max({0}, ({T})0)")`: a C expression of the inputs (`{0}`, `{1}`, ...; `{T}` is the
  output's C type). Inputs broadcast. Plans fuse chains of these into one generated kernel.
- `@opencl_kernel("MatMul")` on `fn(k)`: `k` (an `OpContext`) gives the inputs, outputs and attrs, and takes the
  launches (from the `opencl` launchers) that compute the op.
"""
import functools

from flowgraph.framework.op_registry import OP_DEFS, register_kernel


class Elementwise:
    """An op computed by one C expression per output element; `expression` is a format string, a dict of them
    by input dtype kind ('f' float, 'i' signed, 'u' unsigned, 'b' bool), or a function of the op."""

    def __init__(self, type_name, expression):
        self.type_name = type_name
        self.expression = expression

    def source(self, op, in_dtypes):
        """The C expression for `op`, or None when the input dtypes have no kernel here."""
        expression = self.expression
        if callable(expression):
            expression = expression(op)
        if isinstance(expression, dict):
            kind = in_dtypes[0].kind if in_dtypes else "f"
            expression = expression.get(kind, expression.get("iu" if kind in "iu" else None))
        return expression

    def __repr__(self):
        return "<Elementwise %s>" % self.type_name


def elementwise(type_name, expression):
    """Register the elementwise OpenCL kernel of `type_name`."""
    OP_DEFS[type_name].kernels["opencl"] = Elementwise(type_name, expression)


def opencl_kernel(type_name, raw_inputs=False):
    """Decorator: `fn(k)` emits the launches of `type_name`. With `raw_inputs`, elementwise inputs reach it
    unevaluated so it can fuse them (see `OpContext.elementwise`)."""
    def decorate(fn):
        fn.raw_inputs = raw_inputs
        return register_kernel("opencl", type_name)(fn)
    return decorate


@functools.lru_cache(maxsize=None)
def load_kernels():
    """Import the kernel modules, which register themselves by op type."""
    from flowgraph.backends.opencl import (array_kernels, elementwise_kernels, math_kernels,  # noqa: F401
                                          nn_kernels, random_kernels, state_kernels)
    return True
