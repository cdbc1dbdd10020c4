"""ConcreteFunction: one traced graph with fixed feeds and fetches, run with the session's Schedule and the
backend's plan, and differentiable under GradientTape.

Its variables are the eager variables' own cells (the plan's ResourceStore is filled with them), so updates in
the graph are seen outside. Under a tape a call is recorded as one entry whose gradient is another
ConcreteFunction on the same graph: the graph's symbolic gradients, fed with the forward values they need
(saved from the forward run, so random ops and updates are not run twice). Gradient functions are recorded in
turn, so higher derivatives work through functions too.
"""
import numpy as np

from flowgraph.backends import get_backend
from flowgraph.backends.resources import ResourceStore
from flowgraph.client.plan import Schedule
from flowgraph.eager import placement, tape
from flowgraph.eager.tensor import EagerTensor, is_host_value
from flowgraph.gradients import gradients
from flowgraph.ops import array_ops


def _unique(tensors):
    seen, result = set(), []
    for t in tensors:
        if t is not None and t not in seen:
            seen.add(t)
            result.append(t)
    return result


def _as_value(result):
    """Fetched 0-d values come back as numpy scalars; a 0-d string comes back as a Python object."""
    return result if isinstance(result, (np.ndarray, np.generic)) else np.asarray(result, dtype=object)


def _device_of_call(variables):
    """Where a call runs: on the OpenCL device of the eager device scope, else on the device its variables live
    on, else on the default backend (None)."""
    device = placement.scope_device()
    if device is not None:
        return device.name
    for variable in variables:
        value = variable._cell.value
        if value is not None and not is_host_value(value):
            return "/opencl:%d" % value.device.index
    return None


def _zeros_like(tensor):
    value = tensor._value
    return EagerTensor(np.zeros(np.shape(value), dtype=value.dtype))


class ConcreteFunction:
    """`graph` run with `inputs` fed and `outputs` fetched (None entries give None); `targets` always run.

    `call(values, variables)`: `values` feed `inputs` (EagerTensors or numpy values), `variables` are the eager
    variables bound to `graph.variables`, in order.
    """

    def __init__(self, graph, inputs, outputs, targets=()):
        self.graph = graph
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.targets = list(targets)
        self._fetches = _unique(self.outputs)
        positions = {t: i for i, t in enumerate(self._fetches)}
        self._positions = [None if t is None else positions[t] for t in self.outputs]
        self._plans = {}
        self._first_order = None  # (gradient function, the forward tensors it is fed), built when first needed
        self._recomputing = None  # gradient function fed with the inputs, for gradients reaching saved tensors

    def call(self, values, variables):
        if tape.active:
            for variable in variables:
                tape.variable_accessed(variable)
            if tape.should_record(list(values) + list(variables)):
                return self._call_recorded(values, variables)
        return self._expand(self._run(self._fetches, False, values, variables))

    def _expand(self, results):
        return [None if p is None else results[p] for p in self._positions]

    def _run(self, fetches, recorded, values, variables):
        device = _device_of_call(variables)
        key = (recorded, tuple(v._cell for v in variables), device)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make_plan(fetches, variables, device)
        results = plan.run([v._numpy_value() if isinstance(v, EagerTensor) else v for v in values])
        return [EagerTensor(r if r.__class__ is np.ndarray else _as_value(r)) for r in results]

    def _make_plan(self, fetches, variables, device):
        schedule = Schedule(fetches, self.targets, self.inputs)
        store = ResourceStore()
        for captured, variable in zip(self.graph.variables, variables):
            store.cells[self.graph.capture_variable(captured).op.name] = variable._cell
        return get_backend(device).make_plan(schedule, store)

    # ---- differentiation -----------------------------------------------------------------------------------
    def _call_recorded(self, values, variables):
        backward, saved = self._first_order_function()
        fetches = _unique(self._fetches + saved)
        results = self._run(fetches, True, values, variables)
        inputs = [v if isinstance(v, EagerTensor) else EagerTensor(np.asarray(v)) for v in values]

        def grad_fn(output_grads):
            return self._backward(inputs, variables, fetches, results, output_grads)
        tape.record(inputs + list(variables), results, grad_fn)
        return self._expand(results)

    def _backward(self, inputs, variables, fetches, results, output_grads):
        """Gradients for inputs then variables, given gradients of the fetched outputs and saved tensors."""
        by_tensor = {t: (r, g) for t, r, g in zip(fetches, results, output_grads)}
        saved_connected = any(g is not None for g in output_grads[len(self._fetches):])
        if saved_connected:
            backward, ys = self._recomputing_function(fetches)
            feeds = list(inputs)
        else:
            backward, saved = self._first_order_function()
            ys = [t for t in self._fetches if t.dtype.is_floating]
            feeds = [by_tensor[t][0] for t in saved]
        for y in ys:
            result, grad = by_tensor[y]
            feeds.append(_zeros_like(result) if grad is None else grad)
        return backward.call(feeds, variables)

    def _first_order_function(self):
        if self._first_order is None:
            ys = [t for t in self._fetches if t.dtype.is_floating]
            self._first_order = self._gradient_function(ys, saving=True)
        return self._first_order

    def _recomputing_function(self, fetches):
        if self._recomputing is None:
            ys = [t for t in fetches if t.dtype.is_floating]
            self._recomputing = (self._gradient_function(ys, saving=False)[0], ys)
        return self._recomputing

    def _gradient_function(self, ys, saving):
        """(ConcreteFunction giving d(ys)/d(inputs + variables) from dy placeholders, forward tensors it is fed).

        With `saving`, it is fed the forward tensors its ops read (found by walking back from the gradients to
        tensors made before them); otherwise it is fed this function's inputs and recomputes the forward pass.
        """
        graph = self.graph
        start = len(graph.get_operations())
        with graph.as_default():
            dys = [array_ops.placeholder(y.dtype, y.shape, name="dy") for y in ys]
            xs = self.inputs + [graph.capture_variable(v) for v in graph.variables]
            # partial derivatives: an input computed from another input is still an independent input
            grads = gradients(ys, xs, grad_ys=dys, stop_gradients=xs) if ys else [None] * len(xs)
        if not saving:
            return ConcreteFunction(graph, self.inputs + dys, grads), []
        saved = _tensors_read_from_before(graph, start, [g for g in grads if g is not None])
        return ConcreteFunction(graph, saved + dys, grads), saved


def _tensors_read_from_before(graph, start, tensors):
    """The tensors made by ops older than `start` that computing `tensors` reads."""
    region = set(graph.get_operations()[start:])
    saved, seen, visited = [], set(), set()
    stack = [t.op for t in tensors]
    while stack:
        op = stack.pop()
        if op in visited or op not in region:
            continue
        visited.add(op)
        for t in op.inputs:
            if t.op in region:
                stack.append(t.op)
            elif t not in seen:
                seen.add(t)
                saved.append(t)
        stack.extend(op.control_inputs)
    return saved

