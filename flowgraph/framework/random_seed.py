"""Graph-level and op-level random seeds, combined as TF's get_seed does."""
from flowgraph.framework import context
from flowgraph.framework.graph import get_default_graph

DEFAULT_GRAPH_SEED = 87654321
# "generation" counts eager set_random_seed calls: eager random streams restart at each (TF clears its kernels)
_eager_seed = {"value": None, "ops": 0, "generation": 0}


def set_random_seed(seed):
    """Make every random op of the default graph (or of eager execution) repeatable."""
    if context.executing_eagerly():
        _eager_seed["value"] = seed
        _eager_seed["ops"] = 0
        _eager_seed["generation"] += 1
    else:
        get_default_graph().seed = seed


def get_seed(op_seed):
    """(seed, seed2) for a new random op; (None, None) when neither seed is set (fresh randomness)."""
    if context.executing_eagerly():
        graph_seed = _eager_seed["value"]
        _eager_seed["ops"] += 1
        counter = _eager_seed["ops"]
    else:
        graph = get_default_graph()
        graph_seed, counter = graph.seed, graph._last_id()
    if graph_seed is not None:
        return int(graph_seed), int(counter if op_seed is None else op_seed)
    if op_seed is not None:
        return DEFAULT_GRAPH_SEED, int(op_seed)
    return None, None
