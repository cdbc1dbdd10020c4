"""Random ops: normal, uniform, truncated normal, shuffle, multinomial; seeded by graph and op seeds.

Each op draws from its own numpy Generator, made per session from the (seed, seed2) attrs that `get_seed`
gives at build time: with a graph seed (`set_random_seed`) or an op seed, a new session repeats the same
sequence; ops without an explicit seed get distinct seed2 values, so they differ from one another.
"""
from flowgraph.framework import dtypes
from flowgraph.framework.graph import name_scope
from flowgraph.framework.op_registry import (NOT_DIFFERENTIABLE, OpDef, apply_op, constant_value,
                                             constant_value_as_shape, convert_to_tensor)
from flowgraph.framework.random_seed import get_seed
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import array_ops, math_ops

__all__ = ["random_normal", "random_uniform", "truncated_normal", "random_shuffle", "multinomial"]

FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
_SEEDS = {"seed": None, "seed2": None}


def _shape_from_input(op):
    return constant_value_as_shape(op.inputs[0])


def _sampler(type_name, extra_inputs=(), dtype_attr=True):
    """A random op whose first input is the output shape."""
    attrs = dict(_SEEDS, dtype=dtypes.float32) if dtype_attr else dict(_SEEDS)
    return OpDef(type_name, inputs=("shape",) + tuple(extra_inputs), attrs=attrs, shape=_shape_from_input,
                 dtype=None if dtype_attr else (lambda op: op.inputs[1].dtype), host_inputs=(0,), resource="rng",
                 grad=NOT_DIFFERENTIABLE)


_sampler("RandomStandardNormal")
_sampler("RandomUniform")
_sampler("TruncatedNormal")
_sampler("RandomUniformInt", extra_inputs=("minval", "maxval"), dtype_attr=False)
# An orthogonal matrix (QR of a normal draw) for orthogonal_initializer; shape [rows, cols].
_sampler("RandomOrthogonal")

OpDef("RandomShuffle", inputs=("value",), attrs=dict(_SEEDS), shape=lambda op: op.inputs[0].shape, resource="rng",
      grad=NOT_DIFFERENTIABLE)


def _multinomial_shape(op):
    logits = op.inputs[0].shape.with_rank(2)
    num = constant_value(op.inputs[1])
    return TensorShape([logits[0], None if num is None else int(num)])


OpDef("Multinomial", inputs=("logits", "num_samples"), attrs=dict(_SEEDS, output_dtype=dtypes.int64),
      shape=_multinomial_shape, dtype=lambda op: dtypes.as_dtype(op.get_attr("output_dtype")), host_inputs=(1,),
      allowed=FLOATS, resource="rng", grad=NOT_DIFFERENTIABLE)


def _float_dtype(dtype, op_name):
    dtype = dtypes.as_dtype(dtype)
    if dtype not in FLOATS:
        raise TypeError("Value for attr 'dtype' of %s is not in the list of allowed values for '%s' Op: "
                        "float16, float32, float64" % (dtype.name, op_name))
    return dtype


def _seed_attrs(seed):
    seed1, seed2 = get_seed(seed)
    return {"seed": seed1, "seed2": seed2}


def _affine(type_name, shape, loc, scale, dtype, seed, name, default_name, names=("mean", "stddev")):
    """loc + scale * sample, as TF builds random_normal and truncated_normal (ops `mul` and the scope's name)."""
    dtype = _float_dtype(dtype, type_name)
    with name_scope(name, default_name, [shape, loc, scale]) as scope:
        shape = array_ops.shape_tensor(shape)
        loc = convert_to_tensor(loc, dtype=dtype, name=names[0])
        scale = convert_to_tensor(scale, dtype=dtype, name=names[1])
        sample = apply_op(type_name, (shape,), dict(_seed_attrs(seed), dtype=dtype), name=type_name)
        return math_ops.add(sample * scale, loc, name=scope)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Samples of a normal distribution with `mean` and `stddev`."""
    return _affine("RandomStandardNormal", shape, mean, stddev, dtype, seed, name, "random_normal")


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Normal samples, re-drawn until within two standard deviations of the mean."""
    return _affine("TruncatedNormal", shape, mean, stddev, dtype, seed, name, "truncated_normal")


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """Uniform samples in [minval, maxval); maxval defaults to 1 for floats and is required for integers."""
    dtype = dtypes.as_dtype(dtype)
    if dtype not in FLOATS + (dtypes.int32, dtypes.int64):
        raise ValueError("Invalid dtype %r for random_uniform: expected a float or int32/int64" % dtype)
    if maxval is None:
        if dtype.is_integer:
            raise ValueError("Must specify maxval for integer dtype %r" % dtype)
        maxval = 1
    with name_scope(name, "random_uniform", [shape, minval, maxval]) as scope:
        shape = array_ops.shape_tensor(shape)
        minval = convert_to_tensor(minval, dtype=dtype, name="min")
        maxval = convert_to_tensor(maxval, dtype=dtype, name="max")
        if dtype.is_integer:
            return apply_op("RandomUniformInt", (shape, minval, maxval), _seed_attrs(seed), name=scope)
        sample = apply_op("RandomUniform", (shape,), dict(_seed_attrs(seed), dtype=dtype), name="RandomUniform")
        return math_ops.add(sample * (maxval - minval), minval, name=scope)


def random_shuffle(value, seed=None, name=None):
    """`value` with its first dimension randomly permuted."""
    return apply_op("RandomShuffle", (convert_to_tensor(value),), _seed_attrs(seed), name=name or "RandomShuffle")


def _draw(logits, num_samples, seed, name, default_name, output_dtype):
    with name_scope(name, default_name, [logits]):
        logits = convert_to_tensor(logits, name="logits")
        num = convert_to_tensor(num_samples, dtype=dtypes.int32, name="num_samples")
        output_dtype = dtypes.as_dtype(output_dtype or dtypes.int64)
        if output_dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError("output dtype of %s must be int32 or int64, got %s" % (default_name, output_dtype.name))
        return apply_op("Multinomial", (logits, num), dict(_seed_attrs(seed), output_dtype=output_dtype))


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None):
    """For each row of [batch, classes] unnormalized log-probabilities, `num_samples` class indices."""
    return _draw(logits, num_samples, seed, name, "multinomial", output_dtype)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """TF2's tf.random.categorical: multinomial with the output dtype named `dtype`."""
    return _draw(logits, num_samples, seed, name, "categorical", dtype)


def random_orthogonal(shape, dtype, seed=None, name=None):
    """A [rows, cols] matrix with orthonormal rows or columns (whichever are fewer), for initializers."""
    with name_scope(name, "random_orthogonal", [shape]):
        return apply_op("RandomOrthogonal", (array_ops.shape_tensor(shape),),
                        dict(_seed_attrs(seed), dtype=_float_dtype(dtype, "RandomOrthogonal")))
