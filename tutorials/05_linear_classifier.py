# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 5. A linear classifier, in a graph and eagerly
#
# Two Gaussian blobs, 2,000 points; a linear model `x @ W + b` trained with a squared loss on labels 0 and 1.
# First as a TF1 graph run by a Session, then eagerly with `GradientTape` (the TF2 way), with the same numbers.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import flowgraph as tf  # noqa: E402
from _common import out_path, steps  # noqa: E402

rng = np.random.default_rng(42)
negatives = rng.multivariate_normal([0, 3], [[1, 0.5], [0.5, 1]], size=1000)
positives = rng.multivariate_normal([3, 0], [[1, 0.5], [0.5, 1]], size=1000)
inputs = np.vstack([negatives, positives]).astype(np.float32)
labels = np.vstack([np.zeros((1000, 1)), np.ones((1000, 1))]).astype(np.float32)
STEPS, LEARNING_RATE = steps(40, 10), 0.1

# %% [markdown]
# ## Graph mode

# %%
x = tf.placeholder(tf.float32, [None, 2], name="x")
y = tf.placeholder(tf.float32, [None, 1], name="y")
W = tf.Variable(tf.random_uniform([2, 1], seed=7), name="W")
b = tf.Variable(tf.zeros([1]), name="b")
predictions = tf.matmul(x, W) + b
loss = tf.reduce_mean(tf.square(y - predictions))
train_op = tf.train.GradientDescentOptimizer(LEARNING_RATE).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    initial_W, initial_b = sess.run([W, b])
    graph_losses = []
    for step in range(STEPS):
        loss_value, _ = sess.run([loss, train_op], {x: inputs, y: labels})
        graph_losses.append(loss_value)
    W_value, b_value = sess.run([W, b])
print("graph mode: loss %.4f -> %.4f" % (graph_losses[0], graph_losses[-1]))

# %% [markdown]
# ## Eager mode with `GradientTape`
# The same model, the same initial values. Each op runs as soon as it is called; the tape records them so that
# `tape.gradient` can replay their gradient rules backwards.

# %%
import flowgraph.v2 as tf2  # noqa: E402

W_eager = tf2.Variable(initial_W)
b_eager = tf2.Variable(initial_b)


def training_step(x_batch, y_batch):
    with tf2.GradientTape() as tape:
        loss_value = tf2.reduce_mean(tf2.square(y_batch - (tf2.matmul(x_batch, W_eager) + b_eager)))
    grad_W, grad_b = tape.gradient(loss_value, [W_eager, b_eager])
    W_eager.assign_sub(LEARNING_RATE * grad_W)
    b_eager.assign_sub(LEARNING_RATE * grad_b)
    return loss_value


x_eager, y_eager = tf2.constant(inputs), tf2.constant(labels)
eager_losses = [float(training_step(x_eager, y_eager)) for _ in range(STEPS)]
print("eager mode: loss %.4f -> %.4f" % (eager_losses[0], eager_losses[-1]))
print("largest difference between the two runs' losses: %.2e" % np.max(np.abs(np.subtract(graph_losses,
                                                                                            eager_losses))))
tf2.compat.v1.disable_eager_execution()

# %% [markdown]
# ## The decision boundary
# The model predicts 1 where `x @ W + b > 0.5`: a line.

# %%
accuracy = np.mean(((inputs @ W_value + b_value) > 0.5) == (labels > 0.5))
print("training accuracy: %.3f" % accuracy)
xs = np.linspace(inputs[:, 0].min(), inputs[:, 0].max(), 100)
boundary = (0.5 - b_value[0] - W_value[0, 0] * xs) / W_value[1, 0]
plt.figure(figsize=(5, 5))
plt.scatter(inputs[:, 0], inputs[:, 1], c=labels[:, 0], s=4, cmap="coolwarm")
plt.plot(xs, boundary, "k-")
plt.ylim(inputs[:, 1].min(), inputs[:, 1].max())
plt.title("two blobs and the learned boundary")
plt.savefig(out_path("05_linear_classifier.png"), dpi=80)
print("wrote", out_path("05_linear_classifier.png"))
