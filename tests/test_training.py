"""Training: learning-rate schedules against TensorFlow's values, driving an optimizer from the global step,
and models built with tf.layers reaching their accuracy on scikit-learn's digits (25% held out)."""
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import flowgraph as tf

STEPS = [0, 1, 7, 10, 25, 100, 250]
# (schedule of the step placeholder, its values at STEPS as TensorFlow 2.21's tf.compat.v1.train computes them)
SCHEDULES = {
    "exponential": (lambda s: tf.train.exponential_decay(0.1, s, 10, 0.5),
                    [0.1, 0.09330330044031143, 0.06155722215771675, 0.05, 0.01767767034471035,
                     9.765625145519152e-05, 2.9802322831784522e-09]),
    "exponential_staircase": (lambda s: tf.train.exponential_decay(0.1, s, 10, 0.5, staircase=True),
                              [0.1, 0.1, 0.1, 0.05, 0.025, 9.765625145519152e-05, 2.9802322831784522e-09]),
    "piecewise": (lambda s: tf.train.piecewise_constant(s, [5, 20, 100], [1.0, 0.5, 0.1, 0.01]),
                  [1.0, 1.0, 0.5, 0.5, 0.1, 0.1, 0.01]),
    "polynomial": (lambda s: tf.train.polynomial_decay(0.1, s, 100, 0.001, power=2.0),
                   [0.1, 0.09802990406751633, 0.0866250991821289, 0.08118999749422073, 0.05668749660253525, 0.001,
                    0.001]),
    "polynomial_cycle": (lambda s: tf.train.polynomial_decay(0.1, s, 20, 0.01, power=0.5, cycle=True),
                         [0.1, 0.0977211520075798, 0.08256032317876816, 0.07363960891962051, 0.06511352211236954,
                          0.01, 0.027650458738207817]),
    "cosine": (lambda s: tf.train.cosine_decay(0.1, s, 100, alpha=0.1),
               [0.1, 0.09997779130935669, 0.09891625493764877, 0.09779754281044006, 0.08681981265544891,
                0.010000000707805157, 0.010000000707805157]),
    "inverse_time": (lambda s: tf.train.inverse_time_decay(0.1, s, 10, 0.5),
                     [0.1, 0.0952381044626236, 0.07407407462596893, 0.06666667014360428, 0.04444444552063942,
                      0.01666666753590107, 0.007407407741993666]),
    "inverse_time_staircase": (lambda s: tf.train.inverse_time_decay(0.1, s, 10, 0.5, staircase=True),
                               [0.1, 0.1, 0.1, 0.06666667014360428, 0.05, 0.01666666753590107,
                                0.007407407741993666]),
    "natural_exp": (lambda s: tf.train.natural_exp_decay(0.1, s, 10, 0.5),
                    [0.1, 0.09512294828891754, 0.07046880573034286, 0.060653068125247955, 0.02865048125386238,
                     0.0006737948278896511, 3.726654256297479e-07]),
    "natural_exp_staircase": (lambda s: tf.train.natural_exp_decay(0.1, s, 10, 0.5, staircase=True),
                              [0.1, 0.1, 0.1, 0.060653068125247955, 0.03678794577717781, 0.0006737948278896511,
                               3.726654256297479e-07]),
}


@pytest.mark.parametrize("case", sorted(SCHEDULES))
def test_schedules_match_tensorflow(case):
    schedule, expected = SCHEDULES[case]
    step = tf.placeholder(tf.int64, [], name="step")
    lr = schedule(step)
    assert lr.dtype == tf.float32 and lr.shape.as_list() == []
    with tf.Session() as sess:
        values = [sess.run(lr, {step: s}) for s in STEPS]
    np.testing.assert_allclose(values, expected, rtol=1e-6)


def test_schedule_names_as_tensorflow():
    step = tf.train.get_or_create_global_step()
    assert tf.train.exponential_decay(0.1, step, 10, 0.5).op.name == "ExponentialDecay"
    assert tf.train.exponential_decay(0.1, step, 10, 0.5).op.name == "ExponentialDecay_1"
    assert tf.train.inverse_time_decay(0.1, step, 10, 0.5).op.name == "InverseTimeDecay"
    assert tf.train.polynomial_decay(0.1, step, 10, name="poly").op.name == "poly"


