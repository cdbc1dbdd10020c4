"""Bad inputs: a table of wrong feeds, names, graphs, shapes, dtypes, axes, run-time values, damaged checkpoints
and graph files. Each must raise TF's error class with a message that names the culprit, must leave every
Variable as it was, and must leave the session usable."""
import collections
import json
import os
import re

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.io import read_graph

W0 = np.arange(6, dtype=np.float32).reshape(3, 2) / 10
B0 = np.array([0.5, -0.5], np.float32)
X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], np.float32)


class Model:
    """A small initialized classifier, its Saver and its session: every case runs against a fresh one."""

    def __init__(self, directory):
        self.directory = directory
        self.x = tf.placeholder(tf.float32, [None, 3], name="x")
        self.labels = tf.placeholder(tf.int32, [None], name="labels")
        self.w = tf.Variable(W0, name="w")
        self.b = tf.Variable(B0, name="b")
        self.logits = tf.add(tf.matmul(self.x, self.w), self.b, name="logits")
        xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=self.labels, logits=self.logits)
        self.loss = tf.reduce_mean(xent, name="loss")
        self.train = tf.train.GradientDescentOptimizer(0.1).minimize(self.loss)
        self.saver = tf.train.Saver()
        self.sess = tf.Session()
        self.sess.run(tf.global_variables_initializer())

    def variable_values(self):
        return self.sess.run([self.w, self.b])

    def save(self, name="model"):
        return self.saver.save(self.sess, os.path.join(self.directory, name))

    def run(self, fetches, feed_dict=None):
        return self.sess.run(fetches, feed_dict)


Case = collections.namedtuple("Case", "id trigger error patterns")
CASES = []


def add(case_id, error, trigger, *patterns):
    """Register `trigger(model)` as a bad-input case: it must raise `error` with every regex of `patterns`."""
    CASES.append(Case(case_id, trigger, error, patterns))


def case(case_id, error, *patterns):
    """`add` as a decorator, for cases that take several statements."""
    def register(trigger):
        add(case_id, error, trigger, *patterns)
        return trigger
    return register


def _other_graph_tensor():
    with tf.Graph().as_default():
        return tf.constant([1.0, 2.0], name="stranger")


def _with_size_limit(num_bytes, build):
    old = tf.tensor_size_limit()
    tf.set_tensor_size_limit(num_bytes)
    try:
        return build()
    finally:
        tf.set_tensor_size_limit(old)


# ---- feeds -------------------------------------------------------------------------------------------------

add("feed_wrong_shape", ValueError, lambda m: m.run(m.logits, {m.x: np.zeros((2, 4))}),
    r"shape \(2, 4\)", "'x:0'", r"\((None|\?), 3\)")
add("feed_wrong_rank", ValueError, lambda m: m.run(m.logits, {m.x: np.zeros(3)}), r"shape \(3,\)", "'x:0'")
add("feed_fractional_into_int", ValueError, lambda m: m.run(m.loss, {m.x: X, m.labels: [0.5, 1.0]}),
    "fractional", "'labels:0'", "int32")
add("feed_strings_into_float", ValueError, lambda m: m.run(m.logits, {m.x: [["a", "b", "c"]]}),
    "'x:0'", "float32")
add("feed_unknown_name", TypeError, lambda m: m.run(m.logits, {"ghost:0": X}), "feed_dict key", "'ghost:0'")
add("feed_op_name", TypeError, lambda m: m.run(m.logits, {"x": X}), "feed_dict key", "'x'")
add("feed_other_graph_tensor", TypeError, lambda m: m.run(m.logits, {_other_graph_tensor(): [1.0, 2.0]}),
    "feed_dict key", "stranger:0")
add("feed_value_is_a_tensor", TypeError, lambda m: m.run(m.logits, {m.x: tf.zeros([2, 3])}),
    "cannot be a tf.Tensor", "x:0")
add("unfed_placeholder", tf.errors.InvalidArgumentError, lambda m: m.run(m.logits),
    "must feed a value for placeholder tensor 'x'", "float32", r"\[\?,3\]")
