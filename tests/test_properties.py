"""Properties against numpy over random shapes: broadcasting of binary ops (build-time errors exactly where numpy
fails, run-time errors where shapes were unknown), reductions over random axes, slices with tensor-valued bounds,
reshape with -1, transpose permutations, and split/concat round trips; each with unknown dimensions and gradients.

Constant-key slicing against numpy, with unknown dims and gradients, is the property in test_slicing.py.
"""
import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flowgraph as tf

SETTINGS = settings(max_examples=40, deadline=None)


def _values(shape, low=0.5, high=2.0, seed=0):
    """Distinct float64 values (no ties for max/min gradients), with random signs, magnitudes in [low, high)."""
    rng = np.random.default_rng(seed)
    magnitude = rng.uniform(low, high, size=shape)
    return np.where(rng.random(size=shape) < 0.5, -magnitude, magnitude)


def in_fresh_graph(test):
    """Each example builds in a graph of its own (the conftest fixture gives one per test, not per example)."""
    @functools.wraps(test)
    def run_example(*args, **kwargs):
        with tf.Graph().as_default():
            return test(*args, **kwargs)
    return run_example


def _run(fetches, feed_dict):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


def _masked(shape, mask):
    """`shape` with the dims where `mask` is True unknown."""
    return [None if unknown else d for d, unknown in zip(shape, mask)]


def _unbroadcast(grad, shape):
    """Sum `grad` over the axes broadcasting added or stretched, back to `shape`."""
    grad = np.sum(grad, axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, d in enumerate(shape) if d == 1 and grad.shape[i] != 1)
    return np.sum(grad, axis=stretched, keepdims=True).reshape(shape)


# ---- broadcasting binary ops -------------------------------------------------------------------------------

@st.composite
def broadcast_pairs(draw, compatible=False):
    """Two shapes of rank 0-4, each dim of the second (aligned from the right) 1, equal, or (unless
    `compatible`) anything."""
    x = draw(st.lists(st.integers(1, 3), max_size=4))
    y = []
    rank = draw(st.integers(0, 4))
    for i in range(rank):
        j = len(x) - rank + i
        choice = draw(st.sampled_from(["one", "same"] if compatible else ["one", "same", "any"]))
        if choice == "one":
            y.append(1)
        elif choice == "same" and j >= 0:
            y.append(x[j])
        else:
            y.append(draw(st.integers(1, 3)))
    if draw(st.booleans()):
        x, y = y, x
    return tuple(x), tuple(y)


BINARY = {
    "add": (tf.add, np.add),
    "subtract": (tf.subtract, np.subtract),
    "multiply": (tf.multiply, np.multiply),
    "truediv": (tf.truediv, np.true_divide),
    "maximum": (tf.maximum, np.maximum),
    "squared_difference": (tf.squared_difference, lambda a, b: (a - b) ** 2),
    "less": (tf.less, np.less),
}


def _numpy_or_none(reference, *arrays):
    try:
        return reference(*arrays)
    except ValueError:
        return None


@SETTINGS
@given(broadcast_pairs(), st.sampled_from(sorted(BINARY)))
@in_fresh_graph
def test_known_shapes_fail_at_build_exactly_when_numpy_fails(shapes, op_name):
    fn, reference = BINARY[op_name]
    (xs, ys), x, y = shapes, _values(shapes[0]), _values(shapes[1], seed=1)
    expected = _numpy_or_none(reference, x, y)
    px, py = tf.placeholder(tf.float64, xs), tf.placeholder(tf.float64, ys)
    if expected is None:
        with pytest.raises(ValueError) as info:
            fn(px, py)
        assert "input shapes: %s, %s" % (px.shape.as_proto_list(), py.shape.as_proto_list()) in str(info.value)
        return
    z = fn(px, py)
    value = _run(z, {px: x, py: y})
    assert z.shape.as_list() == list(expected.shape)
    assert value.dtype == expected.dtype
    np.testing.assert_allclose(value, expected, rtol=1e-12)


