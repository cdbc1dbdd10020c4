"""framework.nest: the one set of nesting rules that cond/case, the eager layer and Keras share."""
import collections

import pytest

from flowgraph.framework import nest

Pair = collections.namedtuple("Pair", ["first", "second"])


def test_flatten_orders_dict_keys_and_pack_restores_types():
    structure = {"b": [1, (2, 3)], "a": Pair(4, {"y": 5, "x": 6})}
    flat = nest.flatten(structure)
    assert flat == [4, 6, 5, 1, 2, 3]
    packed = nest.pack_sequence_as(structure, [10 * v for v in flat])
    assert packed == {"b": [10, (20, 30)], "a": Pair(40, {"y": 50, "x": 60})}
    assert list(packed) == ["b", "a"] and isinstance(packed["a"], Pair) and isinstance(packed["b"][1], tuple)


def test_leaves_and_mixed_type_keys():
    assert nest.flatten(None) == [None]
    assert nest.pack_sequence_as(7, ["x"]) == "x"
    assert nest.flatten({1: "one", "a": "letter"}) == ["one", "letter"]
    assert nest.map_structure(str.upper, {1: "one", "a": ["b"]}) == {1: "ONE", "a": ["B"]}


@pytest.mark.parametrize("structure, flat, message", [
    ([1, 2], [1], "Fewer values"),
    ([1, 2], [1, 2, 3], "More values"),
    (1, [1, 2], "Structure is a leaf but 2 values"),
])
def test_pack_rejects_wrong_counts(structure, flat, message):
    with pytest.raises(ValueError, match=message):
        nest.pack_sequence_as(structure, flat)


def test_same_structure():
    assert nest.same_structure({"a": [1, 2]}, {"a": (3, 4)})
    assert not nest.same_structure({"a": 1}, {"b": 1})
    assert not nest.same_structure([1, 2], [1])
    assert not nest.same_structure([1], 1)


def test_flatten_up_to():
    assert nest.flatten_up_to({"b": 0, "a": [0, 0]}, {"a": [[1], 2], "b": 3}) == [[1], 2, 3]
    with pytest.raises(ValueError, match="expected a dict with keys \\['a'\\]"):
        nest.flatten_up_to({"a": 0}, {"b": 1})
    with pytest.raises(ValueError, match="expected a sequence of 2"):
        nest.flatten_up_to([0, 0], [1])


def test_unpack_singleton_keeps_namedtuples():
    assert nest.unpack_singleton([5]) == 5
    assert nest.unpack_singleton((5,)) == 5
    assert nest.unpack_singleton([5, 6]) == [5, 6]
    single = collections.namedtuple("Single", ["only"])(5)
    assert nest.unpack_singleton(single) is single
