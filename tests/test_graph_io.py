"""Graph export and import: GraphDef documents, write_graph, import_graph_def, and hostile documents."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.framework.op_registry import NOT_DIFFERENTIABLE, OpDef, apply_op
from flowgraph.io import GraphDef, NodeDef, read_graph
from graph_examples import mlp_training_graph

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# An op whose attr may hold anything, to show that Python callables are refused at export.
OpDef("TestOpaqueAttr", inputs=("x",), attrs={"payload": None}, shape=lambda op: op.inputs[0].shape,
      grad=NOT_DIFFERENTIABLE)


def _doc(graph=None):
    graph = graph or tf.get_default_graph()
    return json.loads(graph.as_graph_def(add_shapes=True).to_json())


def _small_graph():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    return x, tf.matmul(x, w, name="y")


# ---- the document ------------------------------------------------------------------------------------------

def test_document_lists_ops_inputs_attrs_and_devices():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.device("/cpu:0"):
        y = tf.identity(x, name="y")
    with tf.control_dependencies([y]):
        z = tf.constant([1, 2], name="z")
    doc = _doc()
    assert doc["format"] == "flowgraph.GraphDef" and doc["version"] == 1
    nodes = {n["name"]: n for n in doc["node"]}
    assert nodes["x"]["attr"] == {"dtype": {"dtype": "float32"}, "shape": [None, 3]}
    assert nodes["x"]["output"] == [{"dtype": "float32", "shape": [None, 3]}]
    assert nodes["y"]["input"] == ["x:0"] and nodes["y"]["device"] == "/cpu:0"
    assert nodes["z"]["input"] == ["^y"]
    assert nodes["z"]["attr"]["value"] == {"tensor": {"dtype": "int32", "shape": [2],
                                                      "data": "AQAAAAIAAAA="}}  # little-endian 1, 2
    assert z.op.name == "z"


@pytest.mark.parametrize("value", [
    np.arange(12, dtype=np.float64).reshape(3, 4) / 7, np.array([[True, False]]), np.array(5, np.int64),
    np.array(["a", "bc"], dtype=object), np.array([b"\x00\xff"], dtype=object), np.zeros((0, 3), np.float16),
    np.array([np.nan, -np.inf], np.float32), np.array([1, 65535], np.uint16)])
def test_constants_round_trip_exactly(value):
    tf.constant(value, name="c")
    node = GraphDef.FromString(tf.get_default_graph().as_graph_def().SerializeToString()).node[0]
    got = node.attr["value"]
    assert got.dtype == value.dtype and got.shape == value.shape
    if value.dtype == object:
        assert got.tolist() == value.tolist()
    else:
        np.testing.assert_array_equal(got, value)


def test_attr_values_round_trip_with_their_types():
    attrs = {"none": None, "flag": True, "count": 3, "rate": 0.5, "nan": float("nan"), "name": "SAME",
             "dtype": tf.float64, "shape": tf.TensorShape([None, 2]), "ints": [1, 2], "pair": (1, (2.5, "a")),
             "raw": b"\x01\x02", "scalar": np.float32(1.5)}
    text = GraphDef([NodeDef("n", "NoOp", attr=attrs)]).to_json()
    got = GraphDef.FromString(text).node[0].attr
    assert np.isnan(got.pop("nan")) and np.isnan(attrs.pop("nan"))
    assert got == attrs
    assert type(got["pair"]) is tuple and type(got["scalar"]) is np.float32 and got["dtype"] is tf.float64


def test_callable_attrs_are_refused_at_export():
    x = tf.placeholder(tf.float32, [2], name="x")
    apply_op("TestOpaqueAttr", (x,), {"payload": lambda op, dy: [dy]}, name="custom")
    with pytest.raises(ValueError, match=r"attr 'payload' of op 'custom'.*Python callable"):
        tf.get_default_graph().as_graph_def()
    with pytest.raises(ValueError, match="Python callable"):
        GraphDef([NodeDef("n", "NoOp", attr={"f": print})]).to_json()
    with pytest.raises(ValueError, match="type object has no graph-document form"):
        GraphDef([NodeDef("n", "NoOp", attr={"f": object()})]).to_json()


def test_custom_gradients_are_refused_at_export():
    @tf.custom_gradient
    def clipped(x):
        return tf.identity(x), lambda dy: tf.clip_by_value(dy, -1.0, 1.0)

    clipped(tf.placeholder(tf.float32, [2], name="x"))
    with pytest.raises(ValueError, match=r"its gradient is a Python function \(tf.custom_gradient\)"):
        tf.get_default_graph().as_graph_def()


@tf.RegisterGradient("TestGraphIoTripledGrad")
def _tripled_grad(op, dy):
    return [3.0 * dy]


def test_registered_gradient_overrides_survive_import():
    x = tf.placeholder(tf.float32, [2], name="x")
    with tf.get_default_graph().gradient_override_map({"Identity": "TestGraphIoTripledGrad"}):
        tf.identity(x, name="y")
    graph_def = GraphDef.FromString(tf.get_default_graph().as_graph_def().SerializeToString())
    with tf.Graph().as_default():
        x2, y2 = tf.import_graph_def(graph_def, return_elements=["x:0", "y:0"])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(tf.gradients(y2, x2)[0], {x2: [1.0, 2.0]}), [3.0, 3.0])


def test_from_version_exports_only_newer_nodes():
    tf.placeholder(tf.float32, name="a")
    version = tf.get_default_graph().version
    tf.placeholder(tf.float32, name="b")
    assert [n.name for n in tf.get_default_graph().as_graph_def(from_version=version).node] == ["b"]


def test_write_graph_text_and_binary(tmp_path):
    _small_graph()
    text_path = tf.train.write_graph(tf.get_default_graph(), str(tmp_path / "out"), "g.json")
    compact_path = tf.io.write_graph(tf.get_default_graph().as_graph_def(), str(tmp_path), "g.bin", as_text=False)
    assert text_path == str(tmp_path / "out" / "g.json")
    text = open(text_path).read()
    assert text.count("\n") == len(tf.get_default_graph().get_operations()) + 2  # one node per line
    assert "\n" not in open(compact_path).read()
    assert [n.name for n in read_graph(text_path).node] == [n.name for n in read_graph(compact_path).node]
    assert sorted(os.listdir(tmp_path / "out")) == ["g.json"]  # no temporary file left behind


# ---- import ------------------------------------------------------------------------------------------------

def test_import_rebuilds_ops_under_a_scope_and_runs():
    _, y = _small_graph()
    graph_def = tf.get_default_graph().as_graph_def()
    with tf.Graph().as_default() as g:
        assert tf.import_graph_def(graph_def) is None
        x2, y2, y_op = tf.import_graph_def(graph_def, return_elements=["x:0", "y:0", "y"])
        assert [op.name for op in g.get_operations()] == ["import/x", "import/w", "import/y", "import_1/x",
                                                          "import_1/w", "import_1/y"]
        assert (x2.name, y2.name, y_op.name) == ("import_1/x:0", "import_1/y:0", "import_1/y")
        assert y2.shape.as_list() == [None, 2] and y2.dtype == tf.float32 and isinstance(y_op, tf.Operation)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y2, {x2: np.ones((4, 3))}),
                                          np.ones((4, 3)) @ np.arange(6).reshape(3, 2))
    assert y.graph is not g


def test_import_with_empty_name_keeps_names_devices_and_control_inputs():
    x = tf.placeholder(tf.float32, [2], name="x")
    with tf.device("/cpu:0"):
        a = tf.identity(x, name="a")
    with tf.control_dependencies([a.op]):
        tf.no_op(name="after")
    graph_def = tf.get_default_graph().as_graph_def()
    with tf.Graph().as_default() as g:
        tf.import_graph_def(graph_def, name="")
        assert g.get_operation_by_name("a").device == "/cpu:0"
        assert g.get_operation_by_name("after").control_inputs == [g.get_operation_by_name("a")]


def test_import_takes_the_json_document_as_loaded(tmp_path):
    _small_graph()
    path = tf.train.write_graph(tf.get_default_graph(), str(tmp_path), "g.json")
    with tf.Graph().as_default():
        with open(path) as f:
            y, = tf.import_graph_def(json.load(f), return_elements=["y:0"])
        assert y.name == "import/y:0" and y.shape.as_list() == [None, 2]


def test_input_map_replaces_inputs():
    _, _ = _small_graph()
    graph_def = tf.get_default_graph().as_graph_def()
    with tf.Graph().as_default():
        feed = tf.constant(np.full((1, 3), 2.0, np.float32))
        y, = tf.import_graph_def(graph_def, input_map={"x:0": feed}, return_elements=["y:0"])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y), [[12.0, 18.0]])
        with pytest.raises(ValueError, match=r"Attempted to map inputs that were not found in graph_def: \[zz:0\]"):
            tf.import_graph_def(graph_def, input_map={"zz:0": feed})
        with pytest.raises(ValueError, match=r"node 'y' \(op MatMul\) cannot be imported.*int32"):
            tf.import_graph_def(graph_def, input_map={"x": tf.constant([[1, 2, 3]])})
        with pytest.raises(ValueError, match=r"node 'y' \(op MatMul\) cannot be imported.*\[1,4\]"):
            tf.import_graph_def(graph_def, input_map={"x": tf.zeros([1, 4])})


def test_missing_return_elements_are_named():
    _small_graph()
    graph_def = tf.get_default_graph().as_graph_def()
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Requested return tensor 'nope:0' not found in graph def"):
            tf.import_graph_def(graph_def, return_elements=["nope:0"])
        with pytest.raises(ValueError, match="Requested return node 'nope' not found in graph def"):
            tf.import_graph_def(graph_def, return_elements=["nope"])
        with pytest.raises(ValueError, match="op MatMul has 1 outputs"):
            tf.import_graph_def(graph_def, return_elements=["y:3"])
    with pytest.raises(TypeError, match="needs a GraphDef or its JSON document"):
        tf.import_graph_def([])
    with pytest.raises(ValueError, match="Not a flowgraph graph document"):
        tf.import_graph_def({"node": []})


def test_recorded_outputs_are_checked_against_inference():
    _small_graph()
    doc = _doc()
    doc["node"][2]["output"][0]["shape"] = [None, 7]
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"node 'y' records output 0 as float32 \(None, 7\)"):
            tf.import_graph_def(GraphDef.FromString(json.dumps(doc)))


_CHILD = """
import json, sys
import numpy as np
import flowgraph as tf
spec = json.load(open(sys.argv[1]))
data = np.load(spec["data"])
tf.import_graph_def(tf.io.read_graph(spec["graph"]), name="")
with tf.Session() as sess:
    sess.run(spec["init"])
    losses = [sess.run([spec["loss"], spec["train"]], {"x:0": data["x"], "labels:0": data["labels"]})[0]
              for _ in range(3)]
    logits = sess.run(spec["logits"], {"x:0": data["x"]})
