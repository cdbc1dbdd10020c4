"""Eager execution on OpenCL: under `device("/opencl:0")` eager ops run on the device and give numpy's values,
results stay there between ops (counted with the runtime's counters), variables live and update there,
GradientTape, optimizers and traced functions work on device values, host and device tensors mix, and the
eager linear classifier gives the same losses as on numpy."""
import numpy as np
import pytest

import flowgraph
import flowgraph.v2 as tf
from flowgraph.backends.opencl import builder
from opencl import runtime
from test_eager import linear_classifier_losses

flowgraph.disable_eager_execution()  # importing flowgraph.v2 turned eager on: other modules load in graph mode

if not runtime.available():
    pytest.skip("no OpenCL platform: install pyopencl and an OpenCL driver (PoCL on CPUs)", allow_module_level=True)

pytestmark = pytest.mark.usefixtures("eager")
GPU = "/opencl:0"


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _stats():
    return runtime.get_device(0).stats


@pytest.mark.parametrize("fn, reference", [
    (lambda a, b: a + b, lambda a, b: a + b),
    (lambda a, b: a * b - a / (b * b + 1.0), lambda a, b: a * b - a / (b * b + 1.0)),
    (lambda a, b: tf.maximum(a, b), np.maximum),
    (lambda a, b: tf.nn.relu(a) + tf.exp(b), lambda a, b: np.maximum(a, 0) + np.exp(b)),
])
def test_elementwise_ops_with_broadcasting_equal_numpy(fn, reference):
    a, b = _data(4, 3), _data(3, seed=1)
    with tf.device(GPU):
        result = fn(tf.constant(a), tf.constant(b))
    assert result.device == GPU
    np.testing.assert_allclose(result.numpy(), reference(a, b), rtol=1e-6, atol=1e-6)


