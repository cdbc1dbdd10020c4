"""The OpenCL backend against the numpy backend: every op with an OpenCL kernel over broadcasting, odd sizes,
empty tensors, unknown shapes and non-contiguous feeds, gradients, variables and optimizers, fusion, placement,
and training (no copies or allocations per step beyond feeds and fetches; the same losses as numpy).

Ops are checked in groups, one graph per group, so each group builds one OpenCL program.
"""
import logging

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.backends.opencl import builder
from opencl import runtime
from tests.op_check import evaluate

if not runtime.available():
    pytest.skip("no OpenCL platform: install pyopencl and an OpenCL driver (PoCL on CPUs)", allow_module_level=True)

RNG = np.random.RandomState(7)
UNARY_FLOAT = ["abs", "negative", "sign", "square", "exp", "expm1", "sin", "cos", "tan", "tanh", "sigmoid", "floor",
               "ceil", "round", "erf", "is_nan", "is_inf", "is_finite"]
ACTIVATIONS = [tf.nn.relu, tf.nn.elu, tf.nn.selu, tf.nn.softplus, tf.nn.softsign, lambda x: tf.nn.relu6(x * 4),
               lambda x: tf.nn.leaky_relu(x, 0.3)]


@pytest.fixture(scope="module")
def device():
    return runtime.get_device(0)


def normal(*shape, dtype=np.float32):
    return np.asarray(RNG.randn(*shape), dtype=dtype)


def compare(fn, *arrays, rtol=1e-4, atol=1e-5, known_shapes=True, on_host=()):
    """fn's outputs (a list) on OpenCL equal numpy's: same shapes, dtypes and values (NaN where numpy has NaN);
    no op ran on the host but those of the types `on_host`."""
    expected, outs = evaluate(fn, *arrays, known_shapes=known_shapes)
    arrays = [np.asarray(a) for a in arrays]
    with tf.Graph().as_default():
        placeholders = [tf.placeholder(tf.as_dtype(a.dtype), a.shape if known_shapes else [None] * a.ndim)
                        for a in arrays]
        with tf.Session(device="opencl") as sess:
            got = sess.run(fn(*placeholders), dict(zip(placeholders, arrays)))
            report = sess.placement_report()
    assert {kind for _, kind, _ in report} <= set(on_host), report
    if not isinstance(expected, list):
        expected, got, outs = [expected], [got], [outs]
    for e, g, t in zip(expected, got, outs):
        e, g = np.asarray(e), np.asarray(g)
        assert (g.shape, g.dtype) == (e.shape, e.dtype), "%s: %s %s, numpy %s %s" % (
            t.name, g.shape, g.dtype, e.shape, e.dtype)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg="output %s" % t.name)
    return got


# ---- elementwise ---------------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # numpy on NaN inputs
@pytest.mark.parametrize("shape", [(1,), (7,), (1023,), (0, 3), (3, 1, 5)])
def test_unary_float_ops(shape):
    x = normal(*shape)
    x.flat[:1] = np.nan  # NaN propagates as in numpy
    compare(lambda x: [getattr(tf.math, n)(x) for n in UNARY_FLOAT] + [f(x) for f in ACTIVATIONS], x)
    positive = np.abs(normal(*shape)) + 0.1
    compare(lambda x: [tf.sqrt(x), tf.math.rsqrt(x), tf.log(x), tf.math.log1p(x), tf.math.reciprocal(x)], positive)


def _binary_ops(x, y):
    return [x + y, x - y, x * y, x / y, tf.maximum(x, y), tf.minimum(x, y), tf.math.squared_difference(x, y),
            tf.pow(tf.abs(x), y), tf.math.floordiv(x, y), tf.math.floormod(x, y), tf.math.divide_no_nan(x, y),
            x < y, x <= y, tf.equal(x, y), tf.not_equal(x, y), x > y, x >= y, tf.logical_and(x > 0, y > 0),
            tf.logical_or(x > 0, y > 0), tf.where_v2(x > y, x, y),
            tf.nn.sigmoid_cross_entropy_with_logits(logits=x + 0 * y, labels=tf.sigmoid(y) + 0 * x)]


