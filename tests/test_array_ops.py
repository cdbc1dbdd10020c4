"""Array, indexing and sequence ops: one table row per case, one test per property; then shapes, names, errors."""
import collections

import numpy as np
import pytest

import flowgraph as tf
from op_check import check_gradient, check_unknown_shapes, check_value, evaluate

Row = collections.namedtuple("Row", "id fn reference arrays grad")
RNG = np.random.default_rng(7)


def row(id, fn, reference, *arrays, grad=True):  # noqa: A002
    return Row(id, fn, reference, [np.asarray(a) for a in arrays], grad)


def normal(*shape):
    return RNG.standard_normal(shape)


X = normal(2, 3, 4)
M = normal(3, 5)


def gather_batched(params, indices, axis, batch_dims):
    """Reference for gather with batch_dims: one np.take per batch entry."""
    batch = params.shape[:batch_dims]
    parts = [np.take(params[b], indices[b], axis=axis - batch_dims) for b in np.ndindex(*batch)]
    return np.stack(parts).reshape(batch + parts[0].shape)


def reverse_sequence_ref(x, lengths, seq_axis, batch_axis):
    out = np.moveaxis(x.copy(), (batch_axis, seq_axis), (0, 1))
    for b, n in enumerate(lengths):
        out[b, :n] = out[b, :n][::-1]
    return np.moveaxis(out, (0, 1), (batch_axis, seq_axis))


def _scatter(indices, updates, shape):
    out = np.zeros(shape)
    np.add.at(out, (indices,), updates)
    return out


def mirror_pad_ref(mode):
    return lambda x: np.pad(x, [[1, 1], [2, 1], [0, 2]], mode=mode)