def test_matmul_reductions_and_softmax_equal_numpy():
    a, b = _data(5, 7), _data(7, 3, seed=1)
    with tf.device(GPU):
        x, y = tf.constant(a), tf.constant(b)
        product = tf.matmul(x, y)
        transposed = tf.matmul(x, x, transpose_b=True)
        total, rows, cols = tf.reduce_sum(x), tf.reduce_mean(x, axis=1), tf.reduce_max(x, axis=0, keepdims=True)
        softmax = tf.nn.softmax(product)
    for result in (product, transposed, total, rows, cols, softmax):
        assert result.device == GPU
    np.testing.assert_allclose(product.numpy(), a @ b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(transposed.numpy(), a @ a.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(float(total), a.sum(), rtol=1e-5)
    np.testing.assert_allclose(rows.numpy(), a.mean(axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cols.numpy(), a.max(axis=0, keepdims=True))
    e = np.exp(a @ b - (a @ b).max(axis=1, keepdims=True))
    np.testing.assert_allclose(softmax.numpy(), e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_results_stay_on_the_device_between_ops():
    with tf.device(GPU):
        x, w = tf.constant(_data(8, 4)), tf.constant(_data(4, 4, seed=1))
        for _ in range(2):  # the first round makes the one-op plans
            before = _stats().snapshot()
            y = tf.nn.softmax(tf.matmul(tf.nn.relu(x * 2.0 + x), w))
            loss = tf.reduce_sum(y * y)
    counts = _stats().since(before)
    assert counts["launches"] >= 6
    # the constant 2.0 went to the device once, in the first round; nothing comes back until asked for
    assert counts["host_to_device"] == 0 and counts["device_to_host"] == 0 and counts["programs_built"] == 0
    before = _stats().snapshot()
    value = loss.numpy()
    assert float(loss) == value and str(loss).startswith("tf.Tensor(")  # the host copy is made once, then kept
    assert _stats().since(before)["device_to_host"] == 1


def test_tape_gradients_on_the_device_equal_numpy():
    a, b = _data(6, 3), _data(3, 2, seed=1)

    def gradients():
        x, w = tf.constant(a), tf.Variable(b)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_mean(tf.square(tf.tanh(tf.matmul(x, w)) - 0.5))
        return tape.gradient(loss, [x, w])
    on_host = gradients()
    with tf.device(GPU):
        on_device = gradients()
    for host, device in zip(on_host, on_device):
        assert device.device == GPU
        np.testing.assert_allclose(device.numpy(), host.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("use_function", [False, True])
def test_linear_classifier_gives_the_same_losses_on_opencl(use_function):
    on_host = linear_classifier_losses(use_function)
    with tf.device(GPU):
        on_device = linear_classifier_losses(use_function)
    np.testing.assert_allclose(on_device, on_host, rtol=1e-4)


def test_device_variables_assign_in_place_and_reads_are_snapshots():
    with tf.device(GPU):
        v = tf.Variable([1.0, 2.0])
        assert v.device == GPU and v.read_value().device == GPU
        first = v.read_value()
        v.assign_add([1.0, 1.0])
        added = v.assign_sub([0.5, 0.5])
        v.assign(v * 10.0)
    np.testing.assert_array_equal(first.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(added.numpy(), [1.5, 2.5])
    np.testing.assert_array_equal(v.numpy(), [15.0, 25.0])
    v.assign_add([1.0, 1.0])  # outside the scope the update still runs where the variable lives
    assert v.device == GPU and float(v[1]) == 26.0


def test_host_and_device_tensors_mix():
    host = tf.constant([1.0, 2.0, 3.0])
    with tf.device(GPU):
        device = tf.constant([10.0, 20.0, 30.0])
        both = host + device
        before = _stats().snapshot()
        again = host * device  # the host tensor was copied in once, for the first op that needed it
        assert _stats().since(before)["host_to_device"] == 0
    on_host = device - host  # outside the scope: numpy, reading the device value
    assert both.device == GPU and again.device == GPU and on_host.device == "/numpy:0"
    np.testing.assert_array_equal(both.numpy(), [11.0, 22.0, 33.0])
    np.testing.assert_array_equal(again.numpy(), [10.0, 40.0, 90.0])
    np.testing.assert_array_equal(on_host.numpy(), [9.0, 18.0, 27.0])
    np.testing.assert_array_equal(np.asarray(device), [10.0, 20.0, 30.0])


def test_ops_without_an_opencl_kernel_run_on_numpy_and_say_so(caplog):
    builder.LOGGED_HOST_OPS.discard("BooleanMask")
    with caplog.at_level("WARNING", logger="flowgraph.opencl"), tf.device(GPU):
        x = tf.constant([1.0, 2.0, 3.0])
        result = tf.boolean_mask(x, x > 1.5) + 1.0
    assert result.device == GPU
    np.testing.assert_array_equal(result.numpy(), [3.0, 4.0])
    assert "BooleanMask ops run on the host" in caplog.text


def test_optimizers_update_device_variables():
    grads = [np.array([0.5, -1.0], np.float32), np.array([0.1, 0.2], np.float32)]
    results = []
    for device in ("/cpu:0", GPU):
        with tf.device(device):
            v = tf.Variable([1.0, -2.0])
            opt = flowgraph.train.AdamOptimizer(0.1)
            for g in grads:
                opt.apply_gradients([(tf.constant(g), v)])
        results.append(v.numpy())
        assert v.device == ("/numpy:0" if device == "/cpu:0" else GPU)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_functions_use_captured_device_variables():
    with tf.device(GPU):
        v = tf.Variable(1.0)

    @tf.function
    def increment(amount):
        v.assign_add(amount)
        return v.read_value() * 2.0
    with tf.device(GPU):
        assert float(increment(tf.constant(1.0))) == 4.0
    assert float(increment(tf.constant(1.0))) == 6.0  # the variable lives on the device: the call runs there
    assert v.device == GPU and v.numpy() == 3.0
    v.assign(10.0)
    assert float(increment(tf.constant(0.5))) == 21.0


def test_bad_inputs_raise_eager_errors_on_the_device():
    from flowgraph.framework.op_registry import apply_op
    with tf.device(GPU):
        with pytest.raises(tf.errors.InvalidArgumentError, match="AddV2"):
            tf.add(tf.ones([2]), tf.ones([3]))
        with pytest.raises(tf.errors.InvalidArgumentError, match="expected to be a float32 tensor"):
            apply_op("AddV2", (tf.constant([1.0]), tf.constant([1])))
        with pytest.raises(tf.errors.InvalidArgumentError, match="MatMul"):
            tf.matmul(tf.ones([2, 3]), tf.ones([2, 3]))
