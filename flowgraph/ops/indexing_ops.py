"""Indexing ops: slice, strided_slice (and `tensor[...]`), gather, gather_nd, scatter_nd, one_hot.

Gradients are dense: gathers scatter-add dy back into zeros of the params' shape with their own ops
(GatherGrad, ScatterNd), and strided slices write dy into zeros (StridedSliceGrad); each of those is linear,
and its gradient is the forward op again, so second order works.
"""
import numbers

from flowgraph.framework import dtypes
from flowgraph.framework.graph import Tensor, name_scope
from flowgraph.framework.op_registry import (NOT_DIFFERENTIABLE, OpDef, apply_op, constant, constant_value,
                                             constant_value_as_shape, convert_to_tensor)
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import array_ops, shape_rules, slice_spec
from flowgraph.ops.array_ops import shape, shape_tensor, stack, static_int

__all__ = ["slice", "strided_slice", "gather", "gather_nd", "scatter_nd", "one_hot"]

_python_slice = slice
_INDEX_DTYPES = (dtypes.int32, dtypes.int64)
_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")

# ---- Slice -------------------------------------------------------------------------------------------------


def _slice_shape(op):
    x = op.inputs[0].shape
    begin = array_ops.partial_values(op.inputs[1])
    sizes = array_ops.partial_values(op.inputs[2])
    length = len(begin) if begin is not None else len(sizes) if sizes is not None else x.rank
    if length is None:
        return TensorShape(None)
    if x.rank is not None and length != x.rank or begin is not None and sizes is not None and len(begin) != len(sizes):
        raise ValueError("Expected begin and size arguments to be 1-D tensors of size %s, but got %s and %s"
                         % (x.rank, op.inputs[1].shape.as_proto_list(), op.inputs[2].shape.as_proto_list()))
    dims = []
    for i in range(length):
        b = begin[i] if begin is not None else None
        s = sizes[i] if sizes is not None else None
        d = x[i] if x.rank is not None else None
        if s is not None and s < -1:
            raise ValueError("Expected size[%d] to be -1 or non-negative, but got %d" % (i, s))
        if d is not None and b is not None and not 0 <= b <= d:
            raise ValueError("Expected begin[%d] in [0, %d], but got %d" % (i, d, b))
        if s == -1:
            s = None if b is None or d is None else d - b
        if d is not None and s is not None and b is not None and b + s > d:
            raise ValueError("Expected size[%d] in [0, %d], but got %d" % (i, d - b, s))
        dims.append(s)
    return TensorShape(dims)


def _slice_grad(op, dy):
    """dy padded back to the input's shape: begin zeros before, the rest after."""
    x, begin = op.inputs[0], op.inputs[1]
    after = shape(x, out_type=begin.dtype) - shape(op.outputs[0], out_type=begin.dtype) - begin
    return [array_ops.pad(dy, stack([begin, after], axis=1)), None, None]


OpDef("Slice", inputs=("input", "begin", "size"), shape=_slice_shape, host_inputs=(1, 2),
      same_dtype=("begin", "size"), grad=_slice_grad)


def slice(input_, begin, size, name=None):  # noqa: A001 - TF's public name
    """The block of `input_` starting at `begin` with extent `size` (-1: to the end of that dimension)."""
    with name_scope(name, "Slice", [input_, begin, size]) as scope:
        return apply_op("Slice", (convert_to_tensor(input_), shape_tensor(begin, name="begin"),
                                  shape_tensor(size, name="size")), name=scope)


# ---- StridedSlice ------------------------------------------------------------------------------------------

def _spec_values(op, first):
    """begin, end, strides of a StridedSlice(-Grad) op, with UNKNOWN where not known at build time."""
    parts = []
    for t in op.inputs[first:first + 3]:
        values = array_ops.partial_values(t)
        if values is None:
            return None
        parts.append([slice_spec.UNKNOWN if v is None else v for v in values])
    return parts


def _strided_slice_shape(op):
    x = op.inputs[0].shape
    spec = _spec_values(op, 1)
    if spec is None or x.rank is None:
        return TensorShape(None)
    key = slice_spec.decode(*spec, *[op.get_attr(m) for m in _MASKS])
    return TensorShape(slice_spec.output_dims(key, x.dims))


