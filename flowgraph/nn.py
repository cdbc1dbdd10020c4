"""The tf.nn namespace: activations, softmax and cross-entropies, convolution and pooling, normalization."""
from flowgraph.ops.conv_ops import *  # noqa: F401,F403
from flowgraph.ops.math_ops import sigmoid, tanh  # noqa: F401
from flowgraph.ops.nn_impl import *  # noqa: F401,F403
from flowgraph.ops.nn_ops import *  # noqa: F401,F403
