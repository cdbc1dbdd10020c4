"""Fused kernels whose traffic exceeds the device's cache write with streaming stores; with the cache size set
to zero, small graphs take that path and must still compute what numpy does, in place on variables too."""
import numpy as np
import pytest

import flowgraph as tf
from opencl import runtime

if not runtime.available():
    pytest.skip("no OpenCL platform: install pyopencl and an OpenCL driver (PoCL on CPUs)", allow_module_level=True)


@pytest.fixture
def streaming(monkeypatch):
    monkeypatch.setattr(runtime.get_device(0), "cache_bytes", 0)


@pytest.mark.parametrize("n", [1003, 8 * 4096 + 3])
def test_fused_chains_and_in_place_updates_match_numpy(streaming, n):
    rng = np.random.default_rng(5)
    x0, y0 = (rng.standard_normal(n).astype(np.float32) for _ in range(2))
    with tf.Graph().as_default():
        x, y = tf.Variable(x0), tf.Variable(y0)
        update = tf.assign(x, tf.nn.relu(x * y + 0.5))
        chain = tf.sigmoid(tf.tanh(y * 1.5 + 0.1) - y)
        with tf.Session(device="opencl") as sess:
            sess.run(tf.global_variables_initializer())
            updated, chained = sess.run([update, chain])
            again = sess.run(update)
    expected = np.maximum(x0 * y0 + np.float32(0.5), 0)
    np.testing.assert_array_equal(updated, expected)
    np.testing.assert_array_equal(again, np.maximum(expected * y0 + np.float32(0.5), 0))
    np.testing.assert_allclose(chained, 1 / (1 + np.exp(-(np.tanh(y0 * np.float32(1.5) + np.float32(0.1)) - y0))),
                               rtol=1e-5, atol=1e-6)
