"""The numpy executor's own behaviour: compiled plans, buffer donation, identities without steps."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import flowgraph as tf
from flowgraph.backends.numpy import donation


@pytest.fixture
def donations(monkeypatch):
    """Counts the in-place ("into") kernel calls of plans built while the fixture is active."""
    counts = {}
    for type_name, (fn, positions) in list(donation.INTO_KERNELS.items()):
        def counting(*args, _fn=fn, _type=type_name, **kwargs):
            counts[_type] = counts.get(_type, 0) + 1
            return _fn(*args, **kwargs)
        monkeypatch.setitem(donation.INTO_KERNELS, type_name, (counting, positions))
    return counts


def test_a_dying_intermediate_takes_the_next_result(donations):
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.nn.relu(x * 1.0 + tf.constant([1.0, -5.0, 0.0]))
    feed = np.array([[1.0, 2.0, -3.0]], np.float32)
    with tf.Session(device="numpy") as sess:
        np.testing.assert_array_equal(sess.run(y, {x: feed}), [[2.0, 0.0, 0.0]])
    assert donations == {"AddV2": 1, "Relu": 1}
    np.testing.assert_array_equal(feed, [[1.0, 2.0, -3.0]])


def _plan_ops(sess):
    plan = max((p.backend_plan for p in sess._plans.values()), key=lambda p: len(p.ops))
    return [op.type for op in plan.ops]


def test_a_dense_layer_runs_as_one_step_unless_its_parts_are_needed():
    rng = np.random.default_rng(0)
    x_value, w_value = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((3, 5)).astype(np.float32)
    b_value = rng.standard_normal(5).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3])
    pre = tf.matmul(x, tf.constant(w_value)) + tf.Variable(b_value)
    hidden = tf.nn.relu(pre)
    logits = tf.nn.bias_add(tf.matmul(hidden, tf.constant(w_value.T)), tf.constant(b_value[:3]))
    expected_hidden = np.maximum(x_value @ w_value + b_value, 0)
    with tf.Session(device="numpy") as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(logits, {x: x_value}), expected_hidden @ w_value.T + b_value[:3], rtol=1e-6)
        assert _plan_ops(sess) == ["VariableV2", "Relu", "BiasAdd"]  # two fused layers
    with tf.Session(device="numpy") as sess:
        sess.run(tf.global_variables_initializer())
        pre_value, hidden_value = sess.run([pre, hidden], {x: x_value})  # the sum is fetched: relu apart
        np.testing.assert_allclose(pre_value, x_value @ w_value + b_value, rtol=1e-6)
        np.testing.assert_allclose(hidden_value, expected_hidden, rtol=1e-6)
        assert _plan_ops(sess) == ["VariableV2", "AddV2", "Relu"]
        np.testing.assert_allclose(sess.run(tf.matmul(x, tf.constant(w_value)) * 1.0, {x: x_value}),
                                   x_value @ w_value, rtol=1e-6)  # no bias: nothing to fuse


def test_feeds_constants_variables_and_fetched_values_are_never_written(donations):
    x = tf.placeholder(tf.float32, [2])
    c = tf.constant([10.0, 20.0])
    v = tf.Variable([1.0, 1.0])
    a = x + c          # x is a feed, c a constant: neither may take the result
    b = a * v          # a is fetched below, v a variable's value
    out = tf.negative(b) - v
    feed = np.array([1.0, 2.0], np.float32)
    with tf.Session(device="numpy") as sess:
        sess.run(v.initializer)
        a_value, out_value = sess.run([a, out], {x: feed})
        np.testing.assert_array_equal(a_value, [11.0, 22.0])
        np.testing.assert_array_equal(out_value, [-12.0, -23.0])
        np.testing.assert_array_equal(sess.run(v), [1.0, 1.0])
        np.testing.assert_array_equal(sess.run(c), [10.0, 20.0])
    np.testing.assert_array_equal(feed, [1.0, 2.0])
    assert donations.get("AddV2", 0) == 0  # a + c: feed and constant inputs stay intact


def test_a_view_keeps_its_base_from_being_reused(donations):
    x = tf.placeholder(tf.float32, [4])
    doubled = x * 2.0
    as_matrix = tf.reshape(doubled, [2, 2])   # a view of doubled's array
    shifted = doubled + 1.0                    # doubled dies here, but the view still needs it
    with tf.Session(device="numpy") as sess:
        m, s = sess.run([as_matrix, shifted], {x: np.arange(4, dtype=np.float32)})
    np.testing.assert_array_equal(m, [[0.0, 2.0], [4.0, 6.0]])
    np.testing.assert_array_equal(s, [1.0, 3.0, 5.0, 7.0])


UNARY = [tf.negative, tf.abs, tf.square, tf.tanh, tf.nn.relu]
BINARY = [tf.add, tf.subtract, tf.multiply, tf.maximum, tf.minimum]
NUMPY = {tf.negative: np.negative, tf.abs: np.abs, tf.square: np.square, tf.tanh: np.tanh,
         tf.nn.relu: lambda a: np.maximum(a, 0), tf.add: np.add, tf.subtract: np.subtract,
         tf.multiply: np.multiply, tf.maximum: np.maximum, tf.minimum: np.minimum}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 100), st.integers(0, 100), st.booleans()),
                min_size=1, max_size=12))
def test_random_elementwise_graphs_match_numpy_whatever_is_fetched(program):
    """Each instruction applies an op to earlier values (a feed, a constant, or results) and may be fetched:
    whatever donation does, every fetched value and the feed equal plain numpy's."""
    rng = np.random.default_rng(len(program))
    feed = rng.standard_normal(5).astype(np.float32)
    constant = rng.standard_normal(5).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [5])
        tensors, arrays, fetches = [x, tf.constant(constant)], [feed.copy(), constant], []
        for op_index, first, second, fetch in program:
            fn = (UNARY + BINARY)[op_index]
            a, b = first % len(tensors), second % len(tensors)
            if fn in UNARY:
                tensors.append(fn(tensors[a]))
                arrays.append(NUMPY[fn](arrays[a]))
            else:
                tensors.append(fn(tensors[a], tensors[b]))
                arrays.append(NUMPY[fn](arrays[a], arrays[b]))
            if fetch:
                fetches.append(len(tensors) - 1)
        fetches.append(len(tensors) - 1)
        with tf.Session(device="numpy") as sess:
            values = sess.run([tensors[i] for i in fetches], {x: feed})
    for i, value in zip(fetches, values):
        np.testing.assert_allclose(value, arrays[i], rtol=1e-6)
    np.testing.assert_array_equal(feed, arrays[0])


