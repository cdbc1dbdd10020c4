"""tf.nn ops other than convolution and pooling: activations, softmax, bias_add, l2_loss, cross-entropies,
top_k/in_top_k, and the composed functions (dropout, moments, batch normalization, l2_normalize,
embedding_lookup, zero_fraction, xw_plus_b). Values against numpy, inferred shapes, numeric gradients
(second order where the gradient is an op of its own), errors."""
import numpy as np
import pytest

import flowgraph as tf
from op_check import check_gradient, check_unknown_shapes, check_value, evaluate

RNG = np.random.default_rng(3)
SELU_SCALE, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772


def away_from(kinks, shape=(3, 4), low=-8.0, high=8.0):
    """Random values at least 0.1 away from each kink, so central differences see one smooth piece."""
    x = RNG.uniform(low, high, size=shape)
    for kink in kinks:
        near = np.abs(x - kink) < 0.1
        x[near] = kink + np.where(x[near] >= kink, 0.25, -0.25)
    return x


def log_softmax_reference(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# ---- activations -------------------------------------------------------------------------------------------

ACTIVATIONS = {
    "relu": (tf.nn.relu, lambda x: np.maximum(x, 0), [0]),
    "relu6": (tf.nn.relu6, lambda x: np.clip(x, 0, 6), [0, 6]),
    "elu": (tf.nn.elu, lambda x: np.where(x > 0, x, np.expm1(x)), []),
    "selu": (tf.nn.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)), []),
    "leaky_relu": (tf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), [0]),
    "leaky_relu_0.05": (lambda x: tf.nn.leaky_relu(x, alpha=0.05), lambda x: np.where(x > 0, x, 0.05 * x), [0]),
    "softplus": (tf.nn.softplus, lambda x: np.log1p(np.exp(x)), []),
    "softsign": (tf.nn.softsign, lambda x: x / (1 + np.abs(x)), []),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_value_dtype_and_shape(name):
    fn, reference, kinks = ACTIVATIONS[name]
    x = away_from(kinks, (2, 5)).astype(np.float32)
    check_value(fn, reference, x)
    check_value(fn, reference, np.float64(-1.5))
    check_unknown_shapes(fn, x)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradient_first_and_second_order(name):
    fn, _, kinks = ACTIVATIONS[name]
    x = away_from(kinks)
    check_gradient(fn, x)
    check_gradient(lambda a, dy: tf.gradients(fn(a), a, grad_ys=dy)[0], x, RNG.standard_normal(x.shape))


def test_activation_gradients_at_the_kinks_are_tfs():
    """ReLU's gradient at 0 is 0; ReLU6's is 0 at 0 and 6; leaky ReLU's at 0 is alpha (TF's choices)."""
    x = tf.constant([0.0, 6.0, -1.0, 3.0])
    grads = [tf.gradients(fn(x), x)[0] for fn in (tf.nn.relu, tf.nn.relu6, tf.nn.leaky_relu, tf.nn.elu)]
    with tf.Session() as sess:
        relu, relu6, leaky, elu = sess.run(grads)
    np.testing.assert_array_equal(relu, [0, 1, 0, 1])
    np.testing.assert_array_equal(relu6, [0, 0, 0, 1])
    np.testing.assert_allclose(leaky, [0.2, 1, 0.2, 1])
    np.testing.assert_allclose(elu, [1, 1, np.exp(-1.0), 1], rtol=1e-6)


def test_activations_are_stable_and_named_as_tf():
    x = tf.constant([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=tf.float32)
    outputs = [tf.nn.softplus(x), tf.nn.elu(x), tf.nn.selu(x), tf.nn.softsign(x)]
    assert [t.name for t in outputs] == ["Softplus:0", "Elu:0", "Selu:0", "Softsign:0"]
    with tf.Session() as sess:
        softplus, elu, selu, softsign = sess.run(outputs)
    np.testing.assert_allclose(softplus, [0, 9.357623e-14, np.log(2), 30, 1000], rtol=1e-6)
    np.testing.assert_allclose(elu, [-1, -1, 0, 30, 1000])
    assert np.all(np.isfinite(selu)) and np.all(np.abs(softsign) < 1)
    assert tf.nn.sigmoid is tf.sigmoid and tf.nn.tanh is tf.tanh
    assert tf.nn.relu(tf.constant([1, -2])).dtype == tf.int32
    assert tf.nn.leaky_relu(tf.constant([1, -2])).dtype == tf.float32


def test_activation_rejects_integer_inputs_where_tf_does():
    with pytest.raises(TypeError, match="Elu"):
        tf.nn.elu(tf.constant([1, 2]))


# ---- softmax -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_values(axis):
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32) * 3
    check_value(lambda a: tf.nn.log_softmax(a, axis=axis), lambda a: log_softmax_reference(a, axis), x)
    check_value(lambda a: tf.nn.softmax(a, axis=axis), lambda a: np.exp(log_softmax_reference(a, axis)), x)
    check_unknown_shapes(lambda a: tf.nn.softmax(a, axis=axis), x)


