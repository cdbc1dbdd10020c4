"""OpenCL devices for flowgraph: one context and in-order queue per device, a memory pool, a program cache, and
counters of every allocation, copy and launch (tests assert a training step makes none it should not).

Knows nothing of graphs. Kernels are built from OpenCL C source (see `opencl.source`); programs are cached per
(source, options) on each device, so a plan that needs the same kernels again builds nothing.
"""
import functools
import hashlib
import threading
import warnings

import numpy as np

from opencl import source

try:
    import pyopencl as cl
    import pyopencl.tools as cl_tools
except ImportError:  # the package imports without pyopencl; `devices()` is then empty
    cl = None

# Always given: correctly rounded float32 division and sqrt, as numpy computes them; no relaxed math (relu and
# softmax must see NaN and infinity).
BUILD_OPTIONS = ("-cl-fp32-correctly-rounded-divide-sqrt",)


class Counters:
    """What a device has done since `reset()`: allocations and copies by count and bytes, kernel launches."""

    FIELDS = ("allocations", "allocated_bytes", "host_to_device", "host_to_device_bytes", "device_to_host",
              "device_to_host_bytes", "launches", "finishes", "programs_built")

    def __init__(self):
        self.reset()

    def reset(self):
        for name in self.FIELDS:
            setattr(self, name, 0)

    def snapshot(self):
        return {name: getattr(self, name) for name in self.FIELDS}

    def since(self, snapshot):
        """The counts added since `snapshot` (a dict from `snapshot()`)."""
        return {name: getattr(self, name) - snapshot[name] for name in self.FIELDS}

    def __repr__(self):
        return "Counters(%s)" % ", ".join("%s=%d" % (n, getattr(self, n)) for n in self.FIELDS)


class DeviceArray:
    """A dense row-major array in one device buffer (a value that stays on the device)."""

    __slots__ = ("device", "buffer", "shape", "dtype", "__weakref__")

    def __init__(self, device, buffer, shape, dtype):
        self.device = device
        self.buffer = buffer
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    @property
    def ndim(self):
        return len(self.shape)

    def __array__(self, dtype=None, copy=None):
        """numpy reads a DeviceArray by copying it to the host (code that expects host values still works)."""
        value = self.get()
        return value if dtype is None else value.astype(dtype, copy=False)

    def get(self, out=None):
        """The value as a numpy array (into `out` when given); waits for the queue."""
        if out is None:
            out = np.empty(self.shape, self.dtype)
        if self.size:
            self.device.download(out, self.buffer, wait=True)
        return out

    def __repr__(self):
        return "<DeviceArray %s %s on %s>" % (self.dtype.name, self.shape, self.device.name)


