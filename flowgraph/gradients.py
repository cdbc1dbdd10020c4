"""Symbolic differentiation: `gradients` adds the ops computing d(ys)/d(xs) to the graph.

Each op's gradient rule (from its OpDef, or a RegisterGradient override) builds ordinary ops, so gradients of
gradients work. Work is linear in the size of the subgraph between xs and ys.
"""
import functools
import itertools

from flowgraph.framework import context
from flowgraph.framework.graph import Tensor, get_default_graph, name_scope
from flowgraph.framework.op_registry import NOT_DIFFERENTIABLE, convert_to_tensor
from flowgraph.ops import array_ops, math_ops

__all__ = ["gradients", "hessians", "RegisterGradient", "NotDifferentiable", "no_gradient", "GRADIENT_OVERRIDES",
           "custom_gradient"]

GRADIENT_OVERRIDES = {}


class RegisterGradient:
    """Decorator: register `fn(op, *grads)` under `name`, for use with `Graph.gradient_override_map`."""

    def __init__(self, op_type):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, fn):
        if self._op_type in GRADIENT_OVERRIDES:
            raise KeyError("Registering two gradient with name '%s'!" % self._op_type)
        GRADIENT_OVERRIDES[self._op_type] = fn
        return fn


def no_gradient(op_type):
    """Register `op_type` as having no gradient, for use with `gradient_override_map`."""
    GRADIENT_OVERRIDES[op_type] = NOT_DIFFERENTIABLE


NotDifferentiable = no_gradient


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _source(x):
    """A Variable is differentiated at its variable op's output, which every read of it consumes."""
    ref = getattr(x, "_ref", None)
    return ref() if ref is not None else convert_to_tensor(x)


def _differentiable(t):
    return t.dtype.is_floating


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False, gate_gradients=False,
              aggregation_method=None, stop_gradients=None, unconnected_gradients="none"):
    """Sum over ys of d(y)/d(x) for each x, as new ops under the `gradients` name scope.

    Returns one tensor per x: None where no y depends on x (zeros with unconnected_gradients="zero").
    Integer-valued paths carry no gradient; `stop_gradients` tensors are treated as constants.
    """
    ys = [convert_to_tensor(y) for y in _as_list(ys)]
    xs = [_source(x) for x in _as_list(xs)]
    grad_ys = [None] * len(ys) if grad_ys is None else _as_list(grad_ys)
    if len(grad_ys) != len(ys):
        raise ValueError("Passed %d grad_ys for %d ys" % (len(grad_ys), len(ys)))
    if unconnected_gradients not in ("none", "zero"):
        raise ValueError("Unknown value for unconnected_gradients: %r" % (unconnected_gradients,))
    stops = {convert_to_tensor(t) for t in _as_list(stop_gradients or [])}
    graph = get_default_graph()
    for t in ys + xs:
        if t.graph is not graph:
            raise ValueError("Tensor %s is not an element of the default graph" % t.name)
    with name_scope(name, "gradients", ys + xs):
        ordered = _ops_between(ys, xs, stops)
        grads = {}
        for i, (y, dy) in enumerate(zip(ys, grad_ys)):
            if dy is None:
                if not _differentiable(y):
                    raise TypeError("Gradients of %s (dtype %s) are not defined: ys must be floating point"
                                    % (y.name, y.dtype.name))
                dy = (array_ops.ones(y.shape.as_list(), y.dtype, name="grad_ys_%d" % i)  # a constant: no step
                      if y.shape.is_fully_defined() else array_ops.ones_like(y, name="grad_ys_%d" % i))
            else:
                dy = convert_to_tensor(dy, dtype=y.dtype)
            grads.setdefault(y, []).append(dy)
        for op in reversed(ordered):
            _backprop_op(op, grads, stops)
        result = []
        for x in xs:
            g = _aggregate(grads.get(x))
            if g is None and unconnected_gradients == "zero":
                g = array_ops.zeros_like(x)
            result.append(g)
    return result


def _ops_between(ys, xs, stops):
    """Ops on some path from an x to a y, in topological order."""
    backward = set()
    stack = [y.op for y in ys if y not in stops]
    while stack:
        op = stack.pop()
        if op in backward:
            continue
        backward.add(op)
        stack.extend(t.op for t in op._inputs if t not in stops)
    forward = set()
    stack = [op for x in xs for op in x._consumers]  # paths start at x, whichever op made it (even a stop)
    while stack:
        op = stack.pop()
        if op in forward or op not in backward:
            continue
        forward.add(op)
        for t in op._outputs:
            stack.extend(t._consumers)
    between = forward  # every op in forward is also in backward
    order, done = [], set()
    for root in [y.op for y in ys]:
        if root not in between or root in done:
            continue
        stack = [(root, iter(root._inputs))]
        done.add(root)
        while stack:
            op, inputs = stack[-1]
            for t in inputs:
                dep = t.op
                if dep in between and dep not in done and t not in stops:
                    done.add(dep)
                    stack.append((dep, iter(dep._inputs)))
                    break
            else:
                order.append(op)
                stack.pop()
    return order


def _aggregate(contributions):
    if not contributions:
        return None
    if len(contributions) == 1:
        return contributions[0]
    return math_ops.add_n(contributions)


