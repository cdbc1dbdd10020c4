"""tf.math: the math ops under their TF2 namespace."""
from flowgraph.ops.math_ops import *  # noqa: F401,F403
