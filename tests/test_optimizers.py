"""Optimizers: TF's variable values after 5 steps, TF's slot names, minimize/apply_gradients semantics, and the
fused Apply* ops' shape rules and value semantics."""
import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import training_ops
from flowgraph.train.adam import NadamOptimizer

W0 = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], np.float32)
B0 = np.array([0.05, -0.05], np.float32)
X = np.array([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-2.0, 0.3, 0.7], [1.2, 1.1, -0.4]], np.float32)
Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, -0.5], [-1.0, 2.0]], np.float32)

# (optimizer, w and b after 5 steps of minimizing sum((X @ w + b - Y)^2) from W0, B0, as computed by
# TensorFlow 2.21's tf.compat.v1.train optimizers; Nadam by TF's ApplyAdam with use_nesterov=True, which is
# what tf.contrib.opt.NadamOptimizer ran), then the optimizer's variables as TF named them.
CASES = {
    "sgd": (lambda: tf.train.GradientDescentOptimizer(0.05),
            [[-0.24867934, 0.6438215], [0.075010315, 0.32675534], [-0.107767075, 0.64240193]],
            [0.1712568, 0.13761908], []),
    "momentum": (lambda: tf.train.MomentumOptimizer(0.05, 0.9),
                 [[-0.16663796, 0.8353418], [0.4570834, 0.03145419], [-0.24387296, 0.77886]],
                 [0.28155604, 0.16221803], ["w/Momentum:0", "b/Momentum:0"]),
    "nesterov": (lambda: tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
                 [[-0.43068796, 0.71913224], [-0.19377536, 0.44655836], [0.24118817, 0.41208017]],
                 [0.07943067, 0.19721118], ["w/Momentum:0", "b/Momentum:0"]),
    "adagrad": (lambda: tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.1),
                [[-0.15146188, 0.091406696], [0.05967106, 0.4065985], [-0.25719494, 0.5307912]],
                [0.20091198, 0.17685562], ["w/Adagrad:0", "b/Adagrad:0"]),
    "adadelta": (lambda: tf.train.AdadeltaOptimizer(1.0, rho=0.95, epsilon=1e-6),
                 [[0.07758107, -0.1774656], [0.27761453, 0.4208606], [-0.47763604, 0.5792295]],
                 [0.07165919, -0.02773707], ["w/Adadelta:0", "w/Adadelta_1:0", "b/Adadelta:0", "b/Adadelta_1:0"]),
    "rmsprop": (lambda: tf.train.RMSPropOptimizer(0.01),
                [[0.004417912, -0.09867257], [0.20410445, 0.4544382], [-0.40303954, 0.557741]],
                [0.084427044, 0.026591405], ["w/RMSProp:0", "w/RMSProp_1:0", "b/RMSProp:0", "b/RMSProp_1:0"]),
    "rmsprop_centered": (
        lambda: tf.train.RMSPropOptimizer(0.01, decay=0.8, momentum=0.5, epsilon=1e-6, centered=True),
        [[-0.055251926, -0.03486402], [0.14578286, 0.4763848], [-0.34362215, 0.5382315]],
        [0.11240943, 0.07901071],
        ["w/RMSProp:0", "w/RMSProp_1:0", "w/RMSProp_2:0", "b/RMSProp:0", "b/RMSProp_1:0", "b/RMSProp_2:0"]),
    "adam": (lambda: tf.train.AdamOptimizer(0.1),
             [[-0.33756444, 0.28319007], [-0.12055745, 0.38940787], [-0.077581465, 0.5887786]],
             [0.25152856, 0.33634233], ["beta1_power:0", "beta2_power:0", "w/Adam:0", "w/Adam_1:0", "b/Adam:0",
                                        "b/Adam_1:0"]),
    "nadam": (lambda: NadamOptimizer(0.1),
              [[-0.3465368, 0.4197126], [-0.09398523, 0.3074794], [-0.08619073, 0.59480727]],
              [0.27263847, 0.29262972], ["beta1_power:0", "beta2_power:0", "w/Adam:0", "w/Adam_1:0", "b/Adam:0",
                                         "b/Adam_1:0"]),
}
SLOT_NAMES = {"sgd": [], "momentum": ["momentum"], "nesterov": ["momentum"], "adagrad": ["accumulator"],
              "adadelta": ["accum", "accum_update"], "rmsprop": ["momentum", "rms"],
              "rmsprop_centered": ["mg", "momentum", "rms"], "adam": ["m", "v"], "nadam": ["m", "v"]}


