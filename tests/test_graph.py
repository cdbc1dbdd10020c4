"""Graph building: names as TF makes them, scopes, collections, control dependencies, lookups, errors."""
import numpy as np
import pytest

import flowgraph as tf


def test_unique_names_follow_tf():
    a = tf.constant(1.0)
    b = tf.constant(2.0)
    c = a + b
    d = a + b
    assert (a.name, b.name, c.name, d.name) == ("Const:0", "Const_1:0", "add:0", "add_1:0")
    assert c.op.inputs == (a, b)


def test_name_scopes_nest_and_uniquify():
    with tf.name_scope("scope"):
        a = tf.constant(1.0, name="a")
        with tf.name_scope("inner"):
            b = tf.identity(a)
    with tf.name_scope("scope"):
        c = tf.constant(1.0, name="a")
    assert a.name == "scope/a:0"
    assert b.name == "scope/inner/Identity:0"
    assert c.name == "scope_1/a:0"


def test_absolute_and_root_scopes():
    with tf.name_scope("outer") as outer:
        pass
    with tf.name_scope("other"):
        with tf.name_scope(outer):
            x = tf.constant(0, name="x")
        with tf.name_scope(None):
            y = tf.constant(0, name="y")
    assert (x.name, y.name) == ("outer/x:0", "y:0")


def test_scope_name_used_as_op_name():
    with tf.name_scope("layer") as scope:
        out = tf.identity(tf.constant(1.0), name=scope)
    assert out.name == "layer:0"


def test_python_operand_named_under_the_op():
    x = tf.placeholder(tf.float32, [2])
    y = x + 1.0
    assert y.op.inputs[1].name == "add/y:0"


def test_lookup_by_name():
    with tf.name_scope("s"):
        t = tf.constant([1, 2], name="c")
    g = tf.get_default_graph()
    assert g.get_tensor_by_name("s/c:0") is t
    assert g.get_operation_by_name("s/c") is t.op
    with pytest.raises(KeyError):
        g.get_tensor_by_name("nope:0")
    with pytest.raises(KeyError):
        g.get_tensor_by_name("s/c:3")
    with pytest.raises(ValueError):
        g.get_tensor_by_name("s/c")


def test_collections():
    tf.add_to_collection("things", tf.constant(1.0, name="one"))
    tf.add_to_collection("things", tf.constant(2.0, name="two"))
    assert [t.name for t in tf.get_collection("things")] == ["one:0", "two:0"]
    assert [t.name for t in tf.get_collection("things", scope="tw")] == ["two:0"]
    ref = tf.get_collection_ref("things")
    ref.clear()
    assert tf.get_collection("things") == []


def test_control_dependencies_recorded():
    a = tf.constant(1.0)
    with tf.control_dependencies([a]):
        b = tf.constant(2.0)
        c = tf.identity(b)  # already depends on b, which depends on a: no extra edge
    assert b.op.control_inputs == [a.op]
    assert c.op.control_inputs == []
    with tf.control_dependencies([a]):
        with tf.control_dependencies(None):
            d = tf.constant(3.0)
    assert d.op.control_inputs == []


def test_device_scope_recorded():
    with tf.device("/device:GPU:0"):
        a = tf.constant(1.0)
    with tf.device("/opencl:1"):
        b = tf.constant(1.0)
    assert (a.device, b.device) == ("/gpu:0", "/opencl:1")


def test_graphs_are_separate():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0)
        assert tf.get_default_graph() is g
    assert a.graph is g
    b = tf.constant(1.0)
    with pytest.raises(ValueError, match="same graph"):
        a + b


def test_finalized_graph_refuses_ops():
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0)
        g.finalize()
        with pytest.raises(RuntimeError, match="finalized"):
            tf.constant(2.0)


def test_reset_default_graph_inside_graph_block_fails():
    with tf.Graph().as_default():
        with pytest.raises(AssertionError):
            tf.reset_default_graph()


def test_tensor_repr_and_shape():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.matmul(x, tf.ones([3, 2]))
    assert repr(y) == "<tf.Tensor 'MatMul:0' shape=(None, 2) dtype=float32>"
    assert y.shape.as_list() == [None, 2]
    assert y.get_shape()[1] == 2
    y.set_shape([5, 2])
    assert y.shape.as_list() == [5, 2]
    with pytest.raises(ValueError):
        y.set_shape([5, 3])
    assert repr(tf.float32) == "tf.float32"


def test_tensor_is_not_a_bool():
    with pytest.raises(TypeError, match="bool"):
        bool(tf.constant(True))


def test_shape_mismatch_names_op_and_shapes():
    a = tf.placeholder(tf.float32, [2, 3])
    b = tf.placeholder(tf.float32, [4, 5])
    with pytest.raises(ValueError, match=r"'MatMul'.*\[2,3\], \[4,5\]"):
        tf.matmul(a, b)


def test_no_silent_int_float_mixing():
    with pytest.raises(TypeError, match="does not match"):
        tf.constant(1) + tf.constant(1.0)
    with pytest.raises(TypeError):
        tf.constant([1, 2]) * 2.5


def test_constant_dtypes_follow_tf():
    assert tf.constant(1).dtype == tf.int32
    assert tf.constant(1.0).dtype == tf.float32
    assert tf.constant(np.array([1.0])).dtype == tf.float64
    assert tf.constant([True]).dtype == tf.bool
    assert tf.constant(3, dtype=tf.float64).dtype == tf.float64
    assert tf.constant(7, shape=[2, 2]).shape.as_list() == [2, 2]


def test_dtypes_interop():
    assert tf.as_dtype(np.float32) == tf.float32
    assert tf.as_dtype("int64") is tf.int64
    assert tf.float32.as_numpy_dtype is np.float32
    assert tf.float32.is_floating and tf.int32.is_integer and not tf.int32.is_floating
    with pytest.raises(TypeError):
        tf.as_dtype("complex512")


def test_shapes():
    s = tf.TensorShape([None, 3])
    assert s.rank == 2 and not s.is_fully_defined()
    assert s.merge_with([4, None]).as_list() == [4, 3]
    assert tf.TensorShape(None).rank is None
    assert str(s) == "(None, 3)"
    with pytest.raises(ValueError):
        s.merge_with([4, 5])


def test_namespaces_are_one_module():
    import flowgraph.compat.v1 as v1
    import flowgraph.v1 as v1b
    assert v1 is tf and v1b is tf and tf.compat.v1 is tf
    assert not tf.executing_eagerly()
    assert isinstance(tf.__version__, str)
