"""Numpy kernels of the array, indexing and sequence ops.

Several return views of their input (transpose, slices, reverse); those op types are listed in VIEW_OPS so
fetched values are copied. Index checks raise InvalidArgumentError with TF's messages, since numpy would wrap
negative indices or clamp slices silently.
"""
import numpy as np

from flowgraph.backends.numpy import numpy_kernel
from flowgraph.framework import errors, limits
from flowgraph.ops import slice_spec
from flowgraph.ops.sequence_ops import range_length


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


# ---- sources, identity, shapes -----------------------------------------------------------------------------

@numpy_kernel("Const")
def _const(value, dtype):
    return value


@numpy_kernel("Placeholder")
def _placeholder(dtype, shape):
    raise _invalid("A placeholder was run without a fed value")


@numpy_kernel("PlaceholderWithDefault")
def _placeholder_with_default(x, shape):
    return x


@numpy_kernel("Identity")
def _identity(x):
    return x


@numpy_kernel("IdentityN")
def _identity_n(*xs):
    return list(xs)


@numpy_kernel("StopGradient")
def _stop_gradient(x):
    return x


@numpy_kernel("NoOp")
def _no_op():
    return None


@numpy_kernel("Shape")
def _shape(x, out_type):
    return np.array(x.shape if x.__class__ is np.ndarray else np.shape(x), dtype=out_type.as_numpy_dtype)


@numpy_kernel("ShapeN")
def _shape_n(*xs, out_type):
    return [np.array(np.shape(x), dtype=out_type.as_numpy_dtype) for x in xs]


@numpy_kernel("Size")
def _size(x, out_type):
    return np.array(np.size(x), dtype=out_type.as_numpy_dtype)


@numpy_kernel("Rank")
def _rank(x):
    return np.array(np.ndim(x), dtype=np.int32)


# ---- reshaping ---------------------------------------------------------------------------------------------

@numpy_kernel("Reshape")
def _reshape(x, shape):
    return np.reshape(x, shape.tolist())  # numpy reads a list several times faster than an array


@numpy_kernel("Fill")
def _fill(dims, value):
    value = np.asarray(value)
    limits.check_run_size(dims, value.dtype, "Fill")
    return np.full(dims, value, dtype=value.dtype)


@numpy_kernel("ZerosLike")
def _zeros_like(x):
    return np.zeros_like(x)


@numpy_kernel("OnesLike")
def _ones_like(x):
    return np.ones_like(x)


@numpy_kernel("Transpose")
def _transpose(x, perm):
    if sorted(perm.tolist()) != list(range(x.ndim)):
        raise _invalid("transpose expects a permutation of 0..%d, got %s" % (x.ndim - 1, perm.tolist()))
    return np.transpose(x, perm)


@numpy_kernel("InvertPermutation")
def _invert_permutation(x):
    if sorted(x.tolist()) != list(range(x.size)):
        raise _invalid("invert_permutation expects a permutation of 0..%d, got %s" % (x.size - 1, x.tolist()))
    inverse = np.empty_like(x)
    inverse[x] = np.arange(x.size, dtype=x.dtype)
    return inverse


@numpy_kernel("ExpandDims")
def _expand_dims(x, axis):
    x = np.asarray(x)
    if axis < 0:
        axis += x.ndim + 1
    return x.reshape(x.shape[:axis] + (1,) + x.shape[axis:])  # np.expand_dims costs several times more


@numpy_kernel("Squeeze")
def _squeeze(x, squeeze_dims):
    return np.squeeze(x, axis=tuple(squeeze_dims) if squeeze_dims else None)


# ---- joining and splitting ---------------------------------------------------------------------------------

@numpy_kernel("Pack")
def _pack(*values, axis):
    return np.stack(values, axis=axis)


@numpy_kernel("Unpack")
def _unpack(value, num, axis):
    return [np.take(value, i, axis=axis) for i in range(num)]


@numpy_kernel("ConcatV2")
def _concat(*values, axis):
    return np.concatenate(values, axis=axis)


