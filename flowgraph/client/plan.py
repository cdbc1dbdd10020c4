"""What a Session.run needs, worked out once per (fetches, feeds): the pruned, ordered ops and value slots."""
from flowgraph.framework import errors


class Schedule:
    """The ops to run in order, and an integer slot for every value they read or write.

    Fed tensors cut the graph: their producers run only if needed for another reason. Ref inputs (the
    variable an Assign writes) are not data dependencies, so assigning does not read the old value. A variable
    is read right before each op that consumes it, so reads honour that op's control dependencies (as TF1's
    reference semantics do): a variable op may appear several times in `ops`.
    """

    def __init__(self, fetch_tensors, target_ops, feed_tensors):
        self.feed_tensors = list(feed_tensors)
        fed = set(self.feed_tensors)
        roots = [t.op for t in fetch_tensors if t not in fed] + list(target_ops)
        self.ops = topological_order(roots, fed)
        self.slot_of = {}
        for t in self.feed_tensors:
            self.slot_of.setdefault(t, len(self.slot_of))
        self.num_slots = len(self.slot_of)
        self.output_slots = []
        for op in self.ops:
            slots = []
            for t in op._outputs:
                if t in fed:  # the op runs for another output; its value for t is discarded
                    slots.append(self._new_slot())
                else:
                    slots.append(self.slot_of.setdefault(t, self._new_slot()))
            self.output_slots.append(slots)
        self.fetch_slots = [self.slot_of[t] for t in fetch_tensors]
        check_fed_placeholders(self.ops)

    def _new_slot(self):
        self.num_slots += 1
        return self.num_slots - 1

    def input_slots(self, op):
        refs = op._opdef.ref_inputs
        return [self.slot_of[t] for i, t in enumerate(op._inputs) if i not in refs]


def topological_order(roots, fed):
    """Ops the roots need (through data and control inputs, stopping at fed tensors), inputs first."""
    order, state = [], {}
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(_dependencies(root, fed)))]
        while stack:
            op, deps = stack[-1]
            for dep in deps:
                seen = state.get(dep)
                if seen is None:
                    state[dep] = 1
                    stack.append((dep, iter(_dependencies(dep, fed))))
                    break
                if seen == 1:
                    raise errors.InvalidArgumentError(None, dep, "Graph has a cycle through op '%s'" % dep.name)
            else:
                state[op] = 2
                order.extend(_variable_reads(op, fed))
                order.append(op)
                stack.pop()
    return order


def _is_variable(op):
    return op._opdef.resource == "variable"


def _dependencies(op, fed):
    """Control inputs first, so that data inputs (and variable reads) are scheduled as late as possible."""
    refs = op._opdef.ref_inputs
    deps = [t._op for i, t in enumerate(op._inputs) if i not in refs and t not in fed and not _is_variable(t._op)]
    return op._control_inputs + deps


def _variable_reads(op, fed):
    refs = op._opdef.ref_inputs
    return [t._op for i, t in enumerate(op._inputs) if i not in refs and t not in fed and _is_variable(t._op)]


def check_fed_placeholders(ops):
    for op in ops:
        if op.type == "Placeholder":
            t = op._outputs[0]
            raise errors.InvalidArgumentError(
                None, op, "You must feed a value for placeholder tensor '%s' with dtype %s and shape %s"
                          % (op.name, t.dtype.name, t.shape.as_proto_list()))