np.savez(spec["out"], losses=np.array(losses), logits=logits)
"""


def test_export_then_import_in_a_fresh_process_gives_identical_outputs(tmp_path):
    x, labels, logits, loss, train = mlp_training_graph(tf.train.AdamOptimizer(0.1))
    rng = np.random.RandomState(1)
    data = {"x": rng.randn(8, 4).astype(np.float32), "labels": rng.randn(8, 2).astype(np.float32)}
    init = tf.global_variables_initializer()
    with tf.Session() as sess:
        sess.run(init)
        losses = [sess.run([loss, train], {x: data["x"], labels: data["labels"]})[0] for _ in range(3)]
        expected_logits = sess.run(logits, {x: data["x"]})
    np.savez(tmp_path / "data.npz", **data)
    spec = {"graph": tf.train.write_graph(tf.get_default_graph(), str(tmp_path), "mlp.json"),
            "data": str(tmp_path / "data.npz"), "out": str(tmp_path / "out.npz"), "init": init.name,
            "loss": loss.name, "train": train.name, "logits": logits.name}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    (tmp_path / "child.py").write_text(textwrap.dedent(_CHILD))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(tmp_path / "child.py"), str(tmp_path / "spec.json")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = np.load(tmp_path / "out.npz")
    np.testing.assert_array_equal(out["losses"], np.array(losses))
    np.testing.assert_array_equal(out["logits"], expected_logits)
    assert losses[2] < losses[0]


# ---- malformed and hostile documents -----------------------------------------------------------------------

def _valid_doc():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        tf.identity(tf.matmul(x, tf.ones([3, 2], name="w")), name="y")
    return _doc(g)


def _node(doc, name):
    return next(n for n in doc["node"] if n["name"] == name)


def _set(path, value):
    """A mutation of the valid document: [key] sets a document field, [node name, keys...] a node's."""
    def mutate(doc):
        target = doc if len(path) == 1 else _node(doc, path[0])
        for key in path[1:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _nested_list(depth):
    value = [1]
    for _ in range(depth):
        value = [value]
    return value


_HOSTILE = [
    (_set(["format"], "tensorflow.GraphDef"), "Not a flowgraph graph document"),
    (_set(["version"], 2), "version 2 is not supported: this flowgraph reads version 1"),
    (_set(["version"], "1"), "version '1' is not supported"),
    (_set(["extra"], 1), r"unknown field\(s\) \['extra'\]"),
    (_set(["node"], {"x": 1}), "'node' must be a list"),
    (_set(["y", "op"], "PyFunc"), "node 'y' has unknown op type 'PyFunc'"),
    (_set(["y", "op"], 7), "node 'y': 'op' must be a string, got number"),
    (_set(["y", "run"], "import os"), r"node 'y' has unknown field\(s\) \['run'\]"),
    (_set(["y", "attr", "func"], "os.system"), "op Identity has no attr named 'func'"),
    (_set(["x", "attr", "dtype"], {"dtype": "object"}), "unknown dtype 'object'"),
    (_set(["x", "attr", "dtype"], {"pickle": "gASVAAAA"}), "unknown value tag 'pickle'"),
    (_set(["x", "attr", "dtype"], {"dtype": "float32", "shape": None}), "a tagged value has exactly one key"),
    (_set(["MatMul", "attr", "transpose_a"], 1), "attr 'transpose_a' of op MatMul must be a bool"),
    (_set(["x", "attr", "shape"], [2 ** 40, 2 ** 40]), "more than the tensor size limit"),
    (_set(["w", "attr", "value", "tensor", "shape"], [10 ** 6, 10 ** 6]), "more than the tensor size limit"),
    (_set(["w", "attr", "value", "tensor", "shape"], [4, 2]), "needs 32 bytes of base64 data"),
    (_set(["w", "attr", "value", "tensor", "data"], "!" * 32), "invalid base64"),
    (_set(["w", "attr", "dtype"], {"dtype": "int32"}), "value has dtype float32 but its dtype attr is int32"),
    (_set(["w", "attr", "value"], [1, 2]), "a Const holds a tensor value and a dtype"),
    (_set(["MatMul", "input"], "x:0"), "'input' must be a list"),
    (_set(["MatMul", "input"], ["x:0", "ghost:0"]), "has input 'ghost:0', but there is no node named 'ghost'"),
    (_set(["MatMul", "input"], ["x:0", "w:3"]), "has input 'w:3', but op Const has 1 outputs"),
    (_set(["MatMul", "input"], ["x:0"]), "op MatMul takes 2 inputs, the node has 1"),
    (_set(["MatMul", "input"], ["x:0", "w:0", "^y"]), "cycle: nodes 'MatMul', 'y' depend on each other"),
    (_set(["y", "input"], ["y:0"]), "cycle: nodes 'y'"),
    (_set(["y", "name"], "x"), "two nodes named 'x'"),
    (_set(["y", "name"], "bad name!"), "'bad name!' is not a valid op name"),
    (_set(["y", "output"], [{"dtype": "float32", "shape": [None, 2]}, {"dtype": "float32", "shape": []}]),
     "records 2 outputs"),
    (_set(["x", "attr", "shape"], {"tuple": _nested_list(40)}), "nested more than 32 deep"),
]


@pytest.mark.parametrize("mutate, message", _HOSTILE)
def test_malformed_documents_fail_with_a_clear_error(mutate, message, tmp_path):
    doc = _valid_doc()
    mutate(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=message):
            tf.import_graph_def(read_graph(str(path)))


@pytest.mark.parametrize("text, message", [
    ("not json", "Not a JSON graph document"),
    ("[1, 2]", "is a JSON object, got list"),
    ('{"format": "flowgraph.GraphDef", "format": "x"}', "repeats the key 'format'"),
    ('{"format": "flowgraph.GraphDef", "version": 1, "node": [], "x": NaN}', "contains NaN"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
    (b"\xff\xfe", "not UTF-8 text"),
])
def test_documents_that_are_not_json_graphs_are_rejected(text, message):
    with pytest.raises(ValueError, match=message):
        GraphDef.FromString(text)


def test_loading_never_executes_code(tmp_path):
    marker = tmp_path / "pwned"
    command = "import os; open(%r, 'w').close()" % str(marker)
    doc = _valid_doc()
    doc["node"].append({"name": "evil", "op": "PyFunc", "input": [], "attr": {"token": command}})
    _node(doc, "y")["attr"] = {"__reduce__": {"tuple": ["os.system", command]}}
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(doc))
    graph_def = read_graph(str(path))
    assert graph_def.node[-1].attr == {"token": command}  # strings stay strings
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="op Identity has no attr named '__reduce__'"):
            tf.import_graph_def(graph_def)
    assert not marker.exists()