add("unfed_placeholder_in_train_step", tf.errors.InvalidArgumentError, lambda m: m.run(m.train, {m.x: X}),
    "placeholder tensor 'labels'", "int32")
add("feed_over_size_limit", tf.errors.ResourceExhaustedError,
    lambda m: _with_size_limit(1 << 16, lambda: m.run(m.logits, {m.x: np.zeros((10000, 3))})),
    "'x:0'", r"\[10000, 3\]", "tensor size limit")

# ---- names and fetches -------------------------------------------------------------------------------------

add("fetch_unknown_tensor_name", ValueError, lambda m: m.run("ghost:0"), "'ghost:0'", "does not exist")
add("fetch_unknown_op_name", ValueError, lambda m: m.run("ghost"), "'ghost'", "not in the graph")
add("fetch_output_index_out_of_range", ValueError, lambda m: m.run("logits:1"), "'logits:1'", "only has 1 output")
add("fetch_none", TypeError, lambda m: m.run([m.logits, None], {m.x: X}), "Fetch argument None")
add("fetch_int", TypeError, lambda m: m.run(3), "Fetch argument 3", "invalid type")
add("fetch_other_graph_tensor", ValueError, lambda m: m.run(_other_graph_tensor()), "stranger:0",
    "not an element of this graph")
add("fetch_other_graph_op", ValueError, lambda m: m.run(_other_graph_tensor().op), "stranger",
    "not an element of this graph")
add("get_tensor_by_unknown_name", KeyError, lambda m: m.sess.graph.get_tensor_by_name("ghost:0"), "'ghost:0'",
    "does not exist")
add("get_tensor_by_op_name", ValueError, lambda m: m.sess.graph.get_tensor_by_name("logits"), "'logits'",
    "Operation name")
add("get_tensor_output_out_of_range", KeyError, lambda m: m.sess.graph.get_tensor_by_name("logits:2"),
    "'logits:2'", "only has 1 outputs")
add("get_unknown_operation", KeyError, lambda m: m.sess.graph.get_operation_by_name("ghost"), "'ghost'")

# ---- foreign graphs, closed sessions, variables ------------------------------------------------------------

add("op_on_other_graph_tensor", ValueError, lambda m: tf.add(m.logits, _other_graph_tensor()), "stranger:0",
    "same graph", "Add")


@case("control_dependency_on_other_graph", ValueError, "stranger", "different graph")
def _control_dependency_on_other_graph(m):
    with tf.control_dependencies([_other_graph_tensor()]):
        tf.identity(m.logits)


@case("run_closed_session", RuntimeError, "closed Session")
def _run_closed_session(m):
    sess = tf.Session()
    sess.close()
    sess.run(m.logits, {m.x: X})


@case("callable_of_closed_session", RuntimeError, "closed Session")
def _callable_of_closed_session(m):
    sess = tf.Session()
    call = sess.make_callable(m.logits, [m.x])
    sess.close()
    call(X)


@case("uninitialized_variable", tf.errors.FailedPreconditionError, "uninitialized value fresh", "'fresh'")
def _uninitialized_variable(m):
    fresh = tf.Variable([1.0, 2.0], name="fresh")
    m.run(fresh * 2.0)


@case("uninitialized_variable_in_train_step", tf.errors.FailedPreconditionError, "uninitialized value late_bias")
def _uninitialized_in_train_step(m):
    late = tf.Variable(np.zeros(2, np.float32), name="late_bias")
    loss = tf.reduce_sum(tf.square(m.logits + late))
    m.run(tf.train.GradientDescentOptimizer(0.1).minimize(loss), {m.x: X})


add("assign_wrong_static_shape", ValueError, lambda m: tf.assign(m.w, tf.zeros([2, 3])), "variable w",
    r"\(3, 2\)", r"\(2, 3\)")
add("assign_wrong_dtype", TypeError, lambda m: tf.assign(m.w, tf.zeros([3, 2], tf.float64)), "'value'",
    "float64", "float32")
add("assign_add_wrong_dtype", TypeError, lambda m: tf.assign_add(m.b, tf.ones([2], tf.int32)), "'value'", "int32",
    "float32")