ROWS = [
    row("transpose_default", tf.transpose, np.transpose, X),
    row("transpose_perm", lambda x: tf.transpose(x, [1, 0, 2]), lambda x: np.transpose(x, [1, 0, 2]), X),
    row("expand_dims", lambda x: tf.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), X),
    row("expand_dims_negative", lambda x: tf.expand_dims(x, -1), lambda x: x[..., None], X),
    row("squeeze_all", tf.squeeze, np.squeeze, normal(1, 3, 1, 2)),
    row("squeeze_axis", lambda x: tf.squeeze(x, [2]), lambda x: np.squeeze(x, 2), normal(1, 3, 1, 2)),
    row("reshape_wildcard", lambda x: tf.reshape(x, [-1, 4]), lambda x: x.reshape(-1, 4), X),
    row("concat", lambda a, b: tf.concat([a, b], 1), lambda a, b: np.concatenate([a, b], 1), X, normal(2, 2, 4)),
    row("concat_negative_axis", lambda a, b, c: tf.concat([a, b, c], -1),
        lambda a, b, c: np.concatenate([a, b, c], -1), M, normal(3, 1), normal(3, 2)),
    row("stack", lambda a, b: tf.stack([a, b], axis=1), lambda a, b: np.stack([a, b], 1), M, normal(3, 5)),
    row("unstack", lambda x: tf.unstack(x, num=5, axis=1)[2], lambda x: x[:, 2], M),
    row("split_num", lambda x: tf.split(x, 2, axis=2)[1], lambda x: np.split(x, 2, 2)[1], X),
    row("split_sizes", lambda x: tf.split(x, [1, -1, 2], axis=1)[1], lambda x: x[:, 1:3], normal(3, 5)),
    row("tile", lambda x: tf.tile(x, [2, 1, 3]), lambda x: np.tile(x, [2, 1, 3]), X),
    row("pad_constant", lambda x: tf.pad(x, [[1, 0], [0, 2]]), lambda x: np.pad(x, [[1, 0], [0, 2]]), M),
    row("pad_value", lambda x: tf.pad(x, [[1, 1], [2, 0]], constant_values=-1.5),
        lambda x: np.pad(x, [[1, 1], [2, 0]], constant_values=-1.5), M),
    row("pad_reflect", lambda x: tf.pad(x, [[1, 1], [2, 1], [0, 2]], "REFLECT"), mirror_pad_ref("reflect"), X),
    row("pad_symmetric", lambda x: tf.pad(x, [[1, 1], [2, 1], [0, 2]], "symmetric"), mirror_pad_ref("symmetric"),
        X),
    row("reverse", lambda x: tf.reverse(x, [0, 2]), lambda x: x[::-1, :, ::-1], X),
    row("reverse_sequence", lambda x: tf.reverse_sequence(x, [3, 0], seq_axis=2, batch_axis=0),
        lambda x: reverse_sequence_ref(x, [3, 0], 2, 0), X),
    row("gather", lambda x: tf.gather(x, [2, 0, 2]), lambda x: x[[2, 0, 2]], M),
    row("gather_axis", lambda x: tf.gather(x, [[3, 1], [0, 3]], axis=2), lambda x: np.take(x, [[3, 1], [0, 3]], 2),
        X),
    row("gather_batch_dims", lambda x: tf.gather(x, [[0, 3, 3], [2, 1, 0]], axis=2, batch_dims=1),
        lambda x: gather_batched(x, np.array([[0, 3, 3], [2, 1, 0]]), 2, 1), X),
    row("gather_batch_dims_middle", lambda x: tf.gather(x, [[1, 1], [0, 2]], axis=2, batch_dims=1),
        lambda x: gather_batched(x, np.array([[1, 1], [0, 2]]), 2, 1), normal(2, 2, 3, 2)),
    row("gather_nd", lambda x: tf.gather_nd(x, [[1, 2], [0, 0], [1, 2]]), lambda x: x[[1, 0, 1], [2, 0, 2]], X),
    row("gather_nd_partial", lambda x: tf.gather_nd(x, [[[1], [0]]]), lambda x: x[[[1, 0]]], X),
    row("scatter_nd", lambda u: tf.scatter_nd([[1], [3], [1]], u, [5, 2]), lambda u: _scatter([1, 3, 1], u, (5, 2)),
        normal(3, 2)),
    row("boolean_mask", lambda x: tf.boolean_mask(x, [True, False, True]), lambda x: x[[0, 2]], M),
    row("boolean_mask_axis", lambda x: tf.boolean_mask(x, [True, False, True], axis=1), lambda x: x[:, [0, 2]], X),
    row("identity_n", lambda a, b: tf.identity_n([a, b]), lambda a, b: [a, b], M, X, grad=False),
    row("meshgrid_xy", lambda a, b: tf.meshgrid(a, b)[0], lambda a, b: np.meshgrid(a, b)[0], normal(3), normal(2)),
    row("meshgrid_ij", lambda a, b: tf.meshgrid(a, b, indexing="ij")[1],
        lambda a, b: np.meshgrid(a, b, indexing="ij")[1], normal(3), normal(2)),
    row("one_hot", lambda i: tf.one_hot(i, 4), lambda i: (i[..., None] == np.arange(4)).astype(np.float32),
        np.array([[0, 3, -1], [2, 5, 1]]), grad=False),
    row("one_hot_axis", lambda i: tf.one_hot(i, 3, on_value=5, off_value=-1, axis=0),
        lambda i: np.where(np.arange(3)[:, None] == i, 5, -1).astype(np.int32), np.array([2, 0, 1, 1]), grad=False),
    row("shape_n", lambda a, b: tf.shape_n([a, b])[1], lambda a, b: np.array(b.shape, np.int32), M, X, grad=False),
    row("size", tf.size, lambda x: np.int32(x.size), X, grad=False),
    row("rank", tf.rank, lambda x: np.int32(x.ndim), X, grad=False),
    row("unique_idx", lambda x: tf.unique(x).idx, lambda x: np.array([0, 1, 0, 2, 1], np.int32),
        np.array([3, 1, 3, 2, 1]), grad=False),
    row("sequence_mask", lambda n: tf.sequence_mask(n, 4), lambda n: np.arange(4) < n[:, None],
        np.array([0, 2, 4], np.int32), grad=False),
    row("invert_permutation", tf.invert_permutation, np.argsort, np.array([2, 0, 3, 1], np.int32), grad=False),
]