@pytest.mark.parametrize("fn", [tf.nn.softmax, tf.nn.log_softmax])
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_gradients(fn, axis):
    x = RNG.standard_normal((3, 4))
    check_gradient(lambda a: fn(a, axis=axis), x)
    check_gradient(lambda a, dy: tf.gradients(fn(a, axis=axis), a, grad_ys=dy)[0], x, RNG.standard_normal((3, 4)))


def test_softmax_is_stable_for_huge_logits():
    x = tf.constant([[1000.0, 0.0, -1000.0]])
    with tf.Session() as sess:
        probabilities, log_probabilities = sess.run([tf.nn.softmax(x), tf.nn.log_softmax(x)])
    np.testing.assert_allclose(probabilities, [[1, 0, 0]])
    np.testing.assert_allclose(log_probabilities, [[0, -1000, -2000]])


def test_softmax_names_and_axis_errors():
    x = tf.zeros([2, 3])
    assert tf.nn.softmax(x).name == "Softmax:0" and tf.nn.log_softmax(x).name == "LogSoftmax:0"
    assert tf.nn.softmax(x, dim=0).op.get_attr("axis") == 0
    with pytest.raises(ValueError, match="axis 2 is out of range.*rank 2"):
        tf.nn.softmax(x, axis=2)


# ---- bias_add and l2_loss ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, data_format", [((2, 3), None), ((2, 3, 4, 5), "NHWC"), ((2, 5, 3, 4), "NCHW")])
def test_bias_add_value_and_gradients(shape, data_format):
    channels = shape[-1] if data_format != "NCHW" else shape[1]
    x, b = RNG.standard_normal(shape), RNG.standard_normal(channels)
    along = b if data_format != "NCHW" else b.reshape(-1, 1, 1)
    check_value(lambda v, c: tf.nn.bias_add(v, c, data_format=data_format), lambda v, c: v + along, x, b)
    check_unknown_shapes(lambda v, c: tf.nn.bias_add(v, c, data_format=data_format), x, b)
    check_gradient(lambda v, c: tf.nn.bias_add(v, c, data_format=data_format), x, b)

    def bias_grad(dy):
        bias = tf.constant(b)
        return tf.gradients(tf.nn.bias_add(tf.constant(x), bias, data_format=data_format), bias, grad_ys=dy)[0]
    check_gradient(bias_grad, RNG.standard_normal(shape))


def test_bias_add_shape_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 3 and 4 for 'BiasAdd'.*\[2,3\], \[4\]"):
        tf.nn.bias_add(tf.zeros([2, 3]), tf.zeros([4]))
    with pytest.raises(ValueError, match="must have rank 1"):
        tf.nn.bias_add(tf.zeros([2, 3]), tf.zeros([1, 3]))
    with pytest.raises(ValueError, match="requested dtype float32 for Tensor with dtype float64"):
        tf.nn.bias_add(tf.zeros([2, 3]), tf.zeros([3], tf.float64))
    assert tf.nn.bias_add(tf.placeholder(tf.float32, [None, 3]), tf.zeros([3])).shape.as_list() == [None, 3]


def test_l2_loss():
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    check_value(tf.nn.l2_loss, lambda a: np.sum(a.astype(np.float64) ** 2) / 2, x)
    check_gradient(tf.nn.l2_loss, RNG.standard_normal((2, 3)))
    assert tf.nn.l2_loss(tf.zeros([2])).name == "L2Loss:0"


# ---- cross-entropies ---------------------------------------------------------------------------------------

def _probabilities(shape):
    p = RNG.random(shape)
    return p / p.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("shape, axis", [((4, 3), -1), ((2, 3, 5), -1), ((3, 4), 0), ((5,), -1)])