def test_binary_ops_broadcast_both_ways():
    x, y = normal(3, 1, 5), normal(1, 4, 1)
    y[0, 1, 0] = 0.0
    compare(_binary_ops, x, y)


@pytest.mark.parametrize("shapes", [((7, 1023), (1023,)), ((), (7,)), ((0, 3), (3,)), ((5, 4), (5, 1)),
                                    ((1,), (1,))], ids=str)
def test_broadcast_patterns(shapes):
    compare(lambda x, y: [x + y, y - x, x * y, tf.maximum(x, y), x < y], normal(*shapes[0]), normal(*shapes[1]))


def test_integer_and_cast_ops():
    x = RNG.randint(-5, 5, (4, 6)).astype(np.int32)
    y = RNG.randint(1, 5, (6,)).astype(np.int32)
    compare(lambda x, y: [x + y, x - y, x * y, tf.maximum(x, y), tf.minimum(x, y), tf.abs(x), tf.sign(x), -x,
                          x < y, tf.cast(x, tf.float32), tf.cast(tf.cast(x, tf.float32) * 0.7, tf.int32),
                          tf.cast(x, tf.bool), tf.cast(x > 0, tf.float32), tf.cast(x, tf.int64) * 3,
                          tf.add_n([x, y + 0 * x, x])], x, y)


def test_float64():
    x = normal(5, 7, dtype=np.float64)
    compare(lambda x: [x * 2.5, tf.exp(x), tf.matmul(x, x, transpose_b=True), tf.reduce_sum(x, 0),
                       tf.nn.softmax(x)], x, rtol=1e-10, atol=1e-12)


def test_select_and_bias_add():
    x, b, c = normal(6, 5), normal(5), RNG.rand(6) > 0.5
    images = normal(2, 3, 4, 5)
    compare(lambda x, b, c, images: [tf.where(c, x, -x), tf.nn.bias_add(x, b), tf.nn.bias_add(images, b),
                                     tf.nn.bias_add(tf.transpose(images, [0, 3, 1, 2]), b, data_format="NCHW"),
                                     tf.gradients(tf.reduce_sum(tf.nn.bias_add(images, b) ** 2), b)[0]],
            x, b, c, images)


# ---- matmul and reductions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (7, 5, 3), (64, 784, 10), (13, 1023, 17), (0, 3, 4), (3, 0, 4)])
def test_matmul(m, k, n):
    tolerance = 1e-5 * np.sqrt(max(k, 1))  # float32 sums in another order
    compare(lambda a, b, at, bt: [tf.matmul(a, b), tf.matmul(at, b, transpose_a=True),
                                  tf.matmul(a, bt, transpose_b=True),
                                  tf.matmul(at, bt, transpose_a=True, transpose_b=True)],
            normal(m, k), normal(k, n), normal(k, m), normal(n, k), atol=tolerance)


def test_batched_matmul_broadcasts_batch_axes():
    compare(lambda a, b, c: [tf.matmul(a, b), tf.matmul(a, c), tf.matmul(c, b, transpose_a=True)],
            normal(2, 3, 4, 5), normal(3, 5, 6), normal(5, 4))


def test_integer_matmul():
    a, b = RNG.randint(-9, 9, (5, 7)).astype(np.int32), RNG.randint(-9, 9, (7, 3)).astype(np.int32)
    compare(lambda a, b: [tf.matmul(a, b), tf.matmul(b, a, transpose_a=True, transpose_b=True)], a, b)


@pytest.mark.parametrize("axis", [None, 0, 1, 2, (0, 2), (1, 2), -1])
def test_reductions(axis):
    compare(lambda x: [tf.reduce_sum(x, axis), tf.reduce_mean(x, axis), tf.reduce_max(x, axis),
                       tf.reduce_min(x, axis), tf.reduce_prod(x, axis), tf.reduce_sum(x, axis, keepdims=True),
                       tf.reduce_any(x > 0, axis), tf.reduce_all(x > -1, axis),
                       tf.reduce_sum(tf.cast(x > 0, tf.int32), axis)], normal(4, 5, 6))