@pytest.mark.parametrize("case", ROWS, ids=[r.id for r in ROWS])
def test_value_dtype_and_inferred_shape(case):
    check_value(case.fn, case.reference, *case.arrays)


@pytest.mark.parametrize("case", ROWS, ids=[r.id for r in ROWS])
def test_unknown_shapes(case):
    check_unknown_shapes(case.fn, *case.arrays)


GRADIENT_ROWS = [r for r in ROWS if r.grad]


@pytest.mark.parametrize("case", GRADIENT_ROWS, ids=[r.id for r in GRADIENT_ROWS])
def test_numeric_gradient(case):
    check_gradient(case.fn, *case.arrays)


def test_second_order_through_gather_and_pad():
    x = tf.placeholder(tf.float64, [4])
    y = tf.reduce_sum(tf.gather(tf.pad(x * x, [[1, 2]], "REFLECT"), [0, 1, 1, 6]) * x[0])
    grad = tf.gradients(y, x)[0]
    second = tf.gradients(tf.reduce_sum(grad * [1.0, 2.0, 3.0, 4.0]), x)[0]
    with tf.Session() as sess:
        g, h = sess.run([grad, second], {x: [1.0, 2.0, 3.0, 4.0]})
    # padded = [x1², x0², x1², x2², x3², x2², x1²], so y = x0 * (2 x1² + 2 x0²): dy = [2 x1² + 6 x0², 4 x0 x1, 0, 0]
    np.testing.assert_allclose(g, [14.0, 8.0, 0.0, 0.0])
    # d/dx of dy . [1, 2, 3, 4] = [12 x0 + 8 x1, 4 x1 + 8 x0, 0, 0]
    np.testing.assert_allclose(h, [28.0, 16.0, 0.0, 0.0])


def test_unique_keeps_first_appearance_order():
    y, idx = evaluate(lambda x: tf.unique(x, out_idx=tf.int64), np.array([3, 1, 3, 2, 1], np.int32))[0]
    np.testing.assert_array_equal(y, [3, 1, 2])
    np.testing.assert_array_equal(idx, [0, 1, 0, 2, 1])
    assert y.dtype == np.int32 and idx.dtype == np.int64


def test_sequence_ops_values():
    with tf.Session() as sess:
        r1, r2, r3, r4, space = sess.run([tf.range(5), tf.range(1, 5.0, 1.5), tf.range(10, 2, -3),
                                          tf.range(tf.constant(3, tf.int64), 6), tf.linspace(0.0, 1.0, 5)])
    np.testing.assert_array_equal(r1, np.arange(5, dtype=np.int32))
    np.testing.assert_allclose(r2, [1.0, 2.5, 4.0])
    assert r2.dtype == np.float32 and r4.dtype == np.int64
    np.testing.assert_array_equal(r3, [10, 7, 4])
    np.testing.assert_allclose(space, np.linspace(0, 1, 5))
    assert tf.range(7, 1, -2).shape.as_list() == [3]


def test_range_with_dynamic_limit_and_dtype():
    n = tf.placeholder(tf.int32, [])
    r = tf.range(n, dtype=tf.float64)
    assert r.dtype == tf.float64 and r.shape.as_list() == [None]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(r, {n: 3}), [0.0, 1.0, 2.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="Requires start <= limit"):
            sess.run(tf.range(n, 2), {n: 5})


