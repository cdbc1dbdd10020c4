"""OpenCL backend figures, in one run:

1. GEMM GFLOP/s at n = 256, 512, 1024, 2048: flowgraph's packed kernel, pyclblast (when installed), numpy;
2. GB/s of relu(a * b + c) over 16M floats, fused into one generated kernel, beside the same operation as one
   hand-written kernel (what this machine's memory allows) and numpy;
3. microseconds per run of a plan of 20 elementwise ops on 1000 floats (one fused kernel; numpy beside it);
4. kernel launches per MLP training step, with and without fusion;
5. MLP training steps per second on OpenCL and on numpy: (a) 64-256-10 on digits, batch 128, SGD;
   (b) 784-1024-1024-10 on random data, batch 256, Adam.
Run: python benchmarks/opencl.py [--seconds S] [--only gemm|fused|plan|launches|mlp ...]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

# This script shares its name with the `opencl` package: search its own folder last.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE] + [HERE]

import flowgraph as tf  # noqa: E402
from flowgraph.backends import get_backend  # noqa: E402
from opencl import gemm, runtime, source  # noqa: E402

from _rows import report  # noqa: E402
from mlp_step import CONFIGS, dataset, initial_weights  # noqa: E402


def best_time(fn, seconds, at_least=3):
    """The fastest of repeated calls of `fn` within about `seconds` (after one warm-up call)."""
    fn()
    times, deadline = [], time.perf_counter() + seconds
    while len(times) < at_least or time.perf_counter() < deadline:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def prepared(device, launches):
    """Enqueue-only callables for `launches`, arguments set once (as a plan does)."""
    calls, keep = [], []
    for launch, program in zip(launches, device.programs_for(launches)):
        kernel = device.kernel(program, launch.name)
        keep.extend(source.bind(kernel, launch, device))
        calls.append(device.launcher(kernel, launch.global_size, launch.local_size))
    return calls, keep


def own_gemm_rate(device, n, seconds):
    a = device.to_device(np.random.rand(n, n).astype(np.float32))
    c = device.empty((n, n), np.float32)
    scratch = []

    def allocate(nbytes):
        scratch.append(device.empty((nbytes,), np.uint8))
        return scratch[-1]
    calls, _ = prepared(device, gemm.matmul_launches(np.float32, a, a, c, n, n, n, (n, 1), (n, 1), [0], [0],
                                                     allocate))

    def run():
        for call in calls:
            call()
        device.finish()
    return 2 * n ** 3 / best_time(run, seconds) / 1e9


def clblast_gemm_rate(device, n, seconds):
    """GFLOP/s of pyclblast's GEMM, or None when pyclblast is not installed."""
    try:
        import pyclblast
        import pyopencl.array as cl_array
    except ImportError:
        return None
    a = cl_array.to_device(device.queue, np.random.rand(n, n).astype(np.float32))
    c = cl_array.empty(device.queue, (n, n), np.float32)

    def run():
        pyclblast.gemm(device.queue, n, n, n, a, a, c, a_ld=n, b_ld=n, c_ld=n)
        device.queue.finish()
    return 2 * n ** 3 / best_time(run, seconds) / 1e9


def numpy_gemm_rate(n, seconds):
    a = np.random.rand(n, n).astype(np.float32)
    out = np.empty_like(a)
    return 2 * n ** 3 / best_time(lambda: np.dot(a, a, out=out), seconds) / 1e9


# relu(a * b + c) written by hand the fastest way measured on PoCL: a contiguous chunk per work-item, float8
# vectors, and streaming stores (no read of each output line before it is overwritten) where the compiler has them.
HAND_KERNEL = """
#if defined(__has_builtin)
#if __has_builtin(__builtin_nontemporal_store) && __has_builtin(__builtin_ia32_sfence)
#define STREAMING
#endif
#endif
__kernel void relu_fma(__global const float* a, __global const float* b, __global const float* c, __global float* out,
                       const int n, const int chunk) {
  const int start = get_global_id(0) * chunk;
  const int end = min(start + chunk, n);
  int i = start;
  for (; i + 8 <= end; i += 8) {
    const float8 v = vload8(0, a + i) * vload8(0, b + i) + vload8(0, c + i);
#ifdef STREAMING
    __builtin_nontemporal_store(v < 0 ? (float8)0 : v, (__global float8*)(out + i));
#else
    vstore8(v < 0 ? (float8)0 : v, 0, out + i);
#endif
  }
  for (; i < end; i++) {
    const float v = a[i] * b[i] + c[i];
    out[i] = v < 0 ? 0 : v;
  }
#ifdef STREAMING
  __builtin_ia32_sfence();
#endif
}
"""


