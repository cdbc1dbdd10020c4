"""Checks every op test uses: value against a numpy reference, static vs actual shape, numeric gradients,
and one backend against another. Inputs are fed through placeholders, so kernels see real feeds."""
import numpy as np

import flowgraph as tf


def _placeholders(arrays, known_shapes=True):
    return [tf.placeholder(tf.as_dtype(a.dtype), a.shape if known_shapes else [None] * a.ndim) for a in arrays]


def evaluate(fn, *arrays, device=None, known_shapes=True):
    """(value, output tensor) of fn(*placeholders) fed with `arrays`, in a fresh graph and session."""
    arrays = [np.asarray(a) for a in arrays]
    with tf.Graph().as_default():
        phs = _placeholders(arrays, known_shapes)
        out = fn(*phs)
        with tf.Session(device=device) as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run(out, dict(zip(phs, arrays))), out


def check_value(fn, reference, *arrays, rtol=1e-5, atol=1e-6):
    """fn on placeholders equals `reference` on the arrays, with the same dtype and the inferred shape."""
    value, out = evaluate(fn, *arrays)
    expected = reference(*[np.asarray(a) for a in arrays])
    for v, e, t in zip(_as_list(value), _as_list(expected), _as_list(out)):
        v, e = np.asarray(v), np.asarray(e)
        assert v.shape == e.shape, "shape %s, expected %s" % (v.shape, e.shape)
        assert v.dtype == t.dtype.as_numpy_dtype, "dtype %s, declared %s" % (v.dtype, t.dtype)
        assert t.shape.as_list() == list(v.shape), "inferred %s, actual %s" % (t.shape, v.shape)
        np.testing.assert_allclose(v, e.astype(v.dtype) if e.dtype != v.dtype else e, rtol=rtol, atol=atol)
    return value


def check_unknown_shapes(fn, *arrays):
    """With every dimension unknown at build time the op still runs, and its inferred shape is compatible."""
    value, out = evaluate(fn, *arrays, known_shapes=False)
    for v, t in zip(_as_list(value), _as_list(out)):
        assert t.shape.is_compatible_with(np.shape(v)), "inferred %s, actual %s" % (t.shape, np.shape(v))
    return value


def check_gradient(fn, *arrays, delta=1e-6, tol=1e-5):
    """Central differences in float64 agree with the graph's gradient for every input."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    with tf.Graph().as_default():
        phs = _placeholders(arrays)
        out = fn(*phs)
        with tf.Session():
            err = tf.test.compute_gradient_error(phs, [a.shape for a in arrays], out, out.shape.as_list(),
                                                 x_init_value=arrays, delta=delta)
    assert err < tol, "gradient error %g >= %g" % (err, tol)
    return err


def check_backends(fn, *arrays, device="opencl", rtol=1e-4, atol=1e-5):
    """The op gives the same values on `device` as on numpy."""
    expected, _ = evaluate(fn, *arrays)
    got, _ = evaluate(fn, *arrays, device=device)
    for g, e in zip(_as_list(got), _as_list(expected)):
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]
