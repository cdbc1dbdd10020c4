"""tf.train: optimizers, Saver, global step, learning-rate schedules."""
from flowgraph.train.adadelta import AdadeltaOptimizer
from flowgraph.train.adagrad import AdagradOptimizer
from flowgraph.train.adam import AdamOptimizer
from flowgraph.train.checkpoint_management import (CheckpointState, checkpoint_exists, get_checkpoint_state,
                                                   latest_checkpoint, list_variables, load_variable,
                                                   update_checkpoint_state)
from flowgraph.train.gradient_descent import GradientDescentOptimizer
from flowgraph.train.learning_rate_decay import (cosine_decay, exponential_decay, inverse_time_decay,
                                                 natural_exp_decay, piecewise_constant, polynomial_decay)
from flowgraph.train.momentum import MomentumOptimizer
from flowgraph.train.optimizer import Optimizer
from flowgraph.train.rmsprop import RMSPropOptimizer
from flowgraph.train.saver import Saver
from flowgraph.io.graph_io import write_graph  # noqa: F401 - tf.train.write_graph
from flowgraph.train.training_util import (assert_global_step, create_global_step, get_global_step,
                                           get_or_create_global_step, global_step)

__all__ = ["Optimizer", "GradientDescentOptimizer", "MomentumOptimizer", "AdagradOptimizer", "AdadeltaOptimizer",
           "RMSPropOptimizer", "AdamOptimizer", "Saver", "CheckpointState", "checkpoint_exists",
           "get_checkpoint_state", "latest_checkpoint", "list_variables", "load_variable",
           "update_checkpoint_state", "assert_global_step", "create_global_step", "get_global_step",
           "get_or_create_global_step", "global_step", "cosine_decay", "exponential_decay", "inverse_time_decay",
           "natural_exp_decay", "piecewise_constant", "polynomial_decay"]