@case("assign_wrong_shape_at_run", tf.errors.InvalidArgumentError, "'Assign'", "variable w", r"\[3, 2\]",
      r"\[6\]")
def _assign_wrong_shape_at_run(m):
    value = tf.placeholder(tf.float32, None, name="new_w")
    m.run(tf.assign(m.w, value), {value: np.zeros(6)})


@case("assign_add_wrong_shape_at_run", tf.errors.InvalidArgumentError, "'AssignAdd'", "variable b", r"\[2\]",
      r"\[1\]")
def _assign_add_wrong_shape_at_run(m):
    delta = tf.placeholder(tf.float32, [None], name="delta")
    m.run(tf.assign_add(m.b, delta), {delta: np.ones(1)})


add("variable_with_non_variable_ref", TypeError, lambda m: tf.assign(m.logits, tf.zeros([2, 2])), "requires a Variable",
    "logits:0")

# ---- shapes, axes and dtypes at build time -----------------------------------------------------------------

add("reshape_element_count", ValueError, lambda m: tf.reshape(tf.zeros([2, 3]), [4], name="flat"), "6", r"\[4\]",
    "'flat'")
add("reshape_two_unknown_dims", ValueError, lambda m: tf.reshape(m.x, [-1, -1], name="both"), "-1", "'both'")
add("concat_rank_mismatch", ValueError, lambda m: tf.concat([m.x, tf.zeros([3])], 0, name="joined"), "rank",
    "'joined'", r"\[\?,3\], \[3\]")
add("concat_dim_mismatch", ValueError, lambda m: tf.concat([m.x, tf.zeros([2, 4])], 0, name="joined"), "3", "4",
    "'joined'")
add("concat_axis_out_of_range", ValueError, lambda m: tf.concat([m.x, m.x], 2, name="joined"), "axis", "2",
    "'joined'")
add("concat_int_and_float", TypeError, lambda m: tf.concat([m.x, tf.zeros([1, 3], tf.int32)], 0, name="joined"),
    "int32", "float32", "joined")
add("matmul_inner_dims", ValueError, lambda m: tf.matmul(m.x, tf.zeros([2, 2]), name="product"), "3", "2",
    "'product'")
add("matmul_rank_one", ValueError, lambda m: tf.matmul(tf.zeros([3]), m.w, name="product"), "rank", "'product'")
add("matmul_int_and_float", TypeError, lambda m: tf.matmul(m.x, tf.ones([3, 2], tf.int32), name="product"),
    "int32", "float32", "product")
add("add_int_and_float", TypeError, lambda m: tf.add(m.logits, tf.constant([1, 2]), name="total"), "int32",
    "float32", "total")
add("broadcast_mismatch", ValueError, lambda m: tf.multiply(m.x, tf.ones([4]), name="scaled"), r"\[\?,3\]",
    r"\[4\]", "'scaled'")
add("conv_channel_mismatch", ValueError,
    lambda m: tf.nn.conv2d(tf.zeros([1, 5, 5, 3]), tf.zeros([3, 3, 4, 8]), [1, 1, 1, 1], "SAME", name="conv"),
    "3", "4", "'conv'")
add("conv_bad_padding", ValueError,
    lambda m: tf.nn.conv2d(tf.zeros([1, 5, 5, 3]), tf.zeros([3, 3, 3, 8]), [1, 1, 1, 1], "FULL"), "padding", "FULL")
add("conv_rank_three_input", ValueError,
    lambda m: tf.nn.conv2d(tf.zeros([5, 5, 3]), tf.zeros([3, 3, 3, 8]), [1, 1, 1, 1], "SAME", name="conv"),
    "rank", "'conv'")
add("split_not_divisible", ValueError, lambda m: tf.split(tf.zeros([5, 2]), 2, name="halves"), "divisible", "5",
    "'halves'")
add("split_sizes_do_not_sum", ValueError, lambda m: tf.split(tf.zeros([5, 2]), [2, 2], name="parts"),
    r"\[2,2\]|\[2, 2\]", "5", "'parts'")
add("transpose_not_a_permutation", ValueError, lambda m: tf.transpose(m.w, [0, 0], name="flipped"), r"\[0, 0\]",
    "'flipped'")
