"""OpenCL kernels of the array ops: views, data movement, joins and splits, gathers, fills.

Data movement is derived from the numpy kernel itself: run on element labels (1, 2, 3, ...), it tells where
every output element comes from, once, when the plan is made (0: nowhere, padding or a gradient's zeros).
Strided patterns become strided copies; others (padding, tiling) copy through an index array.

Index inputs known on the host (constants, feeds) are checked there and raise as the numpy kernels do; indices
computed on the device follow TF's GPU kernels: a gather out of range gives zeros, a scatter drops the update
(and a sequence length out of range is clamped).
"""
import numpy as np

from flowgraph.backends.numpy.array_kernels import check_indices, check_nd_indices
from flowgraph.backends.opencl import opencl_kernel
from flowgraph.framework.op_registry import OP_DEFS
from opencl import copy, gather

VIEW_OPS = ("Identity", "StopGradient", "PlaceholderWithDefault", "Reshape", "ExpandDims", "Squeeze")
MOVEMENT_OPS = ("Transpose", "Slice", "StridedSlice", "ReverseV2", "Tile", "Pad", "PadV2", "MirrorPad", "Split",
                "SplitV", "Unpack")


def _view(k):
    k.alias(0, k.inputs[0])


for _name in VIEW_OPS:
    opencl_kernel(_name, raw_inputs=True)(_view)


@opencl_kernel("IdentityN", raw_inputs=True)
def _identity_n(k):
    for i, value in enumerate(k.inputs):
        k.alias(i, value)


def _labels(value, first):
    return np.arange(first, first + value.size, dtype=np.int64).reshape(value.shape)


def _movement(data_index):
    """Each output copies elements of input `data_index`, chosen by the op's numpy kernel run on labels (the
    other inputs are known on the host); padding is filled."""
    def kernel(k):
        x = k.inputs[data_index]
        fill = 0
        if k.op.type == "PadV2":
            if k.inputs[2].host is None:
                k.decline("the padding value is computed on the device")
            fill = k.inputs[2].host
        args = [_labels(x, 1) if i == data_index else v.host if v.host is not None else np.zeros(v.shape, np.int64)
                for i, v in enumerate(k.inputs)]
        result = k.op._opdef.kernels["numpy"](*args, **k.op._attrs)
        results = [result] if len(k.outputs) == 1 else list(result)
        for i, labels in enumerate(results):
            k.launch(copy.gather(x.dtype, x, k.output(i), np.asarray(labels, dtype=np.int64) - 1, fill,
                                 k.builder.plan.max_items))
    return kernel


for _name in MOVEMENT_OPS:
    opencl_kernel(_name)(_movement(0))
opencl_kernel("StridedSliceGrad")(_movement(4))


@opencl_kernel("MirrorPadGrad")
def _mirror_pad_grad(k):
    """Every element of dy adds into the element MirrorPad copied it from (MirrorPad run on labels says which)."""
    dy, paddings = k.inputs
    size = int(np.prod(k.shapes[0], dtype=np.int64))
    mirror_pad = OP_DEFS["MirrorPad"].kernels["numpy"]
    targets = mirror_pad(np.arange(size, dtype=np.int64).reshape(k.shapes[0]), paddings.host, k.attr("mode"))
    k.launch(copy.scatter_sum(dy.dtype, dy, k.output(0), targets, size, k.builder.plan.max_items))


def _joining(k):
    """Each input is copied to where its labels land in the numpy kernel's output (always a strided layout)."""
    first, labelled = 1, []
    for v in k.inputs:
        labelled.append(_labels(v, first))
        first += v.size
    landed = np.asarray(k.op._opdef.kernels["numpy"](*labelled, **k.op._attrs)).ravel()
    out = k.output(0)
    for v, labels in zip(k.inputs, labelled):
        if v.size == 0:
            continue
        start = labels.flat[0]
        mask = (landed >= start) & (landed < start + v.size)
        positions = np.empty(v.size, dtype=np.int64)
        positions[landed[mask] - start] = np.flatnonzero(mask)
        k.launch(copy.scatter(v.dtype, v, out, positions.reshape(v.shape), k.builder.plan.max_items))


