"""Per-call cost of Session.run on a tiny graph (x [1,3] placeholder, W [3,1] variable, y = x @ W).

Prints microseconds per call for flowgraph, and for TensorFlow 1 (tf.compat.v1 graph mode) when importable.
Run: python benchmarks/session_overhead.py [--calls N]
"""
import argparse
import time

import numpy as np

from _rows import report


def per_call_us(run, calls):
    for _ in range(min(1000, calls)):
        run()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def tiny_graph(tf):
    x = tf.placeholder(tf.float32, [1, 3], name="x")
    W = tf.Variable(tf.ones([3, 1]), name="W")
    y = tf.matmul(x, W)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    return sess, x, y


def measure(tf, calls):
    with tf.Graph().as_default():
        sess, x, y = tiny_graph(tf)
        feed = np.ones((1, 3), np.float32)
        run = per_call_us(lambda: sess.run(y, {x: feed}), calls)
        fn = sess.make_callable(y, [x])
        callable_us = per_call_us(lambda: fn(feed), calls)
        sess.close()
    return run, callable_us


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    import flowgraph
    rows = [("flowgraph",) + measure(flowgraph, args.calls)]
    try:
        import tensorflow as real_tf
    except ImportError:
        real_tf = None
    if real_tf is not None:
        v1 = real_tf.compat.v1
        v1.disable_eager_execution()
        rows.append(("tensorflow %s" % real_tf.__version__,) + measure(v1, args.calls))
    print("%-22s %14s %18s" % ("framework", "sess.run (us)", "make_callable (us)"))
    for name, run, fn in rows:
        print("%-22s %14.1f %18.1f" % (name, run, fn))
    if len(rows) == 2:
        print("flowgraph / tensorflow per sess.run: %.3f (target <= 0.2)" % (rows[0][1] / rows[1][1]))
    tf_rows = rows[1] if len(rows) == 2 else (None, None, None)
    report("session_overhead", "sess.run(y, {x}) per call", "us", rows[0][1], tf_rows[1])
    report("session_overhead", "make_callable per call", "us", rows[0][2], tf_rows[2])


if __name__ == "__main__":
    main()