def _strided_slice_grad(op, dy):
    x, begin, end, strides = op.inputs
    dx = apply_op("StridedSliceGrad", (shape(x, out_type=begin.dtype), begin, end, strides, dy),
                  {m: op.get_attr(m) for m in _MASKS})
    return [dx, None, None, None]


_MASK_ATTRS = {m: 0 for m in _MASKS}
OpDef("StridedSlice", inputs=("input", "begin", "end", "strides"), attrs=_MASK_ATTRS, shape=_strided_slice_shape,
      host_inputs=(1, 2, 3), grad=_strided_slice_grad)

# Writes dy into zeros of the input's shape where the slice came from: StridedSlice's gradient.
OpDef("StridedSliceGrad", inputs=("shape", "begin", "end", "strides", "dy"), attrs=_MASK_ATTRS,
      shape=lambda op: constant_value_as_shape(op.inputs[0]), dtype=lambda op: op.inputs[4].dtype,
      host_inputs=(0, 1, 2, 3),
      grad=lambda op, ddx: [None] * 4 + [strided_slice(ddx, *op.inputs[1:4], **{m: op.get_attr(m) for m in _MASKS})])


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0,
                  shrink_axis_mask=0, var=None, name=None):
    """input_[begin:end:strides] per dimension, with TF's masks (bit i applies to spec entry i):
    begin/end_mask ignore that begin/end, ellipsis_mask marks `...`, new_axis_mask inserts a size-1 axis,
    shrink_axis_mask takes the single index begin[i] and drops the axis."""
    masks = dict(zip(_MASKS, (begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask)))
    with name_scope(name, "StridedSlice", [input_, begin, end, strides]) as scope:
        begin = shape_tensor(begin, name="begin")
        end = shape_tensor(end, name="end")
        strides = array_ops.ones_like(begin) if strides is None else shape_tensor(strides, name="strides")
        return apply_op("StridedSlice", (convert_to_tensor(input_), begin, end, strides),
                        {k: int(v) for k, v in masks.items()}, name=scope)


_SLICE_TYPE_ERROR = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar tf.int32/tf.int64 "
                     "tensors are valid indices, got %r")


def _check_index(index):
    if isinstance(index, numbers.Integral):
        return
    if isinstance(index, Tensor) or hasattr(index, "_as_tensor"):
        index = convert_to_tensor(index)
        if index.dtype in _INDEX_DTYPES and index.shape.rank in (None, 0):
            return
    raise TypeError(_SLICE_TYPE_ERROR % (index,))


def slice_helper(tensor, key):
    """`tensor[key]` as TF: ints, slices with steps, negative indices, Ellipsis, tf.newaxis (None) and scalar
    int tensors (indices, or slice bounds) become one StridedSlice op named 'strided_slice'."""
    if not isinstance(key, tuple):
        key = (key,)
    begin, end, strides = [], [], []
    masks = dict.fromkeys(_MASKS, 0)
    for i, index in enumerate(key):
        bit = 1 << i
        if isinstance(index, _python_slice):
            for part in (index.start, index.stop, index.step):
                if part is not None:
                    _check_index(part)
            begin.append(0 if index.start is None else index.start)
            end.append(0 if index.stop is None else index.stop)
            strides.append(1 if index.step is None else index.step)
            masks["begin_mask"] |= bit if index.start is None else 0
            masks["end_mask"] |= bit if index.stop is None else 0
        elif index is Ellipsis or index is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            masks["ellipsis_mask" if index is Ellipsis else "new_axis_mask"] |= bit
        else:
            _check_index(index)
            begin.append(index)
            end.append(index + 1)
            strides.append(1)
            masks["shrink_axis_mask"] |= bit
    tensor = convert_to_tensor(tensor)
    with name_scope("strided_slice") as scope:
        spec = [_pack_indices(values, "stack") for values in (begin, end, strides)]
        return apply_op("StridedSlice", (tensor, *spec), masks, name=scope)


def _pack_indices(values, name):
    """A 1-D index tensor from Python ints and scalar int tensors (all of the tensors' dtype)."""
    tensors = [v for v in values if isinstance(v, Tensor) or hasattr(v, "_as_tensor")]
    if not tensors:
        return shape_tensor(values, name=name)
    dtype = convert_to_tensor(tensors[0]).dtype
    return stack([convert_to_tensor(v, dtype=dtype) for v in values], name=name)


# ---- gather ------------------------------------------------------------------------------------------------

