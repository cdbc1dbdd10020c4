"""Runs a Schedule with numpy kernels: each step is a bound kernel call between integer value slots."""
import functools
import os
import time

import numpy as np

from flowgraph.backends.numpy import VIEW_OPS
from flowgraph.backends.numpy.compiled import compile_run, fetched
from flowgraph.backends.numpy.donation import INTO_KERNELS
from flowgraph.backends.numpy.fusion import fuse_dense_layers
from flowgraph.backends.numpy.specialized import SPECIALIZERS
from flowgraph.framework import errors

CHECK_KERNELS = os.environ.get("FLOWGRAPH_CHECK_KERNELS") == "1"
_IDENTITIES = {"Identity", "StopGradient"}  # run as the same value under another name


class NumpyPlan:
    """Prepared once per (fetches, feeds). `run(feed_values)` returns the fetched values: the steps compiled
    into one generated function (compiled.py), with no graph walking and no per-step bookkeeping."""

    def __init__(self, schedule, store):
        self.template = [None] * schedule.num_slots
        self.steps = []
        self.ops = []
        self.free_ops = []  # ops with no step of their own (identities, NoOps, fused): traced at zero seconds
        same_as = {}  # output slot of an Identity -> the slot holding its value: identities cost no step
        rewritten = _slots_written_twice(schedule)  # a variable read again later: its first value needs a copy
        for op, outs in zip(schedule.ops, schedule.output_slots):
            opdef = op._opdef
            ins = [same_as.get(s, s) for s in schedule.input_slots(op)]
            if opdef.type_name == "Const":
                self.template[outs[0]] = op._attrs["value"]
            elif opdef.type_name in _IDENTITIES and ins[0] not in rewritten:
                same_as[outs[0]] = ins[0]
                self.free_ops.append(op)
            elif opdef.type_name == "NoOp":  # only orders other ops, which the schedule already did
                self.free_ops.append(op)
            else:
                self.steps.append(_step(op, opdef, ins, outs, store))
                self.ops.append(op)
        self.feed_slots = [schedule.slot_of[t] for t in schedule.feed_tensors]
        self.fetch_slots = [same_as.get(s, s) for s in schedule.fetch_slots]
        producers = {s: op for op, outs in zip(schedule.ops, schedule.output_slots) for s in outs}
        fed = set(self.feed_slots)
        self.fetch_copies = [s in fed or s in same_as or producers[s].type in VIEW_OPS
                             for s in schedule.fetch_slots]
        self.steps, self.ops, absorbed = fuse_dense_layers(self.steps, self.ops, self.fetch_slots)
        self.free_ops.extend(absorbed)
        if CHECK_KERNELS:
            self.steps = [_checked(step, op) for step, op in zip(self.steps, self.ops)]
        deads = _dead_after(self.steps, self.fetch_slots)
        self.steps = [step + (dead, _donor(step, op, dead, self.template, fed, store))
                      for step, op, dead in zip(self.steps, self.ops, deads)]
        self.run = compile_run(self.steps, self.template, self.feed_slots, self.fetch_slots, self.fetch_copies,
                               self._error)

    def _error(self, exc, step_index):
        """`exc`, raised by step `step_index`, as the OpError naming that op."""
        if step_index is None:
            return exc
        return op_error(exc, self.ops[step_index])

    def run_traced(self, feed_values, step_stats):
        """`run`, adding each op's seconds to step_stats[op name]; its own loop keeps `run` free of timing."""
        vals = self.template.copy()
        for slot, value in zip(self.feed_slots, feed_values):
            vals[slot] = value
        for op in self.free_ops:
            step_stats.setdefault(op.name, 0.0)
        clock = time.perf_counter
        for (fn, ins, out, _, _), op in zip(self.steps, self.ops):
            start = clock()
            try:
                result = fn(*[vals[i] for i in ins])
            except Exception as e:
                raise op_error(e, op) from e
            step_stats[op.name] = step_stats.get(op.name, 0.0) + clock() - start
            if out.__class__ is int:
                vals[out] = result
            elif out:
                for slot, value in zip(out, result):
                    vals[slot] = value
        return [fetched(vals[s], copy) for s, copy in zip(self.fetch_slots, self.fetch_copies)]


def _slots_written_twice(schedule):
    seen, twice = set(), set()
    for outs in schedule.output_slots:
        for slot in outs:
            (twice if slot in seen else seen).add(slot)
    return twice


