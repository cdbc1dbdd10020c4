"""Graph pictures: the DOT structure of a rendered MLP training graph, collapsing, styles, traced run times,
PNG/SVG output where Graphviz's `dot` exists, and the `python -m flowgraph` command line."""
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import flowgraph as tf
from flowgraph import viz
from graph_examples import mlp_training_graph

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed")


def _mlp():
    return mlp_training_graph(tf.train.AdamOptimizer(0.1))


class Dot:
    """The parts of DOT source the tests look at: clusters and their parents, nodes with their cluster and
    attributes, edges with attributes (graphviz writes one statement per line)."""

    _ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')
    _ID = r'("(?:[^"\\]|\\.)*"|[\w.]+)'

    def __init__(self, source):
        self.clusters, self.nodes, self.edges = {}, {}, {}
        stack = [None]
        for line in source.splitlines():
            line = line.strip()
            opened = re.match(r"subgraph %s \{$" % self._ID, line)
            edge = re.match(r"%s -> %s(?: \[(.*)\])?$" % (self._ID, self._ID), line)
            node = re.match(r"%s \[(.*)\]$" % self._ID, line)
            if opened:
                name = self._unquote(opened.group(1))[len("cluster_"):]
                self.clusters[name] = stack[-1]
                stack.append(name)
            elif line == "}":
                stack.pop()
            elif edge:
                key = (self._unquote(edge.group(1)), self._unquote(edge.group(2)))
                self.edges.setdefault(key, []).append(self._attrs(edge.group(3) or ""))
            elif node and node.group(1) not in ("graph", "node", "edge"):
                self.nodes[self._unquote(node.group(1))] = dict(self._attrs(node.group(2)), cluster=stack[-1])

    def _attrs(self, text):
        return {key: self._unquote(value) for key, value in self._ATTR.findall(text)}

    @staticmethod
    def _unquote(text):
        return text[1:-1].replace('\\"', '"') if text.startswith('"') else text


def _dot(*args, **kwargs):
    return Dot(viz.to_graphviz(*args, **kwargs).source)


def test_name_scopes_become_nested_clusters():
    _mlp()
    dot = _dot(tf.get_default_graph())
    assert dot.clusters["hidden"] is None and dot.clusters["gradients"] is None and dot.clusters["Adam"] is None
    assert dot.clusters["hidden/weights"] == "hidden" and dot.clusters["hidden/weights/Adam"] == "hidden/weights"
    assert dot.clusters["gradients/hidden"] == "gradients"
    assert dot.nodes["hidden/MatMul"]["cluster"] == "hidden"
    assert dot.nodes["hidden/weights"]["cluster"] == "hidden/weights"  # a variable sits with its Assign and read
    assert dot.nodes["hidden/weights/read"]["cluster"] == "hidden/weights"
    assert dot.nodes["loss"]["cluster"] is None
    assert len(dot.nodes) == len(tf.get_default_graph().get_operations())


def test_nodes_show_op_type_and_name_and_are_styled_by_kind():
    _mlp()
    nodes = _dot(tf.get_default_graph()).nodes
    assert nodes["hidden/MatMul"]["label"] == r"MatMul\nMatMul"
    assert nodes["hidden/Relu"]["label"] == r"Relu\nRelu" and nodes["loss"]["label"] == r"Mean\nloss"
    assert nodes["hidden/MatMul"]["tooltip"] == "hidden/MatMul"
    kinds = {name: (nodes[name]["shape"], nodes[name]["fillcolor"])
             for name in ("x", "hidden/weights", "hidden/weights/initial_value", "hidden/MatMul")}
    assert kinds["x"][0] == "invhouse" and kinds["hidden/weights"][0] == "cylinder"
    assert kinds["hidden/weights/initial_value"][0] == "note" and kinds["hidden/MatMul"][0] == "box"
    assert len(set(kinds.values())) == 4


def test_edges_carry_dtype_and_shape_and_control_edges_are_dashed():
    _mlp()
    edges = _dot(tf.get_default_graph()).edges
    assert edges[("x", "hidden/MatMul")] == [{"label": "float32 [?,4]", "tooltip": "x:0"}]
    assert edges[("hidden/weights/read", "hidden/MatMul")][0]["label"] == "float32 [4,5]"
    assert edges[("gradients/grad_ys_0", "gradients/loss_grad/ReductionGrad")][0]["label"] == "float32 []"
    control = edges[("Adam/update_hidden/weights/ApplyAdam", "Adam")][0]
    assert control["style"] == "dashed"
    assert all("style" not in attrs for attrs in edges[("hidden/MatMul", "hidden/add")])
    plain = _dot(tf.get_default_graph(), show_shapes=False).edges
    assert plain[("x", "hidden/MatMul")][0]["label"] == ""