def _gather_shape(op):
    params, indices = op.inputs[0].shape, op.inputs[1].shape
    axis, batch_dims = op.get_attr("axis"), op.get_attr("batch_dims")
    if params.rank is None or indices.rank is None:
        return TensorShape(None)
    axis = shape_rules.normalize_axis(axis, params.rank, "GatherV2")
    if batch_dims > indices.rank:
        raise ValueError("batch_dims (%d) must be no greater than the rank of indices (%d)"
                         % (batch_dims, indices.rank))
    if batch_dims > axis:
        raise ValueError("batch_dims (%d) must be less than or equal to axis (%d)" % (batch_dims, axis))
    if not params[:batch_dims].is_compatible_with(indices[:batch_dims]):
        raise ValueError("params.shape[:%d] = %s and indices.shape[:%d] = %s must be equal (batch_dims)"
                         % (batch_dims, params[:batch_dims], batch_dims, indices[:batch_dims]))
    return params[:axis].concatenate(indices[batch_dims:]).concatenate(params[axis + 1:])


def _gather_grad(op, dy):
    params, indices = op.inputs
    attrs = {"axis": op.get_attr("axis"), "batch_dims": op.get_attr("batch_dims")}
    return [apply_op("GatherGrad", (dy, indices, shape(params)), attrs), None]


OpDef("GatherV2", inputs=("params", "indices"), attrs={"axis": 0, "batch_dims": 0}, shape=_gather_shape,
      grad=_gather_grad)

# Adds each slice of dy into zeros of the params' shape at its index (repeats accumulate): GatherV2's gradient.
OpDef("GatherGrad", inputs=("dy", "indices", "params_shape"), attrs={"axis": 0, "batch_dims": 0},
      shape=lambda op: constant_value_as_shape(op.inputs[2]), host_inputs=(2,),
      grad=lambda op, ddx: [gather(ddx, op.inputs[1], axis=op.get_attr("axis"),
                                   batch_dims=op.get_attr("batch_dims")), None, None])


def _index_tensor(indices, what):
    indices = convert_to_tensor(indices, dtype_hint=dtypes.int32, name="indices")
    if indices.dtype not in _INDEX_DTYPES:
        raise TypeError("%s must be int32 or int64, got %s" % (what, indices.dtype.name))
    return indices


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """Slices of `params` along `axis` at `indices`: the output has params.shape[:axis] + indices.shape +
    params.shape[axis+1:]. With batch_dims=b the first b dims of params and indices are matched, not crossed.
    Indices out of range raise InvalidArgumentError at run time (TF on CPU)."""
    with name_scope(name, "GatherV2", [params, indices]) as scope:
        return _gather(convert_to_tensor(params, name="params"), _index_tensor(indices, "gather indices"), axis,
                       batch_dims, scope)


def _gather(params, indices, axis, batch_dims, name):
    batch_dims = static_int(batch_dims, "gather batch_dims")
    if batch_dims < 0:
        if indices.shape.rank is None:
            raise ValueError("gather needs the rank of indices for a negative batch_dims")
        batch_dims += indices.shape.rank
    axis = batch_dims if axis is None else static_int(axis, "gather axis")
    if axis < 0 and params.shape.rank is not None:
        axis = shape_rules.normalize_axis(axis, params.shape.rank, "GatherV2")
    return apply_op("GatherV2", (params, indices), {"axis": axis, "batch_dims": batch_dims}, name=name)


# ---- gather_nd and scatter_nd ------------------------------------------------------------------------------

def _gather_nd_shape(op):
    params, indices = op.inputs[0].shape, op.inputs[1].shape
    if indices.rank is None or indices.rank == 0 or indices[-1] is None or params.rank is None:
        return TensorShape(None)
    if indices[-1] > params.rank:
        raise ValueError("indices.shape[-1] must be <= params.rank, but saw indices shape: %s and params shape: %s"
                         % (indices.as_proto_list(), params.as_proto_list()))
    return indices[:-1].concatenate(params[indices[-1]:])


OpDef("GatherNd", inputs=("params", "indices"), shape=_gather_nd_shape,
      grad=lambda op, dy: [scatter_nd(op.inputs[1], dy, shape(op.inputs[0], out_type=op.inputs[1].dtype)), None])


