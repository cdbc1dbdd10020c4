"""Eager-mode costs, flowgraph beside TensorFlow 2 (when importable), in one process on one machine:

- microseconds per eager `tf.add` of two [2] float32 tensors (the per-op dispatch overhead);
- training steps per second of a digits MLP (scikit-learn's digits, 64-256-10, batch 128, plain SGD through
  GradientTape and assign_sub): run eagerly, and the same step under `tf.function`;
- the eager add and the eager MLP step again under `device("/opencl:0")` (when an OpenCL device exists), beside
  the numpy figures.

One BLAS thread unless OPENBLAS_NUM_THREADS says otherwise: at these matrix sizes more threads only add
contention (on a busy 2-core machine they made numpy's matmul a hundred times slower); TensorFlow keeps its own
thread pool.
Run: python benchmarks/eager.py [--seconds S]
"""
import argparse
import contextlib
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# benchmarks/opencl.py shares its name with the `opencl` package: search this folder last.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE] + [HERE]

import numpy as np  # noqa: E402 - after the BLAS setting
from _rows import report  # noqa: E402


def best_rate(run, seconds):
    """Calls per second of `run`, best of 3 timed windows after a warm-up."""
    for _ in range(20):
        run()
    best = 0.0
    for _ in range(3):
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            for _ in range(10):
                run()
            calls += 10
        best = max(best, calls / (time.perf_counter() - start))
    return best


def digits_batches(batch=128):
    from sklearn.datasets import load_digits
    digits = load_digits()
    x, y = (digits.data / 16.0).astype(np.float32), digits.target.astype(np.int32)
    order = np.random.default_rng(0).permutation(len(x))
    return [(x[order[i:i + batch]], y[order[i:i + batch]]) for i in range(0, len(x) - batch + 1, batch)]


def mlp_step(tf, sizes=(64, 256, 10), lr=0.1):
    """The training step of the MLP, written once in TF2's API (flowgraph.v2 or tensorflow)."""
    rng = np.random.default_rng(1)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (n_in + n_out))
        params.append(tf.Variable(rng.uniform(-limit, limit, [n_in, n_out]).astype(np.float32)))
        params.append(tf.Variable(np.zeros(n_out, np.float32)))

    def step(x, y):
        with tf.GradientTape() as tape:
            h = x
            for i in range(0, len(params), 2):
                h = tf.matmul(h, params[i]) + params[i + 1]
                if i < len(params) - 2:
                    h = tf.nn.relu(h)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
        for p, g in zip(params, tape.gradient(loss, params)):
            p.assign_sub(lr * g)
        return loss
    return step


def measure(tf, seconds, device=None, traced_too=True):
    """(add us, eager steps/s, function steps/s or None), with tensors and variables made under `device`."""
    with tf.device(device) if device else contextlib.nullcontext():
        a, b = tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])
        add_us = 1e6 / best_rate(lambda: tf.add(a, b), seconds)
        batches = [(tf.constant(x), tf.constant(y)) for x, y in digits_batches()]
        rates = []
        for traced in (False, True) if traced_too else (False,):
            step = mlp_step(tf)
            if traced:
                step = tf.function(step)
            it = iter(range(1 << 62))
            rates.append(best_rate(lambda: step(*batches[next(it) % len(batches)]), seconds))
    return add_us, rates[0], rates[1] if traced_too else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per measurement")
    args = parser.parse_args()
    import flowgraph.v2 as flowgraph_v2
    from opencl import runtime
    rows = [("flowgraph",) + measure(flowgraph_v2, args.seconds)]
    # OpenCL before TensorFlow is imported: PoCL crashes in a process that loaded TensorFlow's LLVM
    opencl_row = measure(flowgraph_v2, args.seconds, "/opencl:0", traced_too=False) if runtime.available() else None
    try:
        import tensorflow as real_tf
    except ImportError:
        real_tf = None
    if real_tf is not None:
        rows.append(("tensorflow %s" % real_tf.__version__,) + measure(real_tf, args.seconds))
    print("%-20s %12s %18s %20s %10s" % ("framework", "add (us)", "eager step (/s)", "function step (/s)", "ratio"))
    for name, add_us, eager_rate, function_rate in rows:
        print("%-20s %12.1f %18.1f %20.1f %10.2f" % (name, add_us, eager_rate, function_rate,
                                                     function_rate / eager_rate))
    if opencl_row is not None:
        print("%-20s %12.1f %18.1f" % ("flowgraph on OpenCL", opencl_row[0], opencl_row[1]))
    theirs = rows[1][1:] if len(rows) > 1 else (None, None, None)
    for i, (measure_name, unit) in enumerate([("eager add of two small tensors", "us"),
                                              ("digits MLP step, eager with a tape", "steps/s"),
                                              ("digits MLP step under function", "steps/s")]):
        report("eager", measure_name, unit, rows[0][1 + i], theirs[i])
    if opencl_row is not None:
        report("eager", "eager add of two small tensors on OpenCL", "us", opencl_row[0], None, rows[0][1],
               "flowgraph numpy")
        report("eager", "digits MLP step, eager with a tape, on OpenCL", "steps/s", opencl_row[1], None, rows[0][2],
               "flowgraph numpy")


if __name__ == "__main__":
    main()
