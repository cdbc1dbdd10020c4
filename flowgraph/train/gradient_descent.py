"""Plain gradient descent."""
from flowgraph.ops import training_ops
from flowgraph.train.optimizer import Optimizer


class GradientDescentOptimizer(Optimizer):
    """var -= learning_rate * grad."""

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name, learning_rate=learning_rate)

    def _apply_dense(self, grad, var):
        return training_ops.apply_gradient_descent(var, self._hyper_for("learning_rate", var), grad,
                                                   use_locking=self._use_locking)
