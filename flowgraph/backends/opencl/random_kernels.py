"""OpenCL kernels of the random ops: numbers are drawn on the device (Philox); each run takes a new key from the
op's per-session generator, so seeds (graph and op level) give repeatable sequences as on numpy, though not
the same numbers."""
import numpy as np

from flowgraph.backends.opencl import opencl_kernel
from opencl import random

_DISTRIBUTIONS = {"RandomUniform": "uniform", "RandomStandardNormal": "normal",
                  "TruncatedNormal": "truncated_normal"}


def _keyed(k, launch):
    generator = k.builder.store.generator(k.op)

    def new_key(kernel):
        key = generator.integers(0, 1 << 32, size=2, dtype=np.uint64)
        kernel.set_arg(random.KEY_ARGS[0], np.uint32(key[0]))
        kernel.set_arg(random.KEY_ARGS[1], np.uint32(key[1]))
    if launch is not None:
        k.launch_per_run(launch, new_key)


def _distribution(kind):
    def kernel(k):
        out = k.output(0)
        if out.dtype.kind != "f":
            k.decline("random %s numbers of %s" % (kind, out.dtype.name))
        _keyed(k, random.random_launch(out.dtype, out, out.size, kind, max_items=k.builder.plan.max_items))
    return kernel


for _name, _kind in _DISTRIBUTIONS.items():
    opencl_kernel(_name)(_distribution(_kind))


@opencl_kernel("RandomUniformInt")
def _random_uniform_int(k):
    low, high = k.host(1), k.host(2)
    if low is None or high is None or not low < high:
        k.decline("bounds not known before the run, or empty")
    out = k.output(0)
    _keyed(k, random.random_launch(out.dtype, out, out.size, "integers", int(low), int(high),
                                   k.builder.plan.max_items))
