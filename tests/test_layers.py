"""tf.layers and tf.contrib.layers: TF's variable and op names, values against numpy or the underlying ops,
batch normalization against TensorFlow's numbers, regularization and update collections, dropout statistics."""
import numpy as np
import pytest

import flowgraph as tf

X4 = (np.sin(np.arange(36.0)) * 2).reshape(2, 3, 3, 2).astype(np.float32)
X2 = (np.cos(np.arange(12.0)) * 1.5 + 0.3).reshape(4, 3).astype(np.float32)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def test_names_as_tensorflow():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    training = tf.placeholder(tf.bool, [])
    h = tf.layers.conv2d(x, 4, 3, activation=tf.nn.relu)
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.batch_normalization(h, training=training)
    h = tf.layers.dropout(h, 0.5, training=training)
    h = tf.layers.flatten(h)
    y = tf.layers.dense(h, 10, kernel_regularizer=tf.contrib.layers.l2_regularizer(0.01))
    y2 = tf.layers.dense(h, 10, use_bias=False, name="out")
    assert [v.name for v in tf.global_variables()] == [
        "conv2d/kernel:0", "conv2d/bias:0", "batch_normalization/gamma:0", "batch_normalization/beta:0",
        "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0", "dense/kernel:0",
        "dense/bias:0", "out/kernel:0"]
    assert [v.name for v in tf.trainable_variables()] == [
        "conv2d/kernel:0", "conv2d/bias:0", "batch_normalization/gamma:0", "batch_normalization/beta:0",
        "dense/kernel:0", "dense/bias:0", "out/kernel:0"]
    assert [op.name for op in tf.get_collection(tf.GraphKeys.UPDATE_OPS)] == [
        "batch_normalization/AssignMovingAvg", "batch_normalization/AssignMovingAvg_1"]
    assert [t.op.name for t in tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)] == [
        "dense/kernel/Regularizer/l2_regularizer"]
    assert h.name == "flatten/Reshape:0" and h.shape.as_list() == [None, 36]
    assert y.name == "dense/BiasAdd:0" and y2.name == "out/MatMul:0" and y.shape.as_list() == [None, 10]
    graph = tf.get_default_graph()
    for name in ("conv2d/Conv2D", "conv2d/BiasAdd", "conv2d/Relu", "max_pooling2d/MaxPool", "dense/MatMul"):
        graph.get_operation_by_name(name)
    assert tf.layers.dense(h, 2).name == "dense_1/BiasAdd:0"


def test_dense_values_and_activation():
    kernel = np.arange(6, dtype=np.float32).reshape(3, 2) / 4 - 0.5
    y = tf.layers.dense(X2, 2, activation=tf.nn.relu, kernel_initializer=tf.constant_initializer(kernel),
                        bias_initializer=tf.constant_initializer([0.5, -1.0]))
    assert y.op.type == "Relu" and y.op.name == "dense/Relu"
    np.testing.assert_allclose(_run(y), np.maximum(X2 @ kernel + [0.5, -1.0], 0), rtol=1e-6)


def test_dense_on_rank_3_inputs_multiplies_the_last_axis():
    x = tf.placeholder(tf.float32, [None, 4, 3])
    y = tf.layers.dense(x, 5, use_bias=False)
    assert y.shape.as_list() == [None, 4, 5]
    value = np.random.default_rng(0).standard_normal([2, 4, 3]).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out, kernel = sess.run([y, tf.trainable_variables()[0]], {x: value})
    np.testing.assert_allclose(out, value @ kernel, rtol=1e-5, atol=1e-6)


def test_dense_default_initializers():
    tf.layers.dense(tf.zeros([2, 30]), 20)
    kernel, bias = _run(tf.global_variables())
    limit = np.sqrt(6.0 / 50)  # glorot uniform
    assert np.all(np.abs(kernel) <= limit) and kernel.std() > limit / 3
    np.testing.assert_array_equal(bias, np.zeros(20))


def test_dense_reuse_shares_variables():
    x = tf.placeholder(tf.float32, [None, 3])
    a = tf.layers.dense(x, 2, name="shared")
    b = tf.layers.dense(x, 2, name="shared", reuse=True)
    assert len(tf.global_variables()) == 2 and b.op.name == "shared_1/BiasAdd"
    value = np.ones([1, 3], np.float32)
    first, second = _run([a, b], {x: value})
    np.testing.assert_array_equal(first, second)
    with pytest.raises(ValueError, match="shared/kernel already exists"):
        tf.layers.dense(x, 2, name="shared")


def test_dense_needs_a_known_last_dimension():
    with pytest.raises(ValueError, match="last dimension of the inputs to `Dense` should be defined"):
        tf.layers.dense(tf.placeholder(tf.float32, [None, None]), 3)


