"""Adadelta (Zeiler, 2012): steps scaled by RMS of past updates over RMS of past gradients."""
from flowgraph.ops import training_ops
from flowgraph.train.optimizer import Optimizer


class AdadeltaOptimizer(Optimizer):
    """Two slots, 'accum' (squared gradients, `w/Adadelta`) and 'accum_update' (squared updates,
    `w/Adadelta_1`); TF1 keeps a `learning_rate` factor on the step (1.0 gives the paper's method)."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False, name="Adadelta"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._rho = rho
        self._epsilon = epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper_tensor(self._learning_rate, "lr")
        self._rho_tensor = self._hyper_tensor(self._rho, "rho")
        self._epsilon_tensor = self._hyper_tensor(self._epsilon, "epsilon")

    def _apply_dense(self, grad, var):
        return training_ops.apply_adadelta(var, self.get_slot(var, "accum"), self.get_slot(var, "accum_update"),
                                           self._cast(self._learning_rate_tensor, var),
                                           self._cast(self._rho_tensor, var), self._cast(self._epsilon_tensor, var),
                                           grad, use_locking=self._use_locking)
