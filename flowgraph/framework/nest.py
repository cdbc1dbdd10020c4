"""Nested structures (lists, tuples, namedtuples, dicts) flattened to leaves and rebuilt, as `tf.nest` does.

Dicts flatten in sorted key order (TF's rule, so two dicts with the same keys line up); anything else is a leaf.
Graph ops (cond, case), the eager layer and Keras all share these rules, so they live at the bottom layer.
"""

_END = object()


def is_nested(value):
    """Whether `value` is a list, tuple or dict (a structure with leaves of its own)."""
    return isinstance(value, (list, tuple, dict))


def dict_keys(value):
    """The keys of dict `value` in flattening order: sorted, or as inserted when they do not sort."""
    try:
        return sorted(value)
    except TypeError:  # keys of mixed types
        return list(value)


def flatten(structure):
    """The leaves of `structure`, depth first; a leaf alone gives a one-element list."""
    if not is_nested(structure):
        return [structure]
    leaves = []
    _flatten_into(structure, leaves)
    return leaves


def _flatten_into(structure, leaves):
    if isinstance(structure, dict):
        items = [structure[k] for k in dict_keys(structure)]
    elif is_nested(structure):
        items = structure
    else:
        leaves.append(structure)
        return
    for item in items:
        _flatten_into(item, leaves)


def pack_sequence_as(structure, flat):
    """`structure` with its leaves replaced, in order, by the items of `flat`."""
    if not is_nested(structure):
        if len(flat) != 1:
            raise ValueError("Structure is a leaf but %d values were given" % len(flat))
        return flat[0]
    values = iter(flat)
    result = _pack(structure, values)
    if next(values, _END) is not _END:
        raise ValueError("More values were given than the structure has leaves")
    return result


def _pack(structure, values):
    if isinstance(structure, dict):
        packed = {k: _pack(structure[k], values) for k in dict_keys(structure)}
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


def same_structure(a, b):
    """Whether `a` and `b` nest alike: dicts with the same keys, sequences (list or tuple) of the same length."""
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and all(
            same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(same_structure(x, y) for x, y in zip(a, b)))
    return True


def flatten_up_to(shallow, value):
    """The parts of `value` that stand where `shallow` has its leaves (ValueError where `value` nests otherwise)."""
    if isinstance(shallow, dict):
        if not isinstance(value, dict) or set(value) != set(shallow):
            raise ValueError("expected a dict with keys %s, got %r" % (dict_keys(shallow), value))
        return [v for k in dict_keys(shallow) for v in flatten_up_to(shallow[k], value[k])]
    if isinstance(shallow, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(shallow):
            raise ValueError("expected a sequence of %d, got %r" % (len(shallow), value))
        return [v for s, item in zip(shallow, value) for v in flatten_up_to(s, item)]
    return [value]


def unpack_singleton(values):
    """A one-element list or tuple as its element (TF1's non-strict cond and case, Keras's single input or
    output); anything else, namedtuples included, unchanged."""
    if isinstance(values, (list, tuple)) and not hasattr(values, "_fields") and len(values) == 1:
        return values[0]
    return values
