"""Generated elementwise kernels: any number of broadcast inputs and same-shaped outputs, one C body.

Fusion builds one such kernel for a whole chain of elementwise ops. Each work-item computes a contiguous chunk
of the output. Inputs are indexed by broadcasting: shapes are collapsed first (adjacent axes merge when every
input strides them alike), so the common cases (same shape, scalar, bias row) need no index arithmetic; others
walk the output in runs along its last axis and recompute offsets once per run.

A kernel that moves more bytes than the device's cache holds is bound by memory bandwidth: its vector loop
then writes with streaming stores, which skip reading each output line before overwriting it (on a CPU that
read is a fifth of the traffic of a three-input kernel; measured 10-20% faster at 16M floats, no faster
when the output would still be in cache for the next kernel).
"""
import hashlib

import numpy as np

from opencl.source import Launch, c_type, work_items

FULL, SCALAR, VALUE, BROADCAST = "full", "scalar", "value", "broadcast"
VECTOR = 8  # elements per step of the vector loop


def broadcast_strides(out_shape, in_shape):
    """Element strides of `in_shape` (row-major) over `out_shape`'s axes, 0 along broadcast axes."""
    pad = len(out_shape) - len(in_shape)
    if pad < 0:
        raise ValueError("input shape %s has more axes than the output shape %s" % (in_shape, out_shape))
    full = (1,) * pad + tuple(in_shape)
    strides, step = [0] * len(out_shape), 1
    for axis in range(len(out_shape) - 1, -1, -1):
        if full[axis] == out_shape[axis]:
            strides[axis] = step if full[axis] != 1 else 0
        elif full[axis] != 1:
            raise ValueError("input shape %s does not broadcast to %s" % (in_shape, out_shape))
        step *= full[axis]
    return strides


def collapse(out_shape, in_shapes):
    """(dims, [strides per input]) with size-1 axes dropped and mergeable neighbours merged."""
    all_strides = [broadcast_strides(out_shape, s) for s in in_shapes]
    dims, merged = [], [[] for _ in in_shapes]
    for axis, d in enumerate(out_shape):
        if d == 1:
            continue
        if dims and all(m[-1] == s[axis] * d for m, s in zip(merged, all_strides)):
            dims[-1] *= d
            for m, s in zip(merged, all_strides):
                m[-1] = s[axis]
            continue
        dims.append(d)
        for m, s in zip(merged, all_strides):
            m.append(s[axis])
    return dims, merged


class Operand:
    """How a kernel reads one input: FULL (same shape as the output), SCALAR (one element in a buffer),
    VALUE (a scalar passed by value), or BROADCAST (strided over the collapsed axes)."""

    __slots__ = ("ctype", "mode", "strides")

    def __init__(self, ctype, mode, strides=()):
        self.ctype = ctype
        self.mode = mode
        self.strides = tuple(strides)


def plan_operands(out_shape, inputs):
    """(operands, dims) for inputs given as (dtype, shape, by_value) over an output of `out_shape`."""
    dims, strides = collapse(tuple(out_shape), [tuple(shape) for _, shape, _ in inputs])
    contiguous, step = [], 1
    for d in reversed(dims):
        contiguous.insert(0, step)
        step *= d
    operands = []
    for (dtype, shape, by_value), s in zip(inputs, strides):
        if by_value:
            mode = VALUE
        elif not any(s):
            mode = SCALAR
        elif list(s) == contiguous:
            mode = FULL
        else:
            mode = BROADCAST
        operands.append(Operand(c_type(dtype), mode, s if mode == BROADCAST else ()))
    if not any(op.mode == BROADCAST for op in operands):
        dims = [int(np.prod(dims, dtype=np.int64))]
    return operands, dims