def test_long_reductions_split_in_two_stages():
    x = normal(3000, 1000)
    compare(lambda x: [tf.reduce_sum(x), tf.reduce_mean(x, 0), tf.reduce_max(x), tf.reduce_sum(x, 1),
                       tf.nn.l2_loss(x)], x, rtol=1e-4, atol=1e-3)


def test_reductions_of_empty_and_nan():
    x = normal(5, 4)
    x[2, 1] = np.nan
    compare(lambda x, e: [tf.reduce_sum(e, 0), tf.reduce_max(e, 0), tf.reduce_mean(e, 1), tf.reduce_max(x, 0),
                          tf.reduce_min(x, 1), tf.argmax(x, 0), tf.argmin(x, 1)], x, normal(0, 4))


def test_arg_reductions():
    compare(lambda x: [tf.argmax(x, 0), tf.argmin(x, 1), tf.argmax(x, 2, output_type=tf.int32)], normal(4, 5, 6))


# ---- data movement -------------------------------------------------------------------------------------------

def test_views_and_movement():
    def ops(x):
        return [tf.reshape(x, [20, 6]), tf.transpose(x), tf.transpose(x, [1, 0, 2]), tf.concat([x, x * 2], 1),
                tf.slice(x, [1, 0, 2], [2, 3, -1]), x[1:3, ::2, -1], x[..., 1], x[:, None, 2:4], x[::-1, 1:4],
                tf.tile(x, [2, 1, 3]), tf.pad(x, [[1, 0], [0, 2], [1, 1]]),
                tf.pad(x, [[1, 1], [1, 1], [0, 0]], mode="REFLECT"),
                tf.pad(x, [[0, 1], [2, 0], [0, 0]], constant_values=-3.0), tf.reverse(x, [0, 2]),
                tf.expand_dims(x, 1), tf.squeeze(tf.expand_dims(x, 0)), tf.broadcast_to(x[:, :1], [4, 5, 6]),
                tf.fill([3, 2], 2.5), tf.zeros_like(x), tf.ones_like(x), tf.identity(x), tf.stop_gradient(x),
                tf.stack([x, x], axis=1)] + tf.split(x, 3, axis=2) + tf.split(x, [1, 4], axis=1) + tf.unstack(x, axis=1)
    compare(ops, normal(4, 5, 6))


def test_gradients_of_movement():
    compare(lambda x: tf.gradients(tf.reduce_sum(x[1:3, ::2, -1] * 2) + tf.reduce_sum(tf.transpose(x) ** 2)
                                   + tf.reduce_sum(tf.concat([x, x[:, :2]], 1)) + tf.reduce_sum(tf.tile(x, [1, 2, 1])),
                                   x) + tf.shape_n([x, x[0]]), normal(4, 5, 6))


def test_gather_one_hot_and_gradient():
    indices = np.array([[3, 0], [1, 1], [2, 3]], np.int32)
    compare(lambda x, i: [tf.gather(x, i), tf.gather(x, i, axis=1), tf.gather(x, tf.cast(i, tf.int64), axis=2),
                          tf.gradients(tf.reduce_sum(tf.gather(x, i) ** 2), x)[0], tf.one_hot(i, 4),
                          tf.one_hot(i, 5, on_value=2.0, off_value=-1.0)], normal(4, 5, 6), indices)


def test_gather_out_of_range_raises_when_fed_and_gives_zeros_when_computed_on_the_device():
    """Fed indices are checked on the host as numpy does; a device kernel cannot raise mid-run (TF's GPU)."""
    with tf.Graph().as_default():
        params = tf.constant(normal(3, 2))
        i = tf.placeholder(tf.int32, [2])
        with tf.Session(device="opencl") as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = 5 is not in \[0, 3\)"):
                sess.run(tf.gather(params, i), {i: [5, -1]})
            np.testing.assert_array_equal(sess.run(tf.gather(params, i * 5), {i: [1, 0]}), [[0, 0], params.eval()[0]])


