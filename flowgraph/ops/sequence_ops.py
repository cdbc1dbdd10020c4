"""Sequence ops: range, linspace, unique, reverse_sequence, and the compositions sequence_mask and meshgrid."""
import collections

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.graph import Tensor, name_scope
from flowgraph.framework.op_registry import (NOT_DIFFERENTIABLE, REQUIRED, OpDef, apply_op, constant_value,
                                             convert_to_tensor)
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import array_ops, shape_rules
from flowgraph.ops.array_ops import static_int

__all__ = ["range", "linspace", "lin_space", "unique", "reverse_sequence", "sequence_mask", "meshgrid"]

# tf.range's dtype is the widest of its arguments' dtypes in this order.
_RANGE_DTYPES = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)


def range_length(start, limit, delta):
    """The number of elements of range(start, limit, delta); ValueError as TF's for a bad direction."""
    if delta == 0:
        raise ValueError("Requires delta != 0")
    if delta > 0 and start > limit:
        raise ValueError("Requires start <= limit when delta > 0: %s/%s" % (start, limit))
    if delta < 0 and start < limit:
        raise ValueError("Requires start >= limit when delta < 0: %s/%s" % (start, limit))
    if isinstance(start + limit + delta, (int, np.integer)):
        return (abs(limit - start) + abs(delta) - 1) // abs(delta)
    return int(np.ceil(abs((limit - start) / delta)))


def _range_shape(op):
    values = [constant_value(t) for t in op.inputs]
    if any(v is None for v in values):
        return TensorShape([None])
    start, limit, delta = (v.item() for v in values)
    return TensorShape([range_length(start, limit, delta)])


OpDef("Range", inputs=("start", "limit", "delta"), shape=_range_shape, host_inputs=(0, 1, 2),
      same_dtype=("start", "limit", "delta"), allowed=_RANGE_DTYPES, grad=NOT_DIFFERENTIABLE)


def _linspace_shape(op):
    num = constant_value(op.inputs[2])
    if num is not None and int(num) <= 0:
        raise ValueError("Requires num > 0: %d" % int(num))
    return TensorShape([None if num is None else int(num)])


OpDef("LinSpace", inputs=("start", "stop", "num"), shape=_linspace_shape, host_inputs=(2,),
      same_dtype=("start", "stop"), allowed=(dtypes.float32, dtypes.float64), grad=NOT_DIFFERENTIABLE)


def _unique_shape(op):
    x = op.inputs[0].shape
    if x.rank is not None and x.rank != 1:
        raise ValueError("Shape must be rank 1 but is rank %d" % x.rank)
    return [TensorShape([None]), x.with_rank(1)]


OpDef("Unique", inputs=("x",), attrs={"out_idx": dtypes.int32}, shape=_unique_shape, num_outputs="list",
      dtype=lambda op: [op.inputs[0].dtype, dtypes.as_dtype(op.get_attr("out_idx"))], grad=NOT_DIFFERENTIABLE)


def _reverse_sequence_shape(op):
    x, lengths = op.inputs[0].shape, op.inputs[1].shape
    if x.rank is None:
        return x
    seq_dim = shape_rules.normalize_axis(op.get_attr("seq_dim"), x.rank, "ReverseSequence")
    batch_dim = shape_rules.normalize_axis(op.get_attr("batch_dim"), x.rank, "ReverseSequence")
    if seq_dim == batch_dim:
        raise ValueError("seq_dim and batch_dim must differ, both are %d" % seq_dim)
    lengths = lengths.with_rank(1)
    if None not in (lengths[0], x[batch_dim]) and lengths[0] != x[batch_dim]:
        raise ValueError("seq_lengths has %d entries but the batch dimension %d has size %d"
                         % (lengths[0], batch_dim, x[batch_dim]))
    return x


OpDef("ReverseSequence", inputs=("input", "seq_lengths"), attrs={"seq_dim": REQUIRED, "batch_dim": 0},
      shape=_reverse_sequence_shape,
      grad=lambda op, dy: [reverse_sequence(dy, op.inputs[1], op.get_attr("seq_dim"), op.get_attr("batch_dim")),
                           None])


def _math():
    from flowgraph.ops import math_ops
    return math_ops


def _widest(dtype_list):
    return max(dtype_list, key=_RANGE_DTYPES.index)


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001 - TF's public name
    """[start, start + delta, ...) up to `limit` (exclusive); `range(n)` counts from 0. Without `dtype`, the
    result has the widest argument dtype in int32 < int64 < float32 < float64 (Python ints are int32)."""
    if limit is None:
        start, limit = 0, start
    with name_scope(name, "Range", [start, limit, delta]) as scope:
        args = {"start": start, "limit": limit, "delta": delta}
        if dtype is None:
            natural = [a.dtype if isinstance(a, Tensor) else dtypes.dtype_of_value(a) for a in args.values()]
            for dt in natural:
                if dt not in _RANGE_DTYPES:
                    raise TypeError("range arguments must be int32, int64, float32 or float64, got %s" % dt.name)
            dtype = _widest(natural)
        dtype = dtypes.as_dtype(dtype)
        tensors = []
        for arg_name, value in args.items():
            if isinstance(value, Tensor) and value.dtype != dtype:
                value = _math().cast(value, dtype)
            tensors.append(convert_to_tensor(value, dtype=dtype, name=arg_name))
        return apply_op("Range", tensors, name=scope)


