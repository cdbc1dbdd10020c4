"""Eager execution: EagerTensor values, printing and Python protocols, eager Variables, errors as TF2 raises them,
eager and graph mode agreeing op by op, optimizers applied eagerly, and the linear classifier of two Gaussian
blobs trained eagerly giving TF2's losses."""
import copy

import numpy as np
import pytest

import flowgraph
import flowgraph.v2 as tf
from flowgraph.eager import EagerTensor, EagerVariable

flowgraph.disable_eager_execution()  # importing flowgraph.v2 turned eager on: other modules load in graph mode

# Loss after each of 40 steps of the linear classifier below, computed once with TensorFlow 2.21 (eager).
TF2_LINEAR_LOSSES = [
    2.2774300575256348, 0.266652375459671, 0.1281549036502838, 0.10558085888624191, 0.09711633622646332,
    0.09080316126346588, 0.08519802987575531, 0.08009277284145355, 0.07542729377746582, 0.07116188108921051,
    0.06726203113794327, 0.06369636952877045, 0.06043626368045807, 0.05745553597807884, 0.05473022535443306,
    0.05223846435546875, 0.04996022954583168, 0.047877226024866104, 0.04597271978855133, 0.04423142224550247,
    0.04263933748006821, 0.041183680295944214, 0.03985278308391571, 0.038635920733213425, 0.03752334043383598,
    0.03650610148906708, 0.035576026886701584, 0.03472565859556198, 0.03394816070795059, 0.033237289637327194,
    0.032587334513664246, 0.0319930836558342, 0.03144975006580353, 0.030952977016568184, 0.030498774722218513,
    0.030083492398262024, 0.02970379963517189, 0.02935664728283882, 0.02903924137353897, 0.02874903380870819]


pytestmark = pytest.mark.usefixtures("eager")


def two_blobs():
    """2,000 points: class 0 around (0, 3), class 1 around (3, 0), covariance [[1, .5], [.5, 1]]."""
    rng = np.random.default_rng(1234)
    chol = np.linalg.cholesky(np.array([[1.0, 0.5], [0.5, 1.0]]))
    negative = rng.standard_normal((1000, 2)) @ chol.T + [0.0, 3.0]
    positive = rng.standard_normal((1000, 2)) @ chol.T + [3.0, 0.0]
    inputs = np.vstack([negative, positive]).astype(np.float32)
    targets = np.vstack([np.zeros((1000, 1)), np.ones((1000, 1))]).astype(np.float32)
    return inputs, targets


def linear_classifier_losses(use_function):
    """The TF2 linear classifier: W, b Variables, square loss, GradientTape and assign_sub, 40 steps."""
    inputs, targets = two_blobs()
    W = tf.Variable(initial_value=np.array([[0.3], [0.6]], np.float32))
    b = tf.Variable(initial_value=np.zeros([1], np.float32))

    def training_step(x, t):
        with tf.GradientTape() as tape:
            predictions = tf.matmul(x, W) + b
            loss = tf.reduce_mean(tf.square(t - predictions))
        grad_W, grad_b = tape.gradient(loss, [W, b])
        W.assign_sub(grad_W * 0.1)
        b.assign_sub(grad_b * 0.1)
        return loss
    if use_function:
        training_step = tf.function(training_step)
    return [float(training_step(inputs, targets)) for _ in range(40)]


def test_linear_classifier_gives_tf2_losses_step_by_step():
    np.testing.assert_allclose(linear_classifier_losses(use_function=False), TF2_LINEAR_LOSSES, rtol=1e-5)


# ---- EagerTensor ------------------------------------------------------------------------------------------

def test_ops_run_at_once_and_return_eager_tensors():
    a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    b = tf.matmul(a, a) + 1.0
    assert isinstance(b, EagerTensor) and isinstance(b, tf.Tensor)
    np.testing.assert_array_equal(b.numpy(), np.array([[8.0, 11.0], [16.0, 23.0]], np.float32))
    assert b.dtype == tf.float32 and b.shape == tf.TensorShape([2, 2]) and b.ndim == 2
    assert tf.executing_eagerly()


def test_printing_as_tf2():
    assert str(tf.constant([1.0, 2.0])) == "tf.Tensor([1. 2.], shape=(2,), dtype=float32)"
    assert repr(tf.constant([1.0, 2.0])) == "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>"
    assert str(tf.constant(3.0)) == "tf.Tensor(3.0, shape=(), dtype=float32)"
    assert repr(tf.constant(7, tf.int64)) == "<tf.Tensor: shape=(), dtype=int64, numpy=7>"
    assert repr(tf.constant([[1, 2], [3, 4]])) == ("<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\n"
                                                  "array([[1, 2],\n       [3, 4]], dtype=int32)>")
    assert format(tf.constant(3.14159), ".2f") == "3.14"