def _scatter_nd_shape(op):
    indices, updates = op.inputs[0].shape, op.inputs[1].shape
    result = constant_value_as_shape(op.inputs[2])
    if indices.rank is not None and indices.rank > 0 and indices[-1] is not None and result.rank is not None:
        expected = indices[:-1].concatenate(result[indices[-1]:])
        if not updates.is_compatible_with(expected):
            raise ValueError("ScatterNd: updates must have shape indices.shape[:-1] + shape[indices.shape[-1]:] = "
                             "%s, got %s" % (expected.as_proto_list(), updates.as_proto_list()))
    return result


OpDef("ScatterNd", inputs=("indices", "updates", "shape"), shape=_scatter_nd_shape, host_inputs=(2,),
      dtype=lambda op: op.inputs[1].dtype, grad=lambda op, dy: [None, gather_nd(dy, op.inputs[0]), None])


def gather_nd(params, indices, name=None, batch_dims=0):
    """params[indices[..., :]]: each innermost row of `indices` is a (partial) index into `params`."""
    if batch_dims:
        raise ValueError("gather_nd supports batch_dims=0 only, got %r" % (batch_dims,))
    with name_scope(name, "GatherNd", [params, indices]) as scope:
        return apply_op("GatherNd", (convert_to_tensor(params, name="params"),
                                     _index_tensor(indices, "gather_nd indices")), name=scope)


def scatter_nd(indices, updates, shape, name=None):  # noqa: F811 - TF's argument name
    """Zeros of `shape` with `updates` added at `indices` (repeated indices add up)."""
    with name_scope(name, "ScatterNd", [indices, updates, shape]) as scope:
        indices = _index_tensor(indices, "scatter_nd indices")
        return apply_op("ScatterNd", (indices, convert_to_tensor(updates, name="updates"), shape_tensor(shape)),
                        name=scope)


# ---- one_hot -----------------------------------------------------------------------------------------------

def _one_hot_shape(op):
    indices, axis = op.inputs[0].shape, op.get_attr("axis")
    known = constant_value(op.inputs[1])
    depth = None if known is None else int(known)
    if depth is not None and depth < 0:
        raise ValueError("depth must be non-negative, got: %d" % depth)
    if axis < -1:
        raise ValueError("axis must be >= -1, got %d" % axis)
    if indices.rank is None:
        return TensorShape(None)
    if axis > indices.rank:
        raise ValueError("axis %d is out of range for indices of rank %d (expected -1 <= axis <= %d)"
                         % (axis, indices.rank, indices.rank))
    dims = indices.as_list()
    at = len(dims) if axis == -1 else axis
    return TensorShape(dims[:at] + [depth] + dims[at:])


OpDef("OneHot", inputs=("indices", "depth", "on_value", "off_value"), attrs={"axis": -1}, shape=_one_hot_shape,
      dtype=lambda op: op.inputs[2].dtype, host_inputs=(1,), same_dtype=("on_value", "off_value"),
      grad=NOT_DIFFERENTIABLE)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """A new axis of size `depth` (last, or at `axis`) holding `on_value` where it equals the index and
    `off_value` elsewhere; indices outside [0, depth) give rows of `off_value`. The dtype comes from
    `dtype`, else on/off_value, else float32."""
    with name_scope(name, "one_hot", [indices, depth, on_value, off_value]) as scope:
        on = None if on_value is None else convert_to_tensor(on_value, dtype=dtype, name="on_value")
        off = None if off_value is None else convert_to_tensor(off_value, dtype=dtype, name="off_value")
        if on is not None and off is not None and on.dtype != off.dtype:
            raise TypeError("dtype %s of on_value does not match dtype %s of off_value"
                            % (on.dtype.name, off.dtype.name))
        given = on if on is not None else off
        dtype = dtypes.as_dtype(dtype) if dtype is not None else given.dtype if given is not None else dtypes.float32
        on = on if on is not None else constant(1, dtype=dtype, name="on_value")
        off = off if off is not None else constant(0, dtype=dtype, name="off_value")
        indices = convert_to_tensor(indices, name="indices")
        if indices.dtype not in (dtypes.uint8, dtypes.int32, dtypes.int64):
            raise TypeError("one_hot indices must be uint8, int32 or int64, got %s" % indices.dtype.name)
        depth = convert_to_tensor(depth, dtype=dtypes.int32, name="depth")
        return apply_op("OneHot", (indices, depth, on, off), {"axis": -1 if axis is None else int(axis)},
                        name=scope)