def _model():
    w = tf.Variable(W0, name="w")
    b = tf.Variable(B0, name="b")
    d = tf.matmul(X, w) + b - Y
    return w, b, tf.reduce_sum(d * d)


@pytest.mark.parametrize("case", sorted(CASES))
def test_five_steps_match_tensorflow(case):
    make, w_expected, b_expected, _ = CASES[case]
    w, b, loss = _model()
    train = make().minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first_loss = sess.run(loss)
        for _ in range(5):
            sess.run(train)
        w_value, b_value = sess.run([w, b])
        assert sess.run(loss) < first_loss
    assert w_value.dtype == np.float32 and b_value.dtype == np.float32
    np.testing.assert_allclose(w_value, w_expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(b_value, b_expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("case", sorted(CASES))
def test_slot_and_op_names_match_tensorflow(case):
    make, _, _, optimizer_variables = CASES[case]
    w, b, loss = _model()
    optimizer = make()
    train = optimizer.minimize(loss)
    assert train.name == optimizer.get_name() and train.type == "NoOp"
    assert [v.name for v in tf.global_variables()] == ["w:0", "b:0"] + optimizer_variables
    assert tf.trainable_variables() == [w, b]
    assert optimizer.get_slot_names() == SLOT_NAMES[case]
    assert [v.name for v in optimizer.variables()] == sorted(optimizer_variables)
    for slot_name in optimizer.get_slot_names():
        slot = optimizer.get_slot(w, slot_name)
        assert slot.shape == w.shape and slot.dtype == w.dtype and not slot.trainable
    assert optimizer.get_slot(w, "no such slot") is None
    assert train in tf.get_collection(tf.GraphKeys.TRAIN_OP)


def test_update_ops_are_fused_per_variable():
    _, _, loss = _model()
    tf.train.AdamOptimizer(0.1).minimize(loss)
    graph = tf.get_default_graph()
    assert graph.get_operation_by_name("Adam/update_w/ApplyAdam").type == "ApplyAdam"
    assert graph.get_operation_by_name("Adam/update_b/ApplyAdam").type == "ApplyAdam"
    assert len([op for op in graph.get_operations() if op.type == "ApplyAdam"]) == 2


def test_slot_initial_values():
    w, b, loss = _model()
    adagrad = tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.25)
    rmsprop = tf.train.RMSPropOptimizer(0.1)
    adam = tf.train.AdamOptimizer(0.1, beta1=0.8, beta2=0.99)
    for optimizer in (adagrad, rmsprop, adam):
        optimizer.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(adagrad.get_slot(w, "accumulator")), np.full([3, 2], 0.25))
        np.testing.assert_allclose(sess.run(rmsprop.get_slot(b, "rms")), np.ones(2))
        np.testing.assert_allclose(sess.run(rmsprop.get_slot(b, "momentum")), np.zeros(2))
        np.testing.assert_allclose(sess.run(adam.get_slot(w, "m")), np.zeros([3, 2]))
        powers = [v for v in adam.variables() if "power" in v.name]
        np.testing.assert_allclose(sess.run(powers), [0.8, 0.99], rtol=1e-6)


def test_adam_beta_powers_advance_once_per_step():
    _, _, loss = _model()
    optimizer = tf.train.AdamOptimizer(0.1, beta1=0.5, beta2=0.75)
    train = optimizer.minimize(loss)
    beta1_power, beta2_power = [v for v in optimizer.variables() if "power" in v.name]
    assert not beta1_power.trainable and beta1_power.name == "beta1_power:0"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        np.testing.assert_allclose(sess.run([beta1_power, beta2_power]), [0.5 ** 4, 0.75 ** 4], rtol=1e-6)


def test_global_step_incremented_after_updates():
    w, _, loss = _model()
    step = tf.train.get_or_create_global_step()
    train = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss, global_step=step)
    assert train.name == "Momentum" and train.type == "AssignAdd"
    assert tf.get_default_graph().get_operation_by_name("Momentum/update").type == "NoOp"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(5):
            sess.run(train)
        assert tf.train.global_step(sess, step) == 5
        np.testing.assert_allclose(sess.run(w), CASES["momentum"][1], rtol=1e-5)


