"""Learning-rate schedules: tensors computed from the global step each run, as TF1's tf.train.*_decay.

Every argument may be a Python number or a scalar tensor. The step is cast to the learning rate's dtype
(float32 for a Python float), as TF does, so the schedules are continuous unless `staircase` is set.
"""
import math

from flowgraph.framework.graph import name_scope
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.ops import array_ops, math_ops

__all__ = ["exponential_decay", "piecewise_constant", "polynomial_decay", "natural_exp_decay",
           "inverse_time_decay", "cosine_decay"]


def _require_step(global_step, schedule):
    if global_step is None:
        raise ValueError("global_step is required for %s." % schedule)


def _progress(learning_rate, global_step, decay_steps, staircase):
    """(learning rate tensor, global_step / decay_steps in its dtype, floored when `staircase`)."""
    learning_rate = convert_to_tensor(learning_rate, name="learning_rate")
    dtype = learning_rate.dtype
    p = math_ops.cast(global_step, dtype) / math_ops.cast(decay_steps, dtype)
    return learning_rate, math_ops.floor(p) if staircase else p


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """learning_rate * decay_rate ^ (global_step / decay_steps)."""
    _require_step(global_step, "exponential_decay")
    with name_scope(name, "ExponentialDecay", [learning_rate, global_step, decay_steps, decay_rate]) as scope:
        learning_rate, p = _progress(learning_rate, global_step, decay_steps, staircase)
        decay_rate = math_ops.cast(decay_rate, learning_rate.dtype)
        return math_ops.multiply(learning_rate, math_ops.pow(decay_rate, p), name=scope)


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """learning_rate * exp(-decay_rate * global_step / decay_steps)."""
    _require_step(global_step, "natural_exp_decay")
    rate = math_ops.exp(math_ops.negative(convert_to_tensor(decay_rate)))
    return exponential_decay(learning_rate, global_step, decay_steps, rate, staircase=staircase, name=name)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """learning_rate / (1 + decay_rate * global_step / decay_steps)."""
    _require_step(global_step, "inverse_time_decay")
    with name_scope(name, "InverseTimeDecay", [learning_rate, global_step, decay_rate]) as scope:
        learning_rate, p = _progress(learning_rate, global_step, decay_steps, staircase)
        decay_rate = math_ops.cast(decay_rate, learning_rate.dtype)
        denominator = math_ops.add(array_ops.constant(1, dtype=learning_rate.dtype), math_ops.multiply(decay_rate, p))
        return math_ops.divide(learning_rate, denominator, name=scope)


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                     name=None):
    """(learning_rate - end) * (1 - step / decay_steps) ^ power + end, with step capped at decay_steps, or,
    with `cycle`, decay_steps stretched to the next multiple of itself above the step."""
    _require_step(global_step, "polynomial_decay")
    with name_scope(name, "PolynomialDecay", [learning_rate, global_step, decay_steps, end_learning_rate, power]
                    ) as scope:
        learning_rate = convert_to_tensor(learning_rate, name="learning_rate")
        dtype = learning_rate.dtype
        end_learning_rate = math_ops.cast(end_learning_rate, dtype)
        power = math_ops.cast(power, dtype)
        step = math_ops.cast(global_step, dtype)
        steps = math_ops.cast(decay_steps, dtype)
        if cycle:
            multiplier = math_ops.where_v2(math_ops.equal(step, 0), array_ops.constant(1, dtype=dtype),
                                           math_ops.ceil(step / steps))
            steps = math_ops.multiply(steps, multiplier)
        else:
            step = math_ops.minimum(step, steps)
        p = math_ops.divide(step, steps)
        return math_ops.add(math_ops.multiply(learning_rate - end_learning_rate, math_ops.pow(1 - p, power)),
                            end_learning_rate, name=scope)


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)."""
    _require_step(global_step, "cosine_decay")
    with name_scope(name, "CosineDecay", [learning_rate, global_step]) as scope:
        learning_rate = convert_to_tensor(learning_rate, name="learning_rate")
        dtype = learning_rate.dtype
        steps = math_ops.cast(decay_steps, dtype)
        fraction = math_ops.minimum(math_ops.cast(global_step, dtype), steps) / steps
        cosine = 0.5 * (1.0 + math_ops.cos(array_ops.constant(math.pi, dtype=dtype) * fraction))
        decayed = (1 - alpha) * cosine + alpha
        return math_ops.multiply(learning_rate, decayed, name=scope)


def piecewise_constant(x, boundaries, values, name=None):
    """values[0] while x <= boundaries[0], values[i] while boundaries[i-1] < x <= boundaries[i], then
    values[-1]. Boundaries take x's dtype (int32 ones may serve an int64 step); values share one dtype."""
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with name_scope(name, "PiecewiseConstant", [x]):
        x = convert_to_tensor(x)
        bounds = []
        for b in boundaries:
            b = convert_to_tensor(b, dtype_hint=x.dtype)
            if b.dtype != x.dtype:
                if not (b.dtype.is_integer and x.dtype.is_integer):
                    raise ValueError("Boundaries (%s) must have the same dtype as x (%s)."
                                     % (b.dtype.name, x.dtype.name))
                b = math_ops.cast(b, x.dtype)
            bounds.append(b)
        values = [convert_to_tensor(v) for v in values]
        for v in values[1:]:
            if v.dtype != values[0].dtype:
                raise ValueError("Values must have elements all with the same dtype (%s vs %s)."
                                 % (values[0].dtype.name, v.dtype.name))
        result = values[-1]
        for bound, value in zip(reversed(bounds), reversed(values[:-1])):
            result = math_ops.where_v2(math_ops.less_equal(x, bound), value, result)
        return result