add("transpose_perm_length", ValueError, lambda m: tf.transpose(m.w, [0, 1, 2], name="flipped"), "2", "3",
    "'flipped'")
add("reduce_axis_out_of_range", ValueError, lambda m: tf.reduce_sum(m.w, 2, name="total"), "axis 2", "rank 2",
    "'total'")
add("reduce_duplicate_axes", ValueError, lambda m: tf.reduce_sum(m.w, [0, -2], name="total"), "duplicate",
    r"\[0, -2\]", "'total'")
add("reduce_axis_float", TypeError, lambda m: tf.reduce_sum(m.w, 0.5, name="total"), "0.5|float", "total")
add("expand_dims_axis_out_of_range", ValueError, lambda m: tf.expand_dims(m.w, 4, name="grown"), "4", "grown")
add("squeeze_non_unit_dim", ValueError, lambda m: tf.squeeze(m.w, [0], name="squeezed"), "3", "squeezed")
add("gather_float_indices", TypeError, lambda m: tf.gather(m.b, [0.5]), "indices", "float32")
add("one_hot_float_indices", TypeError, lambda m: tf.one_hot([0.5], 3), "indices", "float32")
add("size_limit_at_build", ValueError,
    lambda m: _with_size_limit(1 << 20, lambda: tf.zeros([1024, 1024], name="huge")), "'huge'",
    r"\[1024, 1024\]", "tensor size limit")
add("check_numerics_on_integers", TypeError, lambda m: tf.check_numerics(tf.constant([1, 2]), "ints"), "int32")

# ---- bad values at run time --------------------------------------------------------------------------------


@case("reshape_at_run", tf.errors.InvalidArgumentError, "'as_pairs'", "size 3", r"\(2, ?2\)")
def _reshape_at_run(m):
    v = tf.placeholder(tf.float32, [None], name="v")
    m.run(tf.reshape(v, [2, 2], name="as_pairs"), {v: np.zeros(3)})


@case("matmul_at_run", tf.errors.InvalidArgumentError, "'product'")
def _matmul_at_run(m):
    w = tf.placeholder(tf.float32, [None, 2], name="other_w")
    m.run(tf.matmul(m.x, w, name="product"), {m.x: X, w: np.zeros((4, 2))})


@case("concat_at_run", tf.errors.InvalidArgumentError, "'joined'")
def _concat_at_run(m):
    y = tf.placeholder(tf.float32, [None, None], name="y")
    m.run(tf.concat([m.x, y], 1, name="joined"), {m.x: X, y: np.zeros((3, 1))})


@case("broadcast_at_run", tf.errors.InvalidArgumentError, "'scaled'")
def _broadcast_at_run(m):
    y = tf.placeholder(tf.float32, None, name="y")
    m.run(tf.multiply(m.x, y, name="scaled"), {m.x: X, y: np.ones(4)})


@case("sparse_labels_out_of_range", tf.errors.InvalidArgumentError, "label value of 5", r"\[0, 2\)")
def _sparse_labels_out_of_range(m):
    m.run(m.train, {m.x: X, m.labels: [0, 5]})


@case("negative_sparse_label", tf.errors.InvalidArgumentError, "label value of -1")
def _negative_sparse_label(m):
    m.run([m.loss, m.train], {m.x: X, m.labels: [-1, 0]})


@case("gather_index_out_of_range", tf.errors.InvalidArgumentError, r"indices\[1\] = 7", r"\[0, 3\)", "'picked'")
def _gather_out_of_range(m):
    i = tf.placeholder(tf.int32, [None], name="i")
    m.run(tf.gather(m.w, i, name="picked"), {i: [0, 7]})


@case("gather_negative_index", tf.errors.InvalidArgumentError, r"indices\[0\] = -1", "'picked'")
def _gather_negative(m):
    i = tf.placeholder(tf.int32, [None], name="i")
    m.run(tf.gather(m.b, i, name="picked"), {i: [-1]})


