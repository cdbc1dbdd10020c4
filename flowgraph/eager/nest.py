"""Nested structures (lists, tuples, namedtuples, dicts) flattened to leaves and rebuilt, as `tf.nest` does.

Dicts flatten in sorted key order (TF's rule, so two dicts with the same keys line up); anything else is a leaf.
"""


def _is_sequence(value):
    return isinstance(value, (list, tuple, dict))


def _dict_keys(value):
    try:
        return sorted(value)
    except TypeError:  # keys of mixed types: keep insertion order
        return list(value)


def flatten(structure):
    """The leaves of `structure`, depth first; a leaf alone gives a one-element list."""
    if not _is_sequence(structure):
        return [structure]
    leaves = []
    _flatten_into(structure, leaves)
    return leaves


def _flatten_into(structure, leaves):
    if isinstance(structure, dict):
        items = [structure[k] for k in _dict_keys(structure)]
    elif _is_sequence(structure):
        items = structure
    else:
        leaves.append(structure)
        return
    for item in items:
        _flatten_into(item, leaves)


def pack_sequence_as(structure, flat):
    """`structure` with its leaves replaced, in order, by the items of `flat`."""
    if not _is_sequence(structure):
        if len(flat) != 1:
            raise ValueError("Structure is a leaf but %d values were given" % len(flat))
        return flat[0]
    values = iter(flat)
    result = _pack(structure, values)
    if next(values, _END) is not _END:
        raise ValueError("More values were given than the structure has leaves")
    return result


_END = object()


def _pack(structure, values):
    if isinstance(structure, dict):
        packed = {k: _pack(structure[k], values) for k in _dict_keys(structure)}
        return type(structure)((k, packed[k]) for k in structure)
    if isinstance(structure, (list, tuple)):
        items = [_pack(item, values) for item in structure]
        if hasattr(structure, "_fields"):  # namedtuple
            return type(structure)(*items)
        return type(structure)(items)
    try:
        return next(values)
    except StopIteration:
        raise ValueError("Fewer values were given than the structure has leaves") from None


def map_structure(fn, structure):
    """`structure` with `fn` applied to every leaf."""
    return pack_sequence_as(structure, [fn(leaf) for leaf in flatten(structure)])
