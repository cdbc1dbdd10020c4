"""tf.losses: every loss under every reduction and weighting against numbers computed once with TensorFlow
(tf.compat.v1.losses, hard-coded below), loss collections, the total and regularization losses, errors."""
import numpy as np
import pytest

import flowgraph as tf

LABELS = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]], np.float32)
PREDICTIONS = np.array([[0.2, 0.7, 0.9], [0.6, 0.1, 0.3]], np.float32)
LOGITS = np.array([[1.5, -0.5, 2.0], [-1.0, 0.3, 0.8]], np.float32)
BINARY = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], np.float32)
ONEHOT = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], np.float32)
SPARSE = np.array([2, 0], np.int32)
WEIGHTS = {"scalar": 2.0, "rows": np.array([[0.0], [3.0]], np.float32),
           "full": np.array([[1.0, 0.0, 2.0], [0.5, 0.0, 1.0]], np.float32)}


def _per_example(weights):
    return weights[:, 0] if np.ndim(weights) == 2 else weights


LOSSES = {
    "mean_squared_error": lambda w, r: tf.losses.mean_squared_error(LABELS, PREDICTIONS, weights=w, reduction=r),
    "absolute_difference": lambda w, r: tf.losses.absolute_difference(LABELS, PREDICTIONS, weights=w, reduction=r),
    "huber_loss": lambda w, r: tf.losses.huber_loss(LABELS, LOGITS, weights=w, delta=0.8, reduction=r),
    "log_loss": lambda w, r: tf.losses.log_loss(BINARY, PREDICTIONS, weights=w, reduction=r),
    "hinge_loss": lambda w, r: tf.losses.hinge_loss(BINARY, LOGITS, weights=w, reduction=r),
    "sigmoid_cross_entropy": lambda w, r: tf.losses.sigmoid_cross_entropy(BINARY, LOGITS, weights=w,
                                                                          label_smoothing=0.2, reduction=r),
    "softmax_cross_entropy": lambda w, r: tf.losses.softmax_cross_entropy(ONEHOT, LOGITS, weights=_per_example(w),
                                                                          label_smoothing=0.1, reduction=r),
    "sparse_softmax_cross_entropy": lambda w, r: tf.losses.sparse_softmax_cross_entropy(
        SPARSE, LOGITS, weights=_per_example(w), reduction=r),
    "cosine_distance": lambda w, r: tf.losses.cosine_distance(
        ONEHOT, PREDICTIONS / np.linalg.norm(PREDICTIONS, axis=1, keepdims=True), axis=1,
        weights=w[:, :1] if np.ndim(w) == 2 else w, reduction=r),
}