# ---- nn ------------------------------------------------------------------------------------------------------

def test_softmax_and_cross_entropies():
    logits, labels = normal(8, 10), RNG.randint(0, 10, 8).astype(np.int32)

    def ops(x, labels):
        sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x)
        dense = tf.nn.softmax_cross_entropy_with_logits_v2(labels=tf.nn.softmax(x * 2), logits=x)
        return [tf.nn.softmax(x), tf.nn.log_softmax(x), tf.nn.softmax(x, axis=0), tf.nn.log_softmax(x, axis=0),
                sparse, dense, tf.gradients(tf.reduce_mean(sparse), x)[0], tf.gradients(tf.reduce_sum(dense), x)[0]]
    compare(ops, logits, labels)


def test_sparse_cross_entropy_bad_label_raises_when_fed_and_is_nan_when_computed_on_the_device():
    with tf.Graph().as_default():
        x = tf.constant(normal(2, 3))
        labels = tf.placeholder(tf.int32, [2])
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x)
        computed = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels * 3, logits=x)
        with tf.Session(device="opencl") as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="label value of 3"):
                sess.run(loss, {labels: [1, 3]})
            value = sess.run(computed, {labels: [0, 1]})
    assert np.isfinite(value[0]) and np.isnan(value[1])


def test_activation_gradients():
    compare(lambda x: tf.gradients(tf.reduce_sum(tf.nn.relu(x) * tf.tanh(x) + tf.nn.relu6(x) + tf.nn.elu(x)
                                                 + tf.nn.selu(x) + tf.nn.leaky_relu(x) + tf.sigmoid(x)), x),
            normal(9, 5))


@pytest.mark.parametrize("strides,padding,dilations", [([1, 1, 1, 1], "SAME", [1, 1, 1, 1]),
                                                       ([1, 2, 3, 1], "VALID", [1, 1, 1, 1]),
                                                       ([1, 1, 1, 1], "SAME", [1, 2, 1, 1])])
def test_conv2d_and_its_gradients(strides, padding, dilations):
    def ops(x, f):
        y = tf.nn.conv2d(x, f, strides, padding, dilations=dilations)
        return [y] + tf.gradients(tf.reduce_sum(y * y), [x, f])
    compare(ops, normal(2, 9, 8, 3), normal(3, 2, 3, 5), rtol=1e-4, atol=1e-4)


def test_pooling_and_gradients():
    def ops(x):
        outs = []
        for pool in (tf.nn.max_pool, tf.nn.avg_pool):
            for size, stride, padding in [(2, 2, "VALID"), (3, 2, "SAME"), (3, 1, "SAME")]:
                y = pool(x, [1, size, size, 1], [1, stride, stride, 1], padding)
                outs += [y, tf.gradients(tf.reduce_sum(y * y), x)[0]]
        return outs
    compare(ops, normal(2, 9, 8, 3))


# ---- shapes, feeds and placement -----------------------------------------------------------------------------

def test_unknown_shapes_and_several_feed_shapes():
    def ops(x, y):
        return [tf.nn.relu(tf.matmul(x, y)) + 1, tf.reduce_sum(x, 1), tf.reshape(x, [-1]), tf.shape(x) * 2,
                tf.transpose(x), tf.concat([x, x], 0)]
    for m in (1, 7, 30):
        compare(ops, normal(m, 5), normal(5, 3), known_shapes=False)


def test_a_plan_serves_several_feed_shapes():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.reduce_sum(x * 2, 0)
        with tf.Session(device="opencl") as sess:
            for rows in (4, 9, 4, 1):
                value = normal(rows, 3)
                np.testing.assert_allclose(sess.run(y, {x: value}), (value * 2).sum(0), rtol=1e-5)


def test_scalar_feeds_stay_scalars():
    compare(lambda a, b: [tf.stack([a, b]), a * b + 1, tf.reshape(a, [1, 1])], np.float32(2.5), np.float32(-1.0))


