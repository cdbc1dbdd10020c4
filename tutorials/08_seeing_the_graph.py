# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 8. Seeing the graph
#
# A define-and-run graph is a data structure you can look at. `flowgraph.viz` draws it with graphviz: name
# scopes become nested boxes, edges carry shapes and dtypes, placeholders, variables and constants have their
# own styles. Large scopes (gradients, the optimizer) can be collapsed to a single node.

# %%
import json
import os

import numpy as np

import flowgraph as tf
from flowgraph import viz
from _common import out_path

x = tf.placeholder(tf.float32, [None, 64], name="images")
labels = tf.placeholder(tf.int64, [None], name="labels")
with tf.name_scope("model"):
    hidden = tf.layers.dense(x, 32, activation=tf.nn.relu)
    logits = tf.layers.dense(hidden, 10)
with tf.name_scope("loss"):
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
train_op = tf.train.AdamOptimizer(0.01).minimize(loss)

# %% [markdown]
# ## The whole training graph, and a collapsed view

# %%
full = viz.render(tf.get_default_graph(), out_path("08_full_graph"), format="png")
collapsed = viz.render(tf.get_default_graph(), out_path("08_collapsed_graph"), format="png",
                       collapse=["gradients", "Adam"])
forward_only = viz.render(logits, out_path("08_forward_only"), format="svg")
print("wrote", full, collapsed, forward_only, sep="\n  ")

# %% [markdown]
# ## Export and import
# `as_graph_def()` is a versioned JSON document: ops, attrs, inputs and constants' values, never code. Importing
# it rebuilds the graph through the normal op constructors, so shapes are checked again.

# %%
graph_def = tf.get_default_graph().as_graph_def()
path = tf.train.write_graph(graph_def, out_path("08_export"), "mlp.json")
print("exported %d ops to %s" % (len(graph_def.node), path))
with tf.Graph().as_default():
    with open(path) as f:
        logits_copy, = tf.import_graph_def(json.load(f), return_elements=[logits.name], name="copy")
    print("imported:", logits_copy)

# %% [markdown]
# ## TensorBoard
# Summaries are ops too; a `FileWriter` writes event files that TensorBoard reads, with the graph.

# %%
tf.summary.scalar("loss", loss)
merged = tf.summary.merge_all()
logdir = out_path("08_logs")
rng = np.random.default_rng(0)
with tf.Session() as sess:
    writer = tf.summary.FileWriter(logdir, sess.graph)
    sess.run(tf.global_variables_initializer())
    for step in range(20):
        batch = rng.random((32, 64)).astype(np.float32)
        summary, _ = sess.run([merged, train_op], {x: batch, labels: rng.integers(0, 10, 32)})
        writer.add_summary(summary, step)
    writer.close()
print("event files:", sorted(os.listdir(logdir)))
print("view them with: tensorboard --logdir", logdir)
