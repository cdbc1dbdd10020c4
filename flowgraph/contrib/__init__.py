"""tf.contrib: the parts of TF1's contrib that courses still use (layers helpers, Nadam)."""
from flowgraph.contrib import layers, opt  # noqa: F401 - tf.contrib.layers, tf.contrib.opt
