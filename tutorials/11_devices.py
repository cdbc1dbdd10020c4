# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 11. Devices: numpy and OpenCL
#
# A Session runs its graph on one backend: numpy (always there) or an OpenCL device (a GPU, or the CPU through
# PoCL). Variables then live on the device between runs; only feeds go in and fetched values come out.
# Ops that have no OpenCL kernel fall back to numpy explicitly, and `placement_report()` lists them.

# %%
import time

import numpy as np

import flowgraph as tf
from _common import steps

for device in tf.devices():
    print(device)

# %%
rng = np.random.default_rng(0)
inputs = rng.random((256, 784)).astype(np.float32)
labels = rng.integers(0, 10, 256)

x = tf.placeholder(tf.float32, [None, 784])
y = tf.placeholder(tf.int64, [None])
hidden = tf.layers.dense(x, 512, activation=tf.nn.relu)
logits = tf.layers.dense(hidden, 10)
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
init = tf.global_variables_initializer()

opencl_available = any(d["kind"] == "opencl" for d in tf.devices())
STEPS = steps(50, 5)
with tf.Session() as sess:  # one set of initial values, loaded into every device's session
    sess.run(init)
    initial_values = sess.run(tf.global_variables())

for device in ["numpy"] + (["opencl"] if opencl_available else []):
    with tf.Session(device=device) as sess:
        sess.run(init)
        for variable, value in zip(tf.global_variables(), initial_values):
            variable.load(value, sess)
        sess.run(train_op, {x: inputs, y: labels})  # builds the plan (and compiles kernels on OpenCL)
        start = time.perf_counter()
        for _ in range(STEPS):
            loss_value, _ = sess.run([loss, train_op], {x: inputs, y: labels})
        rate = STEPS / (time.perf_counter() - start)
        print("%-7s %6.1f steps/s  loss %.5f" % (device, rate, loss_value))
        if device == "opencl":
            print("ops that ran on the host:", sess.placement_report() or "none")
if not opencl_available:
    print("no OpenCL device here: install PoCL (Debian's pocl-opencl-icd) and pyopencl to compare")
