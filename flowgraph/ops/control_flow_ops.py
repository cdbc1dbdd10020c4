"""Control flow: cond and case as data-flow selections, and assertions.

`cond` and `case` build every branch and pick the outputs of the one the predicate selects (a CondSelect
op). Values come out as TF's do, but unlike TF1's Switch/Merge, the ops of *all* branches run, side effects
(assignments, assertions, prints) included: put side effects under `control_dependencies` on the result
instead of inside a branch. `while_loop` is not provided.
"""
import numpy as np

from flowgraph.framework import dtypes, errors, nest
from flowgraph.framework.graph import Operation, Tensor, control_dependencies, name_scope
from flowgraph.framework.op_registry import NOT_DIFFERENTIABLE, OpDef, apply_op, constant_value, convert_to_tensor
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import array_ops, math_ops

__all__ = ["cond", "case", "Assert", "assert_equal", "assert_none_equal", "assert_less", "assert_less_equal",
           "assert_greater", "assert_greater_equal", "assert_positive", "assert_negative", "assert_non_negative",
           "assert_non_positive", "assert_rank"]


def _most_specific_common_shape(op):
    """The shape both branches are known to share: equal dims kept, others unknown."""
    a, b = op.inputs[1].shape, op.inputs[2].shape
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims)])


def _cond_select_grad(op, dy):
    pred, then_value, else_value = op.inputs
    return [None, cond_select(pred, dy, array_ops.zeros_like(then_value)),
            cond_select(pred, array_ops.zeros_like(else_value), dy)]


# Picks the whole `then_value` or `else_value` by a scalar bool; the branches may differ in shape.
OpDef("CondSelect", inputs=("pred", "then_value", "else_value"), shape=_most_specific_common_shape,
      same_dtype=("then_value", "else_value"), dtype=lambda op: op.inputs[1].dtype, grad=_cond_select_grad)


def _assert_shape(op):
    condition = op.inputs[0].shape
    if condition.rank is not None and condition.num_elements() not in (None, 1):
        raise ValueError("Assert: the condition must be a single bool, got shape %s" % condition.as_proto_list())


OpDef("Assert", inputs=("condition", "*data"), attrs={"summarize": 3}, shape=_assert_shape, num_outputs=0,
      stateful=True, grad=NOT_DIFFERENTIABLE)


def cond_select(pred, then_value, else_value, name=None):
    """`then_value` if the scalar bool `pred` is true, else `else_value` (both are computed)."""
    return apply_op("CondSelect", (pred, then_value, else_value), name=name or "Merge")


# ---- cond and case -----------------------------------------------------------------------------------------

def _branch_tensor(value, pred):
    """A branch output as a tensor: an Operation becomes `pred` gated on it, as TF1's cond does."""
    if isinstance(value, Operation):
        with control_dependencies([value]):
            return array_ops.identity(pred)
    return convert_to_tensor(value)


def _check_pred(pred, what):
    if isinstance(pred, bool):
        raise TypeError("pred must not be a Python bool", pred)
    pred = convert_to_tensor(pred)
    if pred.dtype != dtypes.bool:
        raise TypeError("%s must be a bool tensor, got %s (%s)" % (what, pred.dtype.name, pred.name))
    if pred.shape.rank not in (None, 0):
        raise ValueError("Shape must be rank 0 but is rank %d for %s %s" % (pred.shape.rank, what, pred.name))
    return pred


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """`true_fn()` if the scalar bool tensor `pred` is true, else `false_fn()`.

    Both functions are called and both branches run (see the module docstring); the outputs must have the same
    structure and dtypes. A single-element list result is unpacked unless `strict`.
    """
    true_fn = _one_of(true_fn, fn1, "true_fn", "fn1")
    false_fn = _one_of(false_fn, fn2, "false_fn", "fn2")
    for fn, what in ((true_fn, "true_fn"), (false_fn, "false_fn")):
        if not callable(fn):
            raise TypeError("%s must be callable." % what)
    with name_scope(name, "cond", [pred]):
        pred = _check_pred(pred, "pred")
        true_out, false_out = true_fn(), false_fn()
        if not nest.same_structure(true_out, false_out):
            raise ValueError("true_fn and false_fn arguments to tf.cond must have the same number, type, and "
                             "overall structure of return values. true_fn returned %r, false_fn %r"
                             % (true_out, false_out))
        merged = []
        for t, f in zip(nest.flatten(true_out), nest.flatten(false_out)):
            if t is None and f is None:
                merged.append(None)
                continue
            t, f = _branch_tensor(t, pred), _branch_tensor(f, pred)
            if t.dtype != f.dtype:
                raise TypeError("true_fn and false_fn arguments to tf.cond must have the same number, type, and "
                                "overall structure of return values: %s is %s but %s is %s"
                                % (t.name, t.dtype.name, f.name, f.dtype.name))
            merged.append(cond_select(pred, t, f))
        result = nest.pack_sequence_as(true_out, merged)
        return result if strict else nest.unpack_singleton(result)


