"""Flattening nested lists, tuples and dicts of tensors, and packing flat lists back into the same structure."""


def flatten(structure):
    """The leaves of `structure` in order (dicts by sorted key, as TF's nest)."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack_sequence_as(structure, flat):
    """`flat` (a list of leaves) arranged like `structure`."""
    leaves = iter(flat)
    result = _pack(structure, leaves)
    if next(leaves, _END) is not _END:
        raise ValueError("pack_sequence_as: more values than leaves in the structure %r" % (structure,))
    return result


_END = object()


def _pack(structure, leaves):
    if isinstance(structure, dict):
        packed = {key: _pack(structure[key], leaves) for key in sorted(structure)}
        return type(structure)((key, packed[key]) for key in structure)
    if isinstance(structure, (list, tuple)):
        items = [_pack(item, leaves) for item in structure]
        if hasattr(structure, "_fields"):
            return type(structure)(*items)
        return type(structure)(items)
    value = next(leaves, _END)
    if value is _END:
        raise ValueError("pack_sequence_as: fewer values than leaves in the structure")
    return value


def map_structure(fn, structure):
    return pack_sequence_as(structure, [fn(leaf) for leaf in flatten(structure)])


def unpack_singleton(values):
    """A one-element list as its element; anything else unchanged."""
    return values[0] if isinstance(values, (list, tuple)) and len(values) == 1 else values
