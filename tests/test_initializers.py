"""Initializers: sample statistics and limits against TF's formulas, fans, orthogonality, seeds, names, errors."""
import math

import numpy as np
import pytest

import flowgraph as tf

TRUNCATED_STD = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]


def value_of(initializer, shape, dtype=tf.float32):
    with tf.Session() as sess:
        return sess.run(initializer(shape, dtype=dtype))


def test_constant_initializers():
    np.testing.assert_array_equal(value_of(tf.zeros_initializer(), [2, 3]), np.zeros((2, 3)))
    np.testing.assert_array_equal(value_of(tf.ones_initializer(), [2], tf.int32), [1, 1])
    np.testing.assert_array_equal(value_of(tf.constant_initializer([1, 2, 3, 4]), [2, 2]), [[1, 2], [3, 4]])


def test_random_normal_and_uniform_initializers():
    normal = value_of(tf.random_normal_initializer(mean=1.0, stddev=2.0, seed=1), [200, 100])
    assert abs(normal.mean() - 1.0) < 0.05 and abs(normal.std() - 2.0) < 0.05
    uniform = value_of(tf.random_uniform_initializer(-3.0, 1.0, seed=2), [200, 100])
    assert uniform.min() >= -3.0 and uniform.max() < 1.0 and abs(uniform.mean() + 1.0) < 0.05
    unit = value_of(tf.random_uniform_initializer(seed=3), [1000])
    assert unit.min() >= 0.0 and unit.max() < 1.0
    ints = value_of(tf.random_uniform_initializer(0, 4, seed=4), [1000], tf.int32)
    assert ints.dtype == np.int32 and set(np.unique(ints)) == {0, 1, 2, 3}


def test_truncated_normal_initializer_bound():
    value = value_of(tf.truncated_normal_initializer(mean=0.5, stddev=0.1, seed=5), [20000], tf.float64)
    assert np.all(np.abs(value - 0.5) <= 0.2)
    assert abs(value.std() - 0.1 * TRUNCATED_STD) < 0.003


@pytest.mark.parametrize("shape, fans", [([], (1, 1)), ([7], (7, 7)), ([30, 50], (30, 50)),
                                         ([3, 5, 8, 16], (120, 240))])
def test_compute_fans(shape, fans):
    assert tf.initializers.compute_fans(shape) == fans


SCALING = [
    # (initializer, shape, expected variance of the samples, uniform limit or None)
    (tf.variance_scaling_initializer(2.0, "fan_in", "truncated_normal", seed=1), [400, 100], 2.0 / 400, None),
    (tf.variance_scaling_initializer(1.0, "fan_out", "untruncated_normal", seed=2), [400, 100], 1.0 / 100, None),
    (tf.variance_scaling_initializer(3.0, "fan_avg", "uniform", seed=3), [3, 3, 40, 60], 3.0 / 450,
     math.sqrt(9.0 / 450)),
    (tf.variance_scaling_initializer(1.0, "fan_in", "normal", seed=4), [5, 5, 20, 30], 1.0 / 500, None),
    (tf.glorot_uniform_initializer(seed=5), [300, 100], 2.0 / 400, math.sqrt(6.0 / 400)),
    (tf.glorot_normal_initializer(seed=6), [300, 100], 2.0 / 400, None),
    (tf.initializers.he_normal(seed=7), [400, 50], 2.0 / 400, None),
    (tf.initializers.he_uniform(seed=8), [400, 50], 2.0 / 400, math.sqrt(6.0 / 400)),
    (tf.initializers.lecun_normal(seed=9), [400, 50], 1.0 / 400, None),
    (tf.initializers.lecun_uniform(seed=10), [400, 50], 1.0 / 400, math.sqrt(3.0 / 400)),
    (tf.initializers.xavier_initializer(seed=11), [300, 100], 2.0 / 400, math.sqrt(6.0 / 400)),
    (tf.initializers.xavier_initializer(uniform=False, seed=12), [300, 100], 1.3 * 2.0 / 400 * TRUNCATED_STD ** 2,
     None),
    (tf.uniform_unit_scaling_initializer(factor=2.0, seed=13), [200, 100], 4.0 / 200, math.sqrt(12.0 / 200)),
]