def _dead_after(steps, fetch_slots):
    """For each step, the slots no later step reads (before writing them again) and that are not fetched.

    Clearing them frees memory early, and drops the run's last reference to a variable's old value before an
    optimizer update, which may then reuse that array in place (see training_kernels).
    """
    live = set(fetch_slots)
    result = []
    for _, ins, out in reversed(steps):
        dead = []
        for slot in [out] if out.__class__ is int else out:
            if slot not in live:
                dead.append(slot)
            live.discard(slot)
        for slot in ins:
            if slot not in live:
                dead.append(slot)
                live.add(slot)
        result.append(tuple(dead))
    result.reverse()
    return result


def _step(op, opdef, in_slots, outs, store):
    kernel = opdef.kernels.get("numpy")
    if kernel is None:
        raise errors.UnimplementedError(None, op, "Op %s has no numpy kernel (needed by %s)"
                                        % (opdef.type_name, op.describe()))
    out = outs[0] if len(outs) == 1 and opdef.num_outputs == 1 else tuple(outs)
    specialize = SPECIALIZERS.get(opdef.type_name)
    fn = specialize(op) if specialize is not None else None
    if fn is not None:
        return fn, tuple(in_slots), out
    lead = _lead_arguments(op, opdef, store)
    if opdef.type_name == "VariableV2":
        fn = lead[0].read  # the cell's own method: a variable read is the hottest step of a training run
    else:
        fn = functools.partial(kernel, *lead, **op._attrs) if lead or op._attrs else kernel
    return fn, tuple(in_slots), out


def _donor(step, op, dead, template, fed, store):
    """(into, position) when the step may write its result into input `position`, read for the last time
    there, where the op allows it and nothing static rules it out (see donation.py; compiled.py checks at run
    time that nothing else holds the array); else None."""
    fn, ins, out = step
    into = INTO_KERNELS.get(op.type)
    if into is None or out.__class__ is not int:
        return None
    into_fn, positions = into
    inputs = [t for i, t in enumerate(op._inputs) if i not in op._opdef.ref_inputs]
    if len(inputs) != len(ins):  # a fused step (fusion.py): its inputs are not the op's own
        return None
    result = op._outputs[0]
    for position in positions:
        slot = ins[position] if position < len(ins) else None
        if slot in dead and ins.count(slot) == 1 and slot not in fed and template[slot] is None and \
                inputs[position].dtype == result.dtype and inputs[position].shape.is_compatible_with(result.shape):
            lead, attrs = _lead_arguments(op, op._opdef, store), op._attrs
            return (functools.partial(into_fn, *lead, **attrs) if lead or attrs else into_fn), position
    return None


def _lead_arguments(op, opdef, store):
    """The session state a kernel receives before its inputs: the variable cell or generator, then ref cells."""
    lead = []
    if opdef.resource == "variable":
        lead.append(store.cell(op))
    elif opdef.resource == "rng":
        lead.append(store.generator(op))
    lead.extend(store.cell(op._inputs[i]._op) for i in opdef.ref_inputs)
    return lead


def _checked(step, op):
    """In test runs, verify every kernel's result against the op's static dtype and shape."""
    fn, ins, out = step

    def run_and_check(*args):
        result = fn(*args)
        values = [result] if out.__class__ is int else list(result) if out else []
        for t, v in zip(op._outputs, values):
            v = np.asarray(v)
            if t.dtype.as_numpy_dtype is not np.object_ and v.dtype != t.dtype.as_numpy_dtype:
                raise AssertionError("kernel of %s returned dtype %s for %s (declared %s)"
                                     % (op.type, v.dtype, t.name, t.dtype.name))
            if not t.shape.is_compatible_with(v.shape):
                raise AssertionError("kernel of %s returned shape %s for %s (inferred %s)"
                                     % (op.type, v.shape, t.name, t.shape))
        return result
    return run_and_check, ins, out


def op_error(exc, op):
    """`exc` as an OpError that names the op, its input shapes and the user line that built it."""
    where = "\n\nCaused by op %s" % op.describe()
    if isinstance(exc, errors.OpError):
        return type(exc)(exc.node_def, exc.op or op, exc.message + where)
    if isinstance(exc, AssertionError):
        return exc
    if isinstance(exc, (ValueError, IndexError, TypeError, FloatingPointError, ZeroDivisionError)):
        return errors.InvalidArgumentError(None, op, "%s: %s%s" % (type(exc).__name__, exc, where))
    if isinstance(exc, MemoryError):
        return errors.ResourceExhaustedError(None, op, "Out of memory: %s%s" % (exc, where))
    return errors.InternalError(None, op, "%s: %s%s" % (type(exc).__name__, exc, where))
