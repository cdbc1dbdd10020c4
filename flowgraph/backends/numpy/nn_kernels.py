"""Numpy kernels of the nn ops: activations, softmax, bias_add, l2_loss, cross-entropies, top_k, in_top_k.

Scalars are Python floats, which numpy applies in the array's own dtype, so float16/32 stay so.
"""
import numpy as np

from flowgraph.backends.numpy import numpy_kernel
from flowgraph.backends.numpy.donation import into_kernel
from flowgraph.backends.numpy.math_kernels import column_sums
from flowgraph.framework import errors

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


# ---- activations -------------------------------------------------------------------------------------------

def _zeros_along_last_axis(x):
    """Zeros broadcasting over `x`: numpy's maximum is vectorized against an array but not against a scalar,
    so max(x, zeros row) runs about twice as fast as max(x, 0), with the same result (NaN stays NaN)."""
    return np.zeros(x.shape[-1:], x.dtype)


@numpy_kernel("Relu")
def _relu(x):
    return np.maximum(x, _zeros_along_last_axis(x))


@into_kernel("Relu", positions=(0,))
def _relu_into(x, out):
    return np.maximum(x, _zeros_along_last_axis(x), out=out)


def _positive_mask(features, dtype):
    """1 where features > 0, else 0, in `dtype`: multiplying by it beats multiplying by a bool array, which
    numpy casts element by element inside the multiplication."""
    return (features > 0).astype(dtype)


@numpy_kernel("ReluGrad")
def _relu_grad(dy, features):
    return dy * _positive_mask(features, dy.dtype)


@into_kernel("ReluGrad")
def _relu_grad_into(dy, features, out):
    return np.multiply(dy, _positive_mask(features, dy.dtype), out=out)


@numpy_kernel("Relu6")
def _relu6(x):
    return np.clip(x, 0, 6).astype(x.dtype, copy=False)


@numpy_kernel("Relu6Grad")
def _relu6_grad(dy, features):
    return np.where((features > 0) & (features < 6), dy, 0).astype(dy.dtype, copy=False)


@numpy_kernel("LeakyRelu")
def _leaky_relu(x, alpha):
    return np.where(x > 0, x, alpha * x).astype(x.dtype, copy=False)


@numpy_kernel("LeakyReluGrad")
def _leaky_relu_grad(dy, features, alpha):
    return np.where(features > 0, dy, alpha * dy).astype(dy.dtype, copy=False)


@numpy_kernel("Elu")
def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


@numpy_kernel("EluGrad")
def _elu_grad(dy, y):
    return np.where(y < 0, dy * (y + 1), dy)


@numpy_kernel("Selu")
def _selu(x):
    return (SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))).astype(x.dtype, copy=False)


@numpy_kernel("SeluGrad")
def _selu_grad(dy, y):
    return np.where(y < 0, dy * (y + SELU_SCALE * SELU_ALPHA), dy * SELU_SCALE).astype(dy.dtype, copy=False)


@numpy_kernel("Softplus")
def _softplus(x):
    return np.logaddexp(x.dtype.type(0), x)


@numpy_kernel("Softsign")
def _softsign(x):
    return x / (1 + np.abs(x))


# ---- softmax -----------------------------------------------------------------------------------------------

def _shifted(x, axis):
    """x minus its max along `axis`: every exp() below is at most 1, so nothing overflows."""
    if x.size == 0:
        return x
    if x.ndim == 2 and axis in (1, -1) and x.shape[1] <= 64:  # numpy reduces short rows slowly, columns fast
        return x - np.maximum.reduce(x.T.copy(), axis=0)[:, None]
    return x - np.maximum.reduce(x, axis=axis, keepdims=True)  # np.max's wrapper costs more than the work here