def test_zeros_and_ones_with_dynamic_shapes():
    x = tf.placeholder(tf.float32, [None, 3])
    zeros = tf.zeros(tf.shape(x))
    ones = tf.ones([tf.shape(x)[0], 2], dtype=tf.int32)
    like = tf.ones_like(x, dtype=tf.int64)
    big = tf.zeros([40, 50])
    assert zeros.op.type == "Fill" and big.op.type == "Fill" and tf.zeros([2, 3]).op.type == "Const"
    assert ones.shape.as_list() == [None, 2]
    with tf.Session() as sess:
        z, o, lk, b = sess.run([zeros, ones, like, big], {x: np.ones((4, 3))})
    assert z.shape == (4, 3) and o.shape == (4, 2) and o.dtype == np.int32 and not z.any() and not b.any()
    assert lk.dtype == np.int64 and lk.shape == (4, 3) and lk.sum() == 12


def test_partial_shape_inference():
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [None, 4])
    assert tf.concat([x, y], 1).shape.as_list() == [None, 7]
    assert tf.concat([x, x], 0).shape.as_list() == [None, 3]
    assert tf.transpose(x).shape.as_list() == [3, None]
    assert tf.tile(x, [2, 2]).shape.as_list() == [None, 6]
    assert tf.pad(x, [[1, 1], [0, 2]]).shape.as_list() == [None, 5]
    assert tf.gather(x, [[0, 1]], axis=1).shape.as_list() == [None, 1, 2]
    assert tf.slice(x, [0, 1], [-1, 2]).shape.as_list() == [None, 2]
    assert tf.one_hot(tf.placeholder(tf.int32, [None]), 5).shape.as_list() == [None, 5]
    assert tf.squeeze(x).shape.rank is None  # an unknown dim may be 1
    assert tf.split(x, [1, -1], axis=1)[1].shape.as_list() == [None, 2]
    assert tf.transpose(tf.placeholder(tf.float32)).shape.rank is None


def test_transpose_of_unknown_rank_reverses_dims():
    x = tf.placeholder(tf.float32)
    with tf.Session() as sess:
        assert sess.run(tf.transpose(x), {x: np.zeros((2, 3, 4))}).shape == (4, 3, 2)


def test_default_op_names_are_tfs():
    x = tf.placeholder(tf.float32, [2, 3])
    assert tf.transpose(x).name == "transpose:0"
    assert tf.expand_dims(x, 0).name == "ExpandDims:0"
    assert tf.concat([x, x], 0).name == "concat:0"
    assert tf.split(x, [1, 2], 1)[1].name == "split:1"
    assert tf.gather(x, [0]).name == "GatherV2:0"
    assert tf.pad(x, [[1, 1], [0, 0]]).name == "Pad:0"
    assert tf.pad(x, [[1, 1], [0, 0]], constant_values=2.0).name == "PadV2:0"
    assert tf.pad(x, [[1, 1], [0, 0]], "REFLECT").name == "MirrorPad:0"
    assert tf.one_hot([1], 2).name == "one_hot:0"
    assert tf.range(3).name == "range:0"
    assert tf.tile(x, [1, 2]).name == "Tile:0"
    assert tf.slice(x, [0, 0], [1, 1]).name == "Slice:0"
    assert tf.get_default_graph().get_tensor_by_name("Slice/begin:0").op.type == "Const"


def test_fetched_views_do_not_alias_graph_constants():
    c = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    t = tf.transpose(c)
    with tf.Session() as sess:
        fetched = sess.run(t)
        fetched[0, 0] = 100.0
        np.testing.assert_array_equal(sess.run(t), [[1.0, 3.0], [2.0, 4.0]])


