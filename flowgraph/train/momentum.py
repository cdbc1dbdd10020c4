"""Gradient descent with (optionally Nesterov) momentum."""
from flowgraph.ops import training_ops
from flowgraph.train.optimizer import Optimizer


class MomentumOptimizer(Optimizer):
    """accum = momentum * accum + grad; var -= learning_rate * accum. One slot, 'momentum' (`w/Momentum`).

    With `use_nesterov` the step looks ahead: learning_rate * (grad + momentum * accum).
    """

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False):
        super().__init__(use_locking, name, learning_rate=learning_rate, momentum=momentum)
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _apply_dense(self, grad, var):
        return training_ops.apply_momentum(var, self.get_slot(var, "momentum"), self._hyper_for("learning_rate", var),
                                           grad, self._hyper_for("momentum", var), use_locking=self._use_locking,
                                           use_nesterov=self._use_nesterov)
