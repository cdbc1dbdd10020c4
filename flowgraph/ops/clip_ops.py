"""Clipping: by value, by norm, by global norm; compositions of math ops, as TF builds them."""
from flowgraph.framework.graph import name_scope
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.ops import array_ops
from flowgraph.ops.math_ops import cast, maximum, minimum, sqrt, square, where_v2
from flowgraph.ops.reduction_ops import reduce_sum

__all__ = ["clip_by_value", "clip_by_norm", "global_norm", "clip_by_global_norm"]


def _check_same_shape(t, clipped, op_name):
    """The clip bounds may broadcast to t, but must not make the result bigger than t."""
    if not t.shape.is_compatible_with(clipped.shape):
        raise ValueError("%s: the clip values must not change the shape of t: t has shape %s, the result would "
                         "have shape %s" % (op_name, t.shape, clipped.shape))


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """t limited to [clip_value_min, clip_value_max]; the gradient passes where t is inside (bounds included)."""
    with name_scope(name or "clip_by_value") as scope:
        t = convert_to_tensor(t, name="t")
        upper = minimum(t, clip_value_max)
        _check_same_shape(t, upper, "clip_by_value")
        clipped = maximum(upper, clip_value_min, name=scope)
        _check_same_shape(t, clipped, "clip_by_value")
        return clipped


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """t scaled so that its L2 norm over `axes` (None: all) is at most clip_norm; a zero t stays zero."""
    with name_scope(name or "clip_by_norm") as scope:
        t = convert_to_tensor(t, name="t")
        squared_sum = reduce_sum(square(t), axes, keepdims=True)
        positive = squared_sum > 0
        # sqrt only of positive sums, so the gradient at t = 0 is finite.
        safe_sum = where_v2(positive, squared_sum, array_ops.ones_like(squared_sum))
        l2norm = where_v2(positive, sqrt(safe_sum), squared_sum)
        scaled = t * clip_norm
        _check_same_shape(t, scaled, "clip_by_norm")
        return array_ops.identity(scaled / maximum(l2norm, clip_norm), name=scope)


def _sequence(t_list, op_name):
    if not isinstance(t_list, (list, tuple)):
        raise TypeError("%s: t_list should be a sequence of tensors, got %r" % (op_name, type(t_list).__name__))
    return list(t_list)


def global_norm(t_list, name=None):
    """sqrt(sum of squares of every element of every tensor in t_list); None entries are skipped."""
    t_list = _sequence(t_list, "global_norm")
    with name_scope(name or "global_norm"):
        tensors = [convert_to_tensor(t, name="t_%d" % i) for i, t in enumerate(t_list) if t is not None]
        squared_sums = [reduce_sum(square(t)) for t in tensors]
        return sqrt(reduce_sum(array_ops.stack(squared_sums)), name="global_norm")


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """(tensors scaled by clip_norm / max(global_norm, clip_norm), the global norm); None entries stay None.

    A non-finite global norm makes every clipped value NaN, as TF, so a diverged step is visible.
    """
    t_list = _sequence(t_list, "clip_by_global_norm")
    if use_norm is None:
        use_norm = global_norm(t_list)
    with name_scope(name or "clip_by_global_norm") as scope:
        use_norm = convert_to_tensor(use_norm)
        scale = clip_norm * minimum(1.0 / use_norm, 1.0 / clip_norm)
        scale = scale + (use_norm - use_norm)  # NaN when the norm is inf or NaN
        clipped = []
        for i, t in enumerate(t_list):
            if t is None:
                clipped.append(None)
                continue
            t = convert_to_tensor(t, name="t_%d" % i)
            # TF's names: "<scope>/<scope>_<i>".
            clipped.append(array_ops.identity(t * cast(scale, t.dtype), name="%s_%d" % (scope, i)))
        return clipped, use_norm
