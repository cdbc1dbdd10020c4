"""tf.train: optimizers, Saver, global step, learning-rate schedules."""