def test_softmax_cross_entropy_values(shape, axis):
    logits = RNG.standard_normal(shape) * 3
    labels = np.moveaxis(_probabilities(np.moveaxis(np.empty(shape), axis, -1).shape), -1, axis)

    def reference(lab, log):
        return -np.sum(lab * log_softmax_reference(log, axis), axis=axis)
    check_value(lambda lab, log: tf.nn.softmax_cross_entropy_with_logits_v2(lab, log, axis=axis), reference,
                labels, logits, rtol=1e-10)
    check_value(lambda lab, log: tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=log, dim=axis),
                reference, labels, logits, rtol=1e-10)


def test_softmax_cross_entropy_gradients_v1_and_v2():
    logits, labels = RNG.standard_normal((3, 4)), _probabilities((3, 4))
    check_gradient(lambda lab, log: tf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=log), labels,
                   logits)
    lab, log = tf.constant(labels), tf.constant(logits)
    v1 = tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=log)
    v2 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=log)
    assert tf.gradients(v1, lab)[0] is None
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(tf.gradients(v2, lab)[0]), -log_softmax_reference(logits))


@pytest.mark.parametrize("wrt", ["logits", "labels"])
def test_softmax_cross_entropy_second_order(wrt):
    logits, labels = RNG.standard_normal((2, 3)), _probabilities((2, 3))

    def gradient(log, lab):
        loss = tf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=log)
        return tf.gradients(loss * loss, log if wrt == "logits" else lab)[0]
    check_gradient(gradient, logits, labels)


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
def test_sparse_softmax_cross_entropy(label_dtype):
    logits = RNG.standard_normal((2, 3, 4))
    labels = RNG.integers(0, 4, size=(2, 3)).astype(label_dtype)

    def reference(lab, log):
        return -np.take_along_axis(log_softmax_reference(log), lab[..., None], axis=-1)[..., 0]
    check_value(lambda lab, log: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=log), reference,
                labels, logits, rtol=1e-10)
    check_unknown_shapes(lambda lab, log: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=log),
                         labels[0], logits[0])
    check_gradient(lambda log: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant(labels[0]),
                                                                              logits=log), logits[0])


def test_sparse_softmax_cross_entropy_second_order():
    labels = np.array([2, 0], np.int32)

    def gradient(log):
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant(labels), logits=log)
        return tf.gradients(loss * loss, log)[0]
    check_gradient(gradient, RNG.standard_normal((2, 3)))


def test_sparse_softmax_cross_entropy_label_out_of_range_names_the_op():
    labels = tf.placeholder(tf.int32, [None])
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=tf.zeros([2, 4]), name="xent")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"(?s)label value of 5 which is outside the valid range of \[0, 4\).*'xent'"):
            sess.run(loss, {labels: [1, 5]})


def test_cross_entropy_argument_errors():
    with pytest.raises(ValueError, match="Rank mismatch"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.zeros([2, 1], tf.int32), logits=tf.zeros([2, 3]))
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.zeros([2]), logits=tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="named arguments"):
        tf.nn.softmax_cross_entropy_with_logits(tf.zeros([2, 3]), tf.zeros([2, 3]))
    with pytest.raises(ValueError, match=r"logits and labels must be same size.*\[2,3\].*\[2,4\]"):
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=tf.zeros([2, 4]), logits=tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros([3]), logits=tf.zeros([2]))


def sigmoid_xent_reference(z, x):
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


def test_sigmoid_cross_entropy():
    logits = RNG.standard_normal((3, 4)) * 4
    labels = RNG.random((3, 4))
    check_value(lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x), sigmoid_xent_reference,
                labels, logits, rtol=1e-10)
    check_gradient(lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x), labels, logits)
    check_gradient(lambda z, x: tf.gradients(tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x), x)[0],
                   labels, logits)
    x = tf.constant([-100.0, 0.0, 100.0])
    loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant([1.0, 1.0, 0.0]), logits=x)
    assert loss.name == "logistic_loss:0"
    with tf.Session() as sess:
        value, gradient = sess.run([loss, tf.gradients(loss, x)[0]])
    np.testing.assert_allclose(value, [100, np.log(2), 100], rtol=1e-6)
    np.testing.assert_allclose(gradient, [-1, -0.5, 1], rtol=1e-6)


def test_weighted_cross_entropy():
    logits, labels = RNG.standard_normal((3, 4)) * 3, RNG.random((3, 4))

    def reference(z, x):
        return (1 - z) * x + (1 + 1.5 * z) * np.log1p(np.exp(-x))
    fn = lambda z, x: tf.nn.weighted_cross_entropy_with_logits(labels=z, logits=x, pos_weight=2.5)  # noqa: E731
    check_value(fn, reference, labels, logits, rtol=1e-10)
    check_gradient(fn, labels, logits)
    check_value(lambda z, x: tf.nn.weighted_cross_entropy_with_logits(targets=z, logits=x, pos_weight=1.0),
                sigmoid_xent_reference, labels, logits, rtol=1e-10)


