"""tf.compat: `flowgraph.compat.v1` is flowgraph itself (set by flowgraph/__init__)."""