def _one_of(value, legacy, name, legacy_name):
    if legacy is not None:
        if value is not None:
            raise TypeError("cond(): %s and %s may not be set simultaneously." % (name, legacy_name))
        return legacy
    return value


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The result of the fn paired with the first true predicate, else of `default`.

    Without `default`, the last pair's fn is used and an assertion fails at run time when no predicate holds;
    with `exclusive`, one fails when more than one holds. Every fn is called and every branch runs.
    """
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else list(pred_fn_pairs)
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2 or not callable(pair[1]):
            raise TypeError("Each entry in pred_fn_pairs must be a 2-tuple (bool tensor, callable), got %r" % (pair,))
    if not pairs and default is None:
        raise ValueError("case needs at least one (pred, fn) pair or a default")
    with name_scope(name, "case", [p for p, _ in pairs]):
        preds = [_check_pred(p, "case predicate") for p, _ in pairs]
        fns = [fn for _, fn in pairs]
        checks = []
        if preds and (exclusive or default is None):
            flags = array_ops.stack(preds)
            if exclusive:
                count = math_ops.reduce_sum(math_ops.cast(flags, dtypes.int32))
                checks.append(Assert(math_ops.less_equal(count, 1), [
                    "Input error: exclusive=True: more than 1 conditions evaluated as True:", flags]))
            if default is None:
                checks.append(Assert(math_ops.reduce_any(flags), [
                    "None of the conditions evaluated as True. Conditions:", flags]))
        if default is None:
            default, preds, fns = fns[-1], preds[:-1], fns[:-1]
        result = default()
        for pred, fn in reversed(list(zip(preds, fns))):
            result = cond(pred, fn, lambda r=result: r, strict=True)
        if checks:
            with control_dependencies(checks):
                result = nest.map_structure(_after_checks, result)
        return result if strict else nest.unpack_singleton(result)


def _after_checks(value):
    """`value` (a tensor, an op or None) available only after the open control dependencies have run."""
    if value is None:
        return None
    if isinstance(value, Operation):
        return array_ops.group(value)
    return array_ops.identity(value)


# ---- assertions --------------------------------------------------------------------------------------------

def Assert(condition, data, summarize=None, name=None):  # noqa: N802 - TF's public name
    """An op that raises InvalidArgumentError at run time, listing `data`, when `condition` is false.

    In graph mode nothing depends on it by itself: run it, or build later ops under
    `control_dependencies([assert_op])`.
    """
    with name_scope(name, "Assert", [condition, data]):
        condition = convert_to_tensor(condition, dtype=dtypes.bool, name="condition")
        data = [convert_to_tensor(d, name="data_%d" % i) for i, d in enumerate(data)]
        return apply_op("Assert", (condition, data), {"summarize": 3 if summarize is None else int(summarize)},
                        name="Assert")


def format_assert_data(values, summarize):
    """TF's message for a failed assertion: each datum in brackets, at most `summarize` elements of each."""
    parts = []
    for v in values:
        v = np.asarray(v)
        if v.dtype == object or v.dtype.kind in "SU":
            parts.append("[%s]" % " ".join(x.decode() if isinstance(x, bytes) else str(x) for x in v.reshape(-1)))
            continue
        flat = v.reshape(-1)
        shown = " ".join(str(x) for x in flat[:summarize])
        parts.append("[%s%s]" % (shown, "..." if flat.size > summarize else ""))
    return "assertion failed: " + " ".join(parts)


_COMPARISONS = {
    "assert_equal": ("==", "element-wise", math_ops.equal, np.equal),
    "assert_none_equal": ("!=", "for every single element", math_ops.not_equal, np.not_equal),
    "assert_less": ("<", "element-wise", math_ops.less, np.less),
    "assert_less_equal": ("<=", "element-wise", math_ops.less_equal, np.less_equal),
    "assert_greater": (">", "element-wise", math_ops.greater, np.greater),
    "assert_greater_equal": (">=", "element-wise", math_ops.greater_equal, np.greater_equal),
}


