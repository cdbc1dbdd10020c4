"""tf.math: the math ops under their TF2 names."""
from flowgraph.ops.math_ops import (  # noqa: F401
    abs, accumulate_n, add, add_n, argmax, argmin, ceil, cos, count_nonzero, cumsum, divide, divide_no_nan, equal,
    erf, exp, expm1, floor, floordiv, floormod, greater, greater_equal, is_finite, is_inf, is_nan, less, less_equal,
    log, log1p, logical_and, logical_not, logical_or, logical_xor, maximum, minimum, mod, multiply, negative,
    not_equal, pow, reciprocal, reciprocal_no_nan, reduce_all, reduce_any, reduce_logsumexp, reduce_max, reduce_mean,
    reduce_min, reduce_prod, reduce_std, reduce_sum, reduce_variance, round, rsqrt, scalar_mul, sigmoid, sign, sin,
    sqrt, square, squared_difference, subtract, tan, tanh, truediv)