@numpy_kernel("Softmax")
def _softmax(x, axis):
    e = np.exp(_shifted(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


@numpy_kernel("LogSoftmax")
def _log_softmax(x, axis):
    shifted = _shifted(x, axis)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# ---- bias_add and l2_loss ----------------------------------------------------------------------------------

def _bias_axis(data_format):
    return 1 if data_format.startswith("NC") else -1


@numpy_kernel("BiasAdd")
def _bias_add(value, bias, data_format):
    if _bias_axis(data_format) == 1:
        bias = bias.reshape((-1,) + (1,) * (value.ndim - 2))
    return value + bias


@into_kernel("BiasAdd", positions=(0,))
def _bias_add_into(value, bias, data_format, out):
    if _bias_axis(data_format) == 1:
        bias = bias.reshape((-1,) + (1,) * (value.ndim - 2))
    return np.add(value, bias, out=out)


@numpy_kernel("BiasAddGrad")
def _bias_add_grad(dy, data_format):
    axis = _bias_axis(data_format) % dy.ndim
    if dy.ndim == 2 and axis == 1:
        return column_sums(dy)
    return np.sum(dy, axis=tuple(i for i in range(dy.ndim) if i != axis), dtype=dy.dtype)


@numpy_kernel("L2Loss")
def _l2_loss(t):
    wide = t.astype(np.float32) if t.dtype == np.float16 else t
    return np.asarray(np.dot(wide.ravel(), wide.ravel()) / 2, dtype=t.dtype)


# ---- cross-entropies ---------------------------------------------------------------------------------------

def _xent(logits, labels):
    """(loss, backprop) from logits [n, classes] and label probabilities of the same shape.

    The loss is sum(labels * (logsumexp - shifted)), whose factors are finite for finite logits: no 0 * inf.
    """
    shifted = _shifted(logits, 1)
    exp = np.exp(shifted)
    total = np.sum(exp, axis=1, keepdims=True)
    loss = np.sum(labels * (np.log(total) - shifted), axis=1)
    return loss, exp / total - labels


@numpy_kernel("SoftmaxCrossEntropyWithLogits")
def _softmax_xent(logits, labels):
    return _xent(logits, labels)


def _as_unsigned(integers):
    return integers.view(integers.dtype.str.replace("i", "u")) if integers.dtype.kind == "i" else integers


def check_labels(labels, classes):
    """InvalidArgumentError unless every label is in [0, classes) (device backends check host labels with it)."""
    if labels.size and np.maximum.reduce(_as_unsigned(labels), axis=None) >= classes:  # negatives wrap to huge
        bad = labels[(labels < 0) | (labels >= classes)]
        raise errors.InvalidArgumentError(
            None, None, "Received a label value of %d which is outside the valid range of [0, %d).  Label values: %s"
                        % (bad[0], classes, " ".join(str(v) for v in labels.ravel())))


@numpy_kernel("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_xent(logits, labels):
    """Indexes the label's logit instead of building a one-hot matrix (the hot path of classifiers)."""
    classes = logits.shape[1]
    check_labels(labels, classes)
    at_label = np.arange(0, labels.size * classes, classes) + labels  # flat index of each row's label
    shifted = _shifted(logits, 1)
    picked = shifted.take(at_label)
    backprop = np.exp(shifted, out=shifted)
    total = backprop @ np.ones(classes, dtype=backprop.dtype)  # row sums: BLAS beats numpy's short-axis reduce
    loss = np.log(total)
    loss -= picked
    backprop /= total[:, None]
    backprop.ravel()[at_label] -= 1
    return loss, backprop


@numpy_kernel("SigmoidCrossEntropyWithLogits")
def _sigmoid_xent(logits, labels):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


# ---- top_k and in_top_k ------------------------------------------------------------------------------------

@numpy_kernel("TopKV2")
def _top_k(x, k, sorted, index_type):  # noqa: A002 - the attr's name
    k = int(k)
    if k > x.shape[-1]:
        raise errors.InvalidArgumentError(None, None, "input must have at least k columns. Had %d, needed %d"
                                          % (x.shape[-1], k))
    # A stable sort of the negated values puts the largest first and keeps equal values in index order.
    keys = -x if x.dtype.kind == "f" else -x.astype(np.int64)
    indices = np.argsort(keys, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, indices, axis=-1), indices.astype(index_type.as_numpy_dtype)


@numpy_kernel("InTopKV2")
def _in_top_k(predictions, targets, k):
    rows, classes = predictions.shape
    valid = (targets >= 0) & (targets < classes)
    target_values = predictions[np.arange(rows), np.where(valid, targets, 0)]
    larger = np.sum(predictions > target_values[:, None], axis=1)
    return valid & np.all(np.isfinite(predictions), axis=1) & (larger < int(k))
