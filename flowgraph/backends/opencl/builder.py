"""Making an OpenCL plan for one set of feed shapes: place each op, infer concrete shapes, fuse elementwise
chains, emit launches, lay out memory, and bind every launch to a kernel object with its arguments set.

The result (`Specialization`) runs as a flat list of callables: kernel enqueues, and Python steps only where an
op runs on the host (no OpenCL kernel, or shapes that depend on data) or a variable gets a new buffer.
"""
import functools
import logging

import numpy as np

from flowgraph.backends.numpy.executor import op_error
from flowgraph.backends.opencl import Elementwise, fusion
from flowgraph.backends.opencl.memory import FIRST_STEP, LAST_STEP, Storage, lay_out
from flowgraph.backends.opencl.values import Value, concrete_shapes, storage_of
from flowgraph.framework import errors
from opencl import source as cl_source
from opencl.runtime import DeviceArray

log = logging.getLogger("flowgraph.opencl")
LOGGED_HOST_OPS = set()  # op types whose running on the host was logged (once per process)
_FOLD_MAX_ELEMENTS = 4096
SHAPE_OPS = {
    "Shape": lambda v, op: np.array(v.shape, dtype=op.get_attr("out_type").as_numpy_dtype),
    "Size": lambda v, op: np.array(v.size, dtype=op.get_attr("out_type").as_numpy_dtype),
    "Rank": lambda v, op: np.array(len(v.shape), dtype=np.int32),
}
SUPPORTED_DTYPES = {np.dtype(t) for t in (np.float32, np.float64, np.int32, np.int64, np.bool_, np.uint8, np.int8,
                                          np.int16, np.uint16)}


class Decline(Exception):
    """Raised by a kernel function, before it emits anything, for cases its kernels do not cover."""


class HostOp:
    """An op that ran on the host instead of the plan's device, and why."""

    __slots__ = ("op", "reason")

    def __init__(self, op, reason):
        self.op = op
        self.reason = reason

    def __repr__(self):
        return "%s (%s): %s" % (self.op.name, self.op.type, self.reason)


