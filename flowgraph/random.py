"""tf.random: the random ops under their TF2 names."""
from flowgraph.framework.random_seed import set_random_seed as set_seed  # noqa: F401
from flowgraph.ops.random_ops import *  # noqa: F401,F403
