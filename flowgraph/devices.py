"""What devices this machine offers flowgraph (numpy always, OpenCL devices where a platform exists), and
where each op runs: its own device (`tf.device`), the device of the variable it updates, or the session's."""
import logging

log = logging.getLogger("flowgraph.opencl")
_DEVICE_KINDS = {"cpu": "numpy", "numpy": "numpy", "opencl": "opencl", "gpu": "opencl"}
_warned = set()


def devices():
    """[{'name', 'kind', 'device', 'driver', 'memory', ...}] for numpy and each OpenCL device."""
    import platform

    import numpy as np
    from opencl import runtime
    found = [{"name": "/numpy:0", "kind": "numpy", "device": platform.processor() or platform.machine(),
              "driver": "numpy %s" % np.__version__, "memory": None}]
    return found + runtime.devices()


def device_kind(spec, default_kind="numpy"):
    """'numpy' or 'opencl' for a canonical device string ('/opencl:0', '/cpu:0', '/gpu:0'); `default_kind`
    for an empty or unknown one (soft placement, as TF1 sessions allow)."""
    return _DEVICE_KINDS.get(spec.lstrip("/").partition(":")[0], default_kind) if spec else default_kind


def op_device_kind(op, default_kind):
    """Where `op` runs: an op that updates a variable runs where the variable lives; others where they were
    placed; unplaced ops on the session's device (`default_kind`)."""
    for i in op._opdef.ref_inputs:
        spec = op._inputs[i]._op.device
        if spec:
            return device_kind(spec, default_kind)
    return device_kind(op.device, default_kind)


def _placed_index(schedule):
    """The OpenCL device index of the first op in `schedule` placed on one, or None."""
    for op in schedule.ops:
        if op_device_kind(op, "numpy") == "opencl":
            spec = next((op._inputs[i]._op.device for i in op._opdef.ref_inputs), None) or op.device
            return int(spec.rpartition(":")[2] or 0)
    return None


def make_plan(backend, schedule, store):
    """The plan a session runs `schedule` with: on its backend, unless some op is placed on an OpenCL device
    (`tf.device("/opencl:0")`), in which case the plan runs those ops there and the others on the host."""
    if backend.name == "numpy":
        index = _placed_index(schedule)
        if index is not None:
            from opencl import runtime
            if runtime.available():
                from flowgraph.backends import get_backend
                return get_backend("/opencl:%d" % index).make_plan(schedule, store, default_on_device=False)
            if "no-opencl" not in _warned:
                _warned.add("no-opencl")
                log.warning("ops are placed on an OpenCL device but this machine has none: they run on numpy")
    return backend.make_plan(schedule, store)


def placement_report(plans):
    """[(op name, op type, reason)] for ops placed on an OpenCL device that ran on the host in `plans`."""
    seen = {}
    for plan in plans:
        for host_op in getattr(plan, "host_ops", ()):
            seen.setdefault(host_op.op.name, (host_op.op.name, host_op.op.type, host_op.reason))
    return sorted(seen.values())


def main(argv=None):
    """`python -m flowgraph devices`: print the devices flowgraph can run on."""
    for d in devices():
        memory = "%.1f GiB" % (d["memory"] / 2 ** 30) if d.get("memory") else "host memory"
        print("%-12s %-40s %-30s %s" % (d["name"], d["device"], d["driver"], memory))
    return 0