@numpy_kernel("Split")
def _split(value, num_split, axis):
    if value.shape[axis] % num_split:
        raise _invalid("Number of ways to split should evenly divide the split dimension, but got split_dim %d "
                       "(size = %d) and num_split %d" % (axis, value.shape[axis], num_split))
    return np.split(value, num_split, axis=axis)


@numpy_kernel("SplitV")
def _split_v(value, size_splits, num_split, axis):
    sizes = size_splits.tolist()
    dim = value.shape[axis]
    if -1 in sizes:
        sizes[sizes.index(-1)] = dim - (sum(sizes) + 1)
    if sum(sizes) != dim or min(sizes) < 0:
        raise _invalid("Determined shape must either match input shape along split_dim exactly if fully "
                       "specified, or be less than the size of the input along split_dim if not fully specified. "
                       "Got: %d" % sum(size_splits.tolist()))
    return np.split(value, np.cumsum(sizes)[:-1], axis=axis)


# ---- slicing, tiling, padding, reversing -------------------------------------------------------------------

@numpy_kernel("Slice")
def _slice(x, begin, size):
    key = []
    for i, (b, s, d) in enumerate(zip(begin.tolist(), size.tolist(), x.shape)):
        s = d - b if s == -1 else s
        if not 0 <= b <= d or not 0 <= s <= d - b:
            raise _invalid("Expected size[%d] in [0, %d], but got %d" % (i, d - b, s) if 0 <= b <= d else
                           "Expected begin[%d] in [0, %d], but got %d" % (i, d, b))
        key.append(slice(b, b + s))
    if len(key) != x.ndim:
        raise _invalid("Expected begin and size arguments to be 1-D tensors of size %d, but got shapes %s and %s "
                       "instead." % (x.ndim, list(begin.shape), list(size.shape)))
    return x[tuple(key)]


def _strided_key(begin, end, strides, masks):
    try:
        return slice_spec.decode(begin.tolist(), end.tolist(), strides.tolist(), *masks)
    except ValueError as e:
        raise _invalid(str(e)) from None


@numpy_kernel("StridedSlice")
def _strided_slice(x, begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask):
    key = _strided_key(begin, end, strides, (begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask))
    try:
        return np.asarray(x[key])
    except IndexError as e:
        raise _invalid("StridedSlice: %s (input shape %s)" % (e, list(x.shape))) from None


@numpy_kernel("StridedSliceGrad")
def _strided_slice_grad(shape, begin, end, strides, dy, begin_mask, end_mask, ellipsis_mask, new_axis_mask,
                        shrink_axis_mask):
    key = _strided_key(begin, end, strides, (begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask))
    dx = np.zeros(tuple(shape), dtype=dy.dtype)
    dx[key] = dy
    return dx


@numpy_kernel("Tile")
def _tile(x, multiples):
    if len(multiples) != x.ndim or np.any(multiples < 0):
        raise _invalid("Expected multiples to be %d non-negative ints (the input rank), got %s"
                       % (x.ndim, multiples.tolist()))
    limits.check_run_size(np.multiply(x.shape, multiples), x.dtype, "Tile")
    return np.tile(x, multiples)


def _check_paddings(x, paddings, mode):
    if paddings.shape != (x.ndim, 2):
        raise _invalid("paddings must be a matrix with %d rows and 2 columns, got shape %s"
                       % (x.ndim, list(paddings.shape)))
    if np.any(paddings < 0):
        raise _invalid("Paddings must be non-negative: %s" % paddings.tolist())
    for i, (d, (before, after)) in enumerate(zip(x.shape, paddings.tolist())):
        if mode == "REFLECT" and max(before, after) >= d:
            raise _invalid("paddings must be less than the dimension size: %d, %d not less than %d"
                           % (before, after, d))
        if mode == "SYMMETRIC" and max(before, after) > d:
            raise _invalid("paddings must be no greater than the dimension size: %d, %d greater than %d"
                           % (before, after, d))


