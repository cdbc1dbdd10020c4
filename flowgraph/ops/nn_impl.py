"""tf.nn functions composed of other ops: dropout, moments and batch normalization, l2_normalize,
weighted_cross_entropy_with_logits, embedding_lookup, zero_fraction, xw_plus_b. They declare no op."""
import numbers

from flowgraph.framework import dtypes
from flowgraph.framework.graph import name_scope
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.ops import array_ops, indexing_ops, math_ops, random_ops
from flowgraph.ops.nn_ops import bias_add, convert_logits_and_labels, softplus

__all__ = ["dropout", "moments", "batch_normalization", "fused_batch_norm", "l2_normalize",
           "weighted_cross_entropy_with_logits", "embedding_lookup", "zero_fraction", "xw_plus_b"]

# TF's fused kernels reject a smaller epsilon; fused_batch_norm raises it to this.
MIN_FUSED_EPSILON = 1.001e-5


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """x scaled by 1 / keep_prob where kept, 0 where dropped; each element (or noise_shape slice) is dropped
    with probability `rate` = 1 - keep_prob, independently. A Python rate of 0 returns x itself."""
    if keep_prob is not None and rate is not None:
        raise ValueError("Cannot specify both keep_prob and rate")
    if keep_prob is None and rate is None:
        raise ValueError("You must provide a rate to dropout.")
    with name_scope(name, "dropout", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError("x has to be a floating point tensor since it's going to be scaled. Got a %s tensor "
                             "instead." % x.dtype.name)
        if rate is None:
            rate = 1 - keep_prob if isinstance(keep_prob, numbers.Real) else \
                math_ops.subtract(1.0, convert_to_tensor(keep_prob, dtype=x.dtype), name="rate")
        if isinstance(rate, numbers.Real):
            if not 0 <= rate < 1:
                raise ValueError("rate must be a scalar tensor or a float in the range [0, 1), got %g" % rate)
            if rate == 0:
                return x
            scale = 1 / (1 - rate)
        else:
            rate = convert_to_tensor(rate, dtype=x.dtype, name="rate")
            scale = math_ops.reciprocal(1 - rate)
        shape = array_ops.shape(x) if noise_shape is None else array_ops.shape_tensor(noise_shape)
        uniform = random_ops.random_uniform(shape, seed=seed, dtype=x.dtype)
        kept = math_ops.cast(math_ops.greater_equal(uniform, rate), x.dtype)
        return math_ops.multiply(x * scale, kept, name=scope)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """(mean, variance) of x over `axes`; the variance is the biased (population) one, as TF.

    float16 inputs are accumulated in float32.
    """
    keepdims = bool(keep_dims if keepdims is None else keepdims)
    with name_scope(name, "moments", [x, axes]):
        x = convert_to_tensor(x, name="x")
        y = math_ops.cast(x, dtypes.float32) if x.dtype == dtypes.float16 else x
        mean = math_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        # The mean's own gradient contribution sums to zero over the axes: stop it, as TF does.
        variance = math_ops.reduce_mean(math_ops.squared_difference(y, array_ops.stop_gradient(mean)), axes,
                                        keepdims=True, name="variance")
        if not keepdims:
            mean = array_ops.squeeze(mean, axes)
            variance = array_ops.squeeze(variance, axes)
        if x.dtype == dtypes.float16:
            return math_ops.cast(mean, dtypes.float16), math_ops.cast(variance, dtypes.float16)
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + variance_epsilon) + offset, all broadcast against x.

    Computed as x * inv + (offset - mean * inv), inv = scale / sqrt(variance + epsilon), as TF: one multiply
    and one add over x. `offset` and `scale` may be None.
    """
    with name_scope(name, "batchnorm", [x, mean, variance, scale, offset]):
        x = convert_to_tensor(x, name="x")
        inv = math_ops.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        shift = offset - mean * inv if offset is not None else math_ops.negative(mean * inv)
        return x * math_ops.cast(inv, x.dtype) + math_ops.cast(shift, x.dtype)


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001, data_format="NHWC",
                     is_training=True, name=None, exponential_avg_factor=1.0):
    """Batch normalization of a 4-D input over all but the channel axis: (y, batch_mean, batch_variance).

    In training the statistics are the batch's, and the returned variance is the unbiased one (n / (n - 1)
    times the one used to normalize), as TF's kernel; with exponential_avg_factor f < 1 both are blended into
    the given mean and variance: (1 - f) * old + f * batch. In inference the given mean and variance are used.
    """
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format must be NHWC or NCHW, got %r" % (data_format,))
    epsilon = max(float(epsilon), MIN_FUSED_EPSILON)
    with name_scope(name, "FusedBatchNormV3", [x, scale, offset]):
        x = convert_to_tensor(x, name="x")
        if x.shape.rank is not None and x.shape.rank != 4:
            raise ValueError("fused_batch_norm needs a 4-D input, got shape %s" % (x.shape,))
        axes = [0, 1, 2] if data_format == "NHWC" else [0, 2, 3]
        broadcast = [1, -1, 1, 1] if data_format == "NCHW" else [-1]
        y_in = math_ops.cast(x, dtypes.float32) if x.dtype == dtypes.float16 else x
        scale, offset = convert_to_tensor(scale, name="scale"), convert_to_tensor(offset, name="offset")
        if not is_training:
            if mean is None or variance is None:
                raise ValueError("Both 'mean' and 'variance' must be a 1D tensor when is_training is False.")
            mean, variance = convert_to_tensor(mean, name="mean"), convert_to_tensor(variance, name="variance")
            y = batch_normalization(y_in, array_ops.reshape(mean, broadcast), array_ops.reshape(variance, broadcast),
                                    array_ops.reshape(offset, broadcast), array_ops.reshape(scale, broadcast),
                                    epsilon)
            return math_ops.cast(y, x.dtype), mean, variance
        batch_mean, batch_variance = moments(y_in, axes)
        y = batch_normalization(y_in, array_ops.reshape(batch_mean, broadcast),
                                array_ops.reshape(batch_variance, broadcast), array_ops.reshape(offset, broadcast),
                                array_ops.reshape(scale, broadcast), epsilon)
        count = math_ops.cast(math_ops.reduce_prod(indexing_ops.gather(array_ops.shape(y_in), axes)), y_in.dtype)
        unbiased = batch_variance * (count / math_ops.maximum(count - 1, 1))
        if exponential_avg_factor != 1.0:
            factor = float(exponential_avg_factor)
            batch_mean = (1 - factor) * convert_to_tensor(mean, name="mean") + factor * batch_mean
            unbiased = (1 - factor) * convert_to_tensor(variance, name="variance") + factor * unbiased
        return math_ops.cast(y, x.dtype), batch_mean, unbiased


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x ** 2, axis), epsilon)): unit L2 norm along `axis` (None: all axes)."""
    axis = dim if axis is None else axis
    with name_scope(name, "l2_normalize", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        square_sum = math_ops.reduce_sum(math_ops.square(x), axis, keepdims=True)
        inverse_norm = math_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
        return math_ops.multiply(x, inverse_norm, name=scope)


def weighted_cross_entropy_with_logits(labels=None, logits=None, pos_weight=None, name=None, targets=None):
    """Sigmoid cross-entropy with the positive term weighted by pos_weight:
    (1 - z) * x + (1 + (pos_weight - 1) * z) * log(1 + exp(-x)), the softplus keeping it finite."""
    labels = targets if labels is None else labels
    if labels is None or logits is None or pos_weight is None:
        raise ValueError("weighted_cross_entropy_with_logits needs labels, logits and pos_weight")
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        logits, labels = convert_logits_and_labels(logits, labels)
        log_weight = 1 + (pos_weight - 1) * labels
        return math_ops.add((1 - labels) * logits, log_weight * softplus(math_ops.negative(logits)), name=scope)


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True, max_norm=None):
    """The rows of `params` at `ids` (a gather); `params` may be a list of shards of one table.

    With several shards, id i lives in shard i % n at row i // n ("mod"), or the shards hold consecutive
    ranges of ids ("div"). `max_norm` clips each embedding to that L2 norm.
    """
    if partition_strategy not in ("mod", "div"):
        raise ValueError("Unrecognized partition strategy: %s" % partition_strategy)
    shards = list(params) if isinstance(params, (list, tuple)) else [params]
    if not shards:
        raise ValueError("Need at least one param")
    with name_scope(name, "embedding_lookup", shards + [ids]) as scope:
        shards = [convert_to_tensor(p, name="params") for p in shards]
        ids = convert_to_tensor(ids, name="ids")
        if len(shards) == 1:
            table = shards[0]
        else:
            table = array_ops.concat(shards, 0)
            if partition_strategy == "mod":
                ids = _mod_ids_to_rows(shards, ids)
        if max_norm is None:
            return indexing_ops.gather(table, ids, name=scope)
        rows = indexing_ops.gather(table, ids)
        embedding_axes = list(range(ids.shape.rank, rows.shape.rank)) if rows.shape.rank is not None else -1
        return math_ops.clip_by_norm(rows, max_norm, axes=embedding_axes, name=scope)


def _mod_ids_to_rows(shards, ids):
    """Row numbers in the concatenated shards for ids spread with the "mod" strategy."""
    sizes = [p.shape[0] for p in shards]
    if None in sizes:
        raise ValueError("embedding_lookup with the 'mod' strategy needs the first dimension of every shard")
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    shard = math_ops.floormod(ids, len(shards))
    start = indexing_ops.gather(array_ops.constant(starts, dtype=ids.dtype), shard)
    return start + math_ops.floordiv(ids, len(shards))


def zero_fraction(value, name=None):
    """The fraction of zeros in `value`, a float32 scalar (as sparsity summaries use it)."""
    with name_scope(name, "zero_fraction", [value]):
        value = convert_to_tensor(value, name="value")
        zeros = math_ops.cast(math_ops.equal(value, array_ops.zeros([], value.dtype)), dtypes.float32)
        return math_ops.reduce_mean(zeros, name="fraction")


def xw_plus_b(x, weights, biases, name=None):
    """matmul(x, weights) + biases, the biases added with bias_add."""
    with name_scope(name, "xw_plus_b", [x, weights, biases]) as scope:
        return bias_add(math_ops.matmul(x, weights), biases, name=scope)
