"""clip_by_value, clip_by_norm, global_norm and clip_by_global_norm: values, gradients, names, errors."""
import numpy as np
import pytest

import flowgraph as tf
from op_check import check_gradient, check_unknown_shapes, check_value


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_clip_by_value_values_and_gradient():
    x = np.array([[-1.0, 0.0, 0.5], [1.0, 2.0, 0.25]], dtype=np.float32)
    check_value(lambda t: tf.clip_by_value(t, 0.0, 1.0), lambda a: np.clip(a, 0.0, 1.0), x)
    check_unknown_shapes(lambda t: tf.clip_by_value(t, [0.0, 0.1, 0.2], 1.0), x)
    t = tf.constant([-1.0, 0.0, 0.5, 1.0, 2.0])
    grad = _run(tf.gradients(tf.clip_by_value(t, 0.0, 1.0), t)[0])
    np.testing.assert_array_equal(grad, [0.0, 1.0, 1.0, 1.0, 0.0])  # bounds included, as TF
    assert tf.clip_by_value(t, 0.0, 1.0).op.name == "clip_by_value_1"


def test_clip_by_value_must_not_grow_the_tensor():
    with pytest.raises(ValueError, match="clip_by_value.*shape \\(3,\\).*\\(2, 3\\)"):
        tf.clip_by_value(tf.zeros([3]), tf.zeros([2, 3]), 1.0)


def test_clip_by_norm():
    x = np.array([[3.0, 4.0], [0.3, 0.4]], dtype=np.float32)
    check_value(lambda t: tf.clip_by_norm(t, 1.0), lambda a: a / np.linalg.norm(a), x)
    check_value(lambda t: tf.clip_by_norm(t, 1.0, axes=[1]), lambda a: np.array([[0.6, 0.8], [0.3, 0.4]]), x)
    zero = tf.zeros([2])
    clipped = tf.clip_by_norm(zero, 1.0)
    assert clipped.op.name == "clip_by_norm"
    value, grad = _run([clipped, tf.gradients(clipped, zero)[0]])
    np.testing.assert_array_equal(value, [0.0, 0.0])
    assert np.all(np.isfinite(grad))
    check_gradient(lambda t: tf.clip_by_norm(t, 1.0, axes=1), np.array([[3.0, 4.0], [0.3, 0.4]]))


def test_global_norm_skips_none():
    a, b = np.array([3.0, 0.0], np.float32), np.array([[4.0]], np.float32)
    norm = tf.global_norm([tf.constant(a), None, tf.constant(b)])
    assert norm.op.name == "global_norm/global_norm"
    assert _run(norm) == pytest.approx(5.0)
    with pytest.raises(TypeError, match="sequence"):
        tf.global_norm(tf.constant(a))


def test_clip_by_global_norm_values_names_and_none():
    clipped, norm = tf.clip_by_global_norm([tf.constant([3.0, 4.0]), None, tf.constant([0.0])], 1.0)
    assert clipped[1] is None
    assert clipped[0].name == "clip_by_global_norm/clip_by_global_norm/_0:0"
    values, norm_value = _run([[clipped[0], clipped[2]], norm])
    np.testing.assert_allclose(values[0], [0.6, 0.8], rtol=1e-6)
    assert norm_value == pytest.approx(5.0)
    unclipped, _ = tf.clip_by_global_norm([tf.constant([0.3, 0.4])], 1.0)
    np.testing.assert_allclose(_run(unclipped[0]), [0.3, 0.4], rtol=1e-6)


@pytest.mark.filterwarnings("ignore:invalid value encountered in subtract")  # inf - inf, on purpose
def test_clip_by_global_norm_of_an_infinite_norm_is_nan():
    clipped, _ = tf.clip_by_global_norm([tf.constant([np.inf, 1.0])], 1.0)
    assert np.all(np.isnan(_run(clipped[0])))
