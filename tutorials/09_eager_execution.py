# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 9. Eager execution: GradientTape and function
#
# `import flowgraph.v2 as tf` switches to eager execution, the TF2 default: ops run the moment they are called
# and return values. The same op declarations serve both worlds: in eager mode a `GradientTape` records the ops
# and replays their gradient rules; `tf.function` traces Python back into a graph for speed.

# %%
import time

import numpy as np

import flowgraph.v2 as tf
from _common import steps

a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
print(a @ a)
print("as numpy:", (a * 2).numpy().tolist())

# %% [markdown]
# ## GradientTape: watch, persistent, nested
# A falling object: height `4.9 t^2`. The speed is the first derivative, the acceleration the second:
# nested tapes give higher orders.

# %%
t = tf.constant(3.0)
with tf.GradientTape() as outer:
    outer.watch(t)
    with tf.GradientTape() as inner:
        inner.watch(t)
        height = 4.9 * t ** 2
    speed = inner.gradient(height, t)
acceleration = outer.gradient(speed, t)
print("height %.1f, speed %.1f, acceleration %.1f" % (float(height), float(speed), float(acceleration)))

x = tf.constant([1.0, 2.0, 3.0])
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    squares = x * x
    cubes = squares * x
print("d(x^2)/dx =", tape.gradient(squares, x).numpy(), " d(x^3)/dx =", tape.gradient(cubes, x).numpy())
del tape

# %% [markdown]
# ## Variables are watched automatically

# %%
W = tf.Variable(tf.random.normal([3, 2], seed=0))
b = tf.Variable(tf.zeros([2]))
inputs = tf.constant([[1.0, 2.0, 3.0]])
with tf.GradientTape() as tape:
    y = inputs @ W + b
    loss = tf.reduce_sum(y ** 2)
grad_W, grad_b = tape.gradient(loss, [W, b])
print("dloss/dW shape", grad_W.shape, " dloss/db", grad_b.numpy())

# %% [markdown]
# ## `tf.function`: trace once, run as a graph
# The decorated step is traced into a graph on its first call (per input signature) and then runs through the
# session executor: one planned graph instead of many Python-dispatched ops.

# %%
rng = np.random.default_rng(0)
data = tf.constant(rng.random((128, 64)).astype(np.float32))
targets = tf.constant(rng.integers(0, 10, 128))
W1 = tf.Variable(tf.random.normal([64, 128], stddev=0.1, seed=1))
W2 = tf.Variable(tf.random.normal([128, 10], stddev=0.1, seed=2))


def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = tf.nn.relu(x @ W1) @ W2
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    g1, g2 = tape.gradient(loss, [W1, W2])
    W1.assign_sub(0.1 * g1)
    W2.assign_sub(0.1 * g2)
    return loss


fast_step = tf.function(train_step)
N = steps(200, 20)
for name, step in (("eager", train_step), ("function", fast_step)):
    step(data, targets)
    start = time.perf_counter()
    for _ in range(N):
        loss = step(data, targets)
    print("%-8s %7.0f steps/s  (loss %.4f)" % (name, N / (time.perf_counter() - start), float(loss)))
print("traced", fast_step.experimental_get_tracing_count(), "time(s)")
tf.compat.v1.disable_eager_execution()
