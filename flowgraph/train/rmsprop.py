"""RMSProp (Hinton's lecture 6e), optionally centered and with momentum."""
from flowgraph.ops import array_ops, training_ops
from flowgraph.train.optimizer import Optimizer


class RMSPropOptimizer(Optimizer):
    """Divides the step by a running RMS of gradients. Slots: 'rms' (`w/RMSProp`, starting at ones),
    'mg' when centered (`w/RMSProp_1`), 'momentum' (the last, `w/RMSProp_1` or `w/RMSProp_2`)."""

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False, centered=False,
                 name="RMSProp"):
        super().__init__(use_locking, name, learning_rate=learning_rate, decay=decay, momentum=momentum,
                         epsilon=epsilon)
        self._centered = centered

    def _create_slots(self, var_list):
        for v in var_list:
            self._slot(v, "rms", self._name, lambda shape, dtype: array_ops.ones(shape, dtype))
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _apply_dense(self, grad, var):
        hypers = [self._hyper_for(h, var) for h in ("learning_rate", "decay", "momentum", "epsilon")]
        rms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")
        if self._centered:
            return training_ops.apply_centered_rms_prop(var, self.get_slot(var, "mg"), rms, mom, *hypers, grad,
                                                        use_locking=self._use_locking)
        return training_ops.apply_rms_prop(var, rms, mom, *hypers, grad, use_locking=self._use_locking)
