"""Graph construction cost: build a 50-layer MLP's forward graph, then its gradients, with flowgraph and (when
importable) TensorFlow's tf.compat.v1 graph mode, and print the times side by side.

    python benchmarks/graph_build.py [--layers 50] [--width 64] [--repeat 5]
"""
import argparse
import os
import time

import numpy as np

from _rows import report


def build(tf, layers, width):
    """(seconds for the forward graph, seconds for its gradients, op count) in a fresh graph."""
    graph = tf.Graph()
    with graph.as_default():
        rng = np.random.default_rng(0)
        x = tf.placeholder(tf.float32, [None, width], name="x")
        labels = tf.placeholder(tf.float32, [None, width], name="labels")
        start = time.perf_counter()
        weights = []
        h = x
        for i in range(layers):
            with tf.name_scope("layer_%d" % i):
                w = tf.Variable(rng.standard_normal((width, width)).astype(np.float32) * 0.1, name="w")
                b = tf.Variable(np.zeros(width, np.float32), name="b")
                h = tf.tanh(tf.matmul(h, w) + b)
                weights += [w, b]
        loss = tf.reduce_mean(tf.square(h - labels))
        forward = time.perf_counter() - start
        start = time.perf_counter()
        tf.gradients(loss, weights)
        backward = time.perf_counter() - start
        return forward, backward, len(graph.get_operations())


def best_of(tf, layers, width, repeat):
    runs = [build(tf, layers, width) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2]


def _tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import tensorflow.compat.v1 as tf1
    except ImportError:
        return None
    tf1.disable_eager_execution()
    return tf1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=50)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import flowgraph
    frameworks = [("flowgraph", flowgraph)]
    tf1 = _tensorflow()
    if tf1 is not None:
        frameworks.append(("tensorflow (compat.v1)", tf1))
    print("%d-layer MLP, width %d, best of %d" % (args.layers, args.width, args.repeat))
    print("%-24s %12s %12s %8s" % ("framework", "forward ms", "gradients ms", "ops"))
    results = []
    for name, module in frameworks:
        forward, backward, ops = best_of(module, args.layers, args.width, args.repeat)
        results.append((forward * 1e3, backward * 1e3))
        print("%-24s %12.1f %12.1f %8d" % (name, forward * 1e3, backward * 1e3, ops))
    if tf1 is None:
        print("(tensorflow is not importable: flowgraph only)")
    theirs = results[1] if len(results) > 1 else (None, None)
    what = "%d-layer MLP" % args.layers
    report("graph_build", what + " forward graph", "ms", results[0][0], theirs[0])
    report("graph_build", what + " gradients", "ms", results[0][1], theirs[1])


if __name__ == "__main__":
    main()
