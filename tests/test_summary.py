"""tf.summary: op names and tags as TF's, Summary protos with TF's values, and event files that TensorBoard's own
reader reads back (scalars, histograms, the graph)."""
import os
import sys
import types

import numpy as np
import pytest

import flowgraph as tf
from graph_examples import mlp_training_graph

# TensorBoard's file reader imports TensorFlow when it can; this documented marker makes it use its built-in
# stub instead, so the test reads event files exactly as a TensorFlow-free TensorBoard would.
sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.compat.proto import summary_pb2  # noqa: E402


def _summary(serialized):
    assert isinstance(serialized, bytes)
    return summary_pb2.Summary.FromString(serialized)


def test_ops_names_and_tags_follow_tf():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.name_scope("train"):
        loss = tf.summary.scalar("loss", tf.reduce_sum(x))
    hist = tf.summary.histogram("w", x)
    odd = tf.summary.scalar("a b:c", 1.0)
    grouped = tf.summary.scalar("lr", 0.5, family="opt")
    merged = tf.summary.merge_all()
    names = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert names["train/loss"] == "ScalarSummary" and names["train/loss/tags"] == "Const"
    assert names["w"] == "HistogramSummary" and names["w/tag"] == "Const"
    assert (loss.name, hist.name, odd.name, grouped.name, merged.name) == (
        "train/loss:0", "w:0", "a_b_c:0", "opt/lr:0", "Merge/MergeSummary:0")
    assert merged.dtype == tf.string and merged.shape.as_list() == []
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [loss, hist, odd, grouped]
    with tf.Session() as sess:
        tags = [v.tag for v in _summary(sess.run(merged, {x: np.ones((2, 3))})).value]
    assert tags == ["train/loss", "w", "a_b_c", "opt/opt/lr"]


def test_scalar_values():
    x = tf.placeholder(tf.float64, [None], name="x")
    total = tf.summary.scalar("total", tf.reduce_sum(x))
    count = tf.summary.scalar("count", tf.constant(3, tf.int32))
    with tf.Session() as sess:
        value = _summary(sess.run(total, {x: [1.5, 2.25]})).value
        assert [(v.tag, v.simple_value) for v in value] == [("total", 3.75)]
        assert _summary(sess.run(count)).value[0].simple_value == 3.0
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"tags and values are not the same shape: \[\] != "
                                                                 r"\[2\]"):
            sess.run(tf.summary.scalar("vector", x), {x: [1.0, 2.0]})
    with pytest.raises(TypeError, match="not in the list of allowed values"):
        tf.summary.scalar("text", tf.constant("a"))


def test_histogram_matches_tf():
    x = tf.placeholder(tf.float64, name="x")
    hist = tf.summary.histogram("h", x)
    with tf.Session() as sess:
        h = _summary(sess.run(hist, {x: [0.0, 1.0, 2.0, -3.5, 1e-13, 5.0, 5.0]})).value[0].histo
        empty = _summary(sess.run(hist, {x: np.zeros(0)})).value[0].histo
        with pytest.raises(tf.errors.InvalidArgumentError, match="Nan in summary histogram for: h"):
            sess.run(hist, {x: [1.0, np.inf]})
    # TensorFlow 2.21's HistogramSummary kernel gives these numbers for the same input.
    assert (h.min, h.max, h.num, h.sum, h.sum_squares) == (-3.5, 5.0, 7.0, 9.5000000000001, 67.25)
    assert list(h.bucket_limit) == [-3.8315657995195243, -3.48324163592684, 0.0, 1e-12, 0.917246389039776,
                                    1.0089710279437536, 1.9661990955585713, 2.1628190051144287, 4.636194617418625,
                                    5.099814079160488, 1.7976931348623157e+308]
    assert list(h.bucket) == [0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 0.0, 1.0, 0.0, 2.0, 0.0]
    assert (empty.min, empty.max, empty.num) == (1.7976931348623157e+308, -1.7976931348623157e+308, 0.0)
    assert list(empty.bucket_limit) == [1.7976931348623157e+308] and list(empty.bucket) == [0.0]