@SETTINGS
@given(broadcast_pairs(), st.sampled_from(sorted(BINARY)), st.data())
@in_fresh_graph
def test_unknown_dims_defer_the_check_to_run_time(shapes, op_name, data):
    fn, reference = BINARY[op_name]
    (xs, ys), x, y = shapes, _values(shapes[0]), _values(shapes[1], seed=1)
    expected = _numpy_or_none(reference, x, y)
    x_mask = data.draw(st.lists(st.booleans(), min_size=len(xs), max_size=len(xs)))
    y_mask = data.draw(st.lists(st.booleans(), min_size=len(ys), max_size=len(ys)))
    all_unknown = all(x_mask) and all(y_mask)
    px, py = tf.placeholder(tf.float64, _masked(xs, x_mask)), tf.placeholder(tf.float64, _masked(ys, y_mask))
    try:
        z = fn(px, py)
    except ValueError:
        assert expected is None and not all_unknown, "refused at build: %s and %s" % (px.shape, py.shape)
        return
    if expected is None:
        with pytest.raises(tf.errors.InvalidArgumentError):
            _run(z, {px: x, py: y})
        return
    value = _run(z, {px: x, py: y})
    assert z.shape.is_compatible_with(expected.shape)
    np.testing.assert_allclose(value, expected, rtol=1e-12)


# d op(x, y) / dx and / dy, as numpy arrays of the broadcast shape
PARTIALS = {
    "add": (tf.add, lambda x, y: (np.ones_like(x + y), np.ones_like(x + y))),
    "subtract": (tf.subtract, lambda x, y: (np.ones_like(x - y), -np.ones_like(x - y))),
    "multiply": (tf.multiply, lambda x, y: (y + 0 * x, x + 0 * y)),
    "truediv": (tf.truediv, lambda x, y: (1 / y + 0 * x, -x / y ** 2)),
    "maximum": (tf.maximum, lambda x, y: ((x >= y) * 1.0, (x < y) * 1.0)),
}


@SETTINGS
@given(broadcast_pairs(compatible=True), st.sampled_from(sorted(PARTIALS)), st.booleans())
@in_fresh_graph
def test_broadcast_gradients_sum_back_to_each_input(shapes, op_name, unknown):
    fn, partials = PARTIALS[op_name]
    (xs, ys), x, y = shapes, _values(shapes[0]), _values(shapes[1], seed=1)
    w = _values(np.broadcast_shapes(xs, ys), seed=2)
    dx, dy = partials(x, y)
    px = tf.placeholder(tf.float64, [None] * len(xs) if unknown else xs)
    py = tf.placeholder(tf.float64, [None] * len(ys) if unknown else ys)
    pw = tf.placeholder(tf.float64, w.shape)
    gx, gy = tf.gradients(tf.reduce_sum(pw * fn(px, py)), [px, py])
    got_x, got_y = _run([gx, gy], {px: x, py: y, pw: w})
    np.testing.assert_allclose(got_x, _unbroadcast(w * dx, xs), rtol=1e-12)
    np.testing.assert_allclose(got_y, _unbroadcast(w * dy, ys), rtol=1e-12)


# ---- reductions --------------------------------------------------------------------------------------------

REDUCTIONS = {
    "sum": (tf.reduce_sum, np.sum),
    "mean": (tf.reduce_mean, np.mean),
    "max": (tf.reduce_max, np.max),
    "min": (tf.reduce_min, np.min),
    "prod": (tf.reduce_prod, np.prod),
}


@st.composite
def shapes_and_axes(draw, valid_only=False):
    """A shape of rank 0-4 and an axis: None, an int (possibly out of range), or a list of distinct axes, each
    written positive or negative."""
    shape = tuple(draw(st.lists(st.integers(1, 4), max_size=4)))
    rank = len(shape)
    kind = draw(st.sampled_from(["none", "int", "list"] if rank else ["none", "list"]))
    if kind == "none":
        return shape, None
    if kind == "int":
        bound = 0 if valid_only else 1
        return shape, draw(st.integers(-rank - bound, rank - 1 + bound))
    axes = draw(st.lists(st.integers(0, rank - 1), unique=True, max_size=rank)) if rank else []
    return shape, [a - rank if draw(st.booleans()) else a for a in axes]


def _numpy_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


