"""Eager execution on an OpenCL device: each op application runs a one-op plan, made once per (op type, attrs,
input dtypes and shapes) and kept, with the eager values' device buffers bound to its kernels at each call.

A one-op plan is what the graph backend's Builder makes of a graph holding that one op (placeholders for its
data inputs, constants for the small inputs kernels read on the host, variable ops for ref inputs), so eager and
graph execution share every OpenCL kernel. Only memory differs: inputs, variables and outputs are left out of
the plan's layout and bound per call (their kernel arguments set again), so values stay where they are and
nothing is copied; each output gets a pooled buffer of its own. Scratch memory is the plan's, reused by every
call (the queue is in order). Nothing waits for the device: results are read when the host asks for them.
"""
import collections
import math
import threading

import numpy as np

from flowgraph.backends.opencl import load_kernels
from flowgraph.backends.opencl.builder import SUPPORTED_DTYPES, Builder, _HostUpdates
from flowgraph.backends.opencl.memory import lay_out
from flowgraph.backends.opencl.values import Value
from flowgraph.backends.resources import ResourceStore, VariableCell
from flowgraph.client.plan import Schedule
from flowgraph.framework.graph import Graph
from flowgraph.framework.op_registry import check_input_dtypes, infer_outputs
from flowgraph.ops import array_ops, state_ops
from opencl import runtime
from opencl import source as cl_source
from opencl.runtime import DeviceArray

_ON_HOST = "on host"  # a compiled entry meaning: this op runs with its numpy kernel
_MAX_PLANS = 1024  # each keeps its kernels and scratch memory
_SMALL_CONSTANT_BYTES = 64
_MAX_SMALL_CONSTANTS = 1024


class EagerDevice:
    """Runs eager op applications on OpenCL device `index`; values are DeviceArrays of that device."""

    def __init__(self, index):
        self.index = index
        self.name = "/opencl:%d" % index
        self.device = runtime.get_device(index)
        self._plans = collections.OrderedDict()  # least recently used first
        self._lock = threading.Lock()
        self._holds = {}
        self._small_constants = collections.OrderedDict()

    def holds(self, dtype):
        """True when values of numpy `dtype` can live on this device."""
        found = self._holds.get(dtype)
        if found is None:
            kind = np.dtype(dtype)
            found = self._holds[dtype] = kind in SUPPORTED_DTYPES and (kind != np.float64 or self.device.fp64)
        return found

    def upload(self, array):
        """A new DeviceArray holding a copy of the host `array`."""
        return self.device.to_device(np.asarray(array, order="C"))

    def constant(self, array):
        """A DeviceArray holding the value of the host `array`, which must never be written: small values
        (learning rates, the scalars of expressions) are uploaded once per value and shared, as an upload
        waits for the queue."""
        if array.nbytes > _SMALL_CONSTANT_BYTES:
            return self.upload(array)
        key = (array.dtype, array.shape, array.tobytes())
        cache = self._small_constants
        found = cache.get(key)
        if found is None:
            found = cache[key] = self.upload(array)
            if len(cache) > _MAX_SMALL_CONSTANTS:
                cache.popitem(last=False)
        return found

    def copy(self, array):
        """A new DeviceArray with the value of `array` (a device-side copy): a snapshot of a variable."""
        return _copy(self.device, array)

    def host_updates(self, cells):
        """Context for a numpy kernel that updates variables on this device: it sees host values, and the
        results go back into the variables' own buffers."""
        return _HostUpdates(cells)

    def run(self, opdef, attrs, args):
        """Run `opdef` on `args` (per input: a DeviceArray of this device, the host value of an input the op
        reads on the host, or the VariableCell of a ref input). Returns [(DeviceArray, host copy or None)] per
        output, or None when the op has no OpenCL kernel for these inputs (run it with numpy instead)."""
        key = (opdef, tuple(attrs.items()), tuple([_describe(a) for a in args]))
        plans = self._plans
        try:
            plan = plans.get(key)
        except TypeError:  # an unhashable attr (a list): key on its text
            key = (opdef, repr(sorted(attrs.items())), key[2])
            plan = plans.get(key)
        with self._lock:
            if plan is None:
                plan = plans.get(key)
                if plan is None:
                    plan = plans[key] = self._make_plan(opdef, attrs, args)
                    if len(plans) > _MAX_PLANS:
                        plans.popitem(last=False)
            else:
                plans.move_to_end(key)
        if plan is _ON_HOST:
            return None
        return plan.run(args)

    def _make_plan(self, opdef, attrs, args):
        graph = Graph()
        feeds, cells, cell_values = [], [], []
        store = ResourceStore()
        with graph.as_default():
            inputs = []
            for i, a in enumerate(args):
                if isinstance(a, VariableCell):
                    ref = state_ops.variable_op(a.value.shape, a.value.dtype, name="ref%d" % i)
                    cell = store.cell(ref.op)
                    cells.append(cell)
                    cell_values.append(a.value)
                    inputs.append(ref)
                elif isinstance(a, DeviceArray):
                    feeds.append(array_ops.placeholder(a.dtype, a.shape, name="input%d" % i))
                    inputs.append(feeds[-1])
                else:
                    inputs.append(array_ops.constant(a, dtype=a.dtype, name="host%d" % i))
            try:
                check_input_dtypes(opdef, inputs)
                op = graph._create_op(opdef, inputs, attrs, graph._op_name(None, opdef.type_name))
                graph._register_op(op, infer_outputs(op))
            except (ValueError, TypeError):
                return _ON_HOST  # the numpy kernel raises eager execution's error for these inputs
        for cell, value in zip(cells, cell_values):
            cell.value = value
        try:
            builder = _OneOpBuilder(_PlanShim(Schedule(op.outputs, [op], feeds), store, self.device),
                                    [a for a in args if isinstance(a, DeviceArray)], cells)
            plan = builder.build()
        finally:
            for cell in cells:
                cell.value = None
        return plan


