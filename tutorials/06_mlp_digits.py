# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 6. An MLP on handwritten digits
#
# scikit-learn ships 1,797 8x8 images of digits. We train a two-layer perceptron with `tf.layers.dense`,
# `tf.losses`, and the Adam optimizer in a Session, measure held-out accuracy, save the weights with `Saver`,
# restore them into a fresh graph, and render the training graph to a PNG.

# %%
import os
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import flowgraph as tf
from _common import out_path, steps

digits = load_digits()
images = (digits.data / 16.0).astype(np.float32)
x_train, x_test, y_train, y_test = train_test_split(images, digits.target.astype(np.int64), test_size=0.25,
                                                    random_state=0)
print("train", x_train.shape, "test", x_test.shape)
EPOCHS, BATCH = steps(30, 4), 64

# %% [markdown]
# ## The model
# `tf.layers.dense` creates its variables under a variable scope (`dense/kernel`, `dense/bias`, then
# `dense_1/...`); `sparse_softmax_cross_entropy` takes integer labels.

# %%
tf.set_random_seed(0)
x = tf.placeholder(tf.float32, [None, 64], name="images")
labels = tf.placeholder(tf.int64, [None], name="labels")
hidden = tf.layers.dense(x, 128, activation=tf.nn.relu)
logits = tf.layers.dense(hidden, 10)
loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
train_op = tf.train.AdamOptimizer(0.003).minimize(loss)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, axis=1), labels), tf.float32))
print([v.name for v in tf.trainable_variables()])

# %% [markdown]
# ## Training
# One `sess.run(train_op, feed_dict)` per mini-batch: the gradients and the Adam updates run inside the graph.

# %%
saver = tf.train.Saver()
checkpoint_dir = out_path("06_checkpoints")
os.makedirs(checkpoint_dir, exist_ok=True)  # as in TF, Saver.save does not create directories
rng = np.random.default_rng(0)
start = time.perf_counter()
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for epoch in range(EPOCHS):
        order = rng.permutation(len(x_train))
        for i in range(0, len(order), BATCH):
            batch = order[i:i + BATCH]
            sess.run(train_op, {x: x_train[batch], labels: y_train[batch]})
        if epoch % max(1, EPOCHS // 5) == 0 or epoch == EPOCHS - 1:
            train_loss = sess.run(loss, {x: x_train, labels: y_train})
            print("epoch %2d  loss %.4f" % (epoch, train_loss))
    test_accuracy = sess.run(accuracy, {x: x_test, labels: y_test})
    predictions = sess.run(logits, {x: x_test})
    prefix = saver.save(sess, os.path.join(checkpoint_dir, "mlp"), global_step=EPOCHS)
print("held-out accuracy: %.4f (%.1f s)" % (test_accuracy, time.perf_counter() - start))
print("saved", prefix)

# %% [markdown]
# ## Restoring into a fresh graph
# The checkpoint holds values by variable name (numpy `.npz` plus a JSON index: no pickle). Rebuilding the same
# model in a new graph and restoring gives identical predictions.

# %%
with tf.Graph().as_default():
    x2 = tf.placeholder(tf.float32, [None, 64])
    logits2 = tf.layers.dense(tf.layers.dense(x2, 128, activation=tf.nn.relu), 10)
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, tf.train.latest_checkpoint(checkpoint_dir))
        restored = sess.run(logits2, {x2: x_test})
print("restored predictions identical:", bool(np.array_equal(restored, predictions)))

# %% [markdown]
# ## Seeing the graph
# The training graph, with the gradient, optimizer and saver scopes collapsed to one node each.

# %%
from flowgraph import viz  # noqa: E402

png = viz.render(tf.get_default_graph(), out_path("06_mlp_graph"), format="png", collapse=["gradients", "Adam", "save"])
print("wrote", png)
