"""FuncGraph: the graph a `function` traces into, and `init_scope` to step out of it."""
import contextlib

from flowgraph.framework import graph as graph_module
from flowgraph.framework import random_seed
from flowgraph.ops import array_ops, state_ops


class FuncGraph(graph_module.Graph):
    """A graph whose outside values are inputs: eager tensors it uses become placeholders fed at each call
    (captures); eager variables become variable ops bound to the variables' own cells when it runs."""

    building_function = True  # variables created while tracing are eager ones (see init_scope)

    def __init__(self, name):
        super().__init__()
        self.name = name
        self.seed = random_seed._eager_seed["value"]  # tf.random.set_seed applies inside functions too
        self.captures = []  # (EagerTensor, placeholder), in capture order
        self._captured = {}
        self.variables = []  # eager variables, in capture order
        self._variable_tensors = {}

    def capture(self, tensor):
        """The placeholder standing for eager `tensor` in this graph."""
        placeholder = self._captured.get(id(tensor))
        if placeholder is None:
            with self._outside_scopes():
                placeholder = array_ops.placeholder(tensor.dtype, tensor.shape, name="capture")
            self._captured[id(tensor)] = placeholder
            self.captures.append((tensor, placeholder))
        return placeholder

    def capture_variable(self, variable):
        """The variable op standing for eager `variable` (what update ops take as their ref input)."""
        ref = self._variable_tensors.get(id(variable))
        if ref is None:
            with self._outside_scopes():
                ref = state_ops.variable_op(variable.shape.dims, variable.dtype, name=variable._cell.name)
            self._variable_tensors[id(variable)] = ref
            self.variables.append(variable)
        return ref

    def read_variable(self, variable):
        """A read of `variable` at this point of the program (ordered after earlier updates, see
        `order_variable_accesses`)."""
        with self.as_default():
            return array_ops.identity(self.capture_variable(variable), name="read")

    @contextlib.contextmanager
    def _outside_scopes(self):
        with self.as_default(), self.control_dependencies(None), self.name_scope(None):
            yield

    def order_variable_accesses(self):
        """Run the reads and updates of each variable in program order, as TF2's automatic control dependencies
        do: a read waits for the last update before it; an update waits for the reads and the update before it."""
        variable_ops = {ref.op for ref in self._variable_tensors.values()}
        last_update, reads_since = {}, {}
        for op in self.get_operations():
            refs = op.op_def.ref_inputs
            for i, t in enumerate(op.inputs):
                var = t.op
                if var not in variable_ops:
                    continue
                if i in refs:
                    for dep in reads_since.pop(var, []) + [last_update.get(var)]:
                        if dep is not None and dep is not op:
                            op._add_control_input(dep)
                    last_update[var] = op
                else:
                    if var in last_update:
                        op._add_control_input(last_update[var])
                    reads_since.setdefault(var, []).append(op)

    def updates(self):
        """The ops that update variables: a call runs them even when no output depends on them."""
        return [op for op in self.get_operations() if op.op_def.ref_inputs]


@contextlib.contextmanager
def init_scope():
    """Step out of function traces to the context around them (eager execution, or a plain graph), as TF's
    init_scope: for creating variables and their initial values once, outside the traced code."""
    stack = graph_module._graph_stack.stack
    keep = len(stack)
    while keep and isinstance(stack[keep - 1], FuncGraph):
        keep -= 1
    lifted = stack[keep:]
    del stack[keep:]
    try:
        yield
    finally:
        stack[keep:] = lifted
