"""cond and case (data-flow selections), Assert and the assert_* helpers."""
import collections

import numpy as np
import pytest

import flowgraph as tf
from op_check import check_gradient


def test_cond_picks_the_branch_the_predicate_selects():
    p = tf.placeholder(tf.bool, [])
    x = tf.placeholder(tf.float32, [None])
    y = tf.cond(p, lambda: x * 2.0, lambda: x - 1.0)
    assert y.name == "cond/Merge:0" and y.shape.as_list() == [None]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {p: True, x: [1.0, 2.0]}), [2.0, 4.0])
        np.testing.assert_allclose(sess.run(y, {p: False, x: [1.0, 2.0]}), [0.0, 1.0])


def test_cond_structures_and_strict():
    p = tf.placeholder(tf.bool, [])
    Pair = collections.namedtuple("Pair", "a b")
    nested = tf.cond(p, lambda: {"x": 1, "y": (2.0, Pair(3, [4]))}, lambda: {"x": 5, "y": (6.0, Pair(7, [8]))})
    single = tf.cond(p, lambda: [tf.constant(1)], lambda: [tf.constant(2)])
    strict = tf.cond(p, lambda: [tf.constant(1)], lambda: [tf.constant(2)], strict=True)
    assert isinstance(single, tf.Tensor) and isinstance(strict, list)
    with tf.Session() as sess:
        value = sess.run(nested, {p: False})
    assert value["x"] == 5 and value["y"][0] == 6.0 and value["y"][1].a == 7 and list(value["y"][1].b) == [8]


def test_cond_branches_of_different_shapes():
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: tf.zeros([2, 3]), lambda: tf.ones([2, 4]))
    z = tf.cond(p, lambda: tf.zeros([2, 3]), lambda: tf.ones([2]))
    assert y.shape.as_list() == [2, None] and z.shape.rank is None
    with tf.Session() as sess:
        assert sess.run(y, {p: False}).shape == (2, 4) and sess.run(z, {p: True}).shape == (2, 3)


@pytest.mark.parametrize("taken", [True, False])
def test_cond_gradient(taken):
    check_gradient(lambda x, y: tf.cond(tf.constant(taken), lambda: x * y, lambda: tf.sin(x) + y),
                   np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.3, -0.7]))


def test_cond_gradient_with_branch_shapes_that_differ():
    p = tf.placeholder(tf.bool, [])
    a = tf.placeholder(tf.float64, [2])
    b = tf.placeholder(tf.float64, [3])
    y = tf.reduce_sum(tf.cond(p, lambda: a * a, lambda: b * 3.0))
    ga, gb = tf.gradients(y, [a, b])
    with tf.Session() as sess:
        feed = {a: [1.0, 2.0], b: [1.0, 1.0, 1.0]}
        taken = sess.run([ga, gb], {p: True, **feed})
        other = sess.run([ga, gb], {p: False, **feed})
    np.testing.assert_allclose(taken[0], [2.0, 4.0])
    np.testing.assert_allclose(taken[1], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(other[0], [0.0, 0.0])
    np.testing.assert_allclose(other[1], [3.0, 3.0, 3.0])


def test_cond_runs_the_side_effects_of_both_branches():
    p = tf.placeholder(tf.bool, [])
    v = tf.Variable(0)
    y = tf.cond(p, lambda: tf.assign_add(v, 1), lambda: tf.assign_add(v, 10))
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(y, {p: True}) in (1, 11)
        assert sess.run(v) == 11  # documented: every branch runs, only the outputs are selected


def test_cond_with_operation_outputs_returns_the_gated_predicate():
    p = tf.placeholder(tf.bool, [])
    v = tf.Variable(1.0)
    y = tf.cond(p, lambda: tf.group(tf.assign(v, 5.0)), lambda: tf.no_op())
    assert y.dtype == tf.bool
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(y, {p: True}) is np.True_ and sess.run(v) == 5.0


COND_ERRORS = [
    ("python_bool", lambda: tf.cond(True, lambda: 1, lambda: 2), TypeError, "pred must not be a Python bool"),
    ("float_pred", lambda: tf.cond(tf.constant(1.0), lambda: 1, lambda: 2), TypeError, "must be a bool tensor"),
    ("vector_pred", lambda: tf.cond(tf.constant([True]), lambda: 1, lambda: 2), ValueError,
     "Shape must be rank 0 but is rank 1"),
    ("structure", lambda: tf.cond(tf.constant(True), lambda: [1], lambda: (2, 3)), ValueError, "same number"),
    ("dtype", lambda: tf.cond(tf.constant(True), lambda: tf.constant(1), lambda: tf.constant(2.0)), TypeError,
     "int32 but .* is float32"),
    ("not_callable", lambda: tf.cond(tf.constant(True), 1, lambda: 2), TypeError, "true_fn must be callable"),
]


@pytest.mark.parametrize("build, error, pattern", [e[1:] for e in COND_ERRORS], ids=[e[0] for e in COND_ERRORS])
def test_cond_errors(build, error, pattern):
    with pytest.raises(error, match=pattern):
        build()


def _case_graph(**kwargs):
    x = tf.placeholder(tf.int32, [])
    y = tf.case([(tf.less(x, 0), lambda: tf.constant(-1)), (tf.equal(x, 0), lambda: tf.constant(0)),
                 (tf.less(x, 10), lambda: tf.constant(1))], **kwargs)
    return x, y


def test_case_takes_the_first_true_predicate_or_the_default():
    x, y = _case_graph(default=lambda: tf.constant(100))
    with tf.Session() as sess:
        assert [sess.run(y, {x: v}) for v in (-5, 0, 3, 50)] == [-1, 0, 1, 100]


def test_case_without_default_asserts_that_a_predicate_holds():
    x, y = _case_graph()
    with tf.Session() as sess:
        assert sess.run(y, {x: 4}) == 1
        with pytest.raises(tf.errors.InvalidArgumentError, match="None of the conditions evaluated as True"):
            sess.run(y, {x: 50})


def test_case_exclusive_asserts_at_most_one_predicate_holds():
    x = tf.placeholder(tf.int32, [])
    y = tf.case({tf.less(x, 5): lambda: tf.constant(1), tf.less(x, 3): lambda: tf.constant(2)},
                default=lambda: tf.constant(0), exclusive=True)
    with tf.Session() as sess:
        assert sess.run(y, {x: 4}) == 1 and sess.run(y, {x: 9}) == 0
        with pytest.raises(tf.errors.InvalidArgumentError, match="more than 1 conditions"):
            sess.run(y, {x: 1})


def test_case_unpacks_single_element_lists_unless_strict():
    x = tf.placeholder(tf.int32, [])
    pairs = [(tf.less(x, 0), lambda: [tf.constant(-1)])]
    loose = tf.case(pairs, default=lambda: [tf.constant(1)])
    strict = tf.case(pairs, default=lambda: [tf.constant(1)], strict=True)
    checked = tf.case(pairs)
    assert isinstance(loose, tf.Tensor) and isinstance(strict, list) and isinstance(checked, tf.Tensor)
    with tf.Session() as sess:
        assert sess.run([loose, strict[0], checked], {x: -3}) == [-1, -1, -1]


def test_case_errors():
    with pytest.raises(TypeError, match="2-tuple"):
        tf.case([tf.constant(True)])
    with pytest.raises(ValueError, match="at least one"):
        tf.case([])


def test_assert_raises_with_its_data_and_names_the_op():
    x = tf.placeholder(tf.float32, [None])
    check = tf.Assert(tf.reduce_all(x > 0), ["x must be positive:", x], summarize=2)
    assert check.name == "Assert/Assert" and check.type == "Assert"
    with tf.control_dependencies([check]):
        y = tf.identity(x)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: [1.0, 2.0]}), [1.0, 2.0])
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(y, {x: [1.0, -2.0, 3.0]})
    assert "assertion failed: [x must be positive:] [1.0 -2.0...]" in str(info.value)
    assert "'Assert/Assert'" in str(info.value)


