"""`function`: tracing once per input signature (TF2's retracing rules and tracing count), input_signature,
captured variables shared with eager code (updates in program order, visible outside), captured tensors,
result structures, differentiation under an outer GradientTape (to second order, with random ops sampled
once), methods, nesting, and the linear classifier step under `function` giving TF2's losses."""
import numpy as np
import pytest

import flowgraph
import flowgraph.v2 as tf
from test_eager import TF2_LINEAR_LOSSES, linear_classifier_losses

flowgraph.disable_eager_execution()  # importing flowgraph.v2 turned eager on: other modules load in graph mode


pytestmark = pytest.mark.usefixtures("eager")


def test_linear_classifier_step_under_function_gives_tf2_losses():
    np.testing.assert_allclose(linear_classifier_losses(use_function=True), TF2_LINEAR_LOSSES, rtol=1e-5)


def test_retracing_rules_follow_tf2():
    @tf.function
    def double(x, n=1):
        return x * 2

    counts = []

    def call(*args, **kwargs):
        double(*args, **kwargs)
        counts.append(double.experimental_get_tracing_count())
    call(tf.constant(1.0))
    call(tf.constant(2.0))  # same dtype and shape: no new trace
    call(tf.constant([1.0]))  # new shape
    call(tf.constant(1))  # new dtype
    call(1.0)
    call(1.0)  # Python values count by value
    call(2.0)
    call(np.float32(3.0))  # numpy values are tensors: same signature as tf.constant(1.0)
    call(np.ones(2, np.float32))
    call(np.zeros(2, np.float32))
    call(x=tf.constant(5.0))  # keyword or positional: one signature
    call(tf.constant(1.0), 2)
    call(tf.constant(1.0), n=2)
    call(tf.Variable(1.0))
    call(tf.Variable(2.0))  # variables count by dtype and shape
    call(tf.Variable([1.0]))
    call([1.0, 2.0])
    call([3.0, 4.0])
    assert counts == [1, 1, 2, 3, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9, 10, 11]
    assert float(double(tf.constant(21.0))) == 42.0


def test_python_code_runs_only_while_tracing():
    side_effects = []

    @tf.function()
    def f(x):
        side_effects.append(1)
        assert not tf.executing_eagerly()
        return x + 1.0
    for _ in range(3):
        f(tf.constant(1.0))
    assert side_effects == [1] and tf.executing_eagerly()


def test_input_signature_traces_once_and_checks_calls():
    add_one = tf.function(lambda x: x + 1.0, input_signature=[tf.TensorSpec([None], tf.float32)])
    np.testing.assert_array_equal(add_one(tf.constant([1.0])).numpy(), [2.0])
    np.testing.assert_array_equal(add_one(np.array([1.0, 2.0], np.float32)).numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(add_one([1.0, 2.0, 3.0]).numpy(), [2.0, 3.0, 4.0])
    assert add_one.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError, match=r"Binding inputs to tf.function failed due to `Can not cast TensorSpec\(shape="
                                        r"\(1, 1\), dtype=tf.float32, name=None\) to TensorSpec\(shape=\(None,\)"):
        add_one(tf.constant([[1.0]]))
    with pytest.raises(TypeError, match="Binding inputs to tf.function failed"):
        add_one(tf.constant([1]))
    assert repr(tf.TensorSpec([None, 3], tf.int32, "x")) == "TensorSpec(shape=(None, 3), dtype=tf.int32, name='x')"


def test_captured_variable_updates_are_seen_outside():
    v = tf.Variable(1.0)

    @tf.function
    def increment():
        v.assign_add(1.0)
        return v.read_value()
    assert float(increment()) == 2.0 and float(v) == 2.0
    assert float(increment()) == 3.0 and v.numpy() == 3.0
    v.assign(10.0)
    assert float(increment()) == 11.0


def test_reads_and_updates_run_in_program_order():
    v = tf.Variable(1.0)

    @tf.function
    def read_update_read():
        before = v.read_value()
        v.assign(v * 10.0)
        middle = v + 0.0
        v.assign_sub(1.0)
        return before, middle, v.read_value()
    assert [float(t) for t in read_update_read()] == [1.0, 10.0, 9.0]
    assert [float(t) for t in read_update_read()] == [9.0, 90.0, 89.0]