def test_reshape_to_a_wrong_size_at_run_time_raises_naming_the_op():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, None)
        y = tf.reshape(x, [4, 2], name="late")
        with tf.Session(device="opencl") as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="'late'"):
                sess.run(y, {x: np.zeros(6, np.float32)})


def test_reshaped_expressions_fuse_into_broadcasting_consumers():
    compare(lambda x: [tf.gradients(tf.reduce_logsumexp(x, 1), x)[0],
                       tf.reshape(tf.exp(x[:, 0]) * 2, [2, 1, 1]) + x[None] * 0 + 1,
                       tf.gradients(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                           labels=tf.constant([1, 0]), logits=x) ** 2), x)[0]], normal(2, 3))


def test_non_contiguous_feeds():
    compare(lambda x, y: [x * 2, tf.matmul(x, y)], normal(6, 8).T, normal(12, 6)[::2])


def test_fetching_a_fed_value_and_constants():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3])
        c = tf.constant([1.0, 2.0])
        with tf.Session(device="opencl") as sess:
            fed = normal(3)
            got_x, got_c, got_shape = sess.run([x, c, tf.shape(x)], {x: fed})
            got_x[0] = 99.0
            assert fed[0] != 99.0 and list(got_c) == [1.0, 2.0] and list(got_shape) == [3]


def test_fetched_arrays_are_not_overwritten_by_later_runs():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [4])
        y = x * 3
        with tf.Session(device="opencl") as sess:
            first = sess.run(y, {x: np.ones(4, np.float32)})
            second = sess.run(y, {x: np.full(4, 2, np.float32)})
    np.testing.assert_array_equal(first, np.full(4, 3))
    np.testing.assert_array_equal(second, np.full(4, 6))


def test_ops_without_kernel_run_on_host_and_are_reported(caplog, monkeypatch):
    monkeypatch.setattr(builder, "LOGGED_HOST_OPS", set())
    with tf.Graph().as_default():
        x = tf.placeholder(tf.int32, [None])
        unique = tf.unique(x)[0]
        y = tf.reduce_sum(unique * 2)
        with tf.Session(device="opencl") as sess, caplog.at_level(logging.WARNING, "flowgraph.opencl"):
            assert sess.run(y, {x: [3, 1, 3, 2]}) == 12
            report = sess.placement_report()
    reasons = {kind: reason for _, kind, reason in report}
    assert sorted(reasons) == ["Mul", "Sum", "Unique"]  # after Unique, shapes depend on data
    assert "output shape depends on input values" in reasons["Unique"] and "depends on data" in reasons["Sum"]
    assert any(r.getMessage().startswith("Unique ops run on the host") for r in caplog.records)


def test_device_scope_places_ops_on_opencl_in_a_numpy_session():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3])
        with tf.device("/opencl:0"):
            y = tf.exp(x) * 2
        z = tf.unique(tf.cast(y > 0, tf.int32))[0]
        assert y.device == "/opencl:0"
        with tf.Session(device="numpy") as sess:
            value, _ = sess.run([y, z], {x: [0.0, 1.0, 2.0]})
            np.testing.assert_allclose(value, np.exp([0.0, 1.0, 2.0]) * 2, rtol=1e-6)
            assert sess.placement_report() == []  # the host ops were placed on the host


def test_environment_selects_the_default_device(monkeypatch):
    monkeypatch.setenv("FLOWGRAPH_DEVICE", "opencl")
    with tf.Graph().as_default(), tf.Session() as sess:
        assert sess.device == "/opencl:0"


def test_traced_runs_time_every_op():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [4, 3])
        w = tf.Variable(np.ones((3, 2), np.float32), name="w")
        y = tf.nn.relu(tf.matmul(x, w, name="product") + 1.0, name="activation")
        with tf.Session(device="opencl") as sess:
            sess.run(w.initializer)
            meta = tf.RunMetadata()
            value = sess.run(y, {x: normal(4, 3)}, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                             run_metadata=meta)
    assert value.shape == (4, 2)
    assert {"product", "activation", "w"} <= set(meta.step_stats)  # fused ops and variable reads take 0 s
    assert meta.step_stats["product"] > 0 and all(t >= 0 for t in meta.step_stats.values())


