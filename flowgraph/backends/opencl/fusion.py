"""Elementwise fusion: an elementwise op's result stays a pending C expression until something needs it in
memory; a consumer that is elementwise too folds the expression into its own kernel.

A pending value is inlined into its consumer's kernel when that consumer is its only one, it is not fetched,
and it has the consumer's size (or is a scalar), so nothing is computed twice. Pending values that read a
variable are computed before any op may update that variable.
"""
from flowgraph.backends.opencl.values import Value
from opencl import elementwise as cl_elementwise
from opencl.source import c_type


class Node:
    """A pending elementwise value: `expression` (a format string) applied to `inputs` (Values)."""

    __slots__ = ("expression", "inputs", "cells")

    def __init__(self, expression, inputs):
        self.expression = expression
        self.inputs = inputs
        self.cells = set()
        for v in inputs:
            if v.cell is not None:
                self.cells.add(v.cell)
            if v.pending is not None:
                self.cells |= v.pending.cells


def pending(shape, dtype, expression, inputs):
    """A new pending Value computing `expression` of `inputs`."""
    value = Value(shape, dtype)
    value.pending = Node(expression, inputs)
    return value


def uniform(value):
    """True when every input of the pending `value` is a scalar or has its size (nothing broadcasts along an
    axis), so the expression may be read under any shape of that size."""
    size = value.size
    for x in value.pending.inputs:
        if x.size not in (1, size):
            return False
        if inlinable(x, size) and not uniform(x):
            return False
    return True


def reshaped(value, shape):
    """The pending `value` (consumed only here) under another shape of the same size."""
    result = Value(shape, value.dtype)
    result.pending, value.pending = value.pending, None
    return result


def materialize(builder, value, into=None):
    """Emit the kernel that computes the pending `value` (into the Value `into` when given)."""
    node = value.pending
    if node is None:
        return
    value.pending = None
    target = emit(builder, value.shape, node.inputs, [(into, value.dtype)], "y0 = ({T0})(%s);" % node.expression)[0]
    value.storage = target.storage
    value.cell = target.cell


def emit(builder, shape, inputs, outputs, body):
    """Emit one elementwise kernel over `shape`: `body` reads the inputs as {0}, {1}, ... and assigns y0, y1, ...
    ({T0}, {T1}, ... are the outputs' C types). `outputs` are (Value or None, dtype); None gets a new Value.
    Pending inputs are inlined where `inlinable`, computed first otherwise. Returns the output Values."""
    size = _size(shape)
    leaves, lines, names = [], [], {}
    arg_names = [_expand(builder, v, size, leaves, lines, names) for v in inputs]
    targets = []
    for target, dtype in outputs:
        if target is not None and any(leaf.storage is target.storage and leaf.shape != tuple(shape)
                                      for leaf in leaves):
            target = None  # an in-place write would clobber elements a broadcast input still reads
        targets.append(target if target is not None else builder.new_value(shape, dtype))
    types = {"T%d" % m: c_type(t.dtype) for m, t in enumerate(targets)}
    types["T"] = types["T0"]
    code = "\n      ".join(lines + [body.format(*arg_names, **types)])
    # A leaf of the output's size reads element i for output i (its shape may differ after a reshape).
    args = [(leaf.scalar() if _by_value(leaf) else leaf, leaf.dtype, tuple(shape) if leaf.size == size else leaf.shape)
            for leaf in leaves]
    builder.launch(cl_elementwise.launch(args, [(t, t.dtype) for t in targets], shape, code,
                                         max_items=builder.plan.max_items))
    for (wanted, _), target in zip(outputs, targets):
        if wanted is not None and wanted.storage is not target.storage:
            builder.copy(target, wanted)
    return [w if w is not None else t for (w, _), t in zip(outputs, targets)]


def _size(shape):
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _by_value(value):
    return value.host is not None and value.host.size == 1


def inlinable(value, size):
    return (value.pending is not None and value.consumers == 1 and not value.fetched
            and (value.size == size or value.size == 1))


def _expand(builder, value, size, leaves, lines, names):
    """The C name under which the kernel body sees `value`, emitting its expression lines when inlined."""
    key = id(value)
    if key in names:
        return names[key]
    if inlinable(value, size):
        node = value.pending
        args = [_expand(builder, v, size, leaves, lines, names) for v in node.inputs]
        ctype = c_type(value.dtype)
        name = "v%d" % len(lines)
        lines.append("const %s %s = (%s)(%s);" % (ctype, name, ctype, node.expression.format(*args, T=ctype)))
    else:
        if not _by_value(value):
            builder.on_device(value)
        name = "x%d" % len(leaves)
        leaves.append(value)
    names[key] = name
    return name