def test_global_step_helpers():
    assert tf.train.get_global_step() is None
    step = tf.train.create_global_step()
    assert step.name == "global_step:0" and step.dtype == tf.int64 and not step.trainable
    assert tf.train.get_global_step() is step and tf.train.get_or_create_global_step() is step
    assert step in tf.get_collection(tf.GraphKeys.GLOBAL_STEP)
    with pytest.raises(ValueError, match="already exists"):
        tf.train.create_global_step()
    with tf.Graph().as_default():
        tf.Variable(1.5, name="global_step")
        with pytest.raises(TypeError, match="integer type"):
            tf.train.get_global_step()


def test_learning_rate_may_be_a_tensor():
    w, b, loss = _model()
    lr = tf.placeholder(tf.float32, [], name="lr")
    train = tf.train.GradientDescentOptimizer(lr).minimize(loss)
    grad_w = tf.gradients(loss, w)[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        g = sess.run(grad_w)
        sess.run(train, {lr: 0.01})
        np.testing.assert_allclose(sess.run(w), W0 - 0.01 * g, rtol=1e-6)
        g = sess.run(grad_w)
        before = sess.run(w)
        sess.run(train, {lr: 0.5})
        np.testing.assert_allclose(sess.run(w), before - 0.5 * g, rtol=1e-6)


def test_learning_rate_may_be_a_callable():
    w, _, loss = _model()
    train = tf.train.GradientDescentOptimizer(lambda: tf.constant(0.05)).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(5):
            sess.run(train)
        np.testing.assert_allclose(sess.run(w), CASES["sgd"][1], rtol=1e-5)


def test_compute_gradients_keeps_unconnected_variables():
    w, b, loss = _model()
    unused = tf.Variable([1.0], name="unused")
    optimizer = tf.train.GradientDescentOptimizer(0.1)
    pairs = optimizer.compute_gradients(loss)
    assert [v for _, v in pairs] == [w, b, unused]
    assert pairs[2][0] is None and pairs[0][0].shape.as_list() == [3, 2]
    train = optimizer.apply_gradients(pairs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run(unused) == [1.0]
        grad_b = 2 * np.sum(X @ W0 + B0 - Y, axis=0)
        np.testing.assert_allclose(sess.run(b), B0 - 0.1 * grad_b, rtol=1e-5)


def test_no_gradients_errors():
    w, _, _ = _model()
    other = tf.Variable(1.0, name="other")
    loss = other * 2.0
    optimizer = tf.train.AdamOptimizer()
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizer.minimize(loss, var_list=[w])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizer.apply_gradients([(None, w)])
    with pytest.raises(ValueError, match="No variables to optimize"):
        optimizer.compute_gradients(loss, var_list=[])
    with pytest.raises(ValueError, match="Invalid type int32"):
        optimizer.compute_gradients(tf.constant(1), var_list=[w])


def test_apply_gradients_checks_pairs():
    w, _, _ = _model()
    optimizer = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="incompatible with variable w"):
        optimizer.apply_gradients([(tf.ones([2, 3]), w)])
    with pytest.raises(TypeError, match="tf.Variable"):
        optimizer.apply_gradients([(tf.ones([3, 2]), tf.ones([3, 2]))])


def test_updates_never_write_into_fetched_values():
    w, _, loss = _model()
    train = tf.train.AdamOptimizer(0.1).minimize(loss)
    read = w.value()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before, _ = sess.run([read, train])
        kept = before.copy()
        sess.run(train)
        np.testing.assert_array_equal(before, kept)


def test_each_session_trains_its_own_values():
    w, _, loss = _model()
    train = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss)
    s1, s2 = tf.Session(), tf.Session()
    for sess in (s1, s2):
        sess.run(tf.global_variables_initializer())
    for _ in range(5):
        s1.run(train)
    np.testing.assert_allclose(s1.run(w), CASES["momentum"][1], rtol=1e-5)
    np.testing.assert_array_equal(s2.run(w), W0)