def test_concat_gradient_with_sizes_known_only_at_run_time():
    a = tf.placeholder(tf.float64, [None, 2])
    b = tf.placeholder(tf.float64, [None, 2])
    y = tf.concat([a, b], -2)
    ga, gb = tf.gradients(tf.reduce_sum(y * tf.range(1.0, 6.0, dtype=tf.float64)[:, None]), [a, b])
    with tf.Session() as sess:
        va, vb = sess.run([ga, gb], {a: np.zeros((2, 2)), b: np.zeros((3, 2))})
    np.testing.assert_array_equal(va, [[1, 1], [2, 2]])
    np.testing.assert_array_equal(vb, [[3, 3], [4, 4], [5, 5]])


def test_gather_gradient_accumulates_repeated_indices():
    params = tf.placeholder(tf.float64, [3, 2])
    grad = tf.gradients(tf.reduce_sum(tf.gather(params, [2, 0, 2, 2])), params)[0]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(grad, {params: np.ones((3, 2))}), [[1, 1], [0, 0], [3, 3]])


BUILD_ERRORS = [
    ("reshape", lambda: tf.reshape(tf.zeros([2, 3]), [4, 2]), "Cannot reshape a tensor with 6 elements"),
    ("expand_dims_axis", lambda: tf.expand_dims(tf.zeros([2, 3]), 4), r"dim 4 not in the interval \[-3, 2\]"),
    ("squeeze", lambda: tf.squeeze(tf.zeros([2, 3]), [1]), r"Can not squeeze dim\[1\]"),
    ("transpose_perm", lambda: tf.transpose(tf.zeros([2, 3, 4]), [0, 1]), "Dimension must be 3 but is 2"),
    ("concat_rank", lambda: tf.concat([tf.zeros([2, 3]), tf.zeros([2])], 0), "Shape must be rank 2 but is rank 1"),
    ("concat_dim", lambda: tf.concat([tf.zeros([2, 3]), tf.zeros([3, 4])], 0),
     r"Dimension 1 in both shapes must be equal, but are 3 and 4. Shapes are \[2,3\] and \[3,4\]"),
    ("concat_axis", lambda: tf.concat([tf.zeros([2, 3]), tf.zeros([2, 4])], 2), "axis in the range"),
    ("concat_scalars", lambda: tf.concat([tf.zeros([]), tf.zeros([])], 0), "Can't concatenate scalars"),
    ("split_uneven", lambda: tf.split(tf.zeros([4, 3]), 3), "evenly divisible by 3 but is 4"),
    ("split_sizes", lambda: tf.split(tf.zeros([4, 3]), [1, 2]), r"can't split axis of size 4 into pieces"),
    ("slice_size", lambda: tf.slice(tf.zeros([2, 3]), [0, 1], [3, 1]), r"Expected size\[0\] in \[0, 2\]"),
    ("tile_length", lambda: tf.tile(tf.zeros([3, 2]), [1, 2, 3]), "multiples to have length 2"),
    ("pad_negative", lambda: tf.pad(tf.zeros([3, 2]), [[1, -2], [0, 0]]), "Paddings must be non-negative"),
    ("pad_shape", lambda: tf.pad(tf.zeros([3, 2]), [[1, 2]]), "must be the rank of the input"),
    ("reflect_too_wide", lambda: tf.pad(tf.zeros([3, 2]), [[3, 0], [0, 0]], "REFLECT"), "less than the dimension"),
    ("pad_mode", lambda: tf.pad(tf.zeros([3, 2]), [[1, 0], [0, 0]], "wrap"), "Received `mode` = WRAP"),
    ("reverse_duplicate", lambda: tf.reverse(tf.zeros([3, 2]), [0, 0]), "axis 0 specified more than once"),
    ("reverse_axis", lambda: tf.reverse(tf.zeros([3, 2]), [2]), "axis 2 is out of range"),
    ("gather_axis", lambda: tf.gather(tf.zeros([3, 2]), [0], axis=2), "axis 2 is out of range"),
    ("gather_batch_dims", lambda: tf.gather(tf.zeros([2, 3, 4]), tf.zeros([2, 5], tf.int32), axis=0, batch_dims=1),
     r"batch_dims \(1\) must be less than or equal to axis \(0\)"),
    ("gather_nd_depth", lambda: tf.gather_nd(tf.zeros([3, 2]), [[1, 0, 0]]),
     "indices.shape\\[-1\\] must be <= params.rank"),
    ("one_hot_axis", lambda: tf.one_hot([1, 2], 3, axis=-2), "axis must be >= -1"),
    ("unique_rank", lambda: tf.unique(tf.zeros([2, 2])), "Shape must be rank 1 but is rank 2"),
    ("range_direction", lambda: tf.range(5, 1), "Requires start <= limit when delta > 0: 5/1"),
    ("range_delta", lambda: tf.range(1, 5, 0), "Requires delta != 0"),
    ("linspace_num", lambda: tf.linspace(0.0, 1.0, 0), "Requires num > 0"),
    ("boolean_mask_shape", lambda: tf.boolean_mask(tf.zeros([3, 2]), [True, False]), "incompatible"),
]