class _PlanShim:
    """What a Builder asks of its plan: everything placed on this device."""

    fuse = True

    def __init__(self, schedule, store, device):
        self.schedule = schedule
        self.store = store
        self.device = device
        self.max_items = device.max_items
        self.host_values = [None] * len(schedule.feed_tensors)

    def on_device(self, op):
        return True


class _OneOpBuilder(Builder):
    """A Builder whose memory layout leaves out the inputs, variables and outputs: they are bound per call."""

    def __init__(self, plan, feed_values, cells):
        super().__init__(plan, feed_values)
        self.cells = cells
        for value in self.values.values():
            value.runtime = None  # inputs are device values: never on the host during a call

    def host_op(self, op, inputs, reason):
        """Nothing to build: a one-op plan whose op would run on the host is not used (see `finish`)."""
        return [Value(None, t.dtype.as_numpy_dtype) for t in op._outputs]

    def finish(self, fetches):
        if self.host_ops:
            return _ON_HOST
        variable_storages = []
        for cell in self.cells:
            bound = self.cell_values.get(cell)
            if bound is not None and bound.storage.buffer is not cell.value.buffer:
                return _ON_HOST  # the update gives the variable a new buffer (another shape)
            variable_storages.append(None if bound is None else bound.storage)
        feed_storages = [None] * len(self.plan.schedule.feed_tensors)
        for i, storage in self.feed_storages:
            feed_storages[i] = storage
        bound_per_call = {id(s): s for s in feed_storages + variable_storages if s is not None}
        outputs, fresh = [], {}
        for kind, source in fetches:
            if kind != "device":
                outputs.append((kind, source))
                continue
            storage, shape, dtype = source
            if storage in variable_storages:
                outputs.append(("variable", (variable_storages.index(storage), shape, dtype)))
            elif id(storage) in bound_per_call:
                outputs.append(("alias", source))
            elif storage.fixed:  # memory the plan owns (a constant, or one a kernel reuses): copied out
                outputs.append(("copy", source))
            else:
                fresh[id(storage)] = storage
                outputs.append(("fresh", source))
        bound_per_call.update(fresh)
        for storage in bound_per_call.values():
            storage.fixed = True
        self.keep.extend(lay_out(self.storages, self.device.allocate))
        for value in self.values.values():
            if value.pending is not None and value.consumers == 0:
                value.pending = None
        launches = [step[1] for step in self.steps if isinstance(step[1], cl_source.Launch)]
        programs = iter(self.device.programs_for(launches))
        steps, rebinds = [], []
        for _, step, per_run in self.steps:
            if isinstance(step, cl_source.Launch):
                kernel = self.device.kernel(next(programs), step.name)
                self.keep.append(kernel)
                rebinds.extend(self._bind(kernel, step, bound_per_call))
                step = _enqueue(self.device.launcher(kernel, step.global_size, step.local_size), per_run, kernel)
            steps.append(step)
        return _OneOpPlan(self, steps, len(launches), rebinds, feed_storages, variable_storages,
                          list(fresh.values()), outputs)

    def _bind(self, kernel, launch, bound_per_call):
        """Set the arguments known now; returns (kernel, index, storage) for those bound at each call."""
        later = []
        for index, arg in enumerate(launch.args):
            if isinstance(arg, np.generic):
                kernel.set_arg(index, arg)
            elif isinstance(arg, np.ndarray):
                constant = self.device.to_device(arg)
                self.keep.append(constant)
                kernel.set_arg(index, constant.buffer)
            elif id(arg) in bound_per_call:
                later.append((kernel, index, arg))
            else:
                kernel.set_arg(index, arg.buffer)
        return later