def test_identities_and_no_ops_cost_no_step_but_are_traced():
    x = tf.placeholder(tf.float32, [2])
    y = tf.identity(x * 3.0, name="y")
    group = tf.group(y, name="done")
    meta, options = tf.RunMetadata(), tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    with tf.Session(device="numpy") as sess:
        _, value = sess.run([group, y], {x: [1.0, 2.0]}, options=options, run_metadata=meta)
        plan = max((p.backend_plan for p in sess._plans.values()), key=lambda p: len(p.ops))
    np.testing.assert_array_equal(value, [3.0, 6.0])
    assert [op.type for op in plan.ops] == ["Mul"]
    assert meta.step_stats["y"] == 0.0 and meta.step_stats["done"] == 0.0


def test_a_failing_step_of_a_compiled_plan_names_its_op():
    x = tf.placeholder(tf.float32, [None])
    y = tf.reshape(x * 2.0, [2, 2], name="to_square")
    with tf.Session(device="numpy") as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="to_square"):
            sess.run(y, {x: np.ones(3, np.float32)})


def test_the_gradient_of_a_mean_loss_is_one_scaling_step():
    rng = np.random.default_rng(1)
    logits_value = rng.standard_normal((6, 4)).astype(np.float32)
    labels_value = rng.integers(0, 4, 6).astype(np.int32)
    logits, labels = tf.placeholder(tf.float32, [None, 4]), tf.placeholder(tf.int32, [None])
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    grad = tf.gradients(loss, logits)[0]
    exp = np.exp(logits_value - logits_value.max(axis=1, keepdims=True))
    expected = exp / exp.sum(axis=1, keepdims=True)
    expected[np.arange(6), labels_value] -= 1
    with tf.Session(device="numpy") as sess:
        np.testing.assert_allclose(sess.run(grad, {logits: logits_value, labels: labels_value}), expected / 6,
                                   rtol=1e-5, atol=1e-7)
        assert _plan_ops(sess) == ["SparseSoftmaxCrossEntropyWithLogits", "Mul"]