def test_devices_lists_numpy_and_opencl():
    found = tf.devices()
    assert found[0]["kind"] == "numpy"
    assert [d["name"] for d in found[1:]] == ["/opencl:%d" % i for i in range(len(found) - 1)]
    assert all(d["memory"] > 0 and d["driver"] for d in found[1:])


# ---- variables, optimizers, training ---------------------------------------------------------------------------

def test_assignments_and_initialized_value():
    with tf.Graph().as_default():
        v = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
        w = tf.Variable(v.initialized_value() * 2)
        step = tf.assign_add(v, tf.ones([2, 3]))
        back = tf.assign_sub(v, np.ones((2, 3), np.float32))
        with tf.Session(device="opencl") as sess:
            sess.run(tf.global_variables_initializer())
            assert not sess.run(tf.report_uninitialized_variables()).size
            first = sess.run(v)
            sess.run(step)
            sess.run(step)
            after = sess.run(back)
            np.testing.assert_array_equal(sess.run(w), np.arange(6).reshape(2, 3) * 2)
            sess.run(tf.assign(v, np.zeros((2, 3), np.float32)))
            zeros = sess.run(v)
    np.testing.assert_array_equal(first, np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(after, np.arange(6).reshape(2, 3) + 1)
    np.testing.assert_array_equal(zeros, np.zeros((2, 3)))


def test_reads_before_an_update_see_the_old_value():
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0])
        read = tf.identity(v)
        with tf.control_dependencies([read]):
            update = tf.assign(v, [5.0, 6.0])
        with tf.control_dependencies([update]):
            later = v * 1.0
        with tf.Session(device="opencl") as sess:
            sess.run(v.initializer)
            before, _, after = sess.run([read, update, later])
    np.testing.assert_array_equal(before, [1.0, 2.0])
    np.testing.assert_array_equal(after, [5.0, 6.0])


def test_fetched_update_results_are_the_values_right_after_each_update():
    with tf.Graph().as_default():
        v = tf.Variable(0)
        first = tf.assign_add(v, 1)
        with tf.control_dependencies([first]):
            second = tf.assign_add(v, 10)
        chosen = tf.cond(tf.placeholder_with_default(True, []), lambda: tf.assign_add(v, 100),
                         lambda: tf.assign_add(v, 1000))
        with tf.Session(device="opencl") as sess:
            sess.run(v.initializer)
            assert sess.run([first, second]) == [1, 11] and sess.run(v) == 11
            assert sess.run(chosen) in (111, 1111) and sess.run(v) == 1111  # both branches run, as on numpy


def test_uninitialized_variable_raises():
    with tf.Graph().as_default():
        v = tf.Variable([1.0])
        with tf.Session(device="opencl") as sess:
            with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized"):
                sess.run(v + 1)


OPTIMIZERS = [lambda: tf.train.GradientDescentOptimizer(0.1), lambda: tf.train.MomentumOptimizer(0.1, 0.9),
              lambda: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
              lambda: tf.train.AdagradOptimizer(0.1), lambda: tf.train.AdadeltaOptimizer(1.0),
              lambda: tf.train.RMSPropOptimizer(0.01), lambda: tf.train.RMSPropOptimizer(0.01, centered=True),
              lambda: tf.train.RMSPropOptimizer(0.01, momentum=0.9), lambda: tf.train.AdamOptimizer(0.01)]


