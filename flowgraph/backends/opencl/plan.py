"""The OpenCL backend object and its plans: one plan per (fetches, feeds), made concrete per set of feed shapes.

A run uploads the feeds (non-blocking), enqueues every step, enqueues the fetches into host arrays and waits
once. Nothing is allocated or built during a run once its specialization exists; variables stay on the device.
"""
import collections
import sys
import threading
import time

import numpy as np

from flowgraph.backends.numpy.compiled import fetched
from flowgraph.backends.opencl import load_kernels
from flowgraph.backends.opencl.builder import Builder
from flowgraph.devices import op_device_kind
from opencl import runtime

_MAX_SPECIALIZATIONS = 8


class OpenCLBackend:
    """Plans on OpenCL device `index`. `fuse` (default True) lets plans made from now on fuse elementwise
    chains; benchmarks turn it off to measure what fusion saves."""

    name = "opencl"

    def __init__(self, index):
        self.index = index
        self.device = "/opencl:%d" % index
        self.cl_device = runtime.get_device(index)
        self.fuse = True

    def make_plan(self, schedule, store, default_on_device=True):
        """A plan for `schedule`; ops without a device of their own run on this device when
        `default_on_device`, else on the host (a numpy session with some ops placed here)."""
        load_kernels()
        return OpenCLPlan(schedule, store, self.cl_device, default_on_device, self.fuse)


_backends = {}


def backend(index):
    if index not in _backends:
        _backends[index] = OpenCLBackend(index)
    return _backends[index]


class OpenCLPlan:
    """Runs one Schedule on one device; specializations are made per feed shapes and kept (a few)."""

    def __init__(self, schedule, store, device, default_on_device, fuse=True):
        self.schedule = schedule
        self.fuse = fuse
        self.store = store
        self.device = device
        self.default_kind = "opencl" if default_on_device else "numpy"
        self.host_values = [None] * len(schedule.feed_tensors)
        self.max_items = device.max_items
        self._specs = collections.OrderedDict()
        self._lock = threading.Lock()

    def on_device(self, op):
        return op_device_kind(op, self.default_kind) == "opencl"

    @property
    def host_ops(self):
        """Ops placed on the device that run on the host instead, in every specialization made so far."""
        seen = {}
        for spec in self._specs.values():
            for host_op in spec.host_ops:
                seen.setdefault(host_op.op.name, host_op)
        return list(seen.values())

    def specialization(self, feeds):
        key = tuple(f.shape for f in feeds)
        spec = self._specs.get(key)
        if spec is not None and spec.cells_valid(self.device):
            return spec
        self._specs.pop(key, None)
        spec = Builder(self, feeds).build()
        self._specs[key] = spec
        while len(self._specs) > _MAX_SPECIALIZATIONS:
            self._specs.popitem(last=False)
        return spec

    def run(self, feed_values):
        return self.run_traced(feed_values, None)

    def run_traced(self, feed_values, step_stats):
        """`run`; with a `step_stats` dict, also each op's seconds (the queue is drained after every op, so a
        traced run is slower)."""
        device = self.device
        with self._lock:
            feeds = [np.asarray(v, order="C") for v in feed_values]
            spec = self.specialization(feeds)
            hvals = self.host_values
            if len(hvals) < spec.num_host_values:
                hvals.extend([None] * (spec.num_host_values - len(hvals)))
            hvals[:len(feeds)] = feeds
            try:
                for i, storage in spec.feed_storages:
                    if feeds[i].size:
                        device.upload(storage.buffer, feeds[i])
                if step_stats is None:
                    for step in spec.steps:
                        step()
                else:
                    self._timed_steps(spec, step_stats)
                device.stats.launches += spec.num_launches
                results = self._fetch(spec, hvals)
            finally:
                device.finish()
            return [r[()] if r.__class__ is np.ndarray and r.ndim == 0 else r for r in results]

    def _timed_steps(self, spec, step_stats):
        """Run the steps, timing each op's; ops fused into another's kernel (or only reading a variable) take 0."""
        ops = self.schedule.ops
        for op in ops:
            if op.type != "Const":
                step_stats.setdefault(op.name, 0.0)
        device = self.device
        device.finish()
        start = time.perf_counter()
        for i, (step, position) in enumerate(zip(spec.steps, spec.positions)):
            step()
            if i + 1 == len(spec.steps) or spec.positions[i + 1] != position:
                device.finish()
                now = time.perf_counter()
                if 0 <= position < len(ops):
                    name = ops[position].name
                    step_stats[name] = step_stats.get(name, 0.0) + now - start
                start = now

    def _fetch(self, spec, hvals):
        """Fetched values: downloads are enqueued into host arrays (reused when the caller dropped the last
        ones) and complete at the run's finish."""
        results = []
        for i, (kind, source) in enumerate(spec.fetches):
            if kind == "host":
                results.append(fetched(source, True))
            elif kind == "runtime":
                results.append(np.array(hvals[source], copy=True))
            else:
                storage, shape, dtype = source
                array = spec.fetch_arrays[i]
                if array is None or sys.getrefcount(array) > 3:  # held by the caller since the last run
                    array = spec.fetch_arrays[i] = np.empty(shape, dtype)
                if array.size:
                    self.device.download(array, storage.buffer)
                results.append(array)
        return results
