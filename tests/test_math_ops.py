"""Elementwise math ops, casts, select and products: one table row per op, one test per property."""
import collections
import math

import numpy as np
import pytest

import flowgraph as tf
from op_check import check_gradient, check_unknown_shapes, check_value

Row = collections.namedtuple("Row", "id fn reference samplers shapes grad dtype")


def row(id, fn, reference, samplers, shapes, grad=True, dtype=None):  # noqa: A002
    """A table row; `dtype` is the expected output dtype (default: the first input's)."""
    return Row(id, fn, reference, samplers, shapes, grad, dtype)


# ---- samplers: inputs in each op's domain, away from kinks and discontinuities -----------------------------

def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def nonzero(rng, shape):
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def small(rng, shape):
    return rng.uniform(-1.2, 1.2, shape)


def ints(rng, shape):
    return rng.integers(-9, 10, shape).astype(np.int32)


def nonzero_ints(rng, shape):
    return (rng.integers(1, 6, shape) * rng.choice([-1, 1], shape)).astype(np.int32)


def bools(rng, shape):
    return rng.random(shape) > 0.5


def halves(rng, shape):
    return rng.integers(-6, 7, shape) / 2.0


def with_specials(rng, shape):
    return rng.choice([np.nan, np.inf, -np.inf, 0.0, 1.5, -2.0], shape)


UNARY = [(2, 3), ()]
BINARY = [((2, 3), (3,)), ((4, 1), (1, 3)), ((), (2, 3))]


def _erf(x):
    return np.vectorize(math.erf)(x).astype(x.dtype)