@SETTINGS
@given(shapes_and_axes(), st.sampled_from(sorted(REDUCTIONS)), st.booleans())
@in_fresh_graph
def test_reductions_match_numpy_values_and_shapes(shape_and_axis, op_name, keepdims):
    fn, reference = REDUCTIONS[op_name]
    shape, axis = shape_and_axis
    x = _values(shape)
    try:
        expected = reference(x, axis=_numpy_axis(axis), keepdims=keepdims)
    except np.exceptions.AxisError:
        with pytest.raises(ValueError, match="out of range"):
            fn(tf.placeholder(tf.float64, shape), axis, keepdims=keepdims)
        return
    known = tf.placeholder(tf.float64, shape)
    dims_unknown = tf.placeholder(tf.float64, [None] * len(shape))
    rank_unknown = tf.placeholder(tf.float64, None)
    outputs = [fn(p, axis, keepdims=keepdims) for p in (known, dims_unknown, rank_unknown)]
    values = _run(outputs, {known: x, dims_unknown: x, rank_unknown: x})
    assert outputs[0].shape.as_list() == list(expected.shape)
    assert outputs[1].shape.rank == expected.ndim and outputs[1].shape.is_compatible_with(expected.shape)
    for value in values:
        assert np.shape(value) == expected.shape
        np.testing.assert_allclose(value, expected, rtol=1e-12)


def _reduction_local_gradient(op_name, x, kept):
    """d reduce(x) / dx elementwise, given the reduction with kept dims (no ties in the inputs)."""
    if op_name == "sum":
        return np.ones_like(x)
    if op_name == "mean":
        return np.full_like(x, kept.size / x.size)
    if op_name == "prod":
        return kept / x
    return (x == kept) * 1.0


