# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 7. A convnet on digits, with batch normalization and dropout
#
# Convolutions see the 8x8 digits as images. Batch normalization and dropout behave differently in training and
# in inference, so the graph takes a boolean `training` placeholder, and the moving averages of batch
# normalization are updated by ops collected in `tf.GraphKeys.UPDATE_OPS`, run with each training step.

# %%
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import flowgraph as tf
from _common import steps

digits = load_digits()
images = (digits.images / 16.0).astype(np.float32)[..., None]  # NHWC: [n, 8, 8, 1]
x_train, x_test, y_train, y_test = train_test_split(images, digits.target.astype(np.int64), test_size=0.25,
                                                    random_state=0)
EPOCHS, BATCH = steps(15, 3), 64

# %%
tf.set_random_seed(1)
x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
labels = tf.placeholder(tf.int64, [None], name="labels")
training = tf.placeholder_with_default(False, [], name="training")

net = tf.layers.conv2d(x, 32, 3, padding="same", activation=tf.nn.relu)
net = tf.layers.batch_normalization(net, training=training)
net = tf.layers.max_pooling2d(net, 2, 2)                       # [n, 4, 4, 32]
net = tf.layers.conv2d(net, 64, 3, padding="same", activation=tf.nn.relu)
net = tf.layers.max_pooling2d(net, 2, 2)                       # [n, 2, 2, 64]
net = tf.layers.flatten(net)
net = tf.layers.dropout(net, rate=0.3, training=training)
logits = tf.layers.dense(net, 10)
print("logits:", logits)

loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    train_op = tf.train.AdamOptimizer(0.003).minimize(loss)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), labels), tf.float32))

# %%
rng = np.random.default_rng(0)
start = time.perf_counter()
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for epoch in range(EPOCHS):
        order = rng.permutation(len(x_train))
        for i in range(0, len(order), BATCH):
            batch = order[i:i + BATCH]
            sess.run(train_op, {x: x_train[batch], labels: y_train[batch], training: True})
        print("epoch %2d  held-out accuracy %.4f" % (epoch, sess.run(accuracy, {x: x_test, labels: y_test})))
    test_accuracy = sess.run(accuracy, {x: x_test, labels: y_test})
print("held-out accuracy: %.4f (%.1f s)" % (test_accuracy, time.perf_counter() - start))