ROWS = [
    row("add", tf.add, np.add, (normal, normal), BINARY),
    row("subtract", tf.subtract, np.subtract, (normal, normal), BINARY),
    row("multiply", tf.multiply, np.multiply, (normal, normal), BINARY),
    row("divide", tf.divide, np.divide, (normal, nonzero), BINARY),
    row("realdiv", tf.realdiv, np.divide, (normal, nonzero), BINARY),
    row("floordiv", tf.floordiv, lambda x, y: np.floor(x / y), (normal, nonzero), BINARY, grad=False),
    row("floordiv_int", tf.floordiv, np.floor_divide, (ints, nonzero_ints), BINARY),
    row("div_int", tf.div, np.floor_divide, (ints, nonzero_ints), BINARY),
    row("truediv_int", tf.truediv, lambda x, y: np.divide(x, y, dtype=np.float64), (ints, nonzero_ints), BINARY,
        dtype=np.float64),
    row("floormod", tf.floormod, np.mod, (normal, nonzero), BINARY),
    row("floormod_int", tf.floormod, np.mod, (ints, nonzero_ints), BINARY),
    row("pow", tf.pow, np.power, (positive, normal), BINARY),
    row("maximum", tf.maximum, np.maximum, (normal, normal), BINARY),
    row("minimum", tf.minimum, np.minimum, (normal, normal), BINARY),
    row("squared_difference", tf.squared_difference, lambda x, y: (x - y) ** 2, (normal, normal), BINARY),
    row("div_no_nan", tf.div_no_nan, np.divide, (normal, nonzero), BINARY),
    row("equal", tf.equal, np.equal, (ints, ints), BINARY, dtype=np.bool_),
    row("not_equal", tf.not_equal, np.not_equal, (ints, ints), BINARY, dtype=np.bool_),
    row("less", tf.less, np.less, (normal, normal), BINARY, dtype=np.bool_),
    row("less_equal", tf.less_equal, np.less_equal, (ints, ints), BINARY, dtype=np.bool_),
    row("greater", tf.greater, np.greater, (normal, normal), BINARY, dtype=np.bool_),
    row("greater_equal", tf.greater_equal, np.greater_equal, (ints, ints), BINARY, dtype=np.bool_),
    row("logical_and", tf.logical_and, np.logical_and, (bools, bools), BINARY),
    row("logical_or", tf.logical_or, np.logical_or, (bools, bools), BINARY),
    row("logical_xor", tf.logical_xor, np.logical_xor, (bools, bools), BINARY),
    row("negative", tf.negative, np.negative, (normal,), UNARY),
    row("abs", tf.abs, np.abs, (nonzero,), UNARY),
    row("abs_int", tf.abs, np.abs, (ints,), UNARY),
    row("sign", tf.sign, np.sign, (nonzero,), UNARY),
    row("square", tf.square, np.square, (normal,), UNARY),
    row("sqrt", tf.sqrt, np.sqrt, (positive,), UNARY),
    row("rsqrt", tf.rsqrt, lambda x: 1 / np.sqrt(x), (positive,), UNARY),
    row("exp", tf.exp, np.exp, (normal,), UNARY),
    row("expm1", tf.expm1, np.expm1, (normal,), UNARY),
    row("log", tf.log, np.log, (positive,), UNARY),
    row("log1p", tf.log1p, np.log1p, (positive,), UNARY),
    row("sin", tf.sin, np.sin, (normal,), UNARY),
    row("cos", tf.cos, np.cos, (normal,), UNARY),
    row("tan", tf.tan, np.tan, (small,), UNARY),
    row("tanh", tf.tanh, np.tanh, (normal,), UNARY),
    row("sigmoid", tf.sigmoid, lambda x: 1 / (1 + np.exp(-x)), (normal,), UNARY),
    row("reciprocal", tf.reciprocal, np.reciprocal, (nonzero,), UNARY),
    row("erf", tf.erf, _erf, (normal,), UNARY),
    row("round", tf.round, np.round, (halves,), UNARY, grad=False),
    row("floor", tf.floor, np.floor, (normal,), UNARY, grad=False),
    row("ceil", tf.ceil, np.ceil, (normal,), UNARY, grad=False),
    row("is_nan", tf.is_nan, np.isnan, (with_specials,), UNARY, dtype=np.bool_),
    row("is_inf", tf.is_inf, np.isinf, (with_specials,), UNARY, dtype=np.bool_),
    row("is_finite", tf.is_finite, np.isfinite, (with_specials,), UNARY, dtype=np.bool_),
    row("logical_not", tf.logical_not, np.logical_not, (bools,), UNARY),
    row("cast_to_int", lambda x: tf.cast(x, tf.int32), lambda x: np.trunc(x).astype(np.int32), (normal,), UNARY,
        dtype=np.int32),
    row("cast_to_float64", tf.to_double, lambda x: x.astype(np.float64), (normal,), UNARY, dtype=np.float64),
    row("where_v2", lambda x, y: tf.where_v2(x > y, x, y), np.maximum, (normal, normal), BINARY),
    row("matmul", tf.matmul, np.matmul, (normal, normal), [((2, 3), (3, 4))]),
    row("matmul_batch_broadcast", tf.matmul, np.matmul, (normal, normal), [((2, 1, 3, 4), (5, 4, 2))]),
    row("matmul_transposed", lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
        lambda a, b: a.T @ b.T, (normal, normal), [((3, 2), (4, 3))]),
    row("tensordot_int", lambda a, b: tf.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1), (normal, normal),
        [((2, 3), (3, 4))]),
    row("tensordot_pairs", lambda a, b: tf.tensordot(a, b, [[2, 0], [0, 2]]),
        lambda a, b: np.tensordot(a, b, [[2, 0], [0, 2]]), (normal, normal), [((2, 3, 4), (4, 5, 2))]),
    row("tensordot_outer", lambda a, b: tf.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0),
        (normal, normal), [((2,), (3,))]),
]


def _cases(rows=ROWS):
    return [pytest.param(r, shapes, id="%s-%s" % (r.id, "x".join(map(str, shapes))))
            for r in rows for shapes in r.shapes]