# loss -> reduction -> value, with WEIGHTS["full"]
TF_BY_REDUCTION = {
    "mean_squared_error": {
        "NONE": [[0.04, 0.0, 0.32], [0.08, 0.0, 0.0025]],
        "SUM": 0.4424999,
        "MEAN": 0.0983333,
        "SUM_OVER_BATCH_SIZE": 0.07375,
        "SUM_BY_NONZERO_WEIGHTS": 0.110625,
    },
    "absolute_difference": {
        "NONE": [[0.2, 0.0, 0.8], [0.2, 0.0, 0.05]],
        "SUM": 1.25,
        "MEAN": 0.2777778,
        "SUM_OVER_BATCH_SIZE": 0.2083333,
        "SUM_BY_NONZERO_WEIGHTS": 0.3125,
    },
    "huber_loss": {
        "NONE": [[0.88, 0.0, 1.76], [0.64, 0.0, 0.15125]],
        "SUM": 3.4312501,
        "MEAN": 0.7625,
        "SUM_OVER_BATCH_SIZE": 0.571875,
        "SUM_BY_NONZERO_WEIGHTS": 0.8578125,
    },
    "log_loss": {
        "NONE": [[0.2231434, 0.0, 0.2107208], [0.2554127, 0.0, 0.3566748]],
        "SUM": 1.0459517,
        "MEAN": 0.2324337,
        "SUM_OVER_BATCH_SIZE": 0.1743253,
        "SUM_BY_NONZERO_WEIGHTS": 0.2614879,
    },
    "hinge_loss": {
        "NONE": [[2.5, 0.0, 0.0], [1.0, 0.0, 1.8]],
        "SUM": 5.3000002,
        "MEAN": 1.1777778,
        "SUM_OVER_BATCH_SIZE": 0.8833334,
        "SUM_BY_NONZERO_WEIGHTS": 1.325,
    },
    "sigmoid_cross_entropy": {
        "NONE": [[1.5514133, 0.0, 0.6538559], [0.6066309, 0.0, 1.0911007]],
        "SUM": 3.9030006,
        "MEAN": 0.8673335,
        "SUM_OVER_BATCH_SIZE": 0.6505001,
        "SUM_BY_NONZERO_WEIGHTS": 0.9757501,
    },
    "softmax_cross_entropy": {
        "NONE": [0.6239091, 1.1343396],
        "SUM": 1.7582487,
        "MEAN": 1.1721658,
        "SUM_OVER_BATCH_SIZE": 0.8791243,
        "SUM_BY_NONZERO_WEIGHTS": 0.8791243,
    },
    "sparse_softmax_cross_entropy": {
        "NONE": [0.5239091, 1.1860063],
        "SUM": 1.7099154,
        "MEAN": 1.1399436,
        "SUM_OVER_BATCH_SIZE": 0.8549577,
        "SUM_BY_NONZERO_WEIGHTS": 0.8549577,
    },
    "cosine_distance": {
        "NONE": [[0.2225184], [0.0576741]],
        "SUM": 0.2801925,
        "MEAN": 0.186795,
        "SUM_OVER_BATCH_SIZE": 0.1400963,
        "SUM_BY_NONZERO_WEIGHTS": 0.1400963,
    },
}
# loss -> weights -> value with the default reduction
TF_BY_WEIGHTS = {
    "mean_squared_error": {"scalar": 0.1541667, "rows": 0.1725},
    "absolute_difference": {"scalar": 0.4833333, "rows": 0.55},
    "huber_loss": {"scalar": 1.3720833, "rows": 1.4762501},
    "log_loss": {"scalar": 0.5526797, "rows": 0.9728606},
    "hinge_loss": {"scalar": 3.0333335, "rows": 5.0999999},
    "sigmoid_cross_entropy": {"scalar": 1.9770452, "rows": 3.1287177},
    "softmax_cross_entropy": {"scalar": 2.8925881, "rows": 6.8060374},
    "sparse_softmax_cross_entropy": {"scalar": 2.8959217, "rows": 7.1160378},
    "cosine_distance": {"scalar": 0.3378667, "rows": 0.3460448},
}


def _run(tensor):
    with tf.Session() as sess:
        return sess.run(tensor)


