"""Graphs that several test files draw, export and log: a small MLP with its training step."""
import numpy as np

import flowgraph as tf


def mlp_training_graph(optimizer):
    """x [?,4] -> hidden (relu, 5 units) -> output/logits [?,2]; mean squared error 'loss' minimized by
    `optimizer`. Returns (x, labels, logits, loss, train_op); the variables start from a fixed seed."""
    rng = np.random.RandomState(0)
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    labels = tf.placeholder(tf.float32, [None, 2], name="labels")
    with tf.name_scope("hidden"):
        w1 = tf.Variable(rng.randn(4, 5).astype(np.float32), name="weights")
        b1 = tf.Variable(np.zeros(5, np.float32), name="biases")
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
    with tf.name_scope("output"):
        w2 = tf.Variable(rng.randn(5, 2).astype(np.float32), name="weights")
        logits = tf.matmul(h, w2, name="logits")
    loss = tf.reduce_mean(tf.square(logits - labels), name="loss")
    return x, labels, logits, loss, optimizer.minimize(loss)
