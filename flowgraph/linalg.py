"""tf.linalg: matrix ops."""
from flowgraph.ops.math_ops import matmul  # noqa: F401
