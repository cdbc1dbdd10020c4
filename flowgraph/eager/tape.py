"""The record behind GradientTape: which eager op applications led from watched values to others, and the
backward pass that replays their gradient rules in reverse.

A Recording tracks values by identity (`id`), holding a reference to each so ids stay unique while it lives.
An op is recorded when one of its inputs is tracked; its outputs become tracked. Gradient rules build public
ops, which run eagerly and are recorded by any outer tape still recording: that gives higher derivatives.
"""
from flowgraph.ops import array_ops, math_ops

# Recordings of the tapes now recording, innermost last; the eager executor records on them.
active = []


class Recording:
    """What one GradientTape has seen: tracked values, op entries in execution order, watched variables."""

    __slots__ = ("tracked", "entries", "watched_variables", "watch_accessed")

    def __init__(self, watch_accessed_variables):
        self.tracked = {}
        self.entries = []
        self.watched_variables = []
        self.watch_accessed = watch_accessed_variables

    def watch(self, value):
        if id(value) not in self.tracked:
            self.tracked[id(value)] = value
            if not hasattr(value, "_value"):  # a variable
                self.watched_variables.append(value)

    def add(self, entry):
        self.entries.append(entry)
        tracked = self.tracked
        for t in entry.outputs:
            tracked[id(t)] = t


class Entry:
    """One recorded application: `backward(output_grads)` gives one gradient (or None) per input."""

    __slots__ = ("inputs", "outputs", "backward")

    def __init__(self, inputs, outputs, backward):
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.backward = backward


class EagerOp:
    """An eager op application as shape and gradient rules see it: `inputs`, `outputs`, `get_attr`, `type`."""

    __slots__ = ("_opdef", "_inputs", "_attrs", "_outputs")

    def __init__(self, opdef, inputs, attrs, outputs):
        self._opdef = opdef
        self._inputs = tuple(inputs)
        self._attrs = attrs
        self._outputs = tuple(outputs)

    inputs = property(lambda self: self._inputs)
    outputs = property(lambda self: list(self._outputs))
    type = property(lambda self: self._opdef.type_name)
    op_def = property(lambda self: self._opdef)
    name = property(lambda self: self._opdef.type_name)

    def get_attr(self, name):
        try:
            return self._attrs[name]
        except KeyError:
            raise ValueError("Op %s has no attr named '%s'" % (self._opdef.type_name, name)) from None

    @property
    def attrs(self):
        return dict(self._attrs)

    def __repr__(self):
        return "<EagerOp %s>" % self._opdef.type_name

    def backward(self, output_grads):
        """The OpDef's gradient rule; unconnected float outputs get zero gradients, as in graph mode."""
        grads = [g if g is not None or not t.dtype.is_floating else array_ops.zeros_like(t)
                 for g, t in zip(output_grads, self._outputs)]
        return self._opdef.grad(self, *grads)


def record_op(opdef, inputs, attrs, outputs):
    """Called by the eager executor for a differentiable op while some tape records."""
    entry = None
    for recording in active:
        tracked = recording.tracked
        for t in inputs:
            if id(t) in tracked:
                break
        else:
            continue
        if entry is None:
            outs = outputs if isinstance(outputs, list) else [outputs]
            op = EagerOp(opdef, inputs, attrs, outs)
            entry = Entry(inputs, outs, op.backward)
        recording.add(entry)


def should_record(inputs):
    """Whether some recording tape tracks one of `inputs` (tensors or variables)."""
    return any(id(t) in recording.tracked for recording in active for t in inputs)


def record(inputs, outputs, backward):
    """Record a computation from `inputs` to `outputs` whose gradient is `backward(output_grads) -> input_grads`
    (one per input, None where there is none) on every recording tape that tracks one of the inputs."""
    entry = Entry(inputs, outputs, backward)
    for recording in active:
        if any(id(t) in recording.tracked for t in entry.inputs):
            recording.add(entry)


def variable_accessed(variable):
    """A variable is read (eagerly, or by a traced function): tapes watching accessed variables watch it."""
    if variable.trainable:
        for recording in active:
            if recording.watch_accessed:
                recording.watch(variable)


def variable_read(variable, value):
    """An eager read of `variable` gave `value`: gradients with respect to `value` flow to the variable."""
    variable_accessed(variable)
    record((variable,), (value,), _identity)


def _identity(output_grads):
    return output_grads


def _differentiable(value):
    return value.dtype.is_floating


def _sum(grads):
    return grads[0] if len(grads) == 1 else math_ops.add_n(grads)


def backprop(recording, targets, target_grads, sources):
    """Gradients of `targets` (seeded with `target_grads`) for each source; None where unconnected.

    Only entries on a path from a source are replayed; each tracked value's gradient contributions are summed
    once, when its producer is reached (entries run in reverse execution order, so all consumers came first).
    """
    reached = {id(s) for s in sources}
    useful = []
    for entry in list(recording.entries):
        if any(id(t) in reached for t in entry.inputs):
            useful.append(entry)
            reached.update(id(t) for t in entry.outputs)
    grads = {}
    for t, g in zip(targets, target_grads):
        grads.setdefault(id(t), []).append(g)
    for entry in reversed(useful):
        output_grads = []
        connected = False
        for t in entry.outputs:
            contributions = grads.get(id(t))
            if contributions:
                g = _sum(contributions)
                grads[id(t)] = [g]
                connected = True
            else:
                g = None
            output_grads.append(g)
        if not connected:
            continue
        input_grads = entry.backward(output_grads)
        if len(input_grads) != len(entry.inputs):
            raise ValueError("A gradient function returned %d gradients for %d inputs"
                             % (len(input_grads), len(entry.inputs)))
        for t, g in zip(entry.inputs, input_grads):
            if g is not None and _differentiable(t):
                grads.setdefault(id(t), []).append(g)
    return [_sum(grads[id(s)]) if grads.get(id(s)) else None for s in sources]
