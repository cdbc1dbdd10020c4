# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 1. Tensors, graphs and sessions
#
# In flowgraph (as in TensorFlow 1) a program has two phases. First you *define* a graph: every call such as
# `tf.constant` or `a + b` adds an operation to the default graph and returns a symbolic `Tensor`, a handle to
# a value that does not exist yet. Then you *run* parts of the graph in a `Session`, which computes only what
# you ask for.

# %%
import flowgraph as tf

a = tf.constant(3.0, name="a")
b = tf.constant(4.0, name="b")
c = a * b + 1.0
print(c)  # a symbolic tensor: a name, a static shape and a dtype, but no value

# %% [markdown]
# Nothing has been computed. The graph now holds the ops `a`, `b`, `mul`, `add/y` (the Python `1.0`, turned
# into a constant named after the op that uses it) and `add`:

# %%
print([op.name for op in tf.get_default_graph().get_operations()])

# %% [markdown]
# ## Running
# `Session.run(fetches)` executes just the ops the fetches need and returns numpy values.

# %%
with tf.Session() as sess:
    print("c =", sess.run(c))

# %% [markdown]
# ## Fetch structures
# Fetches can be any nesting of lists, tuples, dicts and namedtuples of tensors, ops or names; the result has
# the same structure. An op (such as one made by `tf.group`) fetches as `None`.

# %%
with tf.Session() as sess:
    result = sess.run({"product": a * b, "pair": (a, b), "by_name": "add:0"})
    print(result)

# %% [markdown]
# ## Why nothing runs at definition
# Because the whole computation is known before it runs, the framework can prune what is not needed, plan
# the order and memory once and reuse the plan on every `run`, differentiate the graph symbolically, and run
# it on another device. The price: you cannot print a value while building; you fetch it.

# %%
expensive = tf.reduce_sum(tf.ones([1000, 1000]))
cheap = a + b
with tf.Session() as sess:
    print("only what is needed runs:", sess.run(cheap))
    print("shapes are known statically:", expensive.shape, tf.ones([2, 3]).shape)