# ---- top_k and in_top_k ------------------------------------------------------------------------------------

def test_top_k_values_indices_and_ties():
    x = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 1.0, 0.0]], np.float32)
    values, indices = evaluate(lambda a: tf.nn.top_k(a, 2), x)[0]
    np.testing.assert_array_equal(values, [[3, 3], [5, 5]])
    np.testing.assert_array_equal(indices, [[1, 2], [0, 1]])
    assert indices.dtype == np.int32
    cube = RNG.standard_normal((2, 3, 6)).astype(np.float32)
    check_value(lambda a: tf.nn.top_k(a, 4), lambda a: (-np.sort(-a, axis=-1)[..., :4],
                                                       np.argsort(-a, axis=-1)[..., :4].astype(np.int32)), cube)
    check_unknown_shapes(lambda a: tf.nn.top_k(a, 4), cube)
    ints = evaluate(lambda a: tf.nn.top_k(a, 3, index_type=tf.int64), np.array([4, -7, 9, 4], np.int32))[0]
    np.testing.assert_array_equal(ints[0], [9, 4, 4])
    np.testing.assert_array_equal(ints[1], [2, 0, 3])
    assert ints[1].dtype == np.int64


def test_top_k_gradient_and_errors():
    x = RNG.permutation(12).reshape(3, 4) * 0.5
    check_gradient(lambda a: tf.nn.top_k(a, 2)[0], x)
    with pytest.raises(ValueError, match="at least k columns. Had 4, needed 5"):
        tf.nn.top_k(tf.zeros([2, 4]), 5)
    unknown = tf.placeholder(tf.float32)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Had 4, needed 5"):
            sess.run(tf.nn.top_k(unknown, 5), {unknown: np.zeros((2, 4), np.float32)})


def test_in_top_k():
    predictions = np.array([[1, 3, 3, 2], [5, 5, 1, 0], [0.1, 0.2, 0.3, 0.4], [1, np.nan, 2, 3]], np.float32)
    targets = np.array([2, 3, 7, 3], np.int32)
    result = evaluate(lambda p, t: tf.nn.in_top_k(p, t, 1), predictions, targets)[0]
    np.testing.assert_array_equal(result, [True, False, False, False])  # tie counts; out of range; NaN row
    result = evaluate(lambda p, t: tf.nn.in_top_k(p, t, 2), predictions[:2], np.array([0, 0], np.int64))[0]
    np.testing.assert_array_equal(result, [False, True])
    assert tf.nn.in_top_k(tf.zeros([2, 3]), [0, 1], 1).dtype == tf.bool
    with pytest.raises(TypeError, match="float32"):
        tf.nn.in_top_k(tf.zeros([2, 3], tf.float64), [0, 1], 1)


# ---- dropout -----------------------------------------------------------------------------------------------

def test_dropout_keeps_scales_and_drops():
    x = np.full((200, 50), 2.0, np.float32)
    tf.set_random_seed(1)
    out = evaluate(lambda a: tf.nn.dropout(a, keep_prob=0.8), x)[0]
    kept = out != 0
    np.testing.assert_allclose(out[kept], 2.0 / 0.8, rtol=1e-6)
    assert abs(kept.mean() - 0.8) < 0.02
    rows = evaluate(lambda a: tf.nn.dropout(a, rate=0.5, noise_shape=[200, 1], seed=3), x)[0]
    assert np.all((rows == 0).all(axis=1) | (rows == 4.0).all(axis=1))


def test_dropout_with_seeds_repeats_in_new_sessions():
    x = tf.ones([10, 10])
    tf.set_random_seed(5)
    dropped = tf.nn.dropout(x, rate=0.5, seed=2)
    with tf.Session() as first:
        a = first.run(dropped)
    with tf.Session() as second:
        b = second.run(dropped)
    np.testing.assert_array_equal(a, b)


