"""Adagrad: per-coordinate step sizes shrinking with the sum of squared gradients."""
from flowgraph.ops import array_ops, training_ops
from flowgraph.train.optimizer import Optimizer


class AdagradOptimizer(Optimizer):
    """accum += grad^2; var -= learning_rate * grad / sqrt(accum). One slot, 'accumulator' (`w/Adagrad`),
    starting at `initial_accumulator_value` (which must be positive, so the first step is finite)."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: %s" % initial_accumulator_value)
        super().__init__(use_locking, name, learning_rate=learning_rate)
        self._initial_accumulator_value = initial_accumulator_value

    def _create_slots(self, var_list):
        for v in var_list:
            self._slot(v, "accumulator", self._name, lambda shape, dtype: array_ops.fill(
                shape, array_ops.constant(self._initial_accumulator_value, dtype=dtype)))

    def _apply_dense(self, grad, var):
        return training_ops.apply_adagrad(var, self.get_slot(var, "accumulator"),
                                          self._hyper_for("learning_rate", var), grad,
                                          use_locking=self._use_locking)