def _train(device, make_optimizer, steps, x_data, y_data, batch=64):
    """Losses of a small MLP (fixed initial weights) trained with `make_optimizer()` on `device`."""
    weights = np.random.RandomState(1)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, x_data.shape[1]])
        y = tf.placeholder(tf.int32, [None])
        h = x
        for units in (32, 10):
            init = tf.constant_initializer(weights.uniform(-0.3, 0.3, (int(h.shape[1]), units)).astype(np.float32))
            h = tf.layers.dense(h, units, activation=tf.nn.relu if units != 10 else None, kernel_initializer=init)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
        train = make_optimizer().minimize(loss)
        losses = []
        with tf.Session(device=device) as sess:
            sess.run(tf.global_variables_initializer())
            for step in range(steps):
                rows = slice(step * batch % (len(x_data) - batch), step * batch % (len(x_data) - batch) + batch)
                losses.append(sess.run([loss, train], {x: x_data[rows], y: y_data[rows]})[0])
    return np.array(losses)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits
    data = load_digits()
    return (data.data / 16.0).astype(np.float32), data.target.astype(np.int32)


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_optimizers_match_numpy(make_optimizer, digits):
    np.testing.assert_allclose(_train("opencl", make_optimizer, 3, *digits),
                               _train("numpy", make_optimizer, 3, *digits), rtol=1e-4)


def test_digits_mlp_losses_match_numpy_step_by_step(digits):
    adam = OPTIMIZERS[-1]
    on_device = _train("opencl", adam, 40, *digits)
    np.testing.assert_allclose(on_device, _train("numpy", adam, 40, *digits), rtol=1e-3)
    assert on_device[-1] < 0.5 * on_device[0]


def test_training_step_copies_only_feeds_and_loss_and_allocates_nothing(device, digits):
    x_data, y_data = digits
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 64])
        y = tf.placeholder(tf.int32, [None])
        hidden = tf.layers.dense(x, 32, activation=tf.nn.relu)
        logits = tf.layers.dense(hidden, 10)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = tf.train.AdamOptimizer(0.01).minimize(loss)
        with tf.Session(device="opencl") as sess:
            sess.run(tf.global_variables_initializer())
            feed = {x: x_data[:64], y: y_data[:64]}
            sess.run([loss, train], feed)
            before = device.stats.snapshot()
            sess.run([loss, train], feed)
            counts = device.stats.since(before)
    assert counts["host_to_device"] == 2 and counts["host_to_device_bytes"] == 64 * 64 * 4 + 64 * 4
    assert counts["device_to_host"] == 1 and counts["device_to_host_bytes"] == 4
    assert counts["allocations"] == 0 and counts["programs_built"] == 0 and counts["finishes"] == 1


def test_fusion_makes_one_kernel_of_an_elementwise_chain(device):
    with tf.Graph().as_default():
        a, b, c = (tf.placeholder(tf.float32, [1000]) for _ in range(3))
        y = tf.nn.relu(a * b + c) * 2.0 - tf.exp(-a)
        middle = a * b
        with tf.Session(device="opencl") as sess:
            feed = {a: normal(1000), b: normal(1000), c: normal(1000)}
            sess.run(y, feed)
            before = device.stats.snapshot()
            value = sess.run(y, feed)
            assert device.stats.since(before)["launches"] == 1
            both = sess.run([y, middle], feed)  # a fetched intermediate is computed once and kept
    expected = np.maximum(feed[a] * feed[b] + feed[c], 0) * 2 - np.exp(-feed[a])
    np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(both[0], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(both[1], feed[a] * feed[b], rtol=1e-6)


def test_random_ops_on_device_are_seeded_and_distributed():
    def draw():
        with tf.Graph().as_default():
            tf.set_random_seed(3)
            ops = [tf.random_uniform([4000]), tf.random_normal([4000], 1.0, 2.0), tf.truncated_normal([4000]),
                   tf.random_uniform([4000], 2, 9, dtype=tf.int32)]
            with tf.Session(device="opencl") as sess:
                return sess.run(ops), sess.run(ops[0]), sess.placement_report()
    (uniform, normal_values, truncated, integers), again, report = draw()
    assert report == []
    assert 0 <= uniform.min() and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.02
    assert abs(normal_values.mean() - 1) < 0.1 and abs(normal_values.std() - 2) < 0.1
    assert np.abs(truncated).max() <= 2 and abs(truncated.std() - 0.88) < 0.03
    assert integers.min() == 2 and integers.max() == 8 and integers.dtype == np.int32
    assert not np.array_equal(again, uniform)
    np.testing.assert_array_equal(draw()[0][0], uniform)