@case("check_numerics_nan_blocks_the_update", tf.errors.InvalidArgumentError, "logits guard", "NaN", "'guard'")
def _check_numerics_nan(m):
    guarded = tf.check_numerics(m.logits, "logits guard", name="guard")
    loss = tf.reduce_sum(guarded)
    m.run(tf.train.GradientDescentOptimizer(0.1).minimize(loss), {m.x: [[np.nan, 0.0, 0.0]]})


@case("check_numerics_inf", tf.errors.InvalidArgumentError, "Inf", "'guard'")
def _check_numerics_inf(m):
    m.run(tf.check_numerics(m.x / 0.0, "divided", name="guard"), {m.x: X})


@case("size_limit_at_run", tf.errors.ResourceExhaustedError, "'filled'", r"\[4096, 4096\]", "tensor size limit")
def _size_limit_at_run(m):
    n = tf.placeholder(tf.int32, [], name="n")
    filled = tf.fill(tf.stack([n, n]), 1.0, name="filled")
    _with_size_limit(1 << 20, lambda: m.run(filled, {n: 4096}))


@case("integer_division_by_zero", tf.errors.InvalidArgumentError, "'quotient'")
def _integer_division_by_zero(m):
    d = tf.placeholder(tf.int32, [None], name="d")
    m.run(tf.floordiv(tf.constant([4, 6]), d, name="quotient"), {d: [2, 0]})


# ---- checkpoints -------------------------------------------------------------------------------------------

def _rewrite(path, change):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    with open(path, "wb") as f:
        f.write(change(data))