@pytest.mark.parametrize("build, pattern", [e[1:] for e in BUILD_ERRORS], ids=[e[0] for e in BUILD_ERRORS])
def test_build_errors_say_what_is_wrong(build, pattern):
    with pytest.raises(ValueError, match=pattern):
        build()


def test_shape_errors_name_the_op():
    with pytest.raises(ValueError, match=r"for 'my_concat' \(op: 'ConcatV2'\) with input shapes: \[2,3\], \[2\]"):
        tf.concat([tf.zeros([2, 3]), tf.zeros([2])], 0, name="my_concat")


def test_dtype_mismatch_raises_type_error():
    with pytest.raises(TypeError, match="concat"):
        tf.concat([tf.zeros([2]), tf.zeros([2], tf.int32)], 0)
    with pytest.raises(TypeError, match="on_value"):
        tf.one_hot([1], 2, on_value=1, off_value=0.0)
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.gather(tf.zeros([3]), [0.5])


RUN_ERRORS = [
    ("gather", lambda x: tf.gather(x, [0, 5]), r"indices\[1\] = 5 is not in \[0, 3\)", "GatherV2"),
    ("gather_negative", lambda x: tf.gather(x, [-1]), r"indices\[0\] = -1 is not in \[0, 3\)", "GatherV2"),
    ("gather_nd", lambda x: tf.gather_nd(x, [[5, 0]]), "does not index into param shape", "GatherNd"),
    ("slice", lambda x: tf.slice(x, [1, 0], [3, 1]), r"Expected size\[0\] in \[0, 2\]", "Slice"),
    ("reshape", lambda x: tf.reshape(x, [4, -1]), "reshape", "Reshape"),
    ("mirror_pad", lambda x: tf.pad(x, [[3, 0], [0, 0]], "REFLECT"), "less than the dimension size", "MirrorPad"),
    ("strided_slice", lambda x: x[7], "out of bounds|index 7", "strided_slice"),
    ("reverse_sequence", lambda x: tf.reverse_sequence(x, [9, 1, 1], seq_axis=1), r"seq_lens\(0\) = 9", "Reverse"),
]


@pytest.mark.parametrize("build, pattern, op_name", [e[1:] for e in RUN_ERRORS], ids=[e[0] for e in RUN_ERRORS])
def test_run_errors_name_the_op(build, pattern, op_name):
    x = tf.placeholder(tf.float32, [None, None])
    y = build(x)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=pattern) as info:
            sess.run(y, {x: np.zeros((3, 2), np.float32)})
    assert "'%s" % op_name in str(info.value)


def test_values_of_integer_ops_match_numpy():
    value, _ = evaluate(lambda x: tf.tile(tf.reverse(x, [1]), [1, 2]), np.array([[1, 2], [3, 4]], np.int32))
    np.testing.assert_array_equal(value, [[2, 1, 2, 1], [4, 3, 4, 3]])
    assert value.dtype == np.int32