def test_numpy_interop():
    t = tf.constant([1.0, 2.0])
    assert isinstance(np.asarray(t), np.ndarray) and np.asarray(t).dtype == np.float32
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    mixed = np.ones(2, np.float32) + t  # numpy defers to the tensor
    assert isinstance(mixed, EagerTensor)
    np.testing.assert_array_equal(mixed.numpy(), [2.0, 3.0])
    assert isinstance(tf.constant(3.0).numpy(), np.float32)
    copied = t.numpy()
    copied[0] = 100.0  # numpy() is a copy: the tensor is immutable
    assert t.numpy()[0] == 1.0


def test_constant_does_not_alias_the_callers_array():
    source = np.array([1.0, 2.0], np.float32)
    t = tf.constant(source)
    source[0] = 50.0
    assert t.numpy()[0] == 1.0


def test_python_protocols():
    assert float(tf.constant(2.5)) == 2.5 and int(tf.constant(7)) == 7 and bool(tf.constant(True))
    assert float(tf.constant([4.0])) == 4.0
    assert list(range(10))[tf.constant(3)] == 3
    with pytest.raises(TypeError, match="integer"):
        list(range(10))[tf.constant(3.0)]
    with pytest.raises(TypeError, match="size-1"):
        float(tf.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tf.constant([True, False]))
    x = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and all(isinstance(r, EagerTensor) for r in rows)
    np.testing.assert_array_equal(rows[2].numpy(), [5.0, 6.0])
    with pytest.raises(TypeError, match="Scalar tensor has no `len\\(\\)`"):
        len(tf.constant(1.0))
    with pytest.raises(TypeError, match="Cannot iterate over a scalar tensor."):
        iter(tf.constant(1.0))
    assert copy.deepcopy(x) is x


def test_equality_is_elementwise_and_hashing_by_identity():
    a = tf.constant([1.0, 2.0])
    np.testing.assert_array_equal((a == [1.0, 3.0]).numpy(), [True, False])
    np.testing.assert_array_equal((a != tf.constant([1.0, 3.0])).numpy(), [False, True])
    assert (a == None) is False and (a != None) is True  # noqa: E711 - TF2's rule for None
    incompatible = a == tf.constant([1.0, 2.0, 3.0])
    assert isinstance(incompatible, EagerTensor) and not bool(incompatible)
    table = {a: "a"}
    assert table[a] == "a" and tf.constant([1.0, 2.0]) not in table


def test_indexing_and_operators_as_graph_tensors():
    x = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4))
    np.testing.assert_array_equal(x[1:, ::2].numpy(), np.arange(12, dtype=np.float32).reshape(3, 4)[1:, ::2])
    np.testing.assert_array_equal((-x).numpy()[0], [0.0, -1.0, -2.0, -3.0])
    np.testing.assert_array_equal((x @ tf.ones([4, 1])).numpy()[:, 0], [6.0, 22.0, 38.0])
    np.testing.assert_array_equal((2.0 ** tf.constant([1.0, 3.0])).numpy(), [2.0, 8.0])
    np.testing.assert_array_equal((x > 5.0).numpy()[1], [False, False, True, True])


def test_graph_only_attributes_are_undefined():
    t = tf.constant(1.0)
    for attr in ("name", "op", "graph"):
        with pytest.raises(AttributeError, match="undefined when eager execution is enabled"):
            getattr(t, attr)
    assert t.device == "/numpy:0"
    assert tf.is_tensor(t)


def test_convert_to_tensor_dtype_rules():
    assert tf.convert_to_tensor(1).dtype == tf.int32 and tf.convert_to_tensor(1.0).dtype == tf.float32
    assert tf.convert_to_tensor(np.float64(1.0)).dtype == tf.float64
    t = tf.constant([1.0])
    assert tf.convert_to_tensor(t) is t
    with pytest.raises(ValueError, match="requested dtype float64 for Tensor with dtype float32"):
        tf.convert_to_tensor(t, dtype=tf.float64)