@numpy_kernel("Pad")
def _pad(x, paddings):
    _check_paddings(x, paddings, "CONSTANT")
    return np.pad(x, paddings)


@numpy_kernel("PadV2")
def _pad_v2(x, paddings, constant_values):
    _check_paddings(x, paddings, "CONSTANT")
    return np.pad(x, paddings, constant_values=constant_values)


@numpy_kernel("MirrorPad")
def _mirror_pad(x, paddings, mode):
    _check_paddings(x, paddings, mode)
    return np.pad(x, paddings, mode=mode.lower())


@numpy_kernel("MirrorPadGrad")
def _mirror_pad_grad(dy, paddings, mode):
    """Fold each mirrored border back onto the elements it copied, one axis at a time."""
    edge = 1 if mode == "REFLECT" else 0
    grad = dy
    for axis, (before, after) in enumerate(paddings.tolist()):
        n = grad.shape[axis] - before - after
        moved = np.moveaxis(grad, axis, 0)
        core = moved[before:before + n].copy()
        core[edge:edge + before] += moved[:before][::-1]
        core[n - edge - after:n - edge] += moved[before + n:][::-1]
        grad = np.moveaxis(core, 0, axis)
    return np.ascontiguousarray(grad)


@numpy_kernel("ReverseV2")
def _reverse(x, axis):
    return np.flip(x, axis=tuple(axis)) if axis else x


@numpy_kernel("ReverseSequence")
def _reverse_sequence(x, seq_lengths, seq_dim, batch_dim):
    if seq_lengths.shape != (x.shape[batch_dim],):
        raise _invalid("Length of seq_lengths != input.dims(%d), (%d vs. %d)"
                       % (batch_dim, seq_lengths.size, x.shape[batch_dim]))
    if np.any(seq_lengths < 0) or np.any(seq_lengths > x.shape[seq_dim]):
        bad = int(np.flatnonzero((seq_lengths < 0) | (seq_lengths > x.shape[seq_dim]))[0])
        raise _invalid("seq_lens(%d) = %d is not in [0, %d]" % (bad, seq_lengths[bad], x.shape[seq_dim]))
    out = x.copy()
    target = np.moveaxis(out, (batch_dim, seq_dim), (0, 1))
    source = np.moveaxis(x, (batch_dim, seq_dim), (0, 1))
    for b, length in enumerate(seq_lengths.tolist()):
        target[b, :length] = source[b, :length][::-1]
    return out


# ---- masks -------------------------------------------------------------------------------------------------

@numpy_kernel("BooleanMask")
def _boolean_mask(tensor, mask, axis):
    return tensor[(slice(None),) * axis + (mask,)]


@numpy_kernel("BooleanMaskGrad")
def _boolean_mask_grad(dy, mask, shape, axis):
    dx = np.zeros(tuple(shape), dtype=dy.dtype)
    dx[(slice(None),) * axis + (mask,)] = dy
    return dx


# ---- gathering and scattering ------------------------------------------------------------------------------

def check_indices(indices, limit):
    """InvalidArgumentError unless every index is in [0, limit) (device backends check host indices with it)."""
    bad = (indices < 0) | (indices >= limit)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise _invalid("indices[%s] = %d is not in [0, %d)" % (",".join(map(str, where)), indices[where], limit))


def _gather_key(params_ndim, indices, axis, batch_dims):
    """The numpy index for GatherV2; with batch dims, index arrays pair each batch entry with its own indices.

    Fancy indexing puts the indexed dims (batch + indices) first, then the dims between batch and axis
    (`middle`), then the rest: the caller moves `middle` into place.
    """
    axis %= params_ndim
    batch_shape = indices.shape[:batch_dims]
    grids = [np.arange(n).reshape([-1 if j == i else 1 for j in range(batch_dims)] + [1] * (indices.ndim - batch_dims))
             for i, n in enumerate(batch_shape)]
    return tuple(grids) + (slice(None),) * (axis - batch_dims) + (indices,), axis - batch_dims


