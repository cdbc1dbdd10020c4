"""OpenCL devices for flowgraph, knowing nothing of graphs: the runtime (contexts, queues, pooled memory,
program cache, counters), kernel sources in `kernels/`, and launchers that describe kernel launches
(elementwise, gemm, reduce, copy, gather, nn, conv, random)."""
from opencl.runtime import Device, DeviceArray, available, devices, get_device  # noqa: F401