def test_regularization_losses_hold_their_values():
    kernel = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
    tf.layers.dense(tf.ones([1, 2]), 2, kernel_initializer=tf.constant_initializer(kernel),
                    kernel_regularizer=tf.contrib.layers.l2_regularizer(0.1),
                    bias_regularizer=tf.contrib.layers.l1_regularizer(0.5),
                    bias_initializer=tf.constant_initializer([-1.0, 2.0]),
                    activity_regularizer=tf.contrib.layers.l1_regularizer(0.01))
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 3
    l2, l1, activity = _run(losses)
    np.testing.assert_allclose(l2, 0.1 * np.sum(kernel ** 2) / 2, rtol=1e-6)
    np.testing.assert_allclose(l1, 0.5 * 3.0, rtol=1e-6)
    np.testing.assert_allclose(activity, 0.01 * np.sum(np.abs(np.ones([1, 2]) @ kernel + [-1.0, 2.0])), rtol=1e-6)


def test_conv2d_layer_is_conv_bias_activation():
    kernel = np.linspace(-1, 1, 3 * 3 * 2 * 4).reshape(3, 3, 2, 4).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3, 3, 2])
    y = tf.layers.conv2d(x, 4, 3, strides=2, padding="same", activation=tf.nn.relu,
                         kernel_initializer=tf.constant_initializer(kernel),
                         bias_initializer=tf.constant_initializer(0.1))
    assert y.shape.as_list() == [None, 2, 2, 4]
    assert tf.global_variables()[0].shape.as_list() == [3, 3, 2, 4]
    reference = tf.nn.relu(tf.nn.conv2d(x, kernel, [1, 2, 2, 1], "SAME") + 0.1)
    got, expected = _run([y, reference], {x: X4})
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert np.any(got > 0)


def test_pooling_layers_match_the_ops():
    x = tf.constant(X4)
    max_layer = tf.layers.max_pooling2d(x, 2, 1)
    avg_layer = tf.layers.average_pooling2d(x, [2, 3], [1, 2], padding="same")
    assert max_layer.op.name == "max_pooling2d/MaxPool" and avg_layer.op.name == "average_pooling2d/AvgPool"
    got_max, got_avg, expected_max, expected_avg = _run([
        max_layer, avg_layer, tf.nn.max_pool(x, [1, 2, 2, 1], [1, 1, 1, 1], "VALID"),
        tf.nn.avg_pool(x, [1, 2, 3, 1], [1, 1, 2, 1], "SAME")])
    np.testing.assert_array_equal(got_max, expected_max)
    np.testing.assert_array_equal(got_avg, expected_avg)
    np.testing.assert_allclose(got_max[0, 0, 0], X4[0, :2, :2].max(axis=(0, 1)))
    with pytest.raises(ValueError, match="padding"):
        tf.layers.max_pooling2d(x, 2, 2, padding="full")


def test_flatten_with_unknown_dimensions():
    x = tf.placeholder(tf.float32, [None, 3, None])
    y = tf.layers.flatten(x)
    assert y.shape.as_list() == [None, None]
    value = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(_run(y, {x: value}), value.reshape(2, 12))
    channels_first = tf.layers.flatten(tf.constant(value), data_format="channels_first")
    np.testing.assert_array_equal(_run(channels_first), value.transpose(0, 2, 1).reshape(2, 12))