ASSERTS = [
    # (helper, arguments that hold, arguments that fail, text of the failure)
    (tf.assert_equal, ([1, 2], [1, 2]), ([1, 2], [1, 3]), "Condition x == y did not hold element-wise"),
    (tf.assert_none_equal, ([1, 2], [3, 4]), ([1, 2], [3, 2]), "Condition x != y did not hold for every single"),
    (tf.assert_less, ([1, 2], [2, 3]), ([1, 2], [2, 2]), "Condition x < y"),
    (tf.assert_less_equal, ([1, 2], [1, 3]), ([1, 4], [2, 3]), "Condition x <= y"),
    (tf.assert_greater, ([3, 4], [2, 3]), ([3, 4], [3, 3]), "Condition x > y"),
    (tf.assert_greater_equal, ([3, 4], [3, 3]), ([3, 2], [3, 3]), "Condition x >= y"),
    (tf.assert_positive, ([1, 2],), ([1, 0],), "Condition x > 0"),
    (tf.assert_negative, ([-1, -2],), ([-1, 0],), "Condition x < 0"),
    (tf.assert_non_negative, ([0, 2],), ([0, -1],), "Condition x >= 0"),
    (tf.assert_non_positive, ([0, -2],), ([1, -1],), "Condition x <= 0"),
]


@pytest.mark.parametrize("helper, good, bad, text", ASSERTS, ids=[a[0].__name__ for a in ASSERTS])
def test_assert_helpers_at_run_time(helper, good, bad, text):
    holders = [tf.placeholder(tf.int32, [None]) for _ in good]
    check = helper(*holders)
    assert check.type == "Assert"
    with tf.Session() as sess:
        sess.run(check, dict(zip(holders, good)))
        with pytest.raises(tf.errors.InvalidArgumentError, match=text):
            sess.run(check, dict(zip(holders, bad)))


@pytest.mark.parametrize("helper, good, bad, text", ASSERTS, ids=[a[0].__name__ for a in ASSERTS])
def test_assert_helpers_on_constants_fail_at_build_time(helper, good, bad, text):
    helper(*[tf.constant(v) for v in good])
    with pytest.raises(tf.errors.InvalidArgumentError, match=text):
        helper(*[tf.constant(v) for v in bad])


def test_assert_equal_message_and_names():
    x = tf.placeholder(tf.float32, [2])
    check = tf.assert_equal(x, 1.0, message="x must be one")
    assert check.name == "assert_equal/Assert/Assert"
    assert tf.assert_positive(x).name == "assert_positive/assert_less/Assert/Assert"
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[x must be one\] \[Condition x == y"):
            sess.run(check, {x: [1.0, 2.0]})


def test_assert_rank():
    with pytest.raises(ValueError, match="must have rank 2. Received rank 1"):
        tf.assert_rank(tf.zeros([3]), 2)
    x = tf.placeholder(tf.float32)
    check = tf.assert_rank(x, 2)
    with tf.Session() as sess:
        sess.run(check, {x: np.zeros((2, 2))})
        with pytest.raises(tf.errors.InvalidArgumentError, match="must have rank"):
            sess.run(check, {x: np.zeros(3)})