def _enqueue(launcher, per_run, kernel):
    if per_run is None:
        return launcher

    def run():
        per_run(kernel)
        launcher()
    return run


class _OneOpPlan:
    """One op's compiled launches; `run` binds the call's buffers, enqueues, and returns the outputs."""

    def __init__(self, builder, steps, num_launches, rebinds, feed_storages, variable_storages, fresh, outputs):
        self.device = builder.device
        self.steps = steps
        self.num_launches = num_launches
        self.rebinds = rebinds
        self.feed_storages = feed_storages
        self.variable_storages = variable_storages
        self.fresh = fresh
        self.outputs = outputs
        self.cells = builder.cells
        self.host_values = builder.plan.host_values
        self.keep = builder.keep
        self.constants = {}  # output index -> DeviceArray of a value known when the plan was made
        self._lock = threading.Lock()

    def run(self, args):
        device = self.device
        arrays = [a for a in args if isinstance(a, DeviceArray)]
        variables = [a.value for a in args if isinstance(a, VariableCell)]
        with self._lock:
            for storage, array in zip(self.feed_storages, arrays):
                if storage is not None:
                    storage.buffer = array.buffer
            for storage, cell, array in zip(self.variable_storages, self.cells, variables):
                cell.value = array
                if storage is not None:
                    storage.buffer = array.buffer
            for storage in self.fresh:
                storage.buffer = _allocate(device, storage.nbytes)
            for kernel, index, storage in self.rebinds:
                kernel.set_arg(index, storage.buffer)
            try:
                for step in self.steps:
                    step()
                device.stats.launches += self.num_launches
                return [self._output(i, kind, source, variables) for i, (kind, source) in enumerate(self.outputs)]
            finally:
                for storage in self.feed_storages + self.fresh:
                    if storage is not None:
                        storage.buffer = None
                for cell in self.cells:
                    cell.value = None

    def _output(self, i, kind, source, variables):
        device = self.device
        if kind == "host":
            array = self.constants.get(i)
            if array is None:
                array = self.constants[i] = device.to_device(np.asarray(source, order="C"))
            return array, source
        if kind == "runtime":
            host = np.asarray(self.host_values[source], order="C")
            return device.to_device(host), host
        if kind == "variable":  # the variable's new value: a snapshot, as later updates write in place
            index, shape, dtype = source
            return _copy(device, variables[index]), None
        storage, shape, dtype = source
        array = DeviceArray(device, storage.buffer, shape, dtype)
        return (_copy(device, array) if kind == "copy" else array), None


def _allocate(device, nbytes):
    """A pooled buffer for a value the queue writes next. Unlike `Device.allocate` it is not zero-filled
    first: that fill is a command of its own, which costs more than a small eager op."""
    nbytes = max(int(nbytes), 16)
    buffer = device.pool.allocate(nbytes)
    device.stats.allocations += 1
    device.stats.allocated_bytes += nbytes
    return buffer


def _copy(device, array):
    nbytes = math.prod(array.shape) * array.dtype.itemsize
    result = DeviceArray(device, _allocate(device, nbytes), array.shape, array.dtype)
    device.copy(result.buffer, array.buffer, nbytes)
    return result


def _describe(arg):
    """What a one-op plan is specialized on, for one argument."""
    if isinstance(arg, DeviceArray):
        return arg.shape, arg.dtype
    if isinstance(arg, VariableCell):
        return "ref", arg.value.shape, arg.value.dtype
    return "host", arg.dtype, arg.shape, arg.tobytes()


_devices = {}


def eager_device(index):
    """The EagerDevice of OpenCL device `index`, made once."""
    found = _devices.get(index)
    if found is None:
        load_kernels()
        found = _devices[index] = EagerDevice(index)
    return found
