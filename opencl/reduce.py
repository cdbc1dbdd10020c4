"""Reductions on the device over the middle axis of [outer, length, inner] views, in one or two stages.

One stage when there are enough output columns to keep the device busy; otherwise the axis is split into parts
reduced in parallel, then a second launch combines the parts (also better rounding for long float sums).
"""
import hashlib

import numpy as np

from opencl.source import Launch, c_type, instantiate

CHUNK = 16


class Reduction:
    """A reduction as C expressions: map(x) into the accumulator type, combine(a, b), finish(a, scale)."""

    def __init__(self, init, combine, map_expr="x", finish="a"):
        self.init = init
        self.combine = combine
        self.map = map_expr
        self.finish = finish


def _kernel(reduction, in_type, out_type, acc_type, map_expr, finish):
    params = dict(IN=in_type, OUT=out_type, ACC=acc_type, INIT=reduction.init.replace("{A}", acc_type),
                  MAP=map_expr.replace("{A}", acc_type), COMBINE=reduction.combine, FINISH=finish)
    key = "|".join("%s=%s" % kv for kv in sorted(params.items()))
    name = "reduce_" + hashlib.sha1(key.encode()).hexdigest()[:16]
    return name, instantiate("reduce.cl", NAME=name, **params)


def reduce_launches(reduction, in_dtype, out_dtype, acc_dtype, x, out, outer, length, inner, scale, scratch,
                    first=True, last=True, max_items=256):
    """Launches reducing x [outer, length, inner] into out [outer, inner]; `scale` is passed to finish.

    A reduction over several separate axes runs as several of these: only the `first` maps the input, only the
    `last` finishes.
    """
    if outer * inner == 0:
        return []
    if not first:
        reduction = Reduction(reduction.init, reduction.combine, "x", reduction.finish)
    if not last:
        reduction = Reduction(reduction.init, reduction.combine, reduction.map, "a")
    in_type, out_type, acc_type = c_type(in_dtype), c_type(out_dtype), c_type(acc_dtype)
    scale = np.dtype(acc_dtype).type(scale)
    columns = -(-inner // CHUNK)
    parts = 1
    if outer * columns < max_items // 2 and length >= 4096:
        parts = min(max_items // max(1, outer * columns), length // 1024)
    if parts <= 1:
        name, source = _kernel(reduction, in_type, out_type, acc_type, reduction.map, reduction.finish)
        return [Launch(source, name, [x, out, np.int32(length), np.int32(inner), np.int32(1), np.int32(length),
                                      scale], (columns, outer, 1))]
    part_length = -(-length // parts)
    partial = scratch(outer * parts * inner * np.dtype(acc_dtype).itemsize)
    name1, source1 = _kernel(reduction, in_type, acc_type, acc_type, reduction.map, "a")
    name2, source2 = _kernel(reduction, acc_type, out_type, acc_type, "x", reduction.finish)
    return [Launch(source1, name1, [x, partial, np.int32(length), np.int32(inner), np.int32(parts),
                                    np.int32(part_length), scale], (columns, outer, parts)),
            Launch(source2, name2, [partial, out, np.int32(parts), np.int32(inner), np.int32(1), np.int32(parts),
                                    scale], (columns, outer, 1))]


def arg_reduce_launch(better, dtype, index_dtype, x, out, outer, length, inner):
    """A Launch writing the index of the best element along the middle axis (`better`: C of v and best)."""
    if outer * inner == 0:
        return None
    params = dict(T=c_type(dtype), OUT=c_type(index_dtype), BETTER=better)
    key = "|".join("%s=%s" % kv for kv in sorted(params.items()))
    name = "argreduce_" + hashlib.sha1(key.encode()).hexdigest()[:16]
    return Launch(instantiate("argreduce.cl", NAME=name, **params), name, [x, out, np.int32(length),
                                                                           np.int32(inner)], (inner, outer))