class Device:
    """One OpenCL device with its context, in-order queue, memory pool and program cache."""

    def __init__(self, cl_device, index):
        self.cl_device = cl_device
        self.index = index
        self.name = cl_device.name.strip()
        self.platform = cl_device.platform.name.strip()
        self.driver = _driver(cl_device)
        self.memory = int(cl_device.global_mem_size)
        self.max_allocation = int(cl_device.max_mem_alloc_size)
        self.compute_units = int(cl_device.max_compute_units)
        self.is_cpu = bool(cl_device.type & cl.device_type.CPU)
        self.fp64 = "cl_khr_fp64" in cl_device.extensions
        # About how many work-items one launch should have: a few per core on CPUs, where PoCL pays for each
        # work-group and each runs a contiguous chunk; many on GPUs.
        self.max_items = 16 * self.compute_units if self.is_cpu else 1 << 16
        self.cache_bytes = int(cl_device.global_mem_cache_size)  # kernels moving more are bandwidth-bound
        self.context = cl.Context([cl_device])
        self.queue = cl.CommandQueue(self.context)
        self.pool = cl_tools.MemoryPool(cl_tools.ImmediateAllocator(self.queue))
        self.stats = Counters()
        self._programs = {}
        self._units = {}  # a launch's tuple of source snippets -> the program that defines its kernel
        self._lock = threading.RLock()

    # ---- memory ----------------------------------------------------------------------------------------------

    def allocate(self, nbytes):
        """A pooled buffer of at least `nbytes` (never empty), returned to the pool when dropped.

        Fresh memory is filled once here, so its first-touch page faults happen now, not in a timed run.
        """
        nbytes = max(int(nbytes), 16)
        if nbytes > self.max_allocation:
            raise MemoryError("%d bytes exceed the largest buffer %s can allocate (%d bytes)"
                              % (nbytes, self.name, self.max_allocation))
        buffer = self.pool.allocate(nbytes)
        cl.enqueue_fill_buffer(self.queue, buffer, np.uint8(0), 0, buffer.size)
        self.stats.allocations += 1
        self.stats.allocated_bytes += nbytes
        return buffer

    def empty(self, shape, dtype):
        dtype = np.dtype(dtype)
        return DeviceArray(self, self.allocate(int(np.prod(shape, dtype=np.int64)) * dtype.itemsize), shape, dtype)

    def to_device(self, array):
        """A new DeviceArray holding a copy of the numpy `array`."""
        array = np.asarray(array, order="C")
        result = self.empty(array.shape, array.dtype)
        if array.size:
            self.upload(result.buffer, array, wait=True)
        return result

    # ---- copies ----------------------------------------------------------------------------------------------

    def upload(self, buffer, array, wait=False):
        """Copy the C-contiguous numpy `array` into `buffer`; without `wait` the caller keeps `array` alive
        and unchanged until the queue finishes."""
        cl.enqueue_copy(self.queue, buffer, array, is_blocking=wait)
        self.stats.host_to_device += 1
        self.stats.host_to_device_bytes += array.nbytes

    def download(self, array, buffer, wait=False):
        """Copy `buffer` into the C-contiguous numpy `array`; without `wait` it is valid after `finish()`."""
        cl.enqueue_copy(self.queue, array, buffer, is_blocking=wait)
        self.stats.device_to_host += 1
        self.stats.device_to_host_bytes += array.nbytes

    def copy(self, dest, src, nbytes, dest_offset=0, src_offset=0):
        """A device-side copy of `nbytes` between buffers (no host round trip)."""
        if nbytes:
            cl.enqueue_copy(self.queue, dest, src, byte_count=nbytes, dst_offset=dest_offset, src_offset=src_offset)

    def finish(self):
        self.queue.finish()
        self.stats.finishes += 1

    # ---- programs --------------------------------------------------------------------------------------------

    def program(self, source, options=()):
        """The built program for `source`, from the cache when this device built it before."""
        options = tuple(BUILD_OPTIONS) + tuple(options)
        key = (hashlib.sha1(source.encode()).hexdigest(), options)
        with self._lock:
            program = self._programs.get(key)
            if program is None:
                with warnings.catch_warnings():  # PoCL prints notes on success; errors still raise
                    warnings.simplefilter("ignore", cl.CompilerWarning)
                    try:
                        program = cl.Program(self.context, source).build(options=list(options))
                    except cl.RuntimeError as e:
                        raise RuntimeError("OpenCL build failed on %s: %s\n--- source ---\n%s"
                                           % (self.name, e, _numbered(source))) from None
                self._programs[key] = program
                self.stats.programs_built += 1
        return program

    def programs_for(self, launches):
        """The program defining each launch's kernel. Kernels built before in this process are reused from their
        program; the new ones are built together, so a plan triggers at most one build, and a kernel compiled
        once (PoCL compiles each kernel at its first launch, ~0.2 s) is never compiled again for another plan."""
        with self._lock:
            new_units = [unit for unit in dict.fromkeys(launch.source for launch in launches)
                         if unit not in self._units]
            if new_units:
                program = self.program(source.program_source(new_units))
                for unit in new_units:
                    self._units[unit] = program
            return [self._units[launch.source] for launch in launches]

    def kernel(self, program, name):
        """A new kernel object (each plan step owns one, with its arguments set once)."""
        return cl.Kernel(program, name)

    def launch(self, kernel, global_size, local_size):
        """Enqueue `kernel` (arguments already set)."""
        cl.enqueue_nd_range_kernel(self.queue, kernel, global_size, local_size)
        self.stats.launches += 1

    def enqueue(self, launches):
        """Enqueue `launches` (from the launcher modules; None entries skipped) now, in order, building their
        program once: the direct way to run kernels outside a plan. Returns what must stay alive until the
        queue finishes (kernels and uploaded constants)."""
        launches = [launch for launch in launches if launch is not None]
        keep = []
        for launch, program in zip(launches, self.programs_for(launches)):
            kernel = self.kernel(program, launch.name)
            keep.append(kernel)
            keep.extend(source.bind(kernel, launch, self))
            self.launch(kernel, launch.global_size, launch.local_size)
        return keep

    def launcher(self, kernel, global_size, local_size):
        """A function of no arguments that enqueues `kernel`: a plan's run is a loop of these.

        The caller adds the launches it makes to `stats.launches` in bulk, keeping this path free of counting.
        """
        return functools.partial(cl.enqueue_nd_range_kernel, self.queue, kernel, tuple(global_size),
                                 tuple(local_size))

    def __repr__(self):
        return "<opencl.Device %d: %s (%s)>" % (self.index, self.name, self.platform)


def _driver(cl_device):
    return "%s %s" % (cl_device.platform.name.strip(), cl_device.driver_version.strip())


def _numbered(source):
    return "\n".join("%4d  %s" % (i + 1, line) for i, line in enumerate(source.splitlines()))


_devices = {"list": None, "open": {}}
_devices_lock = threading.Lock()


def _cl_devices():
    """Every OpenCL device of every platform, in a stable order; empty without pyopencl or a platform."""
    if _devices["list"] is None:
        found = []
        if cl is not None:
            try:
                platforms = cl.get_platforms()
            except cl.Error:  # an ICD loader with no platform installed
                platforms = []
            for platform in platforms:
                try:
                    found.extend(platform.get_devices())
                except cl.Error:
                    continue
        _devices["list"] = found
    return _devices["list"]


def available():
    """True when at least one OpenCL device exists."""
    return bool(_cl_devices())


def devices():
    """A description (dict) of every OpenCL device, without creating contexts."""
    result = []
    for i, d in enumerate(_cl_devices()):
        result.append({"name": "/opencl:%d" % i, "kind": "opencl", "device": d.name.strip(),
                       "platform": d.platform.name.strip(),
                       "driver": _driver(d),
                       "memory": int(d.global_mem_size), "compute_units": int(d.max_compute_units)})
    return result


def get_device(index=0):
    """The Device for OpenCL device `index` (see `devices()`), created once per process."""
    with _devices_lock:
        device = _devices["open"].get(index)
        if device is None:
            found = _cl_devices()
            if not found:
                raise RuntimeError("No OpenCL device: install pyopencl and an OpenCL platform (for example PoCL)")
            if not 0 <= index < len(found):
                raise ValueError("No OpenCL device %d: this machine has %d (%s)"
                                 % (index, len(found), ", ".join(d.name.strip() for d in found)))
            device = _devices["open"][index] = Device(found[index], index)
        return device
