"""Adadelta (Zeiler, 2012): steps scaled by RMS of past updates over RMS of past gradients."""
from flowgraph.ops import training_ops
from flowgraph.train.optimizer import Optimizer


class AdadeltaOptimizer(Optimizer):
    """Two slots, 'accum' (squared gradients, `w/Adadelta`) and 'accum_update' (squared updates,
    `w/Adadelta_1`); TF1 keeps a `learning_rate` factor on the step (1.0 gives the paper's method)."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False, name="Adadelta"):
        super().__init__(use_locking, name, lr=learning_rate, rho=rho, epsilon=epsilon)

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _apply_dense(self, grad, var):
        return training_ops.apply_adadelta(var, self.get_slot(var, "accum"), self.get_slot(var, "accum_update"),
                                           *[self._hyper_for(h, var) for h in ("lr", "rho", "epsilon")], grad,
                                           use_locking=self._use_locking)