def test_dropout_shortcuts_tensor_rate_and_errors():
    x = tf.ones([3, 4])
    assert tf.nn.dropout(x, rate=0.0) is x and tf.nn.dropout(x, keep_prob=1.0) is x
    keep = tf.placeholder(tf.float32, [])
    dropped = tf.nn.dropout(x, keep_prob=keep)
    assert dropped.shape.as_list() == [3, 4]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(dropped, {keep: 1.0}), np.ones((3, 4)))
    with pytest.raises(ValueError, match="both keep_prob and rate"):
        tf.nn.dropout(x, keep_prob=0.5, rate=0.5)
    with pytest.raises(ValueError, match=r"range \[0, 1\)"):
        tf.nn.dropout(x, rate=1.0)
    with pytest.raises(ValueError, match="floating point"):
        tf.nn.dropout(tf.ones([2], tf.int32), rate=0.5)


def test_dropout_gradient_is_the_scaled_mask():
    x = tf.constant(RNG.standard_normal((6, 7)))
    dropped = tf.nn.dropout(x, rate=0.25, seed=4)
    with tf.Session() as sess:
        out, grad = sess.run([dropped, tf.gradients(dropped, x)[0]])
    np.testing.assert_allclose(grad, np.where(out != 0, 1 / 0.75, 0))


# ---- moments and batch normalization -----------------------------------------------------------------------

@pytest.mark.parametrize("axes, keepdims", [([0], False), ([0, 1, 2], False), ([1], True)])
def test_moments(axes, keepdims):
    x = RNG.standard_normal((4, 3, 2, 5)).astype(np.float32)
    check_value(lambda a: tf.nn.moments(a, axes, keepdims=keepdims),
                lambda a: (np.mean(a, axis=tuple(axes), keepdims=keepdims),
                           np.var(a, axis=tuple(axes), keepdims=keepdims)), x)
    check_gradient(lambda a: tf.nn.moments(a, axes)[1], RNG.standard_normal((3, 2, 2, 2)))
    check_gradient(lambda a: tf.nn.moments(a, axes)[0], RNG.standard_normal((3, 2, 2, 2)))


def test_moments_of_float16_accumulate_in_float32():
    x = np.full((1000,), 100.0, np.float16)
    mean, variance = evaluate(lambda a: tf.nn.moments(a, [0]), x)[0]
    assert mean.dtype == np.float16 and mean == 100 and variance == 0


def test_batch_normalization():
    x = RNG.standard_normal((4, 3))
    mean, variance = RNG.standard_normal(3), RNG.random(3) + 0.5
    offset, scale = RNG.standard_normal(3), RNG.standard_normal(3)

    def reference(v, m, var, o, s):
        return (v - m) * s / np.sqrt(var + 1e-3) + o
    fn = lambda v, m, var, o, s: tf.nn.batch_normalization(v, m, var, o, s, 1e-3)  # noqa: E731
    check_value(fn, reference, x, mean, variance, offset, scale, rtol=1e-10)
    check_gradient(fn, x, mean, variance, offset, scale)
    check_value(lambda v, m, var: tf.nn.batch_normalization(v, m, var, None, None, 1e-3),
                lambda v, m, var: (v - m) / np.sqrt(var + 1e-3), x, mean, variance, rtol=1e-10)


def test_fused_batch_norm_training_matches_tf():
    """Numbers from TF: the returned batch variance is the unbiased one (56 where the biased one is 46.67)."""
    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    y, mean, variance = evaluate(lambda a: tf.nn.fused_batch_norm(a, tf.ones([4]), tf.zeros([4])), x)[0]
    np.testing.assert_allclose(mean, [10, 11, 12, 13])
    np.testing.assert_allclose(variance, [56, 56, 56, 56], rtol=1e-6)
    biased = np.var(x.reshape(6, 4), axis=0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(biased + 1e-3), rtol=1e-5)


def test_fused_batch_norm_inference_nchw_and_gradient():
    x = RNG.standard_normal((2, 3, 2, 2))
    mean, variance, scale, offset = RNG.standard_normal(3), RNG.random(3) + 0.5, RNG.random(3), RNG.random(3)
    fn = lambda v: tf.nn.fused_batch_norm(v, scale, offset, mean, variance, epsilon=1e-6,  # noqa: E731
                                          data_format="NCHW", is_training=False)[0]
    along = (slice(None), None, None)
    expected = (x - mean[along]) / np.sqrt(variance[along] + 1.001e-5) * scale[along] + offset[along]
    check_value(fn, lambda v: expected, x, rtol=1e-10)
    check_gradient(lambda v, s, o: tf.nn.fused_batch_norm(v, s, o)[0], RNG.standard_normal((2, 2, 2, 3)),
                   RNG.random(3) + 0.5, RNG.random(3))


# ---- l2_normalize, embedding_lookup, zero_fraction, xw_plus_b ----------------------------------------------

