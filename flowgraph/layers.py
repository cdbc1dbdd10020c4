"""The tf.layers namespace."""
