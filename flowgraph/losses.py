"""The tf.losses namespace."""
