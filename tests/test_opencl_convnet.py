"""The digits convnet (conv2d, max pooling, batch normalization, dropout off, Adam) trains on OpenCL with the
numpy backend's losses step by step, and reaches the same held-out accuracy."""
import numpy as np
import pytest

import flowgraph as tf
from opencl import runtime

if not runtime.available():
    pytest.skip("no OpenCL platform: install pyopencl and an OpenCL driver (PoCL on CPUs)", allow_module_level=True)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits
    data = load_digits()
    images = (data.images / 16.0).astype(np.float32)[..., None]
    return images, data.target.astype(np.int32)


def train_convnet(device, images, labels, steps=30, batch=64):
    """(losses per step, held-out accuracy) of a small convnet from fixed initial weights."""
    init = np.random.RandomState(7)

    def constant(shape):
        return tf.constant_initializer(init.uniform(-0.2, 0.2, shape).astype(np.float32))
    train_x, train_y, test_x, test_y = images[:1300], labels[:1300], images[1300:], labels[1300:]
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 8, 8, 1])
        y = tf.placeholder(tf.int32, [None])
        training = tf.placeholder_with_default(False, [])
        net = tf.layers.conv2d(x, 16, 3, padding="same", activation=tf.nn.relu,
                               kernel_initializer=constant([3, 3, 1, 16]))
        net = tf.layers.batch_normalization(net, training=training)
        net = tf.layers.max_pooling2d(net, 2, 2)
        net = tf.layers.conv2d(net, 32, 3, padding="valid", activation=tf.nn.relu,
                               kernel_initializer=constant([3, 3, 16, 32]))
        net = tf.layers.flatten(net)
        logits = tf.layers.dense(net, 10, kernel_initializer=constant([2 * 2 * 32, 10]))
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train = tf.train.AdamOptimizer(0.01).minimize(loss)
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), y), tf.float32))
        losses = []
        with tf.Session(device=device) as sess:
            sess.run(tf.global_variables_initializer())
            for step in range(steps):
                start = step * batch % (len(train_x) - batch)
                feed = {x: train_x[start:start + batch], y: train_y[start:start + batch], training: True}
                losses.append(sess.run([loss, train], feed)[0])
            held_out = sess.run(accuracy, {x: test_x, y: test_y})
    return np.array(losses), held_out


def test_convnet_losses_match_numpy_step_by_step(digits):
    on_device, device_accuracy = train_convnet("opencl", *digits)
    on_numpy, numpy_accuracy = train_convnet("numpy", *digits)
    np.testing.assert_allclose(on_device, on_numpy, rtol=1e-3)
    assert on_device[-1] < 0.5 * on_device[0]
    assert abs(device_accuracy - numpy_accuracy) <= 0.01 and device_accuracy > 0.8