def test_apply_op_shape_rules_name_inputs():
    w = tf.Variable(W0, name="w")
    accum = tf.Variable(np.zeros([3, 2], np.float32), name="accum")
    with pytest.raises(ValueError, match="must be a scalar"):
        training_ops.apply_gradient_descent(w, tf.ones([2]), tf.ones([3, 2]))
    with pytest.raises(ValueError, match=r"\[3,2\] and \[2,3\]: grad"):
        training_ops.apply_adagrad(w, accum, 0.1, tf.ones([2, 3]))
    with pytest.raises(TypeError, match="requires a Variable"):
        training_ops.apply_gradient_descent(tf.ones([3, 2]), 0.1, tf.ones([3, 2]))
    with pytest.raises(ValueError, match="dtype float64"):
        training_ops.apply_gradient_descent(w, 0.1, tf.ones([3, 2], dtype=tf.float64))
    out = training_ops.apply_momentum(w, accum, 0.1, tf.ones([3, 2]), 0.9, name="step")
    assert out.name == "step:0" and out.shape.as_list() == [3, 2] and out.dtype == tf.float32


def test_apply_ops_match_numpy_formulas():
    rng = np.random.default_rng(1)
    var0, accum0, grad = (rng.standard_normal([4, 3]) for _ in range(3))
    accum0 = np.abs(accum0) + 0.1
    var = tf.Variable(var0, name="var")
    accum = tf.Variable(accum0, name="accum")
    m = tf.Variable(accum0 * 0.5, name="m")
    v = tf.Variable(accum0, name="v")
    grad_t = tf.constant(grad)
    adagrad = training_ops.apply_adagrad(var, accum, tf.constant(0.3, tf.float64), grad_t)
    adam = training_ops.apply_adam(var, m, v, tf.constant(0.9 ** 3, tf.float64), tf.constant(0.999 ** 3, tf.float64),
                                   tf.constant(0.01, tf.float64), tf.constant(0.9, tf.float64),
                                   tf.constant(0.999, tf.float64), tf.constant(1e-8, tf.float64), grad_t)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        new_var = sess.run(adagrad)
        expected_accum = accum0 + grad * grad
        np.testing.assert_allclose(sess.run(accum), expected_accum, rtol=1e-12)
        np.testing.assert_allclose(new_var, var0 - 0.3 * grad / np.sqrt(expected_accum), rtol=1e-12)
        assert new_var.dtype == np.float64
        start = sess.run(var)
        out = sess.run(adam)
        m1 = accum0 * 0.5 * 0.9 + 0.1 * grad
        v1 = accum0 * 0.999 + 0.001 * grad * grad
        lr_t = 0.01 * np.sqrt(1 - 0.999 ** 3) / (1 - 0.9 ** 3)
        np.testing.assert_allclose(out, start - lr_t * m1 / (np.sqrt(v1) + 1e-8), rtol=1e-12)
        np.testing.assert_allclose(sess.run([m, v]), [m1, v1], rtol=1e-12)


@pytest.mark.parametrize("case", sorted(CASES))
def test_scalar_variables_train_as_one_element_vectors(case):
    make = CASES[case][0]
    scalar = tf.Variable(0.5, name="scalar")
    vector = tf.Variable([0.5], name="vector")
    loss = (scalar - 3.0) * (scalar - 3.0) + tf.reduce_sum((vector - 3.0) * (vector - 3.0))
    train = make().minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        s, v = sess.run([scalar, vector])
    assert np.shape(s) == () and v.shape == (1,) and s != 0.5
    np.testing.assert_allclose(s, v[0], rtol=1e-6)


def test_float64_variables_use_float32_hyperparameters_cast_as_tf():
    w = tf.Variable(W0.astype(np.float64), name="w")
    d = tf.matmul(X.astype(np.float64), w) - Y.astype(np.float64)
    optimizer = tf.train.AdamOptimizer(0.1)
    train = optimizer.minimize(tf.reduce_sum(d * d))
    assert [v.dtype for v in optimizer.variables()] == [tf.float32, tf.float32, tf.float64, tf.float64]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(5):
            sess.run(train)
        value = sess.run(w)
    assert value.dtype == np.float64
    expected = [[-0.32893091007579617, 0.2852427855055294], [-0.094966090009492, 0.42115549239870803],
                [-0.06226567431439717, 0.6233767822116457]]  # TensorFlow 2.21, float64 variable
    np.testing.assert_allclose(value, expected, rtol=1e-7)


def test_variable_constraints_are_applied_after_each_update():
    w = tf.Variable([0.5, -0.5], name="w", constraint=lambda v: tf.clip_by_value(v, -0.6, 0.6))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(w * tf.constant([-1.0, 1.0])))
    with tf.Session() as sess:
        sess.run(w.initializer)
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [0.6, -0.6], rtol=1e-6)
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [0.6, -0.6], rtol=1e-6)