class Builder:
    """Walks a Schedule once for given feed shapes and produces a Specialization."""

    def __init__(self, plan, feed_values):
        self.plan = plan
        self.device = plan.device
        self.store = plan.store
        self.values = {}
        self.steps = []  # (position, Launch, per-run hook or None) or (position, callable, None)
        self.storages = []
        self.position = FIRST_STEP
        self.feed_storages = []  # (feed index, storage) uploaded before the first step
        self.cell_checks = []  # (cell, value the plan expects it to hold when a run starts)
        self.cell_values = {}  # cell -> Value bound in this plan
        self.volatile_pending = []
        self.cell_aliases = {}  # cell -> Values sharing its buffer, copied before an update if still needed
        self.host_ops = []
        self.keep = []  # constants and reserved variable buffers the plan owns
        self.runtime_count = len(feed_values)
        for i, (t, array) in enumerate(zip(plan.schedule.feed_tensors, feed_values)):
            value = Value(array.shape, t.dtype.as_numpy_dtype, runtime=i)
            value.feed = i
            self.values[plan.schedule.slot_of[t]] = value
        self._count_uses()

    def _count_uses(self):
        schedule = self.plan.schedule
        consumers, last_use = {}, {}
        for position, op in enumerate(schedule.ops):
            for slot in set(schedule.input_slots(op)):
                consumers[slot] = consumers.get(slot, 0) + 1
                last_use[slot] = position
        self.fetched = set(schedule.fetch_slots)
        for slot in self.fetched:
            last_use[slot] = LAST_STEP
        self.consumers = consumers
        self.last_use = last_use

    # ---- the walk ------------------------------------------------------------------------------------------

    def build(self):
        schedule = self.plan.schedule
        for position, (op, out_slots) in enumerate(zip(schedule.ops, schedule.output_slots)):
            self.position = position
            try:
                outputs = self.visit(op)
            except Exception as e:  # name the op and where it was built, keep TF's error class
                raise op_error(e, op) from e
            for slot, value in zip(out_slots, outputs or ()):
                value.consumers = self.consumers.get(slot, 0)
                value.fetched = slot in self.fetched
                value.last_use = self.last_use.get(slot, position)
                if value.cell is not None:
                    self.cell_aliases.setdefault(value.cell, []).append(value)
                self.values[slot] = value
            for value in outputs or ():
                self.settle(value)
        self.position = len(schedule.ops)
        fetches = [self.fetch_source(self.values[s]) for s in schedule.fetch_slots]
        return self.finish(fetches)

    def settle(self, value):
        """Compute a new value now unless fusion may inline it into its one consumer later."""
        if value.pending is not None and (value.consumers != 1 or value.fetched or not self.plan.fuse):
            fusion.materialize(self, value)
        if value.pending is not None and value.pending.cells:
            self.volatile_pending.append(value)

    def visit(self, op):
        opdef = op._opdef
        kind = opdef.type_name
        if kind == "Const":
            return [Value.constant(op._attrs["value"])]
        if kind == "NoOp":
            return []
        inputs = [self.values[s] for s in self.plan.schedule.input_slots(op)]
        on_device = self.plan.on_device(op)
        if kind in SHAPE_OPS and not inputs[0].dynamic:
            return [Value.constant(SHAPE_OPS[kind](inputs[0], op))]
        if kind == "ShapeN" and not any(v.dynamic for v in inputs):
            return [Value.constant(SHAPE_OPS["Shape"](v, op)) for v in inputs]
        if opdef.resource == "variable":
            return [self.read_variable(op) if on_device else self.host_op(op, inputs, None)[0]]
        if opdef.ref_inputs:
            self.before_update([self.store.cell(op._inputs[i]._op) for i in opdef.ref_inputs])
        if self.foldable(op, inputs):
            return self.fold(op, inputs)
        kernel = opdef.kernels.get("opencl")
        reason = self.device_obstacle(op, kernel, inputs) if on_device else None
        if on_device and reason is None:
            shapes = concrete_shapes(op, self.with_refs(op, inputs))
            dtypes = [t.dtype.as_numpy_dtype for t in op._outputs]
            if shapes is None:
                reason = "its output shape depends on input values, known only at run time"
            elif not isinstance(kernel, Elementwise):
                try:
                    return self.run_kernel(op, kernel, inputs, shapes, dtypes)
                except Decline as e:
                    reason = str(e)
            else:
                expression = kernel.source(op, [v.dtype for v in inputs])
                if expression is not None:
                    return [fusion.pending(shapes[0], dtypes[0], expression, inputs)]
                reason = "no OpenCL kernel for %s of %s" % (op.type, inputs[0].dtype.name)
        if reason is not None:
            self.note_host(op, reason)
        return self.host_op(op, inputs, reason)

    def device_obstacle(self, op, kernel, inputs):
        """Why `op` cannot run on the device here, or None."""
        if kernel is None:
            return "no OpenCL kernel for %s" % op.type
        if any(v.dynamic for v in inputs):
            return "an input's shape depends on data"
        for i in op._opdef.host_inputs:
            if i < len(inputs) and inputs[i].host is None:
                return "input %d (%s) is not known before the run" % (i, op._inputs[i].name)
        for t in list(op._inputs) + list(op._outputs):
            dtype = np.dtype(t.dtype.as_numpy_dtype)
            if dtype not in SUPPORTED_DTYPES or (dtype == np.float64 and not self.device.fp64):
                return "dtype %s has no OpenCL kernels here" % t.dtype.name
        return None

    def note_host(self, op, reason):
        self.host_ops.append(HostOp(op, reason))
        if op.type not in LOGGED_HOST_OPS:
            LOGGED_HOST_OPS.add(op.type)
            log.warning("%s ops run on the host with copies to and from %s: %s (first: %s)",
                        op.type, self.device.name, reason, op.name)

    def with_refs(self, op, inputs):
        """Values for all of op's inputs, ref inputs (variables) included, in order."""
        refs = op._opdef.ref_inputs
        if not refs:
            return inputs
        it = iter(inputs)
        result = []
        for i, t in enumerate(op._inputs):
            if i in refs:
                cell = self.store.cell(t._op)
                bound = self.cell_values.get(cell)
                result.append(bound if bound is not None else Value(t.shape.as_list() if t.shape.is_fully_defined()
                                                                    else None, t.dtype.as_numpy_dtype))
            else:
                result.append(next(it))
        return result

    # ---- folding and host steps ----------------------------------------------------------------------------

    def foldable(self, op, inputs):
        """Small inputs all known now, and no large result a device kernel could compute instead."""
        opdef = op._opdef
        if opdef.stateful or "numpy" not in opdef.kernels or opdef.num_outputs == 0:
            return False
        if not all(v.host is not None and v.host.size <= _FOLD_MAX_ELEMENTS for v in inputs):
            return False
        return "opencl" not in opdef.kernels or not any(
            t.shape.is_fully_defined() and t.shape.num_elements() > _FOLD_MAX_ELEMENTS for t in op._outputs)

    def fold(self, op, inputs):
        """Compute `op` now, on the host: its inputs are constants (or shapes) of this plan."""
        result = op._opdef.kernels["numpy"](*[v.host for v in inputs], **op._attrs)
        results = [result] if op._opdef.num_outputs == 1 else list(result)
        return [Value.constant(np.asarray(r, dtype=t.dtype.as_numpy_dtype)) for r, t in zip(results, op._outputs)]

    def host_op(self, op, inputs, reason):
        """Run `op` with its numpy kernel during each run; device inputs are copied to the host first."""
        opdef = op._opdef
        kernel = opdef.kernels.get("numpy")
        if kernel is None:
            raise errors.UnimplementedError(None, op, "Op %s has no numpy kernel and cannot run on %s: %s"
                                            % (op.type, self.device.name, reason or "placed on the host"))
        lead = []
        if opdef.resource == "variable":
            lead.append(self.store.cell(op))
        elif opdef.resource == "rng":
            lead.append(self.store.generator(op))
        ref_cells = [self.store.cell(op._inputs[i]._op) for i in opdef.ref_inputs]
        fn = functools.partial(kernel, *(lead + ref_cells), **op._attrs) if lead or ref_cells or op._attrs else kernel
        getters = [self.host_getter(v) for v in inputs]
        shapes = None if any(v.dynamic for v in inputs) else concrete_shapes(op, self.with_refs(op, inputs))
        outputs = []
        for i, t in enumerate(op._outputs):
            value = Value(None if shapes is None else shapes[i], t.dtype.as_numpy_dtype, runtime=self.runtime_count)
            self.runtime_count += 1
            outputs.append(value)
        slots = [v.runtime for v in outputs]
        expected = [(v.shape, v.dtype) for v in outputs]
        single = opdef.num_outputs == 1
        hvals = self.plan.host_values

        def run_on_host():
            try:
                with _HostUpdates(ref_cells):
                    result = fn(*[get() for get in getters])
                results = [result] if single else list(result) if slots else []
                for slot, r, (shape, dtype) in zip(slots, results, expected):
                    r = np.asarray(r.get() if isinstance(r, DeviceArray) else r, dtype=dtype, order="C")
                    if shape is not None and r.shape != shape:
                        raise errors.InternalError(None, op, "%s computed shape %s on the host; the plan expected %s"
                                                   % (op.name, r.shape, shape))
                    hvals[slot] = r
            except Exception as e:
                raise op_error(e, op) from e
        self.call(run_on_host)
        return outputs

    def host_getter(self, value):
        """A function returning `value` on the host during a run (downloading it now if it is on the device)."""
        if value.host is not None:
            constant = value.host
            return lambda: constant
        if value.runtime is not None:
            hvals, slot = self.plan.host_values, value.runtime
            return lambda: hvals[slot]
        fusion.materialize(self, value)
        if value.downloaded is not None and value.cell is None:
            hvals, slot = self.plan.host_values, value.downloaded
            return lambda: hvals[slot]
        slot = self.runtime_count
        self.runtime_count += 1
        value.downloaded = slot
        out = np.empty(value.shape, value.dtype)
        buffer_of, device, hvals = value.storage, self.device, self.plan.host_values

        def download():
            if out.size:
                device.download(out, buffer_of.buffer, wait=True)
            hvals[slot] = out
        self.call(download, [value.storage])
        return lambda: hvals[slot]

    # ---- device values -------------------------------------------------------------------------------------

    def new_value(self, shape, dtype, cell=None):
        storage = Storage(int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize)
        self.storages.append(storage)
        return Value(shape, dtype, storage=storage, cell=cell)

    def scratch(self, nbytes):
        storage = Storage(nbytes)
        self.storages.append(storage)
        return storage

    def on_device(self, value):
        """Make `value` readable by kernels: compute it if pending, upload it if it is on the host."""
        if value.pending is not None:
            fusion.materialize(self, value)
        if value.storage is not None:
            return value
        if value.host is not None:
            array = self.device.to_device(np.asarray(value.host, dtype=value.dtype, order="C"))
            self.keep.append(array)
            value.storage = Storage(array.nbytes, array.buffer)
            return value
        if value.feed is not None:
            value.storage = self.scratch(value.nbytes)
            value.storage.touch(FIRST_STEP)
            self.feed_storages.append((value.feed, value.storage))
            return value
        if value.dynamic:
            raise errors.InternalError(None, None, "a value whose shape depends on data reached a device kernel")
        storage, slot, device, hvals = self.scratch(value.nbytes), value.runtime, self.device, self.plan.host_values
        self.call(lambda: device.upload(storage.buffer, hvals[slot]) if hvals[slot].size else None, [storage])
        value.storage = storage
        return value

    def copy(self, src, dest):
        """Copy the device value `src` into `dest` (a Value with storage), in queue order."""
        self.on_device(src)
        nbytes, device, a, b = src.nbytes, self.device, src.storage, dest.storage
        if nbytes:
            self.call(lambda: device.copy(b.buffer, a.buffer, nbytes), [a, b])

    # ---- emitting steps ------------------------------------------------------------------------------------

    def launch(self, launch, per_run=None):
        """Add a kernel launch at the current position; `per_run(kernel)` runs before each enqueue."""
        if launch is None:
            return
        # Bind to the memory the values have now: a value may move later (a copy before a variable update).
        launch.args = [arg.storage if isinstance(arg, Value) else arg for arg in launch.args]
        for arg in launch.args:
            storage = storage_of(arg)
            if storage is not None:
                storage.touch(self.position)
        self.steps.append((self.position, launch, per_run))

    def call(self, fn, storages=()):
        """Add a Python step at the current position, touching `storages`."""
        for storage in storages:
            storage.touch(self.position)
        self.steps.append((self.position, fn, None))

    def before_update(self, cells):
        """Before an op updates variables in place: compute pending expressions that read a variable, and copy
        the values that alias one of `cells` and are read after this position (copy on write: a variable read
        is free unless an update comes before its last reader)."""
        fused = _pending_reachable(v for v in self.volatile_pending if v.last_use == self.position)
        for value in reversed(self.volatile_pending):  # consumers first: they inline their producers
            if value.pending is not None and id(value) not in fused:
                fusion.materialize(self, value)
        self.volatile_pending = [v for v in self.volatile_pending if v.pending is not None]
        for cell in cells:
            for value in self.cell_aliases.pop(cell, ()):
                if value.last_use > self.position and value.cell is cell:
                    snapshot = self.new_value(value.shape, value.dtype)
                    self.copy(value, snapshot)
                    value.storage, value.cell = snapshot.storage, None

    def run_kernel(self, op, kernel, inputs, shapes, dtypes):
        if not kernel.raw_inputs:
            for i, v in enumerate(inputs):
                if i not in op._opdef.host_inputs:
                    self.on_device(v)
        k = OpContext(self, op, inputs, shapes, dtypes)
        kernel(k)
        return k.finished_outputs()

    # ---- variables -----------------------------------------------------------------------------------------

    def read_variable(self, op):
        cell = self.store.cell(op)
        bound = self.cell_values.get(cell)
        if bound is None:
            array = self.device_array_of(cell)
            if array is None:
                cell.read()  # raises FailedPreconditionError, naming the variable
            bound = self.cell_values[cell] = Value(array.shape, array.dtype, Storage(array.nbytes, array.buffer),
                                                   cell=cell)
            self.cell_checks.append((cell, array))
        return Value(bound.shape, bound.dtype, bound.storage, cell=cell)

    def device_array_of(self, cell):
        """The cell's value as a DeviceArray on this device, moving a host value there once; None if unset."""
        current = cell.value
        if current is None or (isinstance(current, DeviceArray) and current.device is self.device):
            return current
        host = current.get() if isinstance(current, DeviceArray) else np.asarray(current)
        cell.value = self.device.to_device(host)
        return cell.value

    def variable_target(self, cell, shape, dtype, must_exist):
        """The Value of the variable's buffer that an update writes in place.

        An assignment to an unset variable, or of another shape, writes a buffer reserved now; the variable
        takes it when the assignment runs.
        """
        bound = self.cell_values.get(cell)
        if bound is None or bound.shape != tuple(shape) or bound.dtype != dtype:
            array = self.device_array_of(cell) if bound is None else None
            if array is not None and array.shape == tuple(shape) and array.dtype == dtype:
                self.cell_checks.append((cell, array))
            elif must_exist:
                cell.read()
                raise errors.InvalidArgumentError(None, None, "Variable %s has shape %s, the update has shape %s"
                                                  % (cell.name, (array if bound is None else bound).shape,
                                                     tuple(shape)))
            else:
                array = self.device.empty(shape, dtype)
                self.keep.append(array)
                self.steps.append((self.position, _setter(cell, array), None))
            bound = self.cell_values[cell] = Value(array.shape, array.dtype, Storage(array.nbytes, array.buffer),
                                                   cell=cell)
        return Value(bound.shape, bound.dtype, bound.storage, cell=cell)

    # ---- fetches and binding -------------------------------------------------------------------------------

    def fetch_source(self, value):
        """How the run returns this fetched value: ('host', array), ('runtime', slot) or ('device', storage)."""
        if value.pending is not None:
            fusion.materialize(self, value)
        if value.host is not None:
            return "host", value.host
        if value.storage is not None and value.feed is None:
            value.storage.touch(LAST_STEP)
            return "device", (value.storage, value.shape, value.dtype)
        return "runtime", value.runtime

    def finish(self, fetches):
        for value in self.values.values():
            if value.pending is not None and value.consumers == 0:
                value.pending = None  # computed for no one: an unused elementwise result
        self.keep.extend(lay_out(self.storages, self.device.allocate))
        launches = [step[1] for step in self.steps if isinstance(step[1], cl_source.Launch)]
        programs = iter(self.device.programs_for(launches))
        callables, num_launches = [], 0
        for _, step, per_run in self.steps:
            if not isinstance(step, cl_source.Launch):
                callables.append(step)
                continue
            kernel = self.device.kernel(next(programs), step.name)
            self.keep.extend(cl_source.bind(kernel, step, self.device))
            enqueue = self.device.launcher(kernel, step.global_size, step.local_size)
            callables.append(enqueue if per_run is None else _with_hook(per_run, kernel, enqueue))
            num_launches += 1
        return Specialization(self, callables, [position for position, _, _ in self.steps], num_launches, fetches)