def hand_kernel_step(device, values, n):
    """One launch of HAND_KERNEL over `values` (its own buffers), then finish; checks the result once."""
    import pyopencl as cl
    a, b, c = (device.to_device(v) for v in values)
    out = device.empty((n,), np.float32)
    kernel = cl.Program(device.context, "#pragma OPENCL FP_CONTRACT OFF\n" + HAND_KERNEL).build().relu_fma
    chunk = -(-n // 32 // 8) * 8  # 32 chunks, each starting on a float8 boundary
    kernel.set_args(a.buffer, b.buffer, c.buffer, out.buffer, np.int32(n), np.int32(chunk))

    def step():
        cl.enqueue_nd_range_kernel(device.queue, kernel, (-(-n // chunk),), (1,))
        device.queue.finish()
    step()
    np.testing.assert_array_equal(out.get(), np.maximum(values[0] * values[1] + values[2], 0))
    return step


def fused_bandwidth(device, seconds, n=1 << 24):
    """GB/s of relu(a * b + c) (three reads and one write per element): flowgraph's fused kernel writing into a
    variable, the hand-written kernel, and numpy, timed in turns so that a busy machine slows all three alike.
    Returns {name: (best, median)}."""
    values = [np.random.rand(n).astype(np.float32) - 0.5 for _ in range(3)]
    result, scratch = np.empty(n, np.float32), np.empty(n, np.float32)

    def numpy_step():
        np.multiply(values[0], values[1], out=scratch)
        np.add(scratch, values[2], out=scratch)
        np.maximum(scratch, 0, out=result)
    with tf.Graph().as_default():
        a, b, c = (tf.Variable(v) for v in values)
        out = tf.Variable(np.zeros(n, np.float32))
        update = tf.assign(out, tf.nn.relu(a * b + c)).op
        with tf.Session(device="opencl") as sess:
            sess.run(tf.global_variables_initializer())
            steps = {"flowgraph": lambda: sess.run(update), "hand kernel": hand_kernel_step(device, values, n),
                     "numpy": numpy_step}
            times = {name: [] for name in steps}
            deadline = time.perf_counter() + 3 * seconds
            for step in steps.values():
                step()
            while min(map(len, times.values())) < 5 or time.perf_counter() < deadline:
                for name, step in steps.items():
                    start = time.perf_counter()
                    step()
                    times[name].append(time.perf_counter() - start)
            np.testing.assert_allclose(sess.run(out)[:1000], np.maximum(values[0] * values[1] + values[2], 0)[:1000],
                                       rtol=1e-6)
    return {name: (16 * n / min(t) / 1e9, 16 * n / statistics.median(t) / 1e9) for name, t in times.items()}


def elementwise_plan_us(seconds, n=1000):
    """Microseconds per run of 20 chained elementwise ops on n floats (fed, fetched), OpenCL and numpy."""
    results = []
    value = np.random.rand(n).astype(np.float32)
    for device in ("opencl", "numpy"):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [n])
            y = x
            for _ in range(4):  # five ops each time
                y = tf.sigmoid(tf.tanh(y * 1.5 + 0.1) - x)
            assert sum(op.type not in ("Const", "Placeholder") for op in tf.get_default_graph().get_operations()) == 20
            with tf.Session(device=device) as sess:
                results.append(best_time(lambda: sess.run(y, {x: value}), seconds) * 1e6)
    return results


def mlp_session(config, weights, device, data):
    """A function running one training step of the benchmark MLP in a session on `device`, and its loss op."""
    x = tf.placeholder(tf.float32, [None, config["sizes"][0]])
    y = tf.placeholder(tf.int32, [None])
    h = x
    for i, (w0, b0) in enumerate(weights):
        h = tf.matmul(h, tf.Variable(w0)) + tf.Variable(b0)
        if i < len(weights) - 1:
            h = tf.nn.relu(h)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
    optimizer = (tf.train.GradientDescentOptimizer(config["lr"]) if config["optimizer"] == "sgd"
                 else tf.train.AdamOptimizer(config["lr"]))
    train = optimizer.minimize(loss)
    sess = tf.Session(device=device)
    sess.run(tf.global_variables_initializer())
    step = sess.make_callable([loss, train], [x, y])
    return sess, step


def launches_per_step(config, cl_device):
    """Kernel launches of one training step of MLP `config`, fused and unfused."""
    rng = np.random.default_rng(0)
    weights, data = initial_weights(config["sizes"], rng), dataset(config, rng)
    backend = get_backend("opencl")
    counts = []
    for fuse in (True, False):
        backend.fuse = fuse
        try:
            with tf.Graph().as_default():
                sess, step = mlp_session(config, weights, "opencl", data)
                step(*data[0])
                before = cl_device.stats.snapshot()
                step(*data[0])
                counts.append(cl_device.stats.since(before)["launches"])
                sess.close()
        finally:
            backend.fuse = True
    return counts


def mlp_rates(config, seconds):
    """Training steps per second of MLP `config` on OpenCL and on numpy."""
    rates = []
    for device in ("opencl", "numpy"):
        rng = np.random.default_rng(0)
        weights, data = initial_weights(config["sizes"], rng), dataset(config, rng)
        with tf.Graph().as_default():
            sess, step = mlp_session(config, weights, device, data)
            step(*data[0])
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                step(*data[count % len(data)])
                count += 1
            rates.append(count / (time.perf_counter() - start))
            sess.close()
    return rates


def gemm_rows(cl_device, seconds):
    print("\n1. GEMM, GFLOP/s (float32, n x n)")
    print("   %6s %10s %10s %10s" % ("n", "flowgraph", "pyclblast", "numpy"))
    for n in (256, 512, 1024, 2048):
        own = own_gemm_rate(cl_device, n, seconds)
        clblast = clblast_gemm_rate(cl_device, n, seconds)
        numpy_rate = numpy_gemm_rate(n, seconds)
        print("   %6d %10.1f %10s %10.1f" % (n, own, "-" if clblast is None else "%.1f" % clblast, numpy_rate))
        report("opencl_gemm", "n=%d" % n, "GFLOP/s", own, reference=numpy_rate, reference_name="numpy")


def fused_rows(cl_device, seconds):
    rates = fused_bandwidth(cl_device, seconds)
    print("\n2. relu(a * b + c) over 16M floats, GB/s best (median)")
    for name, (best, median) in rates.items():
        print("   %-12s %6.1f (%.1f)" % (name, best, median))
    report("opencl_fused_elementwise", "relu(a*b+c), 16M floats", "GB/s", rates["flowgraph"][0],
           reference=rates["hand kernel"][0], reference_name="hand-written OpenCL kernel")


def plan_rows(cl_device, seconds):
    device_us, numpy_us = elementwise_plan_us(seconds)
    print("\n3. a plan of 20 elementwise ops on 1000 floats: %.0f us per run on OpenCL, %.0f us numpy"
          % (device_us, numpy_us))
    report("opencl_elementwise_plan", "20 ops, 1000 floats", "us/run", device_us, reference=numpy_us,
           reference_name="numpy")


def launch_rows(cl_device, seconds):
    print("\n4. kernel launches per training step (fused / unfused)")
    for name, config in CONFIGS.items():
        fused_count, unfused_count = launches_per_step(config, cl_device)
        print("   (%s) %s: %d / %d" % (name, "-".join(map(str, config["sizes"])), fused_count, unfused_count))
        report("opencl_launches_per_step", "mlp (%s)" % name, "launches", fused_count, reference=unfused_count,
               reference_name="unfused")


def mlp_rows(cl_device, seconds):
    print("\n5. MLP training steps per second (OpenCL / numpy)")
    for name, config in CONFIGS.items():
        device_rate, numpy_rate = mlp_rates(config, seconds)
        print("   (%s) %s, batch %d, %s: %.1f / %.1f"
              % (name, "-".join(map(str, config["sizes"])), config["batch"], config["optimizer"], device_rate,
                 numpy_rate))
        report("opencl_mlp_steps", "mlp (%s)" % name, "steps/s", device_rate, reference=numpy_rate,
               reference_name="numpy")


SECTIONS = {"gemm": gemm_rows, "fused": fused_rows, "plan": plan_rows, "launches": launch_rows, "mlp": mlp_rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent on each figure")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS),
                        help="run only these figures")
    args = parser.parse_args()
    if not runtime.available():
        print("no OpenCL device: install pyopencl and an OpenCL driver (PoCL on CPUs)")
        return
    cl_device = runtime.get_device(0)
    print("device: %s (%s), %d compute units" % (cl_device.name, cl_device.driver, cl_device.compute_units))
    for name in SECTIONS:
        if name in args.only:
            SECTIONS[name](cl_device, args.seconds)


if __name__ == "__main__":
    main()