def test_errors_as_tf2_eager_raises_them():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"cannot compute AddV2 as input #1\(zero-based\) was expected to be a int32 tensor but is "
                             r"a float32 tensor \[Op:AddV2\]"):
        tf.constant(1) + tf.constant(1.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[Op:AddV2\]"):
        tf.add(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0, 3.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[Op:MatMul\]"):
        tf.matmul(tf.ones([2, 3]), tf.ones([2, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"not in the list of allowed values.*\[Op:Sigmoid\]"):
        tf.sigmoid(tf.constant([1, 2]))


def test_graph_tensor_passed_to_an_eager_op_is_rejected():
    with flowgraph.Graph().as_default():
        g = flowgraph.placeholder(tf.float32, [2])
    with pytest.raises(TypeError, match="Graph tensor"):
        tf.add(g, tf.constant([1.0, 2.0]))


def test_eager_values_in_a_plain_graph():
    t, v = tf.constant([1.0, 2.0]), tf.Variable(1.0)
    with flowgraph.Graph().as_default():
        doubled = t * 2.0  # an eager tensor becomes a constant of the graph
        assert isinstance(doubled, flowgraph.Tensor)
        np.testing.assert_array_equal(flowgraph.Session().run(doubled), [2.0, 4.0])
        with pytest.raises(ValueError, match="created eagerly and cannot be used in a graph"):
            v + 1.0


# Each row runs once in a graph (values fed through placeholders with unknown dims) and once eagerly: values,
# dtypes and shapes agree, and the graph's shape inference on known shapes gives the eager result's shape.
AGREEMENT = [
    ("matmul_t", lambda a, b: tf.matmul(a, b, transpose_b=True), [(2, 3), (4, 3)]),
    ("broadcast_add", lambda a, b: a + b, [(3, 1), (1, 4)]),
    ("softmax", lambda a: tf.nn.softmax(a), [(2, 5)]),
    ("reduce_mean_axis", lambda a: tf.reduce_mean(a, axis=1, keepdims=True), [(3, 4)]),
    ("reshape_transpose", lambda a: tf.transpose(tf.reshape(a, [4, -1])), [(2, 6)]),
    ("concat", lambda a, b: tf.concat([a, b], axis=0), [(2, 3), (4, 3)]),
    ("gather", lambda a: tf.gather(a, [2, 0]), [(3, 2)]),
    ("strided_slice", lambda a: a[1:, ::-1], [(3, 4)]),
    ("square_sub", lambda a, b: tf.square(a - b), [(2, 3), (3,)]),
    ("relu_tanh", lambda a: tf.nn.relu(tf.tanh(a)), [(4,)]),
    ("argmax", lambda a: tf.argmax(a, axis=1), [(3, 5)]),
    ("cast", lambda a: tf.cast(a > 0.0, tf.int32), [(2, 2)]),
    ("stack_unstack", lambda a: tf.stack(tf.unstack(a, num=3, axis=1)), [(2, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", AGREEMENT, ids=[row[0] for row in AGREEMENT])
def test_eager_and_graph_mode_agree(name, fn, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    eager_result = fn(*[tf.constant(a) for a in arrays])
    flowgraph.disable_eager_execution()
    with flowgraph.Graph().as_default():
        known = fn(*[flowgraph.constant(a) for a in arrays])
        phs = [flowgraph.placeholder(tf.float32, [None] * a.ndim) for a in arrays]
        unknown = fn(*phs)
        with flowgraph.Session() as sess:
            graph_value = sess.run(unknown, dict(zip(phs, arrays)))
    assert known.shape.as_list() == eager_result.shape.as_list()
    assert known.dtype == eager_result.dtype
    np.testing.assert_allclose(eager_result.numpy(), graph_value, rtol=1e-6)


# ---- Variables ------------------------------------------------------------------------------------------

def test_variable_in_eager_mode_is_an_eager_variable():
    v = flowgraph.Variable([1.0, 2.0], name="W")
    assert isinstance(v, EagerVariable) and isinstance(v, flowgraph.Variable) and type(v) is tf.Variable
    assert v.name == "W:0" and tf.Variable(1.0).name == "Variable:0"
    assert v.dtype == tf.float32 and v.shape == tf.TensorShape([2]) and v.trainable
    assert not tf.Variable(1.0, trainable=False).trainable
    assert repr(v) == "<tf.Variable 'W:0' shape=(2,) dtype=float32, numpy=array([1., 2.], dtype=float32)>"
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(v), [1.0, 2.0])


def test_variable_updates_return_values():
    v = tf.Variable([1.0, 2.0])
    np.testing.assert_array_equal(v.assign([3.0, 4.0]).numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(v.assign_add([1.0, 1.0]).numpy(), [4.0, 5.0])
    np.testing.assert_array_equal(v.assign_sub(tf.constant([2.0, 2.0])).numpy(), [2.0, 3.0])
    assert v.assign([0.0, 0.0], read_value=False) is None
    np.testing.assert_array_equal(v.read_value().numpy(), [0.0, 0.0])
    np.testing.assert_array_equal((v + 1.0).numpy(), [1.0, 1.0])


def test_reads_are_snapshots():
    v = tf.Variable([1.0, 2.0])
    before = v.read_value()
    v.assign_add([10.0, 10.0])
    np.testing.assert_array_equal(before.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(v.value().numpy(), [11.0, 12.0])


def test_variable_update_errors():
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match=r"Cannot assign value to variable ' Variable:0': Shape mismatch.The variable "
                                         r"shape \(2,\), and the assigned value shape \(3,\) are incompatible."):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[Op:AssignAdd\]"):
        v.assign_add([[1.0], [2.0]])  # would broadcast to [2, 2]
    assert v.shape == tf.TensorShape([2])
    with pytest.raises(ValueError, match="requested dtype float32 for Tensor with dtype int32"):
        v.assign(tf.constant([1, 2]))


def test_variable_from_callable_and_with_relaxed_shape():
    v = tf.Variable(lambda: tf.ones([2, 3]))
    assert v.shape == tf.TensorShape([2, 3])
    free = tf.Variable([1.0], shape=tf.TensorShape(None))
    free.assign([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(free.numpy(), [1.0, 2.0, 3.0])


def test_random_ops_eagerly_follow_the_global_seed():
    tf.random.set_seed(5)
    first = [tf.random.normal([3]).numpy(), tf.random.uniform([2]).numpy()]
    tf.random.set_seed(5)
    second = [tf.random.normal([3]).numpy(), tf.random.uniform([2]).numpy()]
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(tf.random.normal([3]).numpy(), tf.random.normal([3]).numpy())


def _adam_steps(grads, eager):
    """Three Adam steps on a variable starting at [1, -2], in eager or graph mode."""
    opt = flowgraph.train.AdamOptimizer(0.1)
    if eager:
        v = tf.Variable([1.0, -2.0])
        for g in grads:
            opt.apply_gradients([(tf.constant(g), v)])
        return v.numpy()
    flowgraph.disable_eager_execution()
    with flowgraph.Graph().as_default():
        v = flowgraph.Variable([1.0, -2.0])
        g = flowgraph.placeholder(tf.float32, [2])
        step = opt.apply_gradients([(g, v)])
        with flowgraph.Session() as sess:
            sess.run(flowgraph.global_variables_initializer())
            for value in grads:
                sess.run(step, {g: value})
            return sess.run(v)


def test_optimizers_apply_gradients_eagerly():
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(v * v)
    grads = tape.gradient(loss, [v])
    flowgraph.train.GradientDescentOptimizer(0.1).apply_gradients(zip(grads, [v]))
    np.testing.assert_allclose(v.numpy(), [0.8, 1.6])
    grads = [np.array([0.5, -1.0], np.float32), np.array([0.1, 0.2], np.float32), np.array([-3.0, 1.0], np.float32)]
    np.testing.assert_allclose(_adam_steps(grads, eager=True), _adam_steps(grads, eager=False), rtol=1e-6)


# ---- the v2 namespace -------------------------------------------------------------------------------------

def test_v2_namespace():
    assert tf.compat.v1 is flowgraph
    assert not hasattr(tf, "placeholder") and not hasattr(tf, "Session")
    np.testing.assert_array_equal(tf.zeros([2]).numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(tf.ones([2], tf.int32).numpy(), [1, 1])
    assert tf.random.normal([2, 3]).shape == tf.TensorShape([2, 3])
    assert tf.random.uniform([4], minval=2.0, maxval=3.0).numpy().min() >= 2.0
    np.testing.assert_allclose(tf.math.reduce_max(tf.constant([1.0, 5.0])).numpy(), 5.0)
    np.testing.assert_allclose(tf.linalg.matmul(tf.ones([1, 2]), tf.ones([2, 1])).numpy(), [[2.0]])
    assert tf.cast(tf.constant([1.7]), tf.int32).numpy()[0] == 1
    assert isinstance(tf.reduce_sum(tf.ones([3])), tf.Tensor)

