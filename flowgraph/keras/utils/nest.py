"""Nested structures of tensors for Keras: the eager layer's nest (lists, tuples, dicts by sorted key), and
`unpack_singleton` for Keras's one-element lists."""
from flowgraph.eager.nest import flatten, map_structure, pack_sequence_as

__all__ = ["flatten", "map_structure", "pack_sequence_as", "unpack_singleton"]


def unpack_singleton(values):
    """A one-element list as its element; anything else unchanged."""
    return values[0] if isinstance(values, (list, tuple)) and len(values) == 1 else values