def linspace(start, stop, num, name=None, axis=0):
    """`num` evenly spaced values from `start` to `stop`, both included."""
    if axis != 0:
        raise ValueError("linspace supports axis=0 only (scalar start and stop), got %r" % (axis,))
    with name_scope(name, "LinSpace", [start, stop, num]) as scope:
        start = convert_to_tensor(start, name="start", dtype_hint=dtypes.float32)
        stop = convert_to_tensor(stop, dtype=start.dtype, name="stop")
        num = convert_to_tensor(num, dtype_hint=dtypes.int32, name="num")
        return apply_op("LinSpace", (start, stop, num), name=scope)


lin_space = linspace

UniqueResult = collections.namedtuple("Unique", ["y", "idx"])


def unique(x, out_idx=dtypes.int32, name=None):
    """The distinct values of 1-D `x` in order of first appearance, and for each element its position in them."""
    y, idx = apply_op("Unique", (convert_to_tensor(x),), {"out_idx": dtypes.as_dtype(out_idx)},
                      name=name or "Unique")
    return UniqueResult(y, idx)


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None, seq_dim=None,  # noqa: A002
                     batch_dim=None):
    """For each batch entry b, reverse the first seq_lengths[b] elements along `seq_axis`."""
    seq_axis = seq_dim if seq_axis is None else seq_axis
    batch_axis = batch_dim if batch_axis is None else batch_axis
    if seq_axis is None:
        raise ValueError("reverse_sequence needs seq_axis")
    attrs = {"seq_dim": static_int(seq_axis, "seq_axis"),
             "batch_dim": 0 if batch_axis is None else static_int(batch_axis, "batch_axis")}
    with name_scope(name, "ReverseSequence", [input, seq_lengths]) as scope:
        lengths = convert_to_tensor(seq_lengths, dtype_hint=dtypes.int64, name="seq_lengths")
        if not lengths.dtype.is_integer:
            raise TypeError("seq_lengths must be int32 or int64, got %s" % lengths.dtype.name)
        return apply_op("ReverseSequence", (convert_to_tensor(input), lengths), attrs, name=scope)


def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None):
    """mask[..., j] = j < lengths[...]: a row of `maxlen` (default: max of lengths) per length."""
    math_ops = _math()
    with name_scope(name, "SequenceMask", [lengths, maxlen]):
        lengths = convert_to_tensor(lengths)
        if maxlen is None:
            maxlen = math_ops.reduce_max(lengths)
        else:
            maxlen = convert_to_tensor(maxlen, dtype_hint=lengths.dtype)
        if maxlen.shape.rank is not None and maxlen.shape.rank != 0:
            raise ValueError("maxlen must be scalar for sequence_mask, got shape %s" % maxlen.shape)
        row = range(0, maxlen, 1)
        lengths = math_ops.cast(array_ops.expand_dims(lengths, -1), maxlen.dtype)
        result = math_ops.less(row, lengths)
        dtype = dtypes.as_dtype(dtype)
        return result if dtype == dtypes.bool else math_ops.cast(result, dtype)


def meshgrid(*args, **kwargs):
    """N-D coordinate grids from 1-D coordinate tensors; indexing 'xy' (default: the first two outputs'
    axes are swapped, as numpy's) or 'ij'."""
    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", "meshgrid")
    if kwargs:
        raise TypeError("'%s' is an invalid keyword argument for this function" % next(iter(kwargs)))
    if indexing not in ("xy", "ij"):
        raise ValueError("indexing parameter must be either 'xy' or 'ij'")
    with name_scope(name, "meshgrid", args):
        ndim = len(args)
        ones = (1,) * ndim
        outputs = [array_ops.reshape(convert_to_tensor(x), ones[:i] + (-1,) + ones[i + 1:])
                   for i, x in enumerate(args)]
        sizes = [array_ops.size(x) for x in args]
        if indexing == "xy" and ndim > 1:
            outputs[0] = array_ops.reshape(outputs[0], (1, -1) + ones[2:])
            outputs[1] = array_ops.reshape(outputs[1], (-1, 1) + ones[2:])
            sizes[0], sizes[1] = sizes[1], sizes[0]
        target = array_ops.stack(sizes)
        return [_math().broadcast_to(x, target) for x in outputs]
