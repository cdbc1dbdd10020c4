"""How fit/evaluate/predict run a model's step (`train_step`, `test_step`, `predict_step`) on numpy batches.

The step is written once, with public ops. In graph mode it is built once per input signature in the model's
graph, on placeholders, and run by a Session callable. In eager mode it is traced once by the eager layer's
`function` (or, with `run_eagerly=True`, simply called). Either way the caller gets numpy results.
"""
from flowgraph.framework import context, nest
from flowgraph.framework.graph import GraphKeys, get_default_graph
from flowgraph.ops import array_ops
from flowgraph.keras import backend

# Ops that take a variable as a ref input but do not write it.
_READS_ONLY = {"IsVariableInitialized", "InitializedValue"}


class StateUpdates:
    """`with StateUpdates() as updates:` collects the variable-writing ops built in the block (graph mode, and
    while tracing), so results read afterwards can depend on them: `with backend.after(updates.ops): ...`."""

    def __init__(self):
        self.ops = []
        self._graph = None
        self._start = 0

    def __enter__(self):
        if not context.executing_eagerly():
            self._graph = get_default_graph()
            self._start = self._graph.version
        return self

    def __exit__(self, *exc):
        if self._graph is None or exc[0] is not None:
            return False
        initializers = {id(v.initializer) for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES)
                        for v in self._graph.get_collection(key)}
        self.ops = [op for op in self._graph.get_operations()[self._start:]
                    if op.op_def.ref_inputs and op.type not in _READS_ONLY and id(op) not in initializers]
        return False


def batch_signature(batch):
    """What a built step depends on: each array's dtype and shape without the batch dimension."""
    return tuple(None if a is None else (a.dtype.str, a.shape[1:]) for a in nest.flatten(list(batch)))


class GraphStepFunctions:
    """Steps built in the model's graph on placeholders and run as Session callables."""

    def __init__(self, model, graph):
        self.model = model
        self.graph = graph
        self._cache = {}

    def run(self, kind, batch):
        session = backend.get_session(self.graph)
        key = (kind, batch_signature(batch), id(session))
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = self._build(kind, batch, session)
        call, has_data = entry
        return call(*[a for a, present in zip(nest.flatten(list(batch)), has_data) if present])

    def _build(self, kind, batch, session):
        with self.graph.as_default(), self.graph.name_scope(None):
            def placeholder(array):
                return array_ops.placeholder(backend.as_dtype_of(array), (None,) + array.shape[1:])
            flat = nest.flatten(list(batch))
            has_data = [a is not None for a in flat]
            placeholders = nest.pack_sequence_as(list(batch), [placeholder(a) if a is not None else None
                                                               for a in flat])
            data = tuple(placeholders)
            self.model._prepare_step_state(kind, data)
            with StateUpdates() as updates:
                outputs = self.model._step_for(kind)(data if kind != "predict" else data[0])
        backend.initialize_variables(session, self.graph.get_collection(GraphKeys.GLOBAL_VARIABLES) +
                                     self.graph.get_collection(GraphKeys.LOCAL_VARIABLES))
        feeds = [p for p in nest.flatten(placeholders) if p is not None]
        callable_ = session.make_callable([outputs, updates.ops], feeds)
        return (lambda *values: callable_(*values)[0]), has_data


class EagerStepFunctions:
    """Steps traced once per input signature (batch dimension left free) by the eager layer's `function`, or
    called as they are with `run_eagerly=True`."""

    def __init__(self, model, run_eagerly=False):
        self.model = model
        self.run_eagerly = run_eagerly
        self._cache = {}

    def run(self, kind, batch):
        key = (kind, batch_signature(batch))
        fn = self._cache.get(key)
        present = [a for a in nest.flatten(list(batch)) if a is not None]
        if fn is not None:
            return nest.map_structure(lambda t: t.numpy(), fn(*present))
        fn = self._cache[key] = self._build(kind, batch)
        outputs = fn(*present)
        self.model._clear_call_losses()  # the trace's loss tensors belong to its graph, not to eager code
        return nest.map_structure(lambda t: t.numpy(), outputs)

    def _build(self, kind, batch):
        from flowgraph.eager import TensorSpec, function
        layout = [a is not None for a in nest.flatten(list(batch))]

        def step(*values):
            values = iter(values)
            flat = [next(values) if has_value else None for has_value in layout]
            data = tuple(nest.pack_sequence_as(list(batch), flat))
            return self.model._step_for(kind)(data if kind != "predict" else data[0])

        tensors = tuple(None if part is None else nest.map_structure(backend.to_eager_tensor, part) for part in batch)
        self.model._prepare_step_state(kind, tensors)
        if self.run_eagerly:
            return lambda *values: step(*[backend.to_eager_tensor(v) for v in values])
        specs = [TensorSpec((None,) + a.shape[1:], backend.as_dtype_of(a)) for a in nest.flatten(list(batch))
                 if a is not None]
        return function(step, input_signature=specs)