class OpContext:
    """What an OpenCL kernel function sees of one op: inputs (Values), outputs, attrs, and where to put launches.

    Inputs are on the device (or known on the host when the op declares them `host_inputs`), except for kernels
    registered with `raw_inputs`, whose elementwise inputs may still be pending for `elementwise` to fuse.
    """

    def __init__(self, builder, op, inputs, shapes, dtypes):
        self.builder = builder
        self.op = op
        self.inputs = inputs
        self.device = builder.device
        self.shapes = shapes
        self.dtypes = [np.dtype(d) for d in dtypes]
        self.outputs = [None] * len(shapes)

    def attr(self, name):
        return self.op._attrs[name]

    def decline(self, reason):
        """Run this op on the host instead (call before emitting anything)."""
        raise Decline(reason)

    def host_output(self, i, fn):
        """Output `i` is computed on the host by `fn()` during each run (no device work, no copy)."""
        value = Value(self.shapes[i], self.dtypes[i], runtime=self.builder.runtime_count)
        self.builder.runtime_count += 1
        hvals, slot = self.builder.plan.host_values, value.runtime

        def compute():
            hvals[slot] = np.asarray(fn(), dtype=value.dtype)
        self.builder.call(compute)
        self.outputs[i] = value

    def host(self, i):
        """The value of input `i`, known on the host when the plan is made."""
        return self.inputs[i].host

    def check_on_host(self, i, check):
        """Run `check(array)`, which raises the numpy kernel's error, on input `i` wherever the host has it: now
        for a constant, in each run before this op's launches for a feed or a value computed on the host.

        A value computed on the device is not read back for it (that would stall every run); kernels then
        follow TF's GPU behaviour, which their docstrings state.
        """
        value, op = self.inputs[i], self.op
        if value.host is not None:
            check(np.asarray(value.host))
        elif value.runtime is not None:
            hvals, slot = self.builder.plan.host_values, value.runtime

            def check_each_run():
                try:
                    check(hvals[slot])
                except Exception as e:
                    raise op_error(e, op) from e
            self.builder.call(check_each_run)

    def output(self, i=0):
        """Output `i` as a Value with device memory of its own."""
        if self.outputs[i] is None:
            self.outputs[i] = self.builder.new_value(self.shapes[i], self.dtypes[i])
        return self.outputs[i]

    def alias(self, i, value):
        """Output `i` is `value` under its own shape, sharing the memory; a pending elementwise value stays
        pending when reshaping cannot change how its inputs broadcast."""
        if value.pending is not None and fusion.uniform(value):
            self.outputs[i] = fusion.reshaped(value, self.shapes[i])
            return
        self.builder.on_device(value)
        self.outputs[i] = Value(self.shapes[i], self.dtypes[i], value.storage, cell=value.cell)

    def view(self, value, shape):
        """`value` seen with another shape of the same size (still pending if reshaping allows it)."""
        if value.pending is not None and fusion.uniform(value):
            return fusion.reshaped(value, shape)
        self.builder.on_device(value)
        return Value(shape, value.dtype, value.storage, cell=value.cell)

    def set_output(self, i, value):
        self.outputs[i] = value

    def pending_output(self, i, expression, inputs):
        """Output `i` is the elementwise `expression` of `inputs` (broadcast to its shape), left pending so that
        fusion can compute it inside its consumer's kernel."""
        self.outputs[i] = fusion.pending(self.shapes[i], self.dtypes[i], expression, inputs)

    def launch(self, launches):
        """Add a Launch, or a list of them, to the plan."""
        for launch in launches if isinstance(launches, list) else [launches]:
            self.builder.launch(launch)

    def launch_per_run(self, launch, per_run):
        """Add a Launch whose arguments `per_run(kernel)` updates before every run (random seeds)."""
        self.builder.launch(launch, per_run)

    def scratch(self, nbytes):
        """Device memory for this op's launches only."""
        return self.builder.scratch(nbytes)

    def constant(self, array):
        """An array known now, as a Value: scalars reach kernels by value, others are uploaded once if needed."""
        return Value.constant(array)

    def elementwise(self, shape, inputs, outputs, body):
        """One elementwise kernel over `shape` (see `fusion.emit`); pending inputs are fused into it."""
        return fusion.emit(self.builder, shape, inputs, outputs, body)

    def variable(self, i, shape=None, dtype=None, must_exist=True):
        """The Value of the variable at ref input `i`, updated in place by this op's launches."""
        t = self.op._inputs[self.op._opdef.ref_inputs[i]]
        cell = self.builder.store.cell(t._op)
        shape = self.shapes[0] if shape is None else shape
        dtype = t.dtype.as_numpy_dtype if dtype is None else dtype
        return self.builder.variable_target(cell, shape, np.dtype(dtype), must_exist)

    def finished_outputs(self):
        return [self.output(i) if v is None else v for i, v in enumerate(self.outputs)]