def _inputs(r, shapes, float_dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [shapes] if r.samplers and len(r.samplers) == 1 else list(shapes)
    arrays = [np.asarray(sample(rng, shape)) for sample, shape in zip(r.samplers, shapes)]
    return [a.astype(float_dtype) if a.dtype.kind == "f" else a for a in arrays]


@pytest.mark.parametrize("r,shapes", _cases())
def test_value_dtype_and_inferred_shape(r, shapes):
    arrays = _inputs(r, shapes)
    value = check_value(r.fn, r.reference, *arrays)
    assert np.asarray(value).dtype == np.dtype(r.dtype or arrays[0].dtype)


@pytest.mark.parametrize("r,shapes", _cases())
def test_unknown_shapes(r, shapes):
    arrays = _inputs(r, shapes)
    value = check_unknown_shapes(r.fn, *arrays)
    np.testing.assert_allclose(value, r.reference(*arrays), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("r,shapes", _cases([r for r in ROWS if r.grad and r.samplers[0] not in (ints, bools)]))
def test_gradient(r, shapes):
    check_gradient(r.fn, *_inputs(r, shapes, np.float64))


@pytest.mark.parametrize("fn", [tf.round, tf.floor, tf.ceil, lambda x: tf.floordiv(x, 2.0),
                                lambda x: tf.to_float(tf.cast(x, tf.int32)), lambda x: tf.cast(x > 0, tf.float32)])
def test_piecewise_constant_ops_have_no_gradient(fn):
    x = tf.placeholder(tf.float32, [3])
    assert tf.gradients(fn(x), x) == [None]


# ---- names, as TF gives them -------------------------------------------------------------------------------

def test_default_op_names():
    a, b = tf.placeholder(tf.float32, [2], name="a"), tf.placeholder(tf.float32, [2], name="b")
    named = {tf.add(a, b): "Add", a + b: "add_1",  # op names are unique regardless of case, as TF
             tf.floordiv(a, b): "floordiv", a // b: "floordiv_1",
             tf.floormod(a, b): "FloorMod", a % b: "mod", tf.pow(a, b): "Pow", a ** b: "pow_1",
             tf.maximum(a, b): "Maximum", tf.div_no_nan(a, b): "div_no_nan", a < b: "Less",
             tf.logical_xor(a > b, a < b): "LogicalXor", (a > b) ^ (a < b): "xor", (a > b) & (a < b): "and",
             tf.divide(a, b): "truediv", a / b: "truediv_1", tf.div(a, b): "div", abs(a): "Abs", -a: "Neg",
             tf.cast(a, tf.int32): "Cast", tf.to_float(tf.cast(a, tf.int32)): "ToFloat",
             tf.where(a > b): "Where", tf.where(a > b, a, b): "Select", tf.where_v2(a > b, a, b): "SelectV2",
             tf.add_n([a, b]): "AddN", tf.sigmoid(a): "Sigmoid", tf.matmul([[1.0]], [[2.0]]): "MatMul"}
    for tensor, name in named.items():
        assert tensor.op.name == name


def test_python_operands_become_constants_in_the_op_scope():
    x = tf.placeholder(tf.float32, [2], name="x")
    y = tf.add(x, 1.0)
    assert y.op.name == "Add" and y.op.inputs[1].op.name == "Add/y"
    z = tf.exp(2.0)
    assert z.op.name == "Exp" and z.op.inputs[0].op.name == "Exp/x"
    w = 2 * x
    assert w.op.inputs[0].op.name == "mul/x" and w.op.inputs[0].dtype == tf.float32


# ---- errors ------------------------------------------------------------------------------------------------

def test_mixed_dtypes_raise_type_error_naming_the_op():
    x, i = tf.placeholder(tf.float32, [2]), tf.placeholder(tf.int32, [2])
    with pytest.raises(TypeError, match="'Add'.*int32.*float32"):
        tf.add(x, i)
    with pytest.raises(TypeError, match="'Maximum'"):
        tf.maximum(i, x)
    with pytest.raises(TypeError, match="same dtype"):
        tf.truediv(i, x)


def test_disallowed_dtype_raises_type_error_naming_the_op():
    with pytest.raises(TypeError, match="int32.*'Exp'"):
        tf.exp(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="'LogicalAnd'"):
        tf.logical_and(tf.constant([1.0]), tf.constant([0.0]))


def test_incompatible_broadcast_names_both_shapes():
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 2 and 3.*'Add'.*\[2,3\], \[3,2\]"):
        tf.add(tf.zeros([2, 3]), tf.zeros([3, 2]))
    with pytest.raises(ValueError, match=r"\[2,3\], \[4\]"):
        tf.pow(tf.zeros([2, 3]), tf.zeros([4]))


def test_integer_division_by_zero_fails_at_run_time():
    x = tf.placeholder(tf.int32, [2])
    with tf.Session() as sess:
        for out in (x // tf.constant([1, 0]), x % tf.constant([0, 1])):
            with pytest.raises(tf.errors.InvalidArgumentError, match="Integer division by zero"):
                sess.run(out, {x: [3, 4]})


def test_matmul_and_tensordot_shape_errors():
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 4"):
        tf.matmul(tf.zeros([2, 3]), tf.zeros([4, 5]))
    with pytest.raises(ValueError, match="rank >= 2"):
        tf.matmul(tf.zeros([3]), tf.zeros([3, 2]))
    with pytest.raises(ValueError, match="tensordot.*dimension 1 of a \\(3\\).*dimension 0 of b \\(4\\)"):
        tf.tensordot(tf.zeros([2, 3]), tf.zeros([4, 5]), 1)


# ---- semantics worth a value of their own ------------------------------------------------------------------

def _run(tensor, feed=None):
    with tf.Session() as sess:
        return sess.run(tensor, feed)


def test_float_division_rounding_follows_tf():
    assert _run(tf.floordiv(1.0, 0.1)) == 10.0  # floor(1 / 0.1); numpy's // gives 9
    np.testing.assert_array_equal(_run(tf.floormod([-7, 7, -7, 7], [3, -3, -3, 3])), [2, -2, -1, 1])
    np.testing.assert_allclose(_run(tf.floormod([-7.0, 7.5], [3.0, -2.0])), [2.0, -0.5])
    np.testing.assert_array_equal(_run(tf.div([-7, 7], [2, -2])), [-4, -4])
    assert _run(tf.div(7.0, 2.0)) == 3.5


def test_truediv_widens_integers_as_tf():
    assert tf.truediv(tf.constant(1, tf.int16), tf.constant(2, tf.int16)).dtype == tf.float32
    assert tf.truediv(tf.constant(1, tf.int32), tf.constant(2, tf.int32)).dtype == tf.float64
    assert _run(tf.constant(7) / 2) == 3.5


def test_round_is_bankers_rounding():
    np.testing.assert_array_equal(_run(tf.round([0.5, 1.5, 2.5, -0.5, -1.5])), [0.0, 2.0, 2.0, -0.0, -2.0])


def test_cast_truncates_and_converts_bools():
    np.testing.assert_array_equal(_run(tf.cast([2.7, -2.7, 0.5], tf.int32)), [2, -2, 0])
    np.testing.assert_array_equal(_run(tf.cast([0.0, -0.5, np.nan], tf.bool)), [False, True, True])
    np.testing.assert_array_equal(_run(tf.cast([True, False], tf.float32)), [1.0, 0.0])
    assert _run(tf.cast(1.7, tf.int32)) == 1
    x = tf.constant([1.0])
    assert tf.cast(x, tf.float32) is x


def test_cast_gradient_flows_between_floats_only():
    x = tf.placeholder(tf.float32, [2])
    g = tf.gradients(tf.reduce_sum(tf.cast(x, tf.float64) * 3.0), x)[0]
    assert g.dtype == tf.float32
    np.testing.assert_allclose(_run(g, {x: [1.0, 2.0]}), [3.0, 3.0])


def test_sigmoid_and_special_values():
    np.testing.assert_allclose(_run(tf.sigmoid([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(_run(tf.sign([np.nan, -0.0, 2.0])), [np.nan, 0.0, 1.0])
    np.testing.assert_array_equal(_run(tf.div_no_nan([1.0, 0.0, np.inf], [0.0, 0.0, 0.0])), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(_run(tf.math.reciprocal_no_nan([0.0, 4.0])), [0.0, 0.25])


def test_gradients_at_special_points_match_tf():
    x, y = tf.constant([0.0, 2.0, -1.0]), tf.constant([2.0, 3.0, 2.0])
    gx, gy = _run(tf.gradients(tf.pow(x, y), [x, y]))
    np.testing.assert_allclose(gx, [0.0, 12.0, -2.0])
    np.testing.assert_allclose(gy, [0.0, 8 * np.log(2.0), 0.0], rtol=1e-6)
    z = tf.constant([0.0, 1.0])
    np.testing.assert_array_equal(_run(tf.gradients(tf.sqrt(z), z)[0]), [np.inf, 0.5])
    m, n = tf.constant([7.5, -3.0]), tf.constant([2.0, 0.0])
    gm, gn = _run(tf.gradients(tf.floormod(m, n), [m, n]))
    np.testing.assert_array_equal(gm, [1.0, 1.0])
    np.testing.assert_array_equal(gn, [-3.0, np.inf])
    gm, gn = _run(tf.gradients(tf.div_no_nan(m, n), [m, n]))
    np.testing.assert_allclose(gm, [0.5, 0.0])
    np.testing.assert_allclose(gn, [-1.875, 0.0])


def test_maximum_and_minimum_give_ties_to_x():
    x, y = tf.constant([1.0, 2.0, 3.0]), tf.constant([1.0, 5.0, 0.0])
    for op, expected_x in ((tf.maximum, [1.0, 0.0, 1.0]), (tf.minimum, [1.0, 1.0, 0.0])):
        gx, gy = _run(tf.gradients(op(x, y), [x, y]))
        np.testing.assert_array_equal(gx, expected_x)
        np.testing.assert_array_equal(gy, 1.0 - np.array(expected_x))


# ---- where -------------------------------------------------------------------------------------------------

def test_where_with_one_argument_gives_coordinates():
    c = tf.placeholder(tf.bool, [None, 3])
    coords = tf.where(c)
    assert coords.dtype == tf.int64 and coords.shape.as_list() == [None, 2]
    value = _run(coords, {c: [[True, False, True], [False, False, True]]})
    np.testing.assert_array_equal(value, [[0, 0], [0, 2], [1, 2]])
    np.testing.assert_array_equal(_run(tf.where([0, 3, 0, 5])), [[1], [3]])


def test_tf1_where_takes_same_shapes_or_a_vector_condition():
    x, y = np.arange(6.0).reshape(3, 2), -np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(_run(tf.where([True, False, True], x, y)), [[0, 1], [-2, -3], [4, 5]])
    with pytest.raises(ValueError, match="Select"):
        tf.where([[True, False]], x, y)
    with pytest.raises(ValueError, match="both be non-None"):
        tf.where([True], x)
    with pytest.raises(TypeError, match="condition.*bool"):
        tf.where(tf.constant([1, 0, 1]), x, y)


def test_where_gradients():
    c = tf.constant([True, False, True])
    x, y = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), tf.constant([10.0, 20.0, 30.0])
    gx, gy = _run(tf.gradients(tf.where_v2(c, x, y), [x, y]))
    np.testing.assert_array_equal(gx, [[1, 0, 1], [1, 0, 1]])
    np.testing.assert_array_equal(gy, [0, 2, 0])
    rows = tf.constant([True, False])
    gx = _run(tf.gradients(tf.where(rows, x, x * 3.0), x)[0])
    np.testing.assert_array_equal(gx, [[1, 1, 1], [3, 3, 3]])


# ---- sums of lists, tensordot with unknown dims --------------------------------------------------------------

def test_add_n_and_accumulate_n():
    a = tf.constant([1.0, 2.0])
    assert tf.add_n([a]) is a
    assert tf.add_n([a], name="total").op.name == "total"
    np.testing.assert_array_equal(_run(tf.accumulate_n([a, a, a])), [3.0, 6.0])
    with pytest.raises(ValueError, match="empty"):
        tf.add_n([])


def test_tensordot_with_unknown_free_dims():
    a = tf.placeholder(tf.float32, [None, 3, 4])
    b = tf.placeholder(tf.float32, [4, 3, None])
    out = tf.tensordot(a, b, [[1, 2], [1, 0]])
    assert out.shape.as_list() == [None, None] and out.op.name == "Tensordot"
    av, bv = np.random.default_rng(1).standard_normal((2, 3, 4)), np.random.default_rng(2).standard_normal((4, 3, 5))
    np.testing.assert_allclose(_run(out, {a: av, b: bv}), np.tensordot(av, bv, [[1, 2], [1, 0]]), rtol=1e-5)


def test_linalg_and_math_namespaces():
    a = np.arange(24.0).reshape(2, 3, 4).astype(np.float32)
    np.testing.assert_array_equal(_run(tf.linalg.transpose(a)), np.swapaxes(a, -1, -2))
    assert tf.linalg.matmul is tf.matmul and tf.math.divide_no_nan is tf.div_no_nan
    assert tf.math.reduce_std is tf.reduce_std and tf.math.floormod is tf.mod