def test_schedule_arguments_may_be_tensors():
    step = tf.placeholder(tf.int32, [])
    lr = tf.placeholder(tf.float64, [])
    rate = tf.placeholder(tf.float64, [])
    decayed = tf.train.exponential_decay(lr, step, tf.constant(4), rate, staircase=True)
    assert decayed.dtype == tf.float64
    with tf.Session() as sess:
        assert sess.run(decayed, {step: 9, lr: 2.0, rate: 0.25}) == 2.0 * 0.25 ** 2


def test_schedule_errors():
    with pytest.raises(ValueError, match="global_step is required for exponential_decay"):
        tf.train.exponential_decay(0.1, None, 10, 0.5)
    step = tf.placeholder(tf.int64, [])
    with pytest.raises(ValueError, match="1 less than the length of values"):
        tf.train.piecewise_constant(step, [1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="same dtype as x"):
        tf.train.piecewise_constant(step, [1.5], [0.1, 0.2])
    with pytest.raises(ValueError, match="all with the same dtype"):
        tf.train.piecewise_constant(step, [1], [0.1, tf.constant(2, tf.int32)])


def test_decayed_learning_rate_drives_the_optimizer():
    w = tf.Variable(0.0, name="w")
    step = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(1.0, step, 1, 0.5)
    train = tf.train.GradientDescentOptimizer(lr).minimize(-w, global_step=step)  # gradient of -w is -1
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(4):
            sess.run(train)
        assert sess.run(step) == 4
        np.testing.assert_allclose(sess.run(w), 1.0 + 0.5 + 0.25 + 0.125, rtol=1e-6)


@pytest.fixture(scope="module")
def digits():
    """(x_train, x_test, y_train, y_test): the 8x8 digits scaled to [0, 1], a quarter held out."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    data = load_digits()
    return train_test_split((data.data / 16).astype(np.float32), data.target.astype(np.int32), test_size=0.25,
                            random_state=0)


def _train_and_evaluate(digits, build_logits, epochs, learning_rate):
    """Train with Adam in batches of 32 (running UPDATE_OPS with each step); held-out accuracy and seconds."""
    x_train, x_test, y_train, y_test = digits
    tf.set_random_seed(0)
    x = tf.placeholder(tf.float32, [None, 64], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    training = tf.placeholder_with_default(False, [], name="training")
    logits = build_logits(x, training)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    step = tf.train.get_or_create_global_step()
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.AdamOptimizer(learning_rate(step)).minimize(loss, global_step=step)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), y), tf.float32))
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    # Matrices this small gain nothing from BLAS threads, and on a busy machine their spinning makes each
    # step many times slower; threadpoolctl comes with scikit-learn.
    with threadpool_limits(1), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(epochs):
            order = rng.permutation(len(x_train))
            for i in range(0, len(order), 32):
                batch = order[i:i + 32]
                sess.run(train, {x: x_train[batch], y: y_train[batch], training: True})
        return sess.run(accuracy, {x: x_test, y: y_test}), time.perf_counter() - start


def test_dense_mlp_with_adam_learns_digits(digits):
    def mlp(x, training):
        return tf.layers.dense(tf.layers.dense(x, 256, activation=tf.nn.relu), 10)

    def learning_rate(step):
        return tf.train.exponential_decay(0.003, step, 200, 0.8)
    accuracy, seconds = _train_and_evaluate(digits, mlp, epochs=15, learning_rate=learning_rate)
    assert accuracy >= 0.96, "held-out accuracy %.4f after %.1f s" % (accuracy, seconds)


def test_small_convnet_learns_digits(digits):
    def convnet(x, training):
        h = tf.reshape(x, [-1, 8, 8, 1])
        h = tf.layers.conv2d(h, 16, 3, padding="same", activation=tf.nn.relu)
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.batch_normalization(h, training=training)
        h = tf.layers.conv2d(h, 32, 3, padding="same", activation=tf.nn.relu)
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.dropout(tf.layers.flatten(h), 0.3, training=training)
        return tf.layers.dense(h, 10)
    accuracy, seconds = _train_and_evaluate(digits, convnet, epochs=8, learning_rate=lambda step: 0.005)
    assert accuracy >= 0.97, "held-out accuracy %.4f after %.1f s" % (accuracy, seconds)