@pytest.mark.parametrize("reduction", ["NONE", "SUM", "MEAN", "SUM_OVER_BATCH_SIZE", "SUM_BY_NONZERO_WEIGHTS"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_under_each_reduction_matches_tf(name, reduction):
    loss = LOSSES[name](WEIGHTS["full"], getattr(tf.losses.Reduction, reduction))
    expected = np.array(TF_BY_REDUCTION[name][reduction])
    assert loss.dtype == tf.float32
    assert loss.shape.as_list() == list(expected.shape)
    np.testing.assert_allclose(_run(loss), expected, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("weights", ["scalar", "rows"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_with_scalar_and_broadcast_weights_matches_tf(name, weights):
    loss = LOSSES[name](WEIGHTS[weights], tf.losses.Reduction.SUM_BY_NONZERO_WEIGHTS)
    np.testing.assert_allclose(_run(loss), TF_BY_WEIGHTS[name][weights], rtol=2e-6, atol=1e-6)


def test_losses_are_computed_in_float32_and_returned_in_the_input_dtype():
    loss = tf.losses.compute_weighted_loss(tf.constant([1.0, 2.0, 4.0], tf.float64), weights=[1.0, 0.0, 1.0])
    assert loss.dtype == tf.float64
    assert _run(loss) == pytest.approx(2.5)
    assert tf.losses.mean_squared_error([1.0, 2.0], tf.constant([1.5, 2.25], tf.float64)).dtype == tf.float32


def test_loss_names_and_collections():
    mse = tf.losses.mean_squared_error(LABELS, PREDICTIONS)
    assert mse.name == "mean_squared_error/value:0"
    hidden = tf.losses.absolute_difference(LABELS, PREDICTIONS, loss_collection=None)
    custom = tf.losses.hinge_loss(BINARY, LOGITS, loss_collection="my_losses")
    assert tf.losses.get_losses() == [mse]
    assert tf.get_collection(tf.GraphKeys.LOSSES) == [mse]
    assert tf.losses.get_losses(loss_collection="my_losses") == [custom]
    assert hidden not in tf.losses.get_losses()


def test_total_and_regularization_losses():
    assert _run(tf.losses.get_regularization_loss()) == 0.0
    with pytest.raises(ValueError, match="No losses"):
        tf.losses.get_total_loss()
    data = tf.losses.mean_squared_error(LABELS, PREDICTIONS)
    with tf.name_scope("layer"):
        penalty = tf.multiply(0.5, tf.reduce_sum(tf.constant([1.0, 2.0])), name="l2")
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, penalty)
    tf.losses.add_loss(tf.constant(0.25))
    assert tf.losses.get_regularization_losses() == [penalty]
    assert tf.losses.get_regularization_losses(scope="other") == []
    total = tf.losses.get_total_loss()
    without = tf.losses.get_total_loss(add_regularization_losses=False, name="data_loss")
    assert total.name == "total_loss:0" and without.name == "data_loss:0"
    regularization = tf.losses.get_regularization_loss()
    assert regularization.name == "total_regularization_loss_1:0"  # the first call, with no losses, took the name
    data_value = TF_BY_WEIGHTS["mean_squared_error"]["scalar"] / 2.0
    np.testing.assert_allclose(_run([total, without, regularization]), [data_value + 1.75, data_value + 0.25, 1.5],
                               rtol=1e-6)
    assert _run(data) == pytest.approx(data_value, rel=1e-6)


def test_all_zero_weights_give_zero_not_nan():
    loss = tf.losses.mean_squared_error(LABELS, PREDICTIONS, weights=np.zeros((2, 3), np.float32))
    assert _run(loss) == 0.0
    assert _run(tf.losses.log_loss(BINARY, PREDICTIONS, weights=0.0)) == 0.0


def test_loss_gradients():
    """d mse / d predictions = 2 (p - l) w / (number of nonzero weights); softmax cross-entropy's gradient
    is softmax - smoothed labels, averaged over the examples; the labels get none."""
    predictions, logits, labels = tf.constant(PREDICTIONS), tf.constant(LOGITS), tf.constant(ONEHOT)
    weights = WEIGHTS["full"]
    mse = tf.losses.mean_squared_error(LABELS, predictions, weights=weights)
    xent = tf.losses.softmax_cross_entropy(labels, logits, label_smoothing=0.3)
    assert tf.gradients(xent, labels)[0] is None
    mse_grad, xent_grad = _run([tf.gradients(mse, predictions)[0], tf.gradients(xent, logits)[0]])
    np.testing.assert_allclose(mse_grad, 2 * (PREDICTIONS - LABELS) * weights / 4, rtol=1e-5)
    softmax = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(xent_grad, (softmax - (ONEHOT * 0.7 + 0.1)) / 2, rtol=1e-5, atol=1e-7)


def test_sparse_labels_and_weights_with_a_trailing_unit_axis_are_squeezed():
    squeezed = tf.losses.sparse_softmax_cross_entropy(SPARSE.reshape(2, 1), LOGITS, weights=np.array([[0.0], [3.0]]))
    assert squeezed.shape.as_list() == []
    np.testing.assert_allclose(_run(squeezed), TF_BY_WEIGHTS["sparse_softmax_cross_entropy"]["rows"], rtol=2e-6)


@pytest.mark.parametrize("build, error, message", [
    (lambda: tf.losses.mean_squared_error(LABELS, PREDICTIONS[:, :2]), ValueError, r"\(2, 2\) and \(2, 3\)"),
    (lambda: tf.losses.mean_squared_error(LABELS, PREDICTIONS, weights=np.ones((3, 3), np.float32)), ValueError,
     "weights can not be broadcast to values"),
    (lambda: tf.losses.mean_squared_error(None, PREDICTIONS), ValueError, "`labels` must not be None"),
    (lambda: tf.losses.cosine_distance(LABELS, PREDICTIONS), ValueError, "specify argument `axis`"),
    (lambda: tf.losses.compute_weighted_loss(LABELS, reduction="mean"), ValueError, "Invalid Reduction Key mean"),
])
def test_loss_errors(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_reduction_keys_are_tfs():
    assert tf.losses.Reduction.SUM_BY_NONZERO_WEIGHTS == "weighted_sum_by_nonzero_weights"
    assert tf.losses.Reduction.SUM_OVER_NONZERO_WEIGHTS == tf.losses.Reduction.SUM_BY_NONZERO_WEIGHTS
    assert set(tf.losses.Reduction.all()) == {"none", "weighted_sum", "weighted_mean",
                                              "weighted_sum_over_batch_size", "weighted_sum_by_nonzero_weights"}
