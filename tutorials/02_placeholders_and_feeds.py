# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 2. Placeholders and `feed_dict`
#
# A placeholder is a promise: a value that will be *fed* when the graph runs. Its shape may leave dimensions
# open with `None`, typically the batch size.

# %%
import numpy as np

import flowgraph as tf

x = tf.placeholder(tf.float32, shape=[None, 3], name="x")
scale = tf.placeholder_with_default(2.0, shape=[], name="scale")
y = tf.reduce_sum(x * scale, axis=1)
print(x, y, sep="\n")

# %%
with tf.Session() as sess:
    print(sess.run(y, feed_dict={x: [[1, 2, 3], [4, 5, 6]]}))
    print(sess.run(y, feed_dict={x: np.ones((4, 3)), scale: 10.0}))

# %% [markdown]
# ## Partial execution
# Only placeholders that the fetched tensors depend on must be fed. You may also feed *any* tensor, which
# replaces its computed value for that run.

# %%
unused = tf.placeholder(tf.float32, name="unused")
total = tf.reduce_sum(y)
with tf.Session() as sess:
    print("no need to feed 'unused':", sess.run(total, {x: [[1, 1, 1]]}))
    print("feeding y directly:", sess.run(total, {y: [10.0, 20.0]}))

# %% [markdown]
# ## The errors you get, and why
# Mistakes are caught before anything runs, with the placeholder named and expected vs got:

# %%
with tf.Session() as sess:
    for feed in ({}, {x: [[1, 2]]}, {x: [["a", "b", "c"]]}):
        try:
            sess.run(y, feed)
        except (ValueError, tf.errors.InvalidArgumentError) as error:
            print(type(error).__name__ + ":", str(error).splitlines()[0])