def test_collapsed_scopes_become_one_node_with_merged_edges():
    _mlp()
    graph = tf.get_default_graph()
    dot = _dot(graph, collapse=["gradients", "Adam"])
    gradient_ops = [op for op in graph.get_operations() if op.name.startswith("gradients/")]
    adam_ops = [op for op in graph.get_operations() if op.name == "Adam" or op.name.startswith("Adam/")]
    assert dot.nodes["gradients/"]["label"] == r"gradients\n(%d ops)" % len(gradient_ops)
    assert dot.nodes["Adam/"]["label"] == r"Adam\n(%d ops)" % len(adam_ops)
    assert dot.nodes["gradients/"]["shape"] == "box3d" and dot.nodes["gradients/"]["cluster"] is None
    assert not any(name.startswith(("gradients/", "Adam/")) and name not in ("gradients/", "Adam/")
                   for name in dot.nodes)
    assert "gradients" not in dot.clusters and "Adam" not in dot.clusters and "hidden" in dot.clusters
    assert all(len(attrs) == 1 for attrs in dot.edges.values())  # one edge per neighbour and kind
    assert not any(src == dst for src, dst in dot.edges)
    into_adam = dot.edges[("gradients/", "Adam/")][0]
    assert into_adam["label"] == "3 tensors"  # the three variables' gradients, merged
    assert into_adam["tooltip"].count("gradients/") == 3


def test_collapse_to_a_depth():
    _mlp()
    top = _dot(tf.get_default_graph(), collapse=1)
    assert top.clusters == {}
    assert {"x", "labels", "loss", "hidden/", "output/", "gradients/", "Adam/", "beta1_power/"} <= set(top.nodes)
    assert top.edges[("x", "hidden/")][0]["label"] == "float32 [?,4]"
    second = _dot(tf.get_default_graph(), collapse=2)
    assert set(second.clusters) == {"hidden", "output", "gradients", "Adam", "beta1_power", "beta2_power"}
    assert second.nodes["hidden/weights/"]["cluster"] == "hidden" and "hidden/MatMul" in second.nodes


def test_bad_collapse_arguments():
    _mlp()
    with pytest.raises(ValueError, match=r"collapse names scopes \['Adamx'\] that are not in the graph"):
        viz.to_graphviz(collapse=["Adamx"])
    with pytest.raises(ValueError, match="at least 1"):
        viz.to_graphviz(collapse=0)
    with pytest.raises(TypeError, match="collapse must be"):
        viz.to_graphviz(collapse=2.5)


def test_fetches_draw_only_the_subgraph_they_need():
    x, labels, logits, loss, train = _mlp()
    dot = _dot(logits)
    assert set(dot.nodes) == {"x", "hidden/weights", "hidden/weights/read", "hidden/biases", "hidden/biases/read",
                              "hidden/MatMul", "hidden/add", "hidden/Relu", "output/weights", "output/weights/read",
                              "output/logits"}
    assert dot.nodes["output/logits"]["peripheries"] == "2" and "peripheries" not in dot.nodes["hidden/Relu"]
    both = _dot({"loss": loss, "step": [train]}, collapse=["gradients"])
    assert both.nodes["loss"]["peripheries"] == "2" and both.nodes["Adam"]["peripheries"] == "2"
    assert "labels" in both.nodes and "hidden/weights/Assign" not in both.nodes
    assert set(_dot("output/logits:0").nodes) == set(dot.nodes)


def test_graph_defs_draw_like_their_graphs():
    _mlp()
    graph = tf.get_default_graph()
    assert _dot(graph.as_graph_def()).nodes.keys() == _dot(graph).nodes.keys()


def test_ops_are_coloured_by_device():
    x = tf.placeholder(tf.float32, [2], name="x")
    with tf.device("/cpu:0"):
        a = tf.identity(x, name="a")
    with tf.device("/opencl:0"):
        b = tf.identity(a, name="b")
    tf.identity(b, name="c")
    dot = _dot(tf.get_default_graph())
    colors = {name: dot.nodes[name]["fillcolor"] for name in ("a", "b", "c")}
    assert len(set(colors.values())) == 3
    assert dot.nodes["device /cpu:0"]["fillcolor"] == colors["a"]
    assert dot.nodes["device /opencl:0"]["fillcolor"] == colors["b"]
    assert dot.nodes["device /opencl:0"]["cluster"] == "legend"
    assert dot.nodes["b"]["tooltip"] == "b on /opencl:0"


