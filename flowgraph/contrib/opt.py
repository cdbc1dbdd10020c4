"""tf.contrib.opt: optimizers that lived outside tf.train in TF1."""
from flowgraph.train.adam import NadamOptimizer

__all__ = ["NadamOptimizer"]