def test_merge():
    a = tf.summary.scalar("a", 1.0)
    b = tf.summary.scalar("b", 2.0)
    with tf.Session() as sess:
        merged = _summary(sess.run(tf.summary.merge([a, b], name="both")))
        assert [(v.tag, v.simple_value) for v in merged.value] == [("a", 1.0), ("b", 2.0)]
        with pytest.raises(tf.errors.InvalidArgumentError, match="Duplicate tag a found in summary inputs"):
            sess.run(tf.summary.merge([a, a]))
    assert tf.get_default_graph().get_operation_by_name("both/both").type == "MergeSummary"
    with pytest.raises(ValueError, match="length 0"):
        tf.summary.merge([])


def test_merge_all_is_none_without_summaries():
    assert tf.summary.merge_all() is None
    tf.summary.scalar("kept", 1.0, collections=["mine"])
    assert tf.summary.merge_all() is None and tf.summary.merge_all("mine").op.type == "MergeSummary"


def test_missing_tensorboard_raises_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard.compat.proto", None)
    with pytest.raises(ImportError, match="needs the 'tensorboard' package"):
        tf.summary.scalar("loss", 1.0)


def test_event_files_from_a_training_loop_are_read_by_tensorboard(tmp_path):
    x, labels, logits, loss, train = mlp_training_graph(tf.train.GradientDescentOptimizer(0.05))
    tf.summary.scalar("training_loss", loss)  # "loss" would be tagged "loss_1", as in TF: an op has that name
    tf.summary.histogram("hidden_weights", tf.trainable_variables()[0])
    summaries = tf.summary.merge_all()
    rng = np.random.RandomState(1)
    feed = {x: rng.randn(16, 4), labels: rng.randn(16, 2)}
    init = tf.global_variables_initializer()
    losses = []
    with tf.Session() as sess, tf.summary.FileWriter(str(tmp_path), sess.graph) as writer:
        sess.run(init)
        for step in range(5):
            value, serialized, _ = sess.run([loss, summaries, train], feed)
            losses.append(value)
            writer.add_summary(serialized, step)
        assert writer.get_logdir() == str(tmp_path)
    accumulator = event_accumulator.EventAccumulator(str(tmp_path))
    accumulator.Reload()
    tags = accumulator.Tags()
    assert tags["scalars"] == ["training_loss"] and tags["histograms"] == ["hidden_weights"] and tags["graph"]
    events = accumulator.Scalars("training_loss")
    assert [e.step for e in events] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([e.value for e in events], losses, rtol=1e-6)
    assert accumulator.Histograms("hidden_weights")[0].histogram_value.num == 20
    nodes = {n.name: n for n in accumulator.Graph().node}
    assert len(nodes) == len(tf.get_default_graph().get_operations())
    matmul = nodes["hidden/MatMul"]
    assert matmul.op == "MatMul" and list(matmul.input) == ["x", "hidden/weights/read"]
    assert [d.size for d in matmul.attr["_output_shapes"].list.shape[0].dim] == [-1, 5]
    assert matmul.attr["transpose_a"].b is False
    assert nodes["x"].attr["shape"].shape.dim[1].size == 4
    assert any(i.startswith("^") for n in nodes.values() for i in n.input)


def test_graph_defs_are_written_as_graphs(tmp_path):
    tf.identity(tf.placeholder(tf.float32, [None, 3], name="x"), name="y")
    graph_def = tf.get_default_graph().as_graph_def()
    with tf.summary.FileWriter(str(tmp_path), graph_def=graph_def):
        pass
    with tf.summary.FileWriter(str(tmp_path / "again")) as writer:
        writer.add_graph(graph_def)
    for logdir in (tmp_path, tmp_path / "again"):
        accumulator = event_accumulator.EventAccumulator(str(logdir))
        accumulator.Reload()
        assert [(n.name, n.op, list(n.input)) for n in accumulator.Graph().node] == [
            ("x", "Placeholder", []), ("y", "Identity", ["x"])]


def test_writers_in_one_directory_get_their_own_files(tmp_path):
    for _ in range(2):
        tf.summary.FileWriter(str(tmp_path)).close()
    assert len([f for f in os.listdir(tmp_path) if f.startswith("events.out.tfevents.")]) == 2


def test_file_writer_checks_its_arguments(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path))
    with pytest.raises(TypeError, match="serialized Summary"):
        writer.add_summary("loss")
    with pytest.raises(TypeError, match="needs a Graph or a GraphDef, got object"):
        writer.add_graph(object())
    writer.close()
    with pytest.raises(RuntimeError, match="is closed"):
        writer.add_summary(summary_pb2.Summary())
