"""Elementwise fusion: an elementwise op's result stays a pending C expression until something needs it in
memory; a consumer that is elementwise too folds the expression into its own kernel.

A pending value is inlined into its consumer's kernel when that consumer is its only one, it is not fetched,
and it has the consumer's size (or is a scalar, or a few ops cheap to repeat per element), so nothing costly
is computed twice. Pending values that read a variable are computed before any op may update that variable
(unless the update itself reads them, element by element, before writing).
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
    result.consumers, result.fetched, result.last_use = value.consumers, value.fetched, value.last_use
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
    leaves, lines, names, inlined = [], [], {}, []
    arg_names = [_expand(builder, v, shape, leaves, lines, names, inlined) for v in inputs]
    for value in inlined:  # computed inside this kernel for its one consumer: never on its own
        value.pending = None
    targets = []
    for target, dtype in outputs:
        if target is not None and any(leaf.storage is target.storage and read_as != tuple(shape)
                                      for leaf, read_as in leaves):
            target = None  # an in-place write would clobber elements a broadcast input still reads
        targets.append(target if target is not None else builder.new_value(shape, dtype))

    def render(width):
        """The kernel body over scalars (width 1) or vectors of `width` elements."""
        wide = "" if width == 1 else str(width)
        code = ["const {0}{1} {2} = ({0}{1})({3});".format(c_type(dtype), wide, name, expression.format(
            *args, T=c_type(dtype) + wide)) for name, dtype, expression, args in lines]
        types = {"T%d" % m: c_type(t.dtype) + wide for m, t in enumerate(targets)}
        types["T"] = types["T0"]
        return "\n      ".join(code + [body.format(*arg_names, **types)])
    # Vector loops only when every value has one floating type: comparisons inside give masks, and vector
    # types never convert implicitly.
    kinds = {leaf.dtype for leaf, _ in leaves} | {v.dtype for v in inlined} | {t.dtype for t in targets}
    vector = render(cl_elementwise.VECTOR) if len(kinds) == 1 and next(iter(kinds)).kind == "f" else None
    args = [(leaf.scalar() if _by_value(leaf) else leaf, leaf.dtype, read_as) for leaf, read_as in leaves]
    builder.launch(cl_elementwise.launch(args, [(t, t.dtype) for t in targets], shape, render(1), vector,
                                         max_items=builder.plan.max_items, cache_bytes=builder.device.cache_bytes))
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
    """A pending value is computed inside its one consumer's kernel when it has the kernel's size, is a scalar,
    or is a few ops (repeating them per element beats a launch)."""
    return (value.pending is not None and value.consumers == 1 and not value.fetched
            and (value.size in (size, 1) or _cheap(value)))


def _cheap(value, budget=3):
    """At most `budget` ops would be repeated: the pending value's own and those it would inline."""
    stack, ops = [value], 0
    while stack:
        v = stack.pop()
        ops += 1
        if ops > budget:
            return False
        stack.extend(x for x in v.pending.inputs if x.pending is not None and x.consumers == 1 and not x.fetched)
    return True


def _expand(builder, value, shape, leaves, lines, names, inlined):
    """The C name under which the kernel body sees `value`, emitting its expression lines when inlined.

    `shape` is the shape of the expression reading `value`: a value of that size is read element for element
    (it may have been reshaped), others broadcast (`leaves` records the shape each is read with).
    """
    key = id(value)
    if key in names:
        return names[key]
    size = _size(shape)
    if inlinable(value, size):
        node = value.pending
        inlined.append(value)
        inner = tuple(shape) if value.size == size else value.shape  # a reshape applies to its inputs too
        args = [_expand(builder, v, inner, leaves, lines, names, inlined) for v in node.inputs]
        name = "v%d" % len(lines)
        lines.append((name, value.dtype, node.expression, args))
    else:
        if not _by_value(value):
            builder.on_device(value)
        name = "x%d" % len(leaves)
        leaves.append((value, tuple(shape) if value.size == size else value.shape))
    names[key] = name
    return name
