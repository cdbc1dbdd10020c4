"""Slicing: `tensor[key]` against numpy (table and hypothesis property), strided_slice masks, slice, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flowgraph as tf
from op_check import check_gradient, check_unknown_shapes, check_value

X = np.arange(60, dtype=np.float64).reshape(3, 4, 5)

KEYS = [
    ("int", 1),
    ("negative_int", -1),
    ("slice", np.s_[1:]),
    ("step", np.s_[::2]),
    ("negative_step", np.s_[::-1]),
    ("reverse_range", np.s_[-1:0:-2]),
    ("clamped", np.s_[-10:10]),
    ("empty", np.s_[2:1]),
    ("two_dims", np.s_[1:, 2]),
    ("ellipsis_last", np.s_[..., 1]),
    ("ellipsis_middle", np.s_[0, ..., 1:3]),
    ("newaxis", np.s_[:, None, 1]),
    ("newaxis_after_ellipsis", np.s_[..., None]),
    ("all_ints", np.s_[2, 3, 4]),
    ("empty_tuple", ()),
]


@pytest.mark.parametrize("key", [k for _, k in KEYS], ids=[name for name, _ in KEYS])
def test_getitem_matches_numpy(key):
    check_value(lambda x: x[key], lambda x: x[key], X)
    check_unknown_shapes(lambda x: x[key], X)


@pytest.mark.parametrize("key", [k for _, k in KEYS[:-1]], ids=[name for name, _ in KEYS[:-1]])
def test_getitem_gradient(key):
    check_gradient(lambda x: x[key] * 2.0, X[:, :3, :2] if key != (2, 3, 4) else X)


def test_tensor_indices_and_bounds():
    i = tf.placeholder(tf.int32, [])
    x = tf.constant(X)
    picked, window, reverse = x[i], x[:, i:i + 2], x[i, ::-1, tf.constant(-1)]
    assert picked.shape.as_list() == [4, 5]
    assert window.shape.as_list() == [3, None, 5]
    with tf.Session() as sess:
        p, w, r = sess.run([picked, window, reverse], {i: 1})
    np.testing.assert_array_equal(p, X[1])
    np.testing.assert_array_equal(w, X[:, 1:3])
    np.testing.assert_array_equal(r, X[1, ::-1, -1])


def test_int64_tensor_index_packs_python_ints_as_int64():
    i = tf.constant(2, tf.int64)
    y = tf.constant(X)[i, 1:3]
    assert y.op.inputs[1].dtype == tf.int64
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), X[2, 1:3])


def test_names_are_tfs():
    x = tf.constant(X)
    y = x[1:, 0]
    assert y.name == "strided_slice:0" and y.op.type == "StridedSlice"
    assert [t.op.name for t in y.op.inputs[1:]] == ["strided_slice/stack", "strided_slice/stack_1",
                                                    "strided_slice/stack_2"]
    assert y.op.get_attr("shrink_axis_mask") == 2 and y.op.get_attr("begin_mask") == 0
    assert x[0].name == "strided_slice_1:0"


def test_strided_slice_masks_directly():
    x = tf.constant(X)
    # begin_mask on dim 0, end_mask on dim 1, shrink on dim 2: x[:, 1:, 3]
    a = tf.strided_slice(x, [2, 1, 3], [2, 2, 4], [1, 1, 1], begin_mask=1, end_mask=2, shrink_axis_mask=4)
    # ellipsis then new axis: x[..., None]
    b = tf.strided_slice(x, [0, 0], [0, 0], [1, 1], ellipsis_mask=1, new_axis_mask=2)
    c = tf.strided_slice(x, [0, 0, 4], [3, 4, 0], [2, 3, -2])
    with tf.Session() as sess:
        va, vb, vc = sess.run([a, b, c])
    np.testing.assert_array_equal(va, X[:2, 1:, 3])
    np.testing.assert_array_equal(vb, X[..., None])
    np.testing.assert_array_equal(vc, X[0:3:2, 0:4:3, 4:0:-2])
    assert a.shape.as_list() == [2, 3] and b.shape.as_list() == [3, 4, 5, 1] and c.shape.as_list() == [2, 2, 2]


def test_variable_and_nested_indexing():
    v = tf.Variable(X)
    y = v[1][2:][:, ::2]
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(y), X[1][2:][:, ::2])


def test_slice_op():
    check_value(lambda x: tf.slice(x, [1, 0, 2], [2, -1, 3]), lambda x: x[1:3, :, 2:5], X)
    check_unknown_shapes(lambda x: tf.slice(x, [1, 0, 2], [2, -1, 3]), X)
    check_gradient(lambda x: tf.slice(x, [1, 1], [1, -1]), X[:2, :3, 0])


def test_second_order_through_strided_slice():
    x = tf.placeholder(tf.float64, [3])
    y = tf.reduce_sum(x[::2] ** 3)
    grad = tf.gradients(y, x)[0]
    second = tf.gradients(grad[2], x)[0]
    with tf.Session() as sess:
        g, h = sess.run([grad, second], {x: [1.0, 2.0, 3.0]})
    np.testing.assert_allclose(g, [3.0, 0.0, 27.0])
    np.testing.assert_allclose(h, [0.0, 0.0, 18.0])


BAD_KEYS = [
    ("float", lambda x: x[1.5], TypeError, "Only integers, slices"),
    ("list", lambda x: x[[0, 1]], TypeError, "Only integers, slices"),
    ("float_tensor", lambda x: x[tf.constant(1.0)], TypeError, "scalar tf.int32/tf.int64"),
    ("vector_tensor", lambda x: x[tf.constant([1])], TypeError, "Only integers"),
    ("float_bound", lambda x: x[:2.5], TypeError, "Only integers"),
    ("two_ellipses", lambda x: x[..., 0, ...], ValueError, "Multiple ellipses"),
    ("zero_step", lambda x: x[::0], ValueError, r"strides\[0\] must be non-zero"),
    ("out_of_bounds", lambda x: x[3], ValueError, "slice index 3 of dimension 0 out of bounds"),
    ("negative_out_of_bounds", lambda x: x[:, -5], ValueError, "slice index -5 of dimension 1 out of bounds"),
    ("too_many", lambda x: x[0, 0, 0, 0], ValueError, "Index out of range using input dim 3"),
]


@pytest.mark.parametrize("build, error, pattern", [b[1:] for b in BAD_KEYS], ids=[b[0] for b in BAD_KEYS])
def test_bad_keys(build, error, pattern):
    with pytest.raises(error, match=pattern):
        build(tf.constant(X))


def test_out_of_bounds_index_at_run_time_names_the_op():
    x = tf.placeholder(tf.float64, [None, 4])
    y = x[5]
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="'strided_slice'"):
            sess.run(y, {x: np.zeros((2, 4))})


# ---- property: random keys against numpy -------------------------------------------------------------------

@st.composite
def shapes_and_keys(draw):
    shape = draw(st.lists(st.integers(0, 5), min_size=0, max_size=4))
    entries = []
    dims_left = len(shape)
    has_ellipsis = False
    for _ in range(draw(st.integers(0, len(shape) + 2))):
        choice = draw(st.sampled_from(["int", "slice", "newaxis", "ellipsis"]))
        if choice == "newaxis":
            entries.append(None)
        elif choice == "ellipsis" and not has_ellipsis:
            has_ellipsis = True
            entries.append(Ellipsis)
        elif choice in ("int", "slice") and dims_left:
            dims_left -= 1
            entries.append(choice)
    key, axis = [], 0
    consumed = sum(1 for e in entries if e in ("int", "slice"))
    for e in entries:
        if e is Ellipsis:
            axis += len(shape) - consumed
            key.append(Ellipsis)
        elif e is None:
            key.append(None)
        else:
            dim = shape[axis]
            axis += 1
            if e == "int" and dim > 0:
                key.append(draw(st.integers(-dim, dim - 1)))
            else:
                bound = st.one_of(st.none(), st.integers(-dim - 2, dim + 2))
                step = draw(st.sampled_from([None, 1, 2, 3, -1, -2]))
                key.append(slice(draw(bound), draw(bound), step))
    return tuple(shape), tuple(key)


@settings(max_examples=150, deadline=None)
@given(shapes_and_keys())
def test_random_keys_match_numpy(shape_and_key):
    shape, key = shape_and_key
    value = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    expected = value[key]
    with tf.Graph().as_default():
        known = tf.placeholder(tf.float32, shape)
        unknown = tf.placeholder(tf.float32, [None] * len(shape))
        y, y_unknown = known[key], unknown[key]
        grad = tf.gradients(tf.reduce_sum(y), known)[0]
        with tf.Session() as sess:
            got, got_unknown, g = sess.run([y, y_unknown, grad], {known: value, unknown: value})
    assert y.shape.as_list() == list(expected.shape)
    assert y_unknown.shape.is_compatible_with(expected.shape)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got_unknown, expected)
    mask = np.zeros(shape, np.float32)
    mask[key] = 1.0
    np.testing.assert_array_equal(g, mask)