def _flip_middle_byte(data):
    data[len(data) // 2] ^= 0xFF
    return data


@case("checkpoint_truncated", tf.errors.DataLossError, r"model\.npz", "corrupted|truncated|unreadable")
def _checkpoint_truncated(m):
    prefix = m.save()
    _rewrite(prefix + ".npz", lambda data: data[:len(data) // 2])
    m.saver.restore(m.sess, prefix)


@case("checkpoint_corrupted_byte", tf.errors.DataLossError, r"model\.npz")
def _checkpoint_corrupted(m):
    prefix = m.save()
    _rewrite(prefix + ".npz", _flip_middle_byte)
    m.saver.restore(m.sess, prefix)


@case("checkpoint_index_not_json", tf.errors.DataLossError, r"model\.index\.json", "corrupted")
def _checkpoint_index_not_json(m):
    prefix = m.save()
    _rewrite(prefix + ".index.json", lambda data: data[:len(data) // 3])
    m.saver.restore(m.sess, prefix)


@case("checkpoint_index_of_another_format", tf.errors.DataLossError, r"model\.index\.json")
def _checkpoint_index_other_format(m):
    prefix = m.save()
    with open(prefix + ".index.json", "w") as f:
        json.dump({"format": "something-else", "variables": []}, f)
    m.saver.restore(m.sess, prefix)


@case("checkpoint_data_of_another_checkpoint", tf.errors.DataLossError, r"first\.npz", "SHA-256")
def _checkpoint_swapped_data(m):
    first = m.save("first")
    m.run(m.train, {m.x: X, m.labels: [0, 1]})
    second = m.save("second")
    m.run([tf.assign(m.w, W0), tf.assign(m.b, B0)])
    os.replace(second + ".npz", first + ".npz")
    m.saver.restore(m.sess, first)


@case("checkpoint_data_file_missing", tf.errors.NotFoundError, r"model\.npz")
def _checkpoint_data_missing(m):
    prefix = m.save()
    os.remove(prefix + ".npz")
    m.saver.restore(m.sess, prefix)


def _save_in_other_graph(directory, variables):
    """A checkpoint `other` in `directory` holding {name: value} saved from a graph of their own."""
    with tf.Graph().as_default():
        made = [tf.Variable(value, name=name) for name, value in variables.items()]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return tf.train.Saver(made).save(sess, os.path.join(directory, "other"))


add("checkpoint_missing_variable", tf.errors.NotFoundError,
    lambda m: m.saver.restore(m.sess, _save_in_other_graph(m.directory, {"b": B0})), "Key w not found",
    r"other")
add("checkpoint_shape_mismatch", tf.errors.InvalidArgumentError,
    lambda m: m.saver.restore(m.sess, _save_in_other_graph(m.directory, {"w": W0.T.copy(), "b": B0})),
    "Restoring w", r"\[3, 2\]", r"\[2, 3\]")
add("checkpoint_dtype_mismatch", tf.errors.InvalidArgumentError,
    lambda m: m.saver.restore(m.sess, _save_in_other_graph(m.directory, {"w": W0.astype(np.float64), "b": B0})),
    "Restoring w", "float32", "float64")
add("checkpoint_path_does_not_exist", ValueError, lambda m: m.saver.restore(m.sess, os.path.join(m.directory, "nope")),
    "not a valid checkpoint", "nope")
add("save_into_missing_directory", ValueError,
    lambda m: m.saver.save(m.sess, os.path.join(m.directory, "absent", "model")), "absent", "doesn't exist")

# ---- graph files -------------------------------------------------------------------------------------------


def _import_mutated(m, mutate):
    """Export the model's graph to a file, apply `mutate` to its JSON document, read it back and import it."""
    doc = json.loads(m.sess.graph.as_graph_def().to_json())
    mutate({n["name"]: n for n in doc["node"]}, doc)
    path = os.path.join(m.directory, "graph.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    with tf.Graph().as_default():
        tf.import_graph_def(read_graph(path))


def _set_node(name, key, value):
    def mutate(nodes, doc):
        nodes[name][key] = value
    return mutate


add("graph_unknown_op", ValueError, lambda m: _import_mutated(m, _set_node("logits", "op", "PyFunc")), "'logits'",
    "unknown op type 'PyFunc'")
add("graph_cycle", ValueError, lambda m: _import_mutated(m, _set_node("MatMul", "input", ["logits:0", "w/read:0"])),
    "cycle", "MatMul", "logits")
add("graph_missing_input", ValueError,
    lambda m: _import_mutated(m, _set_node("logits", "input", ["MatMul:0", "gone:0"])), "'logits'", "'gone:0'")
add("graph_huge_placeholder", ValueError,
    lambda m: _import_mutated(m, lambda nodes, doc: nodes["x"]["attr"].update(shape=[2 ** 40, 2 ** 40])),
    "tensor size limit")
add("graph_attr_of_wrong_type", ValueError,
    lambda m: _import_mutated(m, lambda nodes, doc: nodes["MatMul"]["attr"].update(transpose_a="yes")),
    "'MatMul'", "transpose_a", "bool")
add("graph_input_of_wrong_dtype", ValueError,
    lambda m: _import_mutated(m, _set_node("logits", "input", ["MatMul:0", "labels:0"])), "'logits'", "int32")
add("graph_not_a_document", ValueError, lambda m: tf.GraphDef.FromString('{"node": ['), "Not a JSON graph document")
add("graph_def_of_wrong_type", TypeError, lambda m: tf.import_graph_def(["node"]), "GraphDef", "list")


def test_the_table_is_large_and_ids_unique():
    assert len(CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_tf_error_naming_the_culprit(bad, tmp_path):
    m = Model(str(tmp_path))
    before = m.variable_values()
    with pytest.raises(bad.error) as info:
        bad.trigger(m)
    message = str(info.value)
    for pattern in bad.patterns:
        assert re.search(pattern, message), "%r not in the message: %s" % (pattern, message)
    for value, expected in zip(m.variable_values(), before):
        np.testing.assert_array_equal(value, expected)
    np.testing.assert_allclose(m.run(m.logits, {m.x: X}), X @ W0 + B0, rtol=1e-6)
    loss_before = m.run(m.loss, {m.x: X, m.labels: [0, 1]})
    m.run(m.train, {m.x: X, m.labels: [0, 1]})
    assert m.run(m.loss, {m.x: X, m.labels: [0, 1]}) < loss_before


def test_run_time_errors_carry_the_failing_op():
    m = Model(None)
    i = tf.placeholder(tf.int32, [None], name="i")
    picked = tf.gather(m.w, i, name="picked")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        m.run(picked, {i: [9]})
    assert info.value.op is picked.op
    assert info.value.error_code == tf.errors.INVALID_ARGUMENT
