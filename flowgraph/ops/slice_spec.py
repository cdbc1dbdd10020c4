"""StridedSlice's begin/end/strides and five masks, decoded into a numpy index.

Pure functions on static values, shared by the op's shape rule and by every backend's kernel, so the mask
rules are written once. A decoded key holds slices, ints (shrunk axes), None (new axes) and at most one
Ellipsis; TF's slicing clamps exactly as Python slices do, so numpy basic indexing with the key is the op.
"""

UNKNOWN = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()  # a value not known at build time


def decode(begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask):
    """The numpy index equal to the spec. Elements of begin/end/strides may be UNKNOWN (shape inference)."""
    if ellipsis_mask & (ellipsis_mask - 1):
        raise ValueError("Multiple ellipses in slice spec not allowed")
    if not len(begin) == len(end) == len(strides):
        raise ValueError("Expected begin, end, and strides to be 1D equal size tensors, but got lengths %d, %d "
                         "and %d" % (len(begin), len(end), len(strides)))
    key = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        bit = 1 << i
        if ellipsis_mask & bit:
            key.append(Ellipsis)
        elif new_axis_mask & bit:
            key.append(None)
        elif shrink_axis_mask & bit:
            key.append(0 if begin_mask & bit else b)
        else:
            if s == 0:
                raise ValueError("strides[%d] must be non-zero" % i)
            key.append(slice(None if begin_mask & bit else b, None if end_mask & bit else e, s))
    return tuple(key)


def output_dims(key, dims):
    """The output dims (None: unknown) when input dims `dims` are indexed by a decoded key.

    ValueError, as TF's at build time, for a shrunk index out of range or more indices than dims.
    """
    consumed = sum(1 for k in key if k is not None and k is not Ellipsis)
    if consumed > len(dims):
        raise ValueError("Index out of range using input dim %d; input has only %d dims" % (len(dims), len(dims)))
    fill = [slice(None)] * (len(dims) - consumed)
    if Ellipsis in key:
        at = key.index(Ellipsis)
        key = key[:at] + tuple(fill) + key[at + 1:]
    else:
        key = key + tuple(fill)
    out, axis = [], 0
    for k in key:
        if k is None:
            out.append(1)
            continue
        d = dims[axis]
        if isinstance(k, slice):
            out.append(_slice_length(k, d))
        elif k is not UNKNOWN and d is not None and not -d <= k < d:
            raise ValueError("slice index %d of dimension %d out of bounds." % (k, axis))
        axis += 1
    return out


def _slice_length(k, d):
    if UNKNOWN in (k.start, k.stop, k.step) or d is None:
        whole = k.start is None and k.stop is None and k.step in (1, -1)
        return d if whole else None
    return len(range(*k.indices(d)))
