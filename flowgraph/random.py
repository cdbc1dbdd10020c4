"""tf.random: the random ops under their TF2 names (and TF1's, which tf.random also holds)."""
from flowgraph.framework.random_seed import set_random_seed as set_seed  # noqa: F401
from flowgraph.framework.random_seed import get_seed  # noqa: F401
from flowgraph.ops.random_ops import categorical, multinomial  # noqa: F401
from flowgraph.ops.random_ops import random_normal as normal  # noqa: F401
from flowgraph.ops.random_ops import random_shuffle as shuffle  # noqa: F401
from flowgraph.ops.random_ops import random_uniform as uniform  # noqa: F401
from flowgraph.ops.random_ops import truncated_normal  # noqa: F401

set_random_seed = set_seed