for _name in ("ConcatV2", "Pack"):
    opencl_kernel(_name)(_joining)


def _shape_from_values(k):
    """An explicit fall-back: a plan lays out memory before a run, so an output whose shape depends on values
    is computed on the host (the builder finds the shape unknown before it calls this)."""
    k.decline("its output shape depends on input values, known only at run time")


for _name in ("Unique", "Where", "BooleanMask"):
    opencl_kernel(_name)(_shape_from_values)


def _broadcast(value_index):
    """BroadcastTo and Fill: the output repeats one input (fused with whatever computes it)."""
    def kernel(k):
        k.pending_output(0, "{0}", [k.inputs[value_index]])
    return kernel


opencl_kernel("BroadcastTo", raw_inputs=True)(_broadcast(0))
opencl_kernel("Fill", raw_inputs=True)(_broadcast(1))


@opencl_kernel("OneHot", raw_inputs=True)
def _one_hot(k):
    indices, _, on, off = k.inputs
    if k.attr("axis") not in (-1, len(indices.shape)):
        k.decline("one_hot along an inner axis")
    depth = int(k.host(1))
    classes = k.constant(np.arange(depth, dtype=indices.dtype))
    column = k.view(indices, indices.shape + (1,))
    k.pending_output(0, "{0} == {1} ? {2} : {3}", [column, classes, on, off])


def _gather_layout(k, params_shape, indices):
    if k.attr("batch_dims") != 0:
        k.decline("gather with batch_dims")
    axis = k.attr("axis") % len(params_shape)
    outer = int(np.prod(params_shape[:axis], dtype=np.int64))
    inner = int(np.prod(params_shape[axis + 1:], dtype=np.int64))
    return outer, int(params_shape[axis]), inner, indices.size


@opencl_kernel("GatherV2")
def _gather(k):
    params, indices = k.inputs
    outer, rows, inner, count = _gather_layout(k, params.shape, indices)
    k.check_on_host(1, lambda i: check_indices(i, rows))
    k.launch(gather.gather_rows(params.dtype, params, indices, k.output(0), outer, rows, inner, count))


@opencl_kernel("GatherGrad")
def _gather_grad(k):
    dy, indices, _ = k.inputs
    outer, rows, inner, count = _gather_layout(k, k.shapes[0], indices)
    k.check_on_host(1, lambda i: check_indices(i, rows))
    k.launch(gather.scatter_add_rows(dy.dtype, dy, indices, k.output(0), outer, rows, inner, count))


@opencl_kernel("GatherNd")
def _gather_nd(k):
    params, indices = k.inputs
    depth = indices.shape[-1]
    k.check_on_host(1, lambda i: check_nd_indices(params.shape, i))
    k.launch(gather.gather_nd(params.dtype, params, indices, k.output(0), params.shape,
                              int(np.prod(indices.shape[:-1], dtype=np.int64)), depth))


@opencl_kernel("ScatterNd")
def _scatter_nd(k):
    indices, updates, _ = k.inputs
    shape, depth = k.shapes[0], indices.shape[-1]
    k.check_on_host(0, lambda i: check_nd_indices(shape, i))
    k.launch(gather.scatter_nd(updates.dtype, indices, updates, k.output(0), shape,
                               int(np.prod(indices.shape[:-1], dtype=np.int64)), depth))


@opencl_kernel("ReverseSequence")
def _reverse_sequence(k):
    x, lengths = k.inputs
    seq_dim, batch_dim = k.attr("seq_dim") % len(x.shape), k.attr("batch_dim") % len(x.shape)
    # The numpy kernel checks the lengths; it needs only the batch and sequence axes of x to do so.
    stand_in = np.zeros([x.shape[a] if a in (seq_dim, batch_dim) else 1 for a in range(len(x.shape))], np.int8)
    reverse_sequence = OP_DEFS["ReverseSequence"].kernels["numpy"]
    k.check_on_host(1, lambda i: reverse_sequence(stand_in, i, seq_dim, batch_dim))
    k.launch(gather.reverse_sequence(x.dtype, x, lengths, k.output(0), x.shape, seq_dim, batch_dim,
                                     k.builder.plan.max_items))