def test_traced_runs_time_each_op_and_the_times_are_drawn():
    x, labels, logits, loss, train = _mlp()
    feed = {x: np.ones((3, 4)), labels: np.zeros((3, 2))}
    meta = tf.RunMetadata()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, feed, run_metadata=meta)
        assert meta.step_stats == {}  # no trace asked for
        options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
        traced_loss = sess.run(loss, feed, options=options, run_metadata=meta)
        assert traced_loss == sess.run(loss, feed)
        stats = dict(meta.step_stats)
        sess.run([train], feed, options=options, run_metadata=meta)
    assert {"hidden/MatMul", "hidden/Relu", "loss", "hidden/weights"} <= set(stats)
    assert "Adam" not in stats and "Adam" in meta.step_stats  # each traced run starts afresh
    assert all(seconds >= 0 for seconds in stats.values())
    dot = _dot(tf.get_default_graph(), run_metadata=meta, collapse=["gradients"])
    assert re.fullmatch(r"MatMul\\nMatMul\\n\d+\.\d{3} ms", dot.nodes["hidden/MatMul"]["label"])
    assert re.search(r"\(\d+ ops\)\\n\d+\.\d{3} ms$", dot.nodes["gradients/"]["label"])
    assert "ms" not in dot.nodes["x"]["label"]


def test_traced_run_errors_name_the_op():
    x = tf.placeholder(tf.float32, [None], name="x")
    y = tf.check_numerics(x, "bad value")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Caused by op 'CheckNumerics'"):
            sess.run(y, {x: [np.nan]}, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                     run_metadata=tf.RunMetadata())


@needs_dot
def test_render_writes_png_and_svg(tmp_path):
    x, labels, logits, loss, train = _mlp()
    path = viz.render(tf.get_default_graph(), str(tmp_path / "mlp.png"), collapse=["gradients", "Adam"])
    assert path == str(tmp_path / "mlp.png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    svg = viz.render(loss, str(tmp_path / "loss"), format="svg")
    assert svg == str(tmp_path / "loss.svg") and "<svg" in open(svg).read()
    assert "<svg" in tf.get_default_graph()._repr_svg_() and "hidden/MatMul" in logits._repr_svg_()


@needs_dot
def test_render_lays_out_nested_scopes_with_crossing_edges(tmp_path):
    # tf.layers variables live outside the scope their ops are built in: dot needs `newrank` for this graph
    x = tf.placeholder(tf.float32, [None, 64], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    with tf.name_scope("model"):
        logits = tf.layers.dense(tf.layers.dense(x, 32, activation=tf.nn.relu), 10)
    with tf.name_scope("loss"):
        loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    tf.train.AdamOptimizer(0.01).minimize(loss)
    path = viz.render(tf.get_default_graph(), str(tmp_path / "layers.svg"), format="svg")  # PNG: same layout, slower
    assert "<svg" in open(path).read()


def test_jupyter_display_falls_back_to_text_without_graphviz(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    graph = tf.get_default_graph()
    tf.placeholder(tf.float32, name="x")
    assert graph._repr_svg_() is None
    with pytest.raises(ImportError, match="needs the 'graphviz' Python package"):
        viz.to_graphviz(graph)


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "flowgraph"] + list(args), capture_output=True, text=True, env=env,
                          timeout=120)


def test_command_line_renders_graph_documents(tmp_path):
    _mlp()
    document = tf.train.write_graph(tf.get_default_graph(), str(tmp_path), "mlp.json")
    done = _cli("render", document, "-o", str(tmp_path / "mlp.dot"), "--collapse", "gradients", "Adam")
    assert done.returncode == 0, done.stderr
    dot = Dot((tmp_path / "mlp.dot").read_text())
    assert "gradients/" in dot.nodes and "Adam/" in dot.nodes and "hidden" in dot.clusters
    done = _cli("render", document, "-o", str(tmp_path / "top.gv"), "--collapse", "1")
    assert done.returncode == 0 and Dot((tmp_path / "top.gv").read_text()).clusters == {}
    (tmp_path / "bad.json").write_text('{"format": "flowgraph.GraphDef", "version": 9, "node": []}')
    done = _cli("render", str(tmp_path / "bad.json"))
    assert done.returncode == 1 and "version 9 is not supported" in done.stderr
    if shutil.which("dot"):
        done = _cli("render", document, "--collapse", "1")
        assert done.returncode == 0 and (tmp_path / "mlp.png").read_bytes()[:4] == b"\x89PNG"


def test_command_line_lists_devices():
    done = _cli("devices")
    assert done.returncode == 0, done.stderr
    assert "/numpy:0" in done.stdout