def kernel_source(operands, out_types, body, rank, vector_body=None, stream=False):
    """(name, source) of an elementwise kernel. In `body`, inputs are x0, x1, ... and it assigns y0, y1, ...

    With `vector_body` (the same body over VECTOR-wide types) and no broadcast operand, the loop runs VECTOR
    elements per step with vector loads and stores, then finishes the chunk one element at a time: math
    functions then use their vector forms, several times faster. With `stream`, the vector loop stores with
    STREAM_STORE, which needs each chunk to start at a multiple of VECTOR elements. The text depends only on
    types, operand modes, the bodies, the collapsed rank and `stream`; sizes and strides are arguments, so
    one build serves every shape of that pattern.
    """
    params, preload, loads, vector_loads = [], [], [], []
    broadcasting = [k for k, op in enumerate(operands) if op.mode == BROADCAST]
    for k, op in enumerate(operands):
        wide = "%s%d" % (op.ctype, VECTOR)
        if op.mode == VALUE:
            params.append("const %s s%d" % (op.ctype, k))
        else:
            params.append("__global const %s* p%d" % (op.ctype, k))
        if op.mode == SCALAR:
            preload.append("const %s s%d = p%d[0];" % (op.ctype, k, k))
        if op.mode in (SCALAR, VALUE):
            loads.append("const %s x%d = s%d;" % (op.ctype, k, k))
            vector_loads.append("const %s x%d = (%s)(s%d);" % (wide, k, wide, k))
        elif op.mode == FULL:
            loads.append("const %s x%d = p%d[i];" % (op.ctype, k, k))
            vector_loads.append("const %s x%d = vload%d(0, p%d + i);" % (wide, k, VECTOR, k))
        else:
            last = "o%d + j" % k if op.strides[-1] else "o%d" % k
            loads.append("const %s x%d = p%d[%s];" % (op.ctype, k, k, last))
    for m, t in enumerate(out_types):
        params.append("__global %s* q%d" % (t, m))
    params.append("const int n")
    params.append("const int chunk")
    if broadcasting:
        params.extend("const int d%d" % a for a in range(rank))
        for k in broadcasting:
            params.extend("const int s%d_%d" % (k, a) for a in range(rank))
    declare = " ".join("%s y%d;" % (t, m) for m, t in enumerate(out_types))
    stores = " ".join("q%d[i] = y%d;" % (m, m) for m in range(len(out_types)))
    inner = "%s\n      %s\n      %s\n      %s" % (declare, "\n      ".join(loads), body, stores)
    if not broadcasting:
        loop = "  int i = start;\n"
        if vector_body is not None:
            vector_declare = " ".join("%s%d y%d;" % (t, VECTOR, m) for m, t in enumerate(out_types))
            if stream:
                vector_stores = " ".join("STREAM_STORE(y%d, (__global %s%d*)(q%d + i));" % (m, t, VECTOR, m)
                                         for m, t in enumerate(out_types))
            else:
                vector_stores = " ".join("vstore%d(y%d, 0, q%d + i);" % (VECTOR, m, m) for m in range(len(out_types)))
            loop += ("  for (; i + %d <= end; i += %d) {\n      %s\n      %s\n      %s\n      %s\n  }\n"
                     % (VECTOR, VECTOR, vector_declare, "\n      ".join(vector_loads), vector_body, vector_stores))
        loop += "  for (; i < end; i++) {\n      %s\n  }" % inner
        if stream and vector_body is not None:
            loop += "\n  STREAM_FENCE();"
    else:
        offsets = "\n".join("    int o%d = 0;" % k for k in broadcasting)
        walk = ["    int rest = i;", "    int c = 0;"]
        for a in range(rank - 1, -1, -1):
            walk.append("    c = rest %% d%d; rest /= d%d;" % (a, a))
            if a == rank - 1:
                walk.append("    const int run = min(end - i, d%d - c);" % a)
            walk.extend("    o%d += c * s%d_%d;" % (k, k, a) for k in broadcasting)
        loop = ("  int i = start;\n  while (i < end) {\n%s\n%s\n    for (int j = 0; j < run; j++, i++) {\n      %s\n"
                "    }\n  }" % (offsets, "\n".join(walk), inner))
    text = ("(%s) {\n  const int start = get_global_id(0) * chunk;\n  const int end = min(start + chunk, n);\n"
            "  %s\n%s\n}\n" % (",\n    ".join(params), " ".join(preload), loop))
    name = "ew_" + hashlib.sha1(text.encode()).hexdigest()[:16]
    return name, "__kernel void %s%s" % (name, text)


def launch(inputs, outputs, out_shape, body, vector_body=None, max_items=256, per_item=4096, cache_bytes=None):
    """A Launch of the elementwise kernel for `body` (and `vector_body`, see kernel_source).

    inputs: (operand, dtype, shape) where operand is a numpy scalar (passed by value) or has `.buffer`, a
    whole buffer (its start aligned for any vector type); outputs: (operand, dtype), each of `out_shape`.
    With `cache_bytes` (the device's cache size), a kernel moving at least that many bytes streams its
    stores. None when the output is empty (nothing to launch).
    """
    n = int(np.prod(out_shape, dtype=np.int64))
    if n == 0:
        return None
    operands, dims = plan_operands(out_shape, [(dt, shape, isinstance(x, np.generic)) for x, dt, shape in inputs])
    moved = n * sum(np.dtype(dt).itemsize for (_, dt, _), op in zip(inputs, operands) if op.mode == FULL)
    moved += n * sum(np.dtype(dt).itemsize for _, dt in outputs)
    stream = vector_body is not None and cache_bytes is not None and moved >= cache_bytes
    name, source = kernel_source(operands, [c_type(dt) for _, dt in outputs], body, len(dims), vector_body, stream)
    items, chunk = work_items(n, per_item, max_items, VECTOR)
    args = [x for x, _, _ in inputs] + [q for q, _ in outputs] + [np.int32(n), np.int32(chunk)]
    if any(op.mode == BROADCAST for op in operands):
        args.extend(np.int32(d) for d in dims)
        for op in operands:
            if op.mode == BROADCAST:
                args.extend(np.int32(s) for s in op.strides)
    return Launch(source, name, args, (items,))
