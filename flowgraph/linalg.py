"""tf.linalg: matrix products, transposes and norms."""
from flowgraph.ops.math_ops import global_norm, matmul, matrix_transpose, norm, tensordot  # noqa: F401

transpose = matrix_transpose