def _compare_assert(kind, x, y, data, summarize, message, name, text=None):
    """An Assert that x <op> y holds everywhere; InvalidArgumentError right away when both are constants."""
    symbol, scope_text, compare, compare_np = _COMPARISONS[kind]
    with name_scope(name, kind, [x, y, data]):
        x, y = math_ops.operands(x, y)
        if data is None:
            data = [text or "Condition x %s y did not hold %s:" % (symbol, scope_text),
                    "x (%s) = " % x.name, x, "y (%s) = " % y.name, y]
        if message is not None:
            data = [message] + list(data)
        x_static, y_static = constant_value(x), constant_value(y)
        if x_static is not None and y_static is not None and not np.all(compare_np(x_static, y_static)):
            shown = [d if isinstance(d, str) else constant_value(d) if isinstance(d, Tensor) else d for d in data]
            raise errors.InvalidArgumentError(None, None, "\n".join(str(d) for d in shown))
        return Assert(math_ops.reduce_all(compare(x, y)), data, summarize=summarize)


def assert_equal(x, y, data=None, summarize=None, message=None, name=None):
    """Assert x == y everywhere (broadcasting)."""
    return _compare_assert("assert_equal", x, y, data, summarize, message, name)


def assert_none_equal(x, y, data=None, summarize=None, message=None, name=None):
    """Assert x != y everywhere (broadcasting)."""
    return _compare_assert("assert_none_equal", x, y, data, summarize, message, name)


def assert_less(x, y, data=None, summarize=None, message=None, name=None):
    """Assert x < y everywhere (broadcasting)."""
    return _compare_assert("assert_less", x, y, data, summarize, message, name)


def assert_less_equal(x, y, data=None, summarize=None, message=None, name=None):
    """Assert x <= y everywhere (broadcasting)."""
    return _compare_assert("assert_less_equal", x, y, data, summarize, message, name)


def assert_greater(x, y, data=None, summarize=None, message=None, name=None):
    """Assert x > y everywhere (broadcasting)."""
    return _compare_assert("assert_greater", x, y, data, summarize, message, name)


def assert_greater_equal(x, y, data=None, summarize=None, message=None, name=None):
    """Assert x >= y everywhere (broadcasting)."""
    return _compare_assert("assert_greater_equal", x, y, data, summarize, message, name)


def _sign_assert(default_name, kind, zero_first, symbol, x, data, summarize, message, name):
    with name_scope(name, default_name, [x, data]):
        x = convert_to_tensor(x, name="x")
        zero = array_ops.zeros([], dtype=x.dtype)
        if data is None:
            data = ["Condition x %s 0 did not hold element-wise:" % symbol, "x (%s) = " % x.name, x]
        left, right = (zero, x) if zero_first else (x, zero)
        return _compare_assert(kind, left, right, data, summarize, message, None)


def assert_positive(x, data=None, summarize=None, message=None, name=None):
    """Assert x > 0 everywhere."""
    return _sign_assert("assert_positive", "assert_less", True, ">", x, data, summarize, message, name)


def assert_negative(x, data=None, summarize=None, message=None, name=None):
    """Assert x < 0 everywhere."""
    return _sign_assert("assert_negative", "assert_less", False, "<", x, data, summarize, message, name)


def assert_non_negative(x, data=None, summarize=None, message=None, name=None):
    """Assert x >= 0 everywhere."""
    return _sign_assert("assert_non_negative", "assert_less_equal", True, ">=", x, data, summarize, message, name)


def assert_non_positive(x, data=None, summarize=None, message=None, name=None):
    """Assert x <= 0 everywhere."""
    return _sign_assert("assert_non_positive", "assert_less_equal", False, "<=", x, data, summarize, message, name)


def assert_rank(x, rank, message=None, name=None):
    """Assert `x` has `rank` dimensions: ValueError now when its static rank differs, else a run-time Assert."""
    with name_scope(name, "assert_rank", [x]):
        x = convert_to_tensor(x, name="x")
        rank = array_ops.static_int(rank, "assert_rank rank")
        prefix = "%s. " % message if message else ""
        if x.shape.rank is not None:
            if x.shape.rank != rank:
                raise ValueError("%sTensor %s must have rank %d. Received rank %d, shape %s"
                                 % (prefix, x.name, rank, x.shape.rank, x.shape))
            return array_ops.no_op()
        data = [prefix + "Tensor %s must have rank" % x.name, rank, "Received shape: ", array_ops.shape(x)]
        return Assert(math_ops.equal(array_ops.rank(x), rank), data)
