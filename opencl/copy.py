"""Data movement on the device: strided copies (transposes, slices, concatenation, splits) and index copies
(padding, tiling), described by where each element comes from."""
import numpy as np

from opencl.source import Launch, instantiate, suffix, work_items

MAX_RANK = 8


def affine(index):
    """(base, strides) when the integer array `index` is base + sum(i_d * strides_d) over its axes, else None."""
    index = np.asarray(index, dtype=np.int64)
    if index.size == 0:
        return 0, [0] * index.ndim
    base = int(index.flat[0])
    strides = []
    for axis, n in enumerate(index.shape):
        if n == 1:
            strides.append(0)
            continue
        at = [0] * index.ndim
        at[axis] = 1
        strides.append(int(index[tuple(at)]) - base)
    expected = np.full(index.shape, base, dtype=np.int64)
    for axis, stride in enumerate(strides):
        shape = [1] * index.ndim
        shape[axis] = index.shape[axis]
        expected = expected + np.arange(index.shape[axis], dtype=np.int64).reshape(shape) * stride
    return (base, strides) if np.array_equal(expected, index) else None


def contiguous_strides(shape):
    strides, step = [], 1
    for d in reversed(shape):
        strides.insert(0, step)
        step *= int(d)
    return strides


def _collapse(dims, src_strides, dst_strides):
    """Drop size-1 axes and merge neighbours both sides step through alike."""
    out = []
    for d, s, t in zip(dims, src_strides, dst_strides):
        if d == 1:
            continue
        if out and out[-1][1] == s * d and out[-1][2] == t * d:
            out[-1] = [out[-1][0] * d, s, t]
        else:
            out.append([d, s, t])
    return out or [[1, 0, 0]]


def strided_copy(dtype, src, dst, dims, src_strides, dst_strides, src_base=0, dst_base=0, max_items=256):
    """A Launch copying the elements of an iteration space `dims` between strided layouts, or None if empty."""
    n = int(np.prod(dims, dtype=np.int64))
    if n == 0:
        return None
    axes = _collapse(dims, src_strides, dst_strides)
    if len(axes) > MAX_RANK:
        raise ValueError("a strided copy over %d axes (at most %d)" % (len(axes), MAX_RANK))
    layout = np.array([a[0] for a in axes] + [a[1] for a in axes] + [a[2] for a in axes], dtype=np.int32)
    items, chunk = work_items(n, 4096, max_items)
    return Launch(instantiate("copy.cl", dtype), "copy_strided_" + suffix(dtype),
                  [src, dst, layout, np.int32(len(axes)), np.int32(n), np.int32(chunk), np.int32(src_base),
                   np.int32(dst_base)], (items,))


def gather(dtype, src, dst, index, fill, max_items=256):
    """A Launch setting dst (shaped like `index`) from the flat positions `index` of src (negative: `fill`);
    a strided copy when the positions allow one, with no index array."""
    index = np.asarray(index)
    if index.size and index.min() >= 0:
        found = affine(index)
        if found is not None:
            base, strides = found
            return strided_copy(dtype, src, dst, index.shape, strides, contiguous_strides(index.shape), base, 0,
                                max_items)
    if index.size == 0:
        return None
    items, chunk = work_items(index.size, 4096, max_items)
    fill = np.uint8(fill) if np.dtype(dtype) == np.bool_ else np.dtype(dtype).type(fill)
    return Launch(instantiate("copy.cl", dtype), "copy_indexed_" + suffix(dtype),
                  [src, index.astype(np.int32).ravel(), dst, np.int32(index.size), np.int32(chunk), fill], (items,))


def scatter(dtype, src, dst, positions, max_items=256):
    """A Launch writing every element of src (shaped like `positions`) to dst at flat `positions`, which must
    be affine (a concatenation's or a stack's destination)."""
    found = affine(positions)
    if found is None:
        raise ValueError("scatter positions are not a strided layout")
    base, strides = found
    return strided_copy(dtype, src, dst, np.shape(positions), contiguous_strides(np.shape(positions)), strides, 0,
                        base, max_items)


def scatter_sum(dtype, src, dst, targets, size, max_items=256):
    """A Launch adding every element of src (shaped like `targets`) into dst (of `size` elements, zeros first)
    at flat position `targets` (negative: dropped); None when dst is empty. Elements meeting in one position
    add in src's order."""
    if size == 0:
        return None
    targets = np.asarray(targets, dtype=np.int64).ravel()
    kept = np.flatnonzero(targets >= 0)
    positions = kept[np.argsort(targets[kept], kind="stable")]
    offsets = np.concatenate([[0], np.cumsum(np.bincount(targets[kept], minlength=size))])
    items, chunk = work_items(size, 1024, max_items)
    return Launch(instantiate("copy.cl", dtype), "gather_sum_" + suffix(dtype),
                  [src, offsets.astype(np.int32), np.append(positions, 0).astype(np.int32), dst, np.int32(size),
                   np.int32(chunk)], (items,))
