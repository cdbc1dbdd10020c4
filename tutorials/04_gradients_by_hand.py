# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 4. Gradients by hand, then by the optimizer
#
# `tf.gradients(loss, xs)` does not compute anything: it *adds ops to the graph* that compute the derivatives.
# We train the same two-layer network three ways, on a small regression problem, and compare.

# %%
import time

import numpy as np

import flowgraph as tf
from _common import steps

rng = np.random.default_rng(0)
inputs = rng.standard_normal((256, 4)).astype(np.float32)
targets = np.sin(inputs.sum(axis=1, keepdims=True)).astype(np.float32)
w1_init = (rng.standard_normal((4, 16)) * 0.5).astype(np.float32)
w2_init = (rng.standard_normal((16, 1)) * 0.5).astype(np.float32)
STEPS, LEARNING_RATE = steps(300, 30), 0.05

# %% [markdown]
# ## 1. Weights as placeholders, a manual update loop in numpy
# The weights are fed in, the gradients fetched out, and numpy applies the update.

# %%
x = tf.placeholder(tf.float32, [None, 4], name="x")
y = tf.placeholder(tf.float32, [None, 1], name="y")
w1 = tf.placeholder(tf.float32, [4, 16], name="w1")
w2 = tf.placeholder(tf.float32, [16, 1], name="w2")
hidden = tf.tanh(tf.matmul(x, w1))
loss = tf.reduce_mean(tf.square(tf.matmul(hidden, w2) - y))
grad_w1, grad_w2 = tf.gradients(loss, [w1, w2])
print("gradient ops live in the graph:", grad_w1.name, grad_w2.name)

w1_value, w2_value = w1_init.copy(), w2_init.copy()
start = time.perf_counter()
with tf.Session() as sess:
    for step in range(STEPS):
        loss_value, g1, g2 = sess.run([loss, grad_w1, grad_w2], {x: inputs, y: targets, w1: w1_value, w2: w2_value})
        w1_value -= LEARNING_RATE * g1
        w2_value -= LEARNING_RATE * g2
        if step % (STEPS // 5) == 0:
            print("step %4d  loss %.5f" % (step, loss_value))
manual_time = time.perf_counter() - start
print("final loss (manual numpy updates): %.5f" % loss_value)

# %% [markdown]
# ## 2. Weights as Variables, updates with `assign_sub`
# Now the weights stay in the session and the update is part of the graph: nothing moves in and out of the
# graph but the data and the loss. (Moving weights through `feed_dict` costs a copy each way on every step,
# which on a device such as a GPU means a trip over the bus.)

# %%
tf.reset_default_graph()
x = tf.placeholder(tf.float32, [None, 4], name="x")
y = tf.placeholder(tf.float32, [None, 1], name="y")
w1 = tf.Variable(w1_init, name="w1")
w2 = tf.Variable(w2_init, name="w2")
loss = tf.reduce_mean(tf.square(tf.matmul(tf.tanh(tf.matmul(x, w1)), w2) - y))
grad_w1, grad_w2 = tf.gradients(loss, [w1, w2])
update = tf.group(w1.assign_sub(LEARNING_RATE * grad_w1), w2.assign_sub(LEARNING_RATE * grad_w2))

start = time.perf_counter()
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(STEPS):
        loss_value, _ = sess.run([loss, update], {x: inputs, y: targets})
variable_time = time.perf_counter() - start
print("final loss (assign_sub in the graph): %.5f" % loss_value)

# %% [markdown]
# ## 3. `optimizer.minimize`
# An optimizer builds the gradient ops and the update ops for every trainable variable in one call.

# %%
tf.reset_default_graph()
x = tf.placeholder(tf.float32, [None, 4], name="x")
y = tf.placeholder(tf.float32, [None, 1], name="y")
w1 = tf.Variable(w1_init, name="w1")
w2 = tf.Variable(w2_init, name="w2")
loss = tf.reduce_mean(tf.square(tf.matmul(tf.tanh(tf.matmul(x, w1)), w2) - y))
train_op = tf.train.GradientDescentOptimizer(LEARNING_RATE).minimize(loss)

start = time.perf_counter()
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(STEPS):
        loss_value, _ = sess.run([loss, train_op], {x: inputs, y: targets})
optimizer_time = time.perf_counter() - start
print("final loss (GradientDescentOptimizer): %.5f" % loss_value)
print("seconds: manual %.2f, assign_sub %.2f, optimizer %.2f" % (manual_time, variable_time, optimizer_time))