def test_dropout_training_switch():
    x = tf.ones([200, 50])
    assert np.all(_run(tf.layers.dropout(x, 0.3)) == 1.0)
    training = tf.placeholder(tf.bool, [])
    y = tf.layers.dropout(x, 0.3, training=training)
    with tf.Session() as sess:
        train_value = sess.run(y, {training: True})
        np.testing.assert_array_equal(sess.run(y, {training: False}), np.ones([200, 50]))
    kept = train_value != 0
    np.testing.assert_allclose(train_value[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.03  # 10000 draws: the standard error is 0.005
    always = _run(tf.layers.dropout(x, 0.5, training=True))
    assert set(np.unique(always)) == {0.0, 2.0}


def _batch_norm_graph():
    training = tf.placeholder(tf.bool, [])
    bn4 = tf.layers.batch_normalization(X4, training=training, momentum=0.9,
                                        gamma_initializer=tf.constant_initializer(1.5),
                                        beta_initializer=tf.constant_initializer(0.25))
    bn2 = tf.layers.batch_normalization(X2, training=training, momentum=0.8)
    return training, bn4, bn2


def test_batch_normalization_matches_tensorflow():
    training, bn4, bn2 = _batch_norm_graph()
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    moving = {v.op.name: v for v in tf.global_variables() if "moving" in v.op.name}
    assert all(not v.trainable for v in moving.values())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(2):
            out4, out2, _ = sess.run([bn4, bn2, updates], {training: True})
        # TensorFlow 2.21 (tf.compat.v1.layers): 4-D inputs go through the fused kernel, whose moving variance
        # takes the unbiased batch variance; the 2-D input through moments, with the biased one.
        np.testing.assert_allclose(out4[1, 2].ravel(), [-2.010635, -0.6908097, 1.349562, 2.302462, 1.300791,
                                                        -0.7422877], rtol=1e-5)
        np.testing.assert_allclose(out2.ravel(), [1.019853, 0.8377473, -1.369554, -1.040055, -0.8577505, 1.386468,
                                                  0.9786244, 1.141076, -0.3036795, -0.9584224, -1.121073,
                                                  0.2867653], rtol=1e-5, atol=1e-6)
        expected_moving = {
            "batch_normalization/moving_mean": [0.01811372, 0.01414937],
            "batch_normalization/moving_variance": [1.189836, 1.208118],
            "batch_normalization_1/moving_mean": [0.1159714, 0.08120107, 0.07106954],
            "batch_normalization_1/moving_variance": [1.395588, 1.041301, 0.691865]}
        for name, expected in expected_moving.items():
            np.testing.assert_allclose(sess.run(moving[name]), expected, rtol=1e-5)
        out4, out2, _ = sess.run([bn4, bn2, updates], {training: False})
        np.testing.assert_allclose(out4[1, 2].ravel(), [-2.491126, -0.8716245, 1.741045, 2.958726, 1.679619,
                                                        -0.9374986], rtol=1e-5)
        np.testing.assert_allclose(out2.ravel(), [1.425001, 1.00815, -0.4748881, -1.100854, -0.7460505, 0.786203,
                                                  1.374447, 1.321981, 0.01283109, -1.000756, -1.01849, 0.2830048],
                                   rtol=1e-5, atol=1e-6)
        for name, expected in expected_moving.items():  # inference leaves the moving statistics alone
            np.testing.assert_allclose(sess.run(moving[name]), expected, rtol=1e-5)


def test_batch_normalization_with_python_training_flag():
    inference = tf.layers.batch_normalization(X2)
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    np.testing.assert_allclose(_run(inference), X2 / np.sqrt(1 + 1e-3), rtol=1e-6)
    training = tf.layers.batch_normalization(X2, training=True, center=False, scale=False, axis=0)
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2
    assert [v.op.name for v in tf.trainable_variables()] == ["batch_normalization/gamma", "batch_normalization/beta"]
    mean, var = X2.mean(axis=1, keepdims=True), X2.var(axis=1, keepdims=True)
    np.testing.assert_allclose(_run(training), (X2 - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-6)


def test_batch_normalization_errors():
    with pytest.raises(ValueError, match="undefined `axis` dimension"):
        tf.layers.batch_normalization(tf.placeholder(tf.float32, [None, None]))
    with pytest.raises(ValueError, match="Invalid axis 2"):
        tf.layers.batch_normalization(tf.constant(X2), axis=2)
    with pytest.raises(ValueError, match="fused batch normalization needs a 4-D input"):
        tf.layers.batch_normalization(tf.constant(X2), fused=True)


def test_layers_train_end_to_end():
    x = tf.placeholder(tf.float32, [None, 3, 3, 2])
    labels = tf.placeholder(tf.int32, [None])
    training = tf.placeholder_with_default(False, [])
    h = tf.layers.conv2d(x, 3, 2, activation=tf.nn.relu)
    h = tf.layers.batch_normalization(h, training=training)
    h = tf.layers.dropout(tf.layers.flatten(h), 0.1, training=training)
    logits = tf.layers.dense(h, 2)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.AdamOptimizer(0.05).minimize(loss)
    feed = {x: X4, labels: [0, 1]}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(loss, feed)
        for _ in range(30):
            sess.run(train, {**feed, training: True})
        assert sess.run(loss, feed) < before / 4


def test_contrib_fully_connected_and_regularizers():
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.contrib.layers.fully_connected(x, 3, weights_regularizer=tf.contrib.layers.l2_regularizer(0.1))
    assert y.op.name == "fully_connected/Relu"
    assert [v.name for v in tf.model_variables()] == ["fully_connected/weights:0", "fully_connected/biases:0"]
    z = tf.contrib.layers.fully_connected(x, 2, activation_fn=None, scope="logits")
    assert z.op.name == "logits/BiasAdd"
    assert tf.contrib.layers.l2_regularizer(0.0)(tf.ones([2])) is None
    with pytest.raises(ValueError, match="less than 0"):
        tf.contrib.layers.l2_regularizer(-1.0)
    with pytest.raises(ValueError, match="integer"):
        tf.contrib.layers.l1_regularizer(1)
    both = tf.contrib.layers.l1_l2_regularizer(0.5, 0.25)(tf.constant([1.0, -2.0]))
    np.testing.assert_allclose(_run(both), 0.5 * 3 + 0.25 * 5 / 2, rtol=1e-6)
    assert tf.contrib.opt.NadamOptimizer().get_name() == "Adam"