@pytest.mark.parametrize("axis", [None, 1, [0, 1]])
def test_l2_normalize(axis):
    x = RNG.standard_normal((3, 4))
    numpy_axis = tuple(axis) if isinstance(axis, list) else axis
    check_value(lambda a: tf.nn.l2_normalize(a, axis), lambda a: a / np.sqrt(np.sum(a * a, numpy_axis,
                                                                                     keepdims=True)), x)
    check_gradient(lambda a: tf.nn.l2_normalize(a, axis), x)


def test_l2_normalize_of_zeros_is_zero():
    zeros = evaluate(lambda a: tf.nn.l2_normalize(a, 1), np.zeros((2, 3), np.float32))[0]
    np.testing.assert_array_equal(zeros, np.zeros((2, 3)))


def test_embedding_lookup_single_table():
    params, ids = RNG.standard_normal((6, 3)), np.array([[4, 0], [4, 5]], np.int32)
    check_value(lambda p, i: tf.nn.embedding_lookup(p, i), lambda p, i: p[i], params, ids)
    table = tf.constant(params)
    check_gradient(lambda p: tf.nn.embedding_lookup(p, tf.constant(ids)), params)
    assert tf.nn.embedding_lookup(table, [1]).name.startswith("embedding_lookup")


@pytest.mark.parametrize("strategy", ["mod", "div"])
def test_embedding_lookup_sharded(strategy):
    table = RNG.standard_normal((7, 2))
    ids = np.array([6, 0, 3, 5, 1], np.int32)
    if strategy == "mod":
        shards = [table[i::3] for i in range(3)]   # id i in shard i % 3, row i // 3
    else:
        shards = [table[0:3], table[3:5], table[5:7]]   # consecutive ranges, the first shards one longer
    got = evaluate(lambda i: tf.nn.embedding_lookup([tf.constant(s) for s in shards], i,
                                                    partition_strategy=strategy), ids)[0]
    np.testing.assert_allclose(got, table[ids])


def test_embedding_lookup_max_norm():
    params = np.array([[3.0, 4.0], [0.3, 0.4]])
    got = evaluate(lambda p: tf.nn.embedding_lookup(p, tf.constant([0, 1]), max_norm=1.0), params)[0]
    np.testing.assert_allclose(got, [[0.6, 0.8], [0.3, 0.4]])


def test_zero_fraction_and_xw_plus_b():
    x = np.array([[0, 1, 0], [2, 0, 0]], np.float64)
    fraction = evaluate(tf.nn.zero_fraction, x)[0]
    assert fraction.dtype == np.float32 and fraction == pytest.approx(4 / 6)
    w, b = RNG.standard_normal((3, 2)), RNG.standard_normal(2)
    check_value(tf.nn.xw_plus_b, lambda a, m, c: a @ m + c, x, w, b, rtol=1e-10)
    check_gradient(tf.nn.xw_plus_b, x, w, b)
    assert tf.nn.xw_plus_b(tf.constant(x), tf.constant(w), tf.constant(b)).name == "xw_plus_b:0"


# ---- eager execution ---------------------------------------------------------------------------------------

def test_nn_ops_run_eagerly_and_differentiate_on_a_tape():
    """The gradient rules also serve GradientTape, where unused outputs get zero values rather than ops."""
    import flowgraph.v2 as tf2
    tf.enable_eager_execution()
    logits = tf2.constant(RNG.standard_normal((2, 3)))
    labels = tf2.constant([2, 0])
    with tf2.GradientTape() as outer:
        outer.watch(logits)
        with tf2.GradientTape() as inner:
            inner.watch(logits)
            loss = tf2.reduce_sum(tf2.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        grad = inner.gradient(loss, logits)
        grad_norm = tf2.reduce_sum(grad * grad)
    second = outer.gradient(grad_norm, logits)
    probabilities = np.exp(log_softmax_reference(logits.numpy()))
    np.testing.assert_allclose(grad.numpy(), probabilities - np.eye(3)[[2, 0]], rtol=1e-10)
    with tf.Graph().as_default():
        graph_logits = tf.constant(logits.numpy())
        graph_loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2, 0], logits=graph_logits)
        graph_grad = tf.gradients(graph_loss, graph_logits)[0]
        graph_second = tf.gradients(tf.reduce_sum(graph_grad * graph_grad), graph_logits)[0]
        with tf.Session() as sess:
            np.testing.assert_allclose(second.numpy(), sess.run(graph_second), rtol=1e-10)
