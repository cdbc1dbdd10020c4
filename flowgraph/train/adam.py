"""Adam (Kingma & Ba, 2015) and its Nesterov variant Nadam (Dozat, 2016), as TF1 computes them."""
from flowgraph.framework.graph import control_dependencies
from flowgraph.ops import array_ops, math_ops, training_ops
from flowgraph.train.optimizer import Optimizer


class AdamOptimizer(Optimizer):
    """Slots 'm' (`w/Adam`) and 'v' (`w/Adam_1`); the bias-correction powers beta1^t and beta2^t live in two
    non-trainable variables, `beta1_power` and `beta2_power`, advanced after every variable is updated."""

    _use_nesterov = False

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, use_locking=False, name="Adam"):
        super().__init__(use_locking, name, learning_rate=learning_rate, beta1=beta1, beta2=beta2, epsilon=epsilon)

    def _get_beta_accumulators(self):
        return self._get_non_slot_variable("beta1_power"), self._get_non_slot_variable("beta2_power")

    def _create_slots(self, var_list):
        self._non_slot_variable("beta1_power", self._hyper["beta1"])
        self._non_slot_variable("beta2_power", self._hyper["beta2"])
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    def _apply_dense(self, grad, var):
        beta1_power, beta2_power = self._get_beta_accumulators()
        scalars = [math_ops.cast(beta1_power.value(), var.dtype.base_dtype),
                   math_ops.cast(beta2_power.value(), var.dtype.base_dtype)]
        scalars += [self._hyper_for(h, var) for h in ("learning_rate", "beta1", "beta2", "epsilon")]
        return training_ops.apply_adam(var, self.get_slot(var, "m"), self.get_slot(var, "v"), *scalars, grad,
                                       use_locking=self._use_locking, use_nesterov=self._use_nesterov)

    def _finish(self, update_ops, name):
        beta1_power, beta2_power = self._get_beta_accumulators()
        with control_dependencies(update_ops):
            update_beta1 = beta1_power.assign(beta1_power * self._hyper_tensors["beta1"], use_locking=self._use_locking)
            update_beta2 = beta2_power.assign(beta2_power * self._hyper_tensors["beta2"], use_locking=self._use_locking)
        return array_ops.group(*update_ops + [update_beta1, update_beta2], name=name)


class NadamOptimizer(AdamOptimizer):
    """tf.contrib.opt.NadamOptimizer: Adam whose step uses the Nesterov momentum beta1 * m + (1 - beta1) * grad."""

    _use_nesterov = True
