"""The tf.nn namespace."""