@pytest.mark.parametrize("initializer, shape, variance, limit", SCALING,
                         ids=["vs_fan_in_truncated", "vs_fan_out_untruncated", "vs_fan_avg_uniform", "vs_normal_alias",
                              "glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
                              "lecun_uniform", "xavier_uniform", "xavier_normal", "uniform_unit_scaling"])
def test_variance_scaling_statistics(initializer, shape, variance, limit):
    value = value_of(initializer, shape, tf.float64)
    assert value.shape == tuple(shape)
    assert abs(value.var() / variance - 1.0) < 0.06
    if limit is not None:
        assert np.abs(value).max() <= limit and np.abs(value).max() > 0.98 * limit


def test_truncated_variance_scaling_is_cut_at_two_corrected_stddevs():
    value = value_of(tf.variance_scaling_initializer(1.0, "fan_in", seed=14), [100, 200], tf.float64)
    assert np.abs(value).max() <= 2 * math.sqrt(1.0 / 100) / TRUNCATED_STD


@pytest.mark.parametrize("shape", [[6, 4], [4, 6], [3, 3, 2, 5]])
def test_orthogonal_initializer(shape):
    value = value_of(tf.orthogonal_initializer(gain=2.0, seed=1), shape, tf.float64)
    flat = value.reshape(-1, shape[-1])
    small = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(small, 4.0 * np.eye(min(flat.shape)), atol=1e-10)


def test_identity_initializer():
    np.testing.assert_array_equal(value_of(tf.initializers.identity(gain=3.0), [2, 3]), 3.0 * np.eye(2, 3))


def test_seeded_initializer_repeats_in_a_new_session():
    init = tf.glorot_normal_initializer(seed=3)([4, 5])
    with tf.Session() as sess:
        first = sess.run(init)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(init), first)


def test_get_variable_defaults_to_glorot_uniform():
    w = tf.get_variable("w", [50, 70])
    with tf.Session() as sess:
        sess.run(w.initializer)
        value = sess.run(w)
    limit = math.sqrt(6.0 / 120)
    assert np.abs(value).max() <= limit and np.abs(value).max() > 0.9 * limit


def test_keras_names_and_defaults():
    assert tf.initializers.RandomNormal().stddev == 0.05
    assert (tf.initializers.RandomUniform().minval, tf.initializers.RandomUniform().maxval) == (-0.05, 0.05)
    assert tf.initializers.TruncatedNormal().stddev == 0.05
    assert isinstance(tf.initializers.GlorotUniform(), tf.variance_scaling_initializer)
    assert tf.initializers.HeNormal(seed=1).get_config() == {"seed": 1, "dtype": "float32"}
    assert tf.initializers.Zeros is tf.zeros_initializer and tf.initializers.Orthogonal is tf.orthogonal_initializer
    assert tf.initializers.global_variables is tf.global_variables_initializer


def test_config_round_trip():
    init = tf.variance_scaling_initializer(2.0, "fan_out", "uniform", seed=4, dtype=tf.float64)
    again = tf.variance_scaling_initializer.from_config(init.get_config())
    assert again.get_config() == init.get_config() == {
        "scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 4, "dtype": "float64"}


INVALID = [
    ("scale", lambda: tf.variance_scaling_initializer(scale=0.0), "`scale` must be positive"),
    ("mode", lambda: tf.variance_scaling_initializer(mode="fan_sum"), "Invalid `mode` argument"),
    ("distribution", lambda: tf.variance_scaling_initializer(distribution="cauchy"), "Invalid `distribution`"),
    ("int_normal", lambda: tf.random_normal_initializer()([2], dtype=tf.int32), "Expected floating point type"),
    ("orthogonal_1d", lambda: tf.orthogonal_initializer()([3]), "at least two-dimensional"),
    ("identity_3d", lambda: tf.initializers.identity()([2, 2, 2]), "only be used for 2D matrices"),
    ("unknown_shape", lambda: tf.glorot_uniform_initializer()([None, 3]), "fully defined shape"),
]


@pytest.mark.parametrize("build, pattern", [i[1:] for i in INVALID], ids=[i[0] for i in INVALID])
def test_invalid_arguments(build, pattern):
    with pytest.raises(ValueError, match=pattern):
        build()
