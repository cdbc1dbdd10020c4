"""Training steps per second of two MLPs: flowgraph beside TensorFlow 1 (compat.v1 graph mode, when importable)
and beside a hand-written numpy implementation of the same step (forward, backward, update, float32).

(a) 64-256-10 on scikit-learn's digits, batch 128, plain SGD;
(b) 784-1024-1024-10 on random data, batch 256, Adam.
Run: python benchmarks/mlp_step.py [--seconds S] [--threads N]
(--threads caps BLAS threads for flowgraph and numpy, through threadpoolctl, and TensorFlow's thread pools.)
"""
import contextlib
import argparse
import time

import numpy as np

from _rows import report

CONFIGS = {
    "a": {"sizes": [64, 256, 10], "batch": 128, "optimizer": "sgd", "lr": 0.1},
    "b": {"sizes": [784, 1024, 1024, 10], "batch": 256, "optimizer": "adam", "lr": 0.001},
}


def dataset(config, rng):
    """Batches of (features float32, labels int32): digits for (a), random for (b)."""
    sizes, batch = config["sizes"], config["batch"]
    if sizes[0] == 64:
        from sklearn.datasets import load_digits
        digits = load_digits()
        x, y = (digits.data / 16.0).astype(np.float32), digits.target.astype(np.int32)
    else:
        x = rng.standard_normal([batch * 8, sizes[0]]).astype(np.float32)
        y = rng.integers(0, sizes[-1], batch * 8).astype(np.int32)
    order = rng.permutation(len(x))
    return [(x[order[i:i + batch]], y[order[i:i + batch]]) for i in range(0, len(x) - batch + 1, batch)]


def initial_weights(sizes, rng):
    """Glorot-uniform kernels and zero biases, shared by every implementation."""
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (n_in + n_out))
        weights.append((rng.uniform(-limit, limit, [n_in, n_out]).astype(np.float32), np.zeros(n_out, np.float32)))
    return weights


def graph_step(tf, config, weights, threads):
    """A `step(x, y)` running one training step of the MLP in TF1's API (flowgraph or TensorFlow)."""
    x = tf.placeholder(tf.float32, [None, config["sizes"][0]], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    h = x
    for i, (w0, b0) in enumerate(weights):
        h = tf.matmul(h, tf.Variable(w0, name="w%d" % i)) + tf.Variable(b0, name="b%d" % i)
        if i < len(weights) - 1:
            h = tf.nn.relu(h)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
    if config["optimizer"] == "sgd":
        optimizer = tf.train.GradientDescentOptimizer(config["lr"])
    else:
        optimizer = tf.train.AdamOptimizer(config["lr"])
    train = optimizer.minimize(loss)
    session_config = None
    if threads is not None:
        session_config = tf.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)
    sess = tf.Session(config=session_config)
    sess.run(tf.global_variables_initializer())
    return lambda xb, yb: sess.run(train, {x: xb, y: yb})


class NumpyMLP:
    """The same step written directly in numpy: in-place parameter updates, nothing else."""

    def __init__(self, config, weights):
        self.params = [p.copy() for pair in weights for p in pair]
        self.lr = config["lr"]
        self.adam = config["optimizer"] == "adam"
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, x, y):
        params = self.params
        layers = len(params) // 2
        activations = [x]
        h = x
        for i in range(layers):
            h = h @ params[2 * i] + params[2 * i + 1]
            if i < layers - 1:
                np.maximum(h, 0, out=h)
            activations.append(h)
        logits = activations[-1]
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        exp /= exp.sum(axis=1, keepdims=True)
        exp[np.arange(len(y)), y] -= 1
        delta = exp / len(y)
        grads = [None] * len(params)
        for i in reversed(range(layers)):
            grads[2 * i] = activations[i].T @ delta
            grads[2 * i + 1] = delta.sum(axis=0)
            if i:
                delta = delta @ params[2 * i].T
                delta *= activations[i] > 0
        self.update(grads)

    def update(self, grads):
        if not self.adam:
            for p, g in zip(self.params, grads):
                g *= self.lr
                p -= g
            return
        self.t += 1
        lr_t = self.lr * np.sqrt(1 - 0.999 ** self.t) / (1 - 0.9 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            g *= g
            g *= 0.001
            v += g
            denominator = np.sqrt(v)
            denominator += 1e-8
            np.divide(m, denominator, out=denominator)
            denominator *= lr_t
            p -= denominator


def steps_per_second(steps, batches, seconds):
    """{name: steps/s} for each `step(x, y)` in `steps`: the best of five windows per implementation, taken in
    turns (one window each, five rounds) so that a change in machine load falls on all of them alike."""
    for step in steps.values():
        for xb, yb in batches[:5]:
            step(xb, yb)
    best = dict.fromkeys(steps, 0.0)
    for _ in range(5):
        for name, step in steps.items():
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds / 5:
                xb, yb = batches[count % len(batches)]
                step(xb, yb)
                count += 1
            best[name] = max(best[name], count / (time.perf_counter() - start))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0, help="measuring time per implementation")
    parser.add_argument("--threads", type=int, default=None, help="cap on BLAS and TensorFlow threads")
    args = parser.parse_args()
    if args.threads is None:
        limit = contextlib.nullcontext()
    else:
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(args.threads)
    import flowgraph
    try:
        import tensorflow as real_tf
        real_tf.compat.v1.disable_eager_execution()
    except ImportError:
        real_tf = None
    print("%-4s %-44s %12s" % ("mlp", "implementation", "steps/s"))
    with limit:
        for key, config in CONFIGS.items():
            compare(key, config, flowgraph, real_tf, args)


def compare(key, config, flowgraph, real_tf, args):
    """Print steps/s of each implementation of MLP `key`, and the ratios."""
    rng = np.random.default_rng(0)
    batches = dataset(config, rng)
    weights = initial_weights(config["sizes"], rng)
    steps = {}
    with flowgraph.Graph().as_default():
        steps["flowgraph"] = graph_step(flowgraph, config, weights, args.threads)
    steps["numpy by hand"] = NumpyMLP(config, weights).step
    if real_tf is not None:
        v1 = real_tf.compat.v1
        with v1.Graph().as_default():
            steps["tensorflow %s" % real_tf.__version__] = graph_step(v1, config, weights, args.threads)
    rows = list(steps_per_second(steps, batches, args.seconds).items())
    label = "-".join(map(str, config["sizes"])) + " b%d %s" % (config["batch"], config["optimizer"])
    for name, rate in rows:
        print("%-4s %-44s %12.1f" % (key, "%s (%s)" % (name, label), rate))
    ours = rows[0][1]
    print("%-4s flowgraph / numpy-by-hand: %.3f%s" % (key, ours / rows[1][1],
          "" if real_tf is None else ", flowgraph / tensorflow: %.3f" % (ours / rows[2][1])))
    report("mlp_step", "(%s) %s" % (key, label), "steps/s", ours, rows[2][1] if real_tf is not None else None,
           rows[1][1], "numpy by hand")


if __name__ == "__main__":
    main()