def _pending_reachable(values):
    """ids of the pending values among `values` and of the pending values their expressions read (inputs of an
    update, fused into its kernel, read before written)."""
    found, stack = set(), [v for v in values if v.pending is not None]
    while stack:
        value = stack.pop()
        if id(value) not in found:
            found.add(id(value))
            stack.extend(v for v in value.pending.inputs if v.pending is not None)
    return found


class _HostUpdates:
    """Around a host kernel that updates variables: device values go to the host for it and come back into the
    same buffers after, so device kernels bound to those buffers see the update."""

    def __init__(self, cells):
        self.cells = cells
        self.arrays = None

    def __enter__(self):
        self.arrays = [cell.value for cell in self.cells]
        for cell, array in zip(self.cells, self.arrays):
            if isinstance(array, DeviceArray):
                cell.value = array.get()

    def __exit__(self, *exc):
        for cell, array in zip(self.cells, self.arrays):
            new = cell.value
            if not isinstance(array, DeviceArray) or not isinstance(new, np.ndarray):
                continue
            if new.shape == array.shape and new.dtype == array.dtype:
                if new.size:
                    array.device.upload(array.buffer, np.asarray(new, order="C"), wait=True)
                cell.value = array


def _setter(cell, array):
    def set_cell():
        cell.value = array
    return set_cell


def _with_hook(per_run, kernel, enqueue):
    def run():
        per_run(kernel)
        enqueue()
    return run


class Specialization:
    """A plan made for one set of feed shapes: run it as long as the variables hold the buffers it bound."""

    def __init__(self, builder, steps, positions, num_launches, fetches):
        self.steps = steps
        self.positions = positions  # the schedule position (op) each step belongs to
        self.num_launches = num_launches
        self.feed_storages = builder.feed_storages
        self.cell_checks = builder.cell_checks
        self.host_ops = builder.host_ops
        self.fetches = fetches
        self.keep = builder.keep
        self.fetch_arrays = [None] * len(fetches)
        self.num_host_values = builder.runtime_count

    def cells_valid(self, device):
        """True when every variable holds the buffer this plan bound; a host value written meanwhile (by a
        numpy plan) is copied into that buffer."""
        for cell, expected in self.cell_checks:
            current = cell.value
            if current is expected:
                continue
            if (isinstance(current, np.ndarray) and isinstance(expected, DeviceArray)
                    and current.shape == expected.shape and current.dtype == expected.dtype):
                device.upload(expected.buffer, np.asarray(current, order="C"), wait=True)
                cell.value = expected
                continue
            return False
        return True