@SETTINGS
@given(shapes_and_axes(valid_only=True), st.sampled_from(sorted(REDUCTIONS)), st.booleans())
@in_fresh_graph
def test_reduction_gradients_with_unknown_dims(shape_and_axis, op_name, keepdims):
    fn, reference = REDUCTIONS[op_name]
    shape, axis = shape_and_axis
    x = _values(shape)
    kept = reference(x, axis=_numpy_axis(axis), keepdims=True)
    w = _values(reference(x, axis=_numpy_axis(axis), keepdims=keepdims).shape, seed=3)
    px = tf.placeholder(tf.float64, [None] * len(shape))
    pw = tf.placeholder(tf.float64, None)
    grad, = tf.gradients(tf.reduce_sum(pw * fn(px, axis, keepdims=keepdims)), px)
    got = _run(grad, {px: x, pw: w})
    expected = _reduction_local_gradient(op_name, x, kept) * np.reshape(w, kept.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


# ---- slices whose bounds are tensors -----------------------------------------------------------------------

@st.composite
def dynamic_keys(draw):
    """A shape and a key of ints and slices over its leading dims; each bound is a Python int or fed as a
    tensor (`("fed", value)`)."""
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    key = []
    for dim in shape[:draw(st.integers(1, len(shape)))]:
        def maybe_fed(value):
            return ("fed", value) if value is not None and draw(st.booleans()) else value
        if draw(st.booleans()):
            key.append(maybe_fed(draw(st.integers(-dim, dim - 1))))
        else:
            bound = st.one_of(st.none(), st.integers(-dim - 2, dim + 2))
            step = draw(st.sampled_from([None, 1, 2, 3, -1, -2]))
            key.append(slice(maybe_fed(draw(bound)), maybe_fed(draw(bound)), maybe_fed(step)))
    return shape, key


def _build_key(key, feeds):
    """The key with every ("fed", v) replaced by an int32 placeholder; `feeds` collects placeholder -> v."""
    def bound(b):
        if isinstance(b, tuple):
            p = tf.placeholder(tf.int32, [])
            feeds[p] = b[1]
            return p
        return b
    return tuple(slice(bound(k.start), bound(k.stop), bound(k.step)) if isinstance(k, slice) else bound(k)
                 for k in key)


def _plain_key(key):
    def bound(b):
        return b[1] if isinstance(b, tuple) else b
    return tuple(slice(bound(k.start), bound(k.stop), bound(k.step)) if isinstance(k, slice) else bound(k)
                 for k in key)


@settings(max_examples=80, deadline=None)
@given(dynamic_keys(), st.booleans())
@in_fresh_graph
def test_slices_with_tensor_bounds_match_numpy_with_gradients(shape_and_key, unknown):
    shape, key = shape_and_key
    x = _values(shape)
    expected = x[_plain_key(key)]
    px = tf.placeholder(tf.float64, [None] * len(shape) if unknown else shape)
    feeds = {px: x}
    y = px[_build_key(key, feeds)]
    w = _values(expected.shape, seed=4)
    pw = tf.placeholder(tf.float64, w.shape)
    feeds[pw] = w
    grad, = tf.gradients(tf.reduce_sum(pw * y), px)
    value, got_grad = _run([y, grad], feeds)
    assert y.shape.is_compatible_with(expected.shape) and y.shape.rank == expected.ndim
    np.testing.assert_array_equal(value, expected)
    expected_grad = np.zeros(shape)
    expected_grad[_plain_key(key)] = w
    np.testing.assert_array_equal(got_grad, expected_grad)


# ---- reshape with -1 ---------------------------------------------------------------------------------------

@st.composite
def reshapes(draw):
    """A shape and a target: its dims shuffled and regrouped into products, one of them maybe -1."""
    shape = draw(st.lists(st.integers(1, 4), max_size=4))
    factors = draw(st.permutations(shape))
    cuts = sorted(draw(st.lists(st.integers(0, len(factors)), max_size=3)))
    bounds = [0] + cuts + [len(factors)]
    target = [int(np.prod(factors[a:b])) for a, b in zip(bounds, bounds[1:])]
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return tuple(shape), target


@SETTINGS
@given(reshapes())
@in_fresh_graph
def test_reshape_with_minus_one(shape_and_target):
    shape, target = shape_and_target
    x = _values(shape)
    expected = x.reshape(target)
    known = tf.placeholder(tf.float64, shape)
    dims_unknown = tf.placeholder(tf.float64, [None] * len(shape))
    target_fed = tf.placeholder(tf.int32, [len(target)])
    outputs = [tf.reshape(known, target), tf.reshape(dims_unknown, target), tf.reshape(known, target_fed)]
    values = _run(outputs, {known: x, dims_unknown: x, target_fed: target})
    assert outputs[0].shape.as_list() == list(expected.shape)
    # unknown input dims: only the -1 dim is unknown (a scalar input has no dims to be unknown)
    assert outputs[1].shape.as_list() == [None if t == -1 and shape else e for t, e in zip(target, expected.shape)]
    assert outputs[2].shape.rank == len(target)
    for value in values:
        np.testing.assert_array_equal(value, expected)


@SETTINGS
@given(reshapes(), st.integers(2, 3), st.booleans())
@in_fresh_graph
def test_reshape_to_the_wrong_size_fails_at_build_or_run(shape_and_target, factor, with_minus_one):
    shape, target = shape_and_target
    x = _values(shape)
    if with_minus_one:
        wrong = [-1, x.size + 1]  # no whole number of rows
    else:
        wrong = list(x.reshape(target).shape) or [1]
        wrong[0] *= factor
    with pytest.raises(ValueError, match="'wrong'"):
        tf.reshape(tf.placeholder(tf.float64, shape), wrong, name="wrong")
    unknown = tf.placeholder(tf.float64, None)
    y = tf.reshape(unknown, wrong, name="late")
    with pytest.raises(tf.errors.InvalidArgumentError, match="'late'"):
        _run(y, {unknown: x})


# ---- transpose ---------------------------------------------------------------------------------------------

@st.composite
def permutations(draw):
    shape = draw(st.lists(st.integers(1, 5), max_size=5))
    return tuple(shape), draw(st.permutations(range(len(shape))))


@SETTINGS
@given(permutations(), st.data())
@in_fresh_graph
def test_transpose_moves_dims_values_and_gradients(shape_and_perm, data):
    shape, perm = shape_and_perm
    x = _values(shape)
    expected = np.transpose(x, perm)
    mask = data.draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    partial = _masked(shape, mask)
    known, unknown = tf.placeholder(tf.float64, shape), tf.placeholder(tf.float64, partial)
    pw = tf.placeholder(tf.float64, expected.shape)
    y, y_unknown = tf.transpose(known, perm), tf.transpose(unknown, perm)
    grad, = tf.gradients(tf.reduce_sum(pw * y_unknown), unknown)
    w = _values(expected.shape, seed=5)
    value, value_unknown, got_grad = _run([y, y_unknown, grad], {known: x, unknown: x, pw: w})
    assert y.shape.as_list() == list(expected.shape)
    assert y_unknown.shape.as_list() == [partial[p] for p in perm]
    np.testing.assert_array_equal(value, expected)
    np.testing.assert_array_equal(value_unknown, expected)
    np.testing.assert_array_equal(got_grad, np.transpose(w, np.argsort(perm)))


# ---- split and concat --------------------------------------------------------------------------------------

@st.composite
def splits(draw):
    """A shape, an axis (maybe negative), and sizes along it that sum to its length (zeros allowed), one of them
    maybe -1."""
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    length = shape[axis]
    cuts = sorted(draw(st.lists(st.integers(0, length), min_size=1, max_size=3)))
    bounds = [0] + cuts + [length]
    sizes = [b - a for a, b in zip(bounds, bounds[1:])]
    if draw(st.booleans()):
        sizes[draw(st.integers(0, len(sizes) - 1))] = -1
    return tuple(shape), axis, sizes


@SETTINGS
@given(splits(), st.booleans())
@in_fresh_graph
def test_split_then_concat_round_trips(shape_axis_sizes, unknown):
    shape, axis, sizes = shape_axis_sizes
    x = _values(shape)
    resolved = [s if s != -1 else shape[axis] - (sum(sizes) + 1) for s in sizes]
    expected = np.split(x, np.cumsum(resolved)[:-1], axis=axis)
    px = tf.placeholder(tf.float64, [None] * len(shape) if unknown else shape)
    pieces = tf.split(px, sizes, axis=axis)
    joined = tf.concat(pieces, axis)
    weights = [_values(e.shape, seed=6 + i) for i, e in enumerate(expected)]
    pws = [tf.placeholder(tf.float64, w.shape) for w in weights]
    grads = tf.gradients(tf.add_n([tf.reduce_sum(pw * p) for pw, p in zip(pws, pieces)]), px)
    feeds = dict(zip(pws, weights))
    feeds[px] = x
    got_pieces, got_joined, got_grad = _run([pieces, joined, grads[0]], feeds)
    rank = len(shape)
    for piece, tensor, size, e in zip(got_pieces, pieces, sizes, expected):
        np.testing.assert_array_equal(piece, e)
        inferred = list(e.shape) if not unknown else [None] * rank
        inferred[axis] = e.shape[axis] if size != -1 or not unknown else None
        assert tensor.shape.as_list() == inferred
    np.testing.assert_array_equal(got_joined, x)
    joined_inferred = list(shape) if not unknown else [None] * rank
    joined_inferred[axis] = shape[axis] if -1 not in sizes or not unknown else None
    assert joined.shape.as_list() == joined_inferred
    np.testing.assert_array_equal(got_grad, np.concatenate(weights, axis=axis))


@SETTINGS
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
@in_fresh_graph
def test_split_into_equal_pieces_and_concat_of_random_parts(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    count = data.draw(st.sampled_from([n for n in range(1, shape[axis] + 1) if shape[axis] % n == 0]))
    x = _values(shape)
    parts_lengths = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
    parts = [_values(shape[:axis % len(shape)] + [n] + shape[axis % len(shape) + 1:], seed=n + i)
             for i, n in enumerate(parts_lengths)]
    px = tf.placeholder(tf.float64, shape)
    pieces = tf.split(px, count, axis=axis)
    parts_fed = [tf.placeholder(tf.float64, [None] * len(shape)) for _ in parts]
    joined = tf.concat(parts_fed, axis)
    feeds = dict(zip(parts_fed, parts))
    feeds[px] = x
    got_pieces, got_joined = _run([pieces, joined], feeds)
    for piece, tensor, e in zip(got_pieces, pieces, np.split(x, count, axis=axis)):
        np.testing.assert_array_equal(piece, e)
        assert tensor.shape.as_list() == list(e.shape)
    np.testing.assert_array_equal(got_joined, np.concatenate(parts, axis=axis))
    assert joined.shape.rank == len(shape)