@numpy_kernel("GatherV2")
def _gather(params, indices, axis, batch_dims):
    check_indices(indices, params.shape[axis])
    if batch_dims == 0:
        return np.take(params, indices, axis=axis)
    key, middle = _gather_key(params.ndim, indices, axis, batch_dims)
    out = params[key]
    if middle:
        moved = list(range(indices.ndim, indices.ndim + middle))
        out = np.moveaxis(out, moved, list(range(batch_dims, batch_dims + middle)))
    return np.ascontiguousarray(out)


@numpy_kernel("GatherGrad")
def _gather_grad(dy, indices, params_shape, axis, batch_dims):
    dx = np.zeros(tuple(params_shape), dtype=dy.dtype)
    check_indices(indices, dx.shape[axis])
    if batch_dims == 0:
        np.add.at(dx, (slice(None),) * (axis % dx.ndim) + (indices,), dy)
        return dx
    key, middle = _gather_key(dx.ndim, indices, axis, batch_dims)
    if middle:
        dy = np.moveaxis(dy, list(range(batch_dims, batch_dims + middle)),
                         list(range(indices.ndim, indices.ndim + middle)))
    np.add.at(dx, key, dy)
    return dx


def check_nd_indices(params_shape, indices):
    """InvalidArgumentError unless every innermost row of `indices` indexes into `params_shape`."""
    depth = indices.shape[-1]
    bad = (indices < 0) | (indices >= np.asarray(params_shape[:depth], dtype=np.int64))
    if np.any(bad):
        row = tuple(np.argwhere(bad)[0][:-1])
        raise _invalid("indices%s = [%s] does not index into param shape [%s]"
                       % ([int(r) for r in row], ", ".join(map(str, indices[row].tolist())), ",".join(map(str, params_shape))))


def _nd_key(params_shape, indices):
    check_nd_indices(params_shape, indices)
    return tuple(np.moveaxis(indices, -1, 0))


@numpy_kernel("GatherNd")
def _gather_nd(params, indices):
    if indices.shape[-1] == 0:
        return np.ascontiguousarray(np.broadcast_to(params, indices.shape[:-1] + params.shape))
    return params[_nd_key(params.shape, indices)]


@numpy_kernel("ScatterNd")
def _scatter_nd(indices, updates, shape):
    out = np.zeros(tuple(shape), dtype=updates.dtype)
    if indices.shape[-1] == 0:  # every update covers the whole output
        return np.add.reduce(updates.reshape((-1,) + out.shape), axis=0, out=out)
    np.add.at(out, _nd_key(out.shape, indices), updates)
    return out


@numpy_kernel("OneHot")
def _one_hot(indices, depth, on_value, off_value, axis):
    if depth < 0:
        raise _invalid("depth must be non-negative, got: %d" % depth)
    hot = np.expand_dims(indices, -1) == np.arange(depth)
    out = np.where(hot, on_value, off_value)
    return out if axis == -1 else np.moveaxis(out, -1, axis)


# ---- sequences ---------------------------------------------------------------------------------------------

@numpy_kernel("Range")
def _range(start, limit, delta):
    try:
        count = range_length(start.item(), limit.item(), delta.item())
    except ValueError as e:
        raise _invalid(str(e)) from None
    limits.check_run_size([count], start.dtype, "Range")
    return (start + np.arange(count, dtype=start.dtype) * delta).astype(start.dtype)


@numpy_kernel("LinSpace")
def _linspace(start, stop, num):
    if num <= 0:
        raise _invalid("Requires num > 0: %d" % num)
    return np.linspace(start, stop, int(num), dtype=start.dtype)


@numpy_kernel("Unique")
def _unique(x, out_idx):
    values, first, inverse = np.unique(x, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # TF lists values in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return x[np.sort(first)], rank[inverse.reshape(-1)].astype(out_idx.as_numpy_dtype)
