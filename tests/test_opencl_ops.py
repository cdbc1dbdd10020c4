"""The OpenCL kernels of scans, n-d gathers and scatters, top-k, integer division and the remaining gradient ops
against the numpy backend: odd sizes (1, 7, 1023), empty tensors, broadcasting, non-contiguous feeds, gradients
through the op on the device; and out-of-range indices, which raise as on numpy wherever they are known on the
host (constants and feeds).
"""
import numpy as np
import pytest

import flowgraph as tf
from opencl import runtime
from tests.test_opencl_backend import compare

if not runtime.available():
    pytest.skip("no OpenCL platform: install pyopencl and an OpenCL driver (PoCL on CPUs)", allow_module_level=True)

RNG = np.random.RandomState(11)


def normal(*shape, dtype=np.float32):
    return np.asarray(RNG.randn(*shape), dtype=dtype)


# ---- cumsum --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1,), (7,), (1023,), (0, 3), (3, 0), (4, 7, 5)], ids=str)
def test_cumsum_every_axis_and_mode(shape):
    def ops(x):
        outs = []
        for axis in range(-len(shape), len(shape)):
            for exclusive in (False, True):
                for reverse in (False, True):
                    outs.append(tf.cumsum(x, axis, exclusive=exclusive, reverse=reverse))
        return outs
    compare(ops, normal(*shape), rtol=1e-5, atol=1e-5)


def test_cumsum_integers_and_float64():
    compare(lambda i, d: [tf.cumsum(i, 1), tf.cumsum(i, 0, exclusive=True, reverse=True),
                          tf.cumsum(tf.cast(i, tf.int64), 1, reverse=True), tf.cumsum(d, 1)],
            RNG.randint(-50, 50, (6, 9)).astype(np.int32), normal(3, 1023, dtype=np.float64), rtol=1e-12)


def test_cumsum_gradient_and_non_contiguous_feed():
    def ops(x):
        y = tf.cumsum(x * x, 1, exclusive=True) + tf.cumsum(x, 0, reverse=True)
        return [y] + tf.gradients(tf.reduce_sum(y * tf.range(1.0, 6.0)), x)
    compare(ops, normal(5, 7).T[1:, :5])