def test_update_without_outputs_still_runs():
    v = tf.Variable([0.0, 0.0])

    @tf.function
    def store(x):
        v.assign(x)
    assert store(tf.constant([1.0, 2.0])) is None
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_variables_as_arguments_bind_per_call():
    @tf.function
    def bump(var, amount):
        var.assign_add(amount)
        return var.read_value()
    a, b = tf.Variable(1.0), tf.Variable(100.0)
    assert float(bump(a, tf.constant(1.0))) == 2.0
    assert float(bump(b, tf.constant(1.0))) == 101.0
    assert bump.experimental_get_tracing_count() == 1 and float(a) == 2.0 and float(b) == 101.0


def test_variable_created_on_first_trace():
    class Scale:
        def __init__(self):
            self.k = None

        @tf.function
        def __call__(self, x):
            if self.k is None:
                self.k = tf.Variable(tf.ones([3]) * 2.0)
            return x * self.k
    first, second = Scale(), Scale()
    np.testing.assert_array_equal(first(tf.constant([1.0, 2.0, 3.0])).numpy(), [2.0, 4.0, 6.0])
    first.k.assign([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(first(tf.constant([1.0, 2.0, 3.0])).numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(second(tf.constant([1.0, 1.0, 1.0])).numpy(), [2.0, 2.0, 2.0])
    assert type(first).__call__.experimental_get_tracing_count() == 0
    assert first.__call__.experimental_get_tracing_count() == 1


def test_result_structures():
    @tf.function
    def structured(x):
        return {"a": x, "b": [x + 1.0, 3], "c": None}
    out = structured(tf.constant(1.0))
    assert sorted(out) == ["a", "b", "c"] and out["c"] is None
    assert float(out["a"]) == 1.0 and float(out["b"][0]) == 2.0
    assert out["b"][1].dtype == tf.int32 and int(out["b"][1]) == 3


def test_captured_tensors_are_inputs():
    scale = tf.constant(3.0)

    @tf.function
    def scaled(x):
        return x * scale
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(scale)
        y = scaled(x)
    assert float(y) == 6.0 and float(tape.gradient(y, scale)) == 2.0


def test_gradients_through_function_equal_eager_gradients():
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((4, 3)).astype(np.float32))
    W = tf.Variable(rng.standard_normal((3, 2)).astype(np.float32))
    b = tf.Variable(np.ones(2, np.float32))

    def model(inputs):
        return tf.reduce_sum(tf.tanh(tf.matmul(inputs, W) + b) ** 2)
    traced = tf.function(model)
    results = []
    for fn in (model, traced):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        results.append([g.numpy() for g in tape.gradient(y, [x, W, b])])
    for eager_grad, traced_grad in zip(*results):
        np.testing.assert_allclose(traced_grad, eager_grad, rtol=1e-5, atol=1e-6)  # OpenCL tanh differs by ulps


def test_second_derivative_through_function():
    cube = tf.function(lambda x: x * x * x)
    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = cube(x)
        dy = inner.gradient(y, x)
    assert float(dy) == 12.0 and float(outer.gradient(dy, x)) == 12.0


def test_gradient_through_function_uses_the_forward_random_sample():
    @tf.function
    def noisy(x):
        noise = tf.random.uniform([5])
        return x * noise, noise
    x = tf.constant(np.ones(5, np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, noise = noisy(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), noise.numpy())


def test_tape_inside_function_differentiates_symbolically():
    v = tf.Variable(3.0)

    @tf.function
    def grad_of_square():
        with tf.GradientTape() as tape:
            y = v * v
        return tape.gradient(y, v), tape.watched_variables()[0] is v
    grad, watched = grad_of_square()
    assert float(grad) == 6.0 and bool(watched)


def test_nested_functions_and_graph_mode_inline():
    inner = tf.function(lambda x: x * 2.0)
    outer = tf.function(lambda x: inner(x) + 1.0)
    assert float(outer(tf.constant(1.0))) == 3.0
    assert inner.experimental_get_tracing_count() == 0  # traced as part of outer
    flowgraph.disable_eager_execution()
    with flowgraph.Graph().as_default():
        x = flowgraph.placeholder(tf.float32, [])
        y = outer(x)
        assert isinstance(y, flowgraph.Tensor)
        assert flowgraph.Session().run(y, {x: 2.0}) == 5.0