def _grad_rule(op):
    override = op._gradient_override
    if override is not None:
        try:
            return GRADIENT_OVERRIDES[override]
        except KeyError:
            raise LookupError("No gradient registered under '%s' (override for op %s)" % (override, op.name)) from None
    return op._opdef.grad


def _backprop_op(op, grads, stops):
    """Turn the summed gradients of `op`'s outputs into contributions to its inputs' gradients."""
    out_grads = []
    for t in op._outputs:
        g = _aggregate(grads.get(t)) if _differentiable(t) else None
        if g is not None:
            grads[t] = [g]  # summed once, reused if t is also an x
        out_grads.append(None if t in stops else g)  # a stop tensor collects its gradient but passes none on
    if all(g is None for g in out_grads):
        return
    rule = _grad_rule(op)
    if rule is NOT_DIFFERENTIABLE or not op._inputs:
        return
    with name_scope(op.name + "_grad"):
        out_grads = [g if g is not None or not _differentiable(t) else array_ops.zeros_like(t)
                     for g, t in zip(out_grads, op._outputs)]
        in_grads = rule(op, *out_grads)
    if len(in_grads) != len(op._inputs):
        raise ValueError("Gradient rule of %s returned %d gradients for %d inputs"
                         % (op.type, len(in_grads), len(op._inputs)))
    for t, g in zip(op._inputs, in_grads):
        if g is None or not _differentiable(t):
            continue
        if isinstance(g, Tensor) and g.dtype != t.dtype and g.dtype.is_floating:
            raise TypeError("Gradient of %s for input %s has dtype %s, expected %s"
                            % (op.name, t.name, g.dtype.name, t.dtype.name))
        grads.setdefault(t, []).append(g)


def hessians(ys, xs, name="hessians", colocate_gradients_with_ops=False, gate_gradients=False,
             aggregation_method=None):
    """For each x, the Hessian of sum(ys) with respect to x, shaped x.shape + x.shape."""
    xs = [_source(x) for x in _as_list(xs)]
    result = []
    with name_scope(name, "hessians", xs):
        for x in xs:
            if not x.shape.is_fully_defined():
                raise ValueError("hessians needs a fully defined shape for %s, got %s" % (x.name, x.shape))
            n = x.shape.num_elements()
            grad = gradients(ys, x)[0]
            if grad is None:
                result.append(array_ops.zeros(x.shape.as_list() * 2, dtype=x.dtype))
                continue
            flat = array_ops.reshape(grad, [-1])
            rows = []
            for j in range(n):
                row = gradients(flat[j], x)[0]
                rows.append(array_ops.zeros_like(x) if row is None else row)
            result.append(array_ops.reshape(array_ops.stack(rows), x.shape.as_list() * 2))
    return result



_custom_gradient_ids = itertools.count()


def custom_gradient(f):
    """Decorator: `f(*xs)` returns `(y, grad_fn)`; differentiating y then calls `grad_fn(*dys)` (one gradient
    per x, a single tensor when there is one x) instead of differentiating the ops inside f.

    Graph mode passes y through an IdentityN whose gradient is overridden to call grad_fn, so grad_fn builds
    ordinary ops (and can itself be differentiated). Eager mode runs f unrecorded and records one tape entry.
    Functions that read variables are not supported: grad_fn gets no `variables` argument.
    """
    @functools.wraps(f)
    def decorated(*args):
        inputs = [convert_to_tensor(a) for a in args]
        if context.executing_eagerly():
            return _eager_custom_gradient(f, inputs)
        result, grad_fn = f(*inputs)
        outputs = [convert_to_tensor(t) for t in _as_list(result)]
        rule_name = "CustomGradient-%d" % next(_custom_gradient_ids)
        GRADIENT_OVERRIDES[rule_name] = _custom_rule(grad_fn, len(outputs), len(inputs))
        with get_default_graph().gradient_override_map({"IdentityN": rule_name}):
            passed = array_ops.identity_n(outputs + inputs)[:len(outputs)]
        return type(result)(passed) if isinstance(result, (list, tuple)) else passed[0]
    return decorated


def _custom_rule(grad_fn, num_outputs, num_inputs):
    """The IdentityN gradient: nothing back into f's outputs, grad_fn's results to f's inputs."""
    def rule(op, *dys):
        input_grads = _as_list(grad_fn(*dys[:num_outputs]))
        if len(input_grads) != num_inputs:
            raise ValueError("custom_gradient: grad_fn returned %d gradients for %d inputs"
                             % (len(input_grads), num_inputs))
        return [None] * num_outputs + input_grads
    return rule


def _eager_custom_gradient(f, inputs):
    from flowgraph.eager import tape  # the eager layer is built on this module
    recording, tape.active[:] = list(tape.active), []
    try:
        result, grad_fn = f(*inputs)
    finally:
        tape.active[:] = recording
    outputs = _as_list(result)

    def backward(dys):
        dys = [array_ops.zeros_like(t) if g is None else g for g, t in zip(dys, outputs)]
        return _as_list(grad_fn(*dys))
    tape.record(inputs, outputs, backward)
    return result
