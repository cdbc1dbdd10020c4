"""OpenCL C source: type names, templated kernel files, and `Launch`, one kernel enqueue a plan prepares.

Kernel files in `opencl/kernels/` are `string.Template`s: `$T` (or `${T}`) is the element type, `$S` a suffix
that makes kernel names unique per instantiation. A plan collects the snippets its launches need into one
program, so every kernel a plan runs comes from a single build.
"""
import functools
import os
import string

import numpy as np

KERNEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")

C_TYPES = {
    np.dtype(np.float32): "float", np.dtype(np.float64): "double", np.dtype(np.int32): "int",
    np.dtype(np.int64): "long", np.dtype(np.bool_): "uchar", np.dtype(np.uint8): "uchar",
    np.dtype(np.int8): "char", np.dtype(np.int16): "short", np.dtype(np.uint16): "ushort",
    np.dtype(np.uint32): "uint", np.dtype(np.uint64): "ulong",
}
SUFFIXES = {"float": "f32", "double": "f64", "int": "i32", "long": "i64", "uchar": "u8", "char": "i8",
            "short": "i16", "ushort": "u16", "uint": "u32", "ulong": "u64"}

# No contraction of a * b + c into fma: elementwise results round as numpy's do (GEMM calls fma() itself).
HEADER = """#if defined(cl_khr_fp64)
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
#pragma OPENCL FP_CONTRACT OFF
/* Streaming stores: written straight to memory, with no read of the old cache line first. Where the compiler
   lacks the builtin they are plain stores. x86 orders them weakly: the fence ends a kernel that made them. */
#if defined(__has_builtin)
#if __has_builtin(__builtin_nontemporal_store)
#define STREAM_STORE(value, pointer) __builtin_nontemporal_store((value), (pointer))
#endif
#if __has_builtin(__builtin_ia32_sfence)
#define STREAM_FENCE() __builtin_ia32_sfence()
#endif
#endif
#ifndef STREAM_STORE
#define STREAM_STORE(value, pointer) (*(pointer) = (value))
#endif
#ifndef STREAM_FENCE
#define STREAM_FENCE()
#endif
"""


def c_type(dtype):
    """The OpenCL C scalar type of a numpy dtype (bool is stored as one byte, 0 or 1)."""
    try:
        return C_TYPES[np.dtype(dtype)]
    except KeyError:
        raise TypeError("OpenCL kernels do not handle dtype %s" % np.dtype(dtype).name) from None


def suffix(dtype):
    return SUFFIXES[c_type(dtype)]


def is_float(dtype):
    return np.dtype(dtype).kind == "f"


@functools.lru_cache(maxsize=None)
def _template(filename):
    with open(os.path.join(KERNEL_DIR, filename)) as f:
        return string.Template(f.read())


@functools.lru_cache(maxsize=None)
def instantiate(filename, dtype=None, **params):
    """The text of kernel file `filename` for element type `dtype` (and any other `$NAME` parameters)."""
    values = dict(params)
    if dtype is not None:
        values["T"] = c_type(dtype)
        values["S"] = suffix(dtype)
    return _template(filename).substitute(values)


class Launch:
    """One kernel enqueue: the source snippets that define the kernel (one, or a tuple when it needs helpers
    from another), its name, arguments, and work sizes.

    Arguments are numpy scalars, small numpy arrays (uploaded once as read-only constants when the launch is
    bound), or objects with a `.buffer` attribute (device arrays, or a plan's storages, whose buffer is known
    once the plan's memory is laid out).
    """

    __slots__ = ("source", "name", "args", "global_size", "local_size")

    def __init__(self, source, name, args, global_size, local_size=None):
        self.source = source if isinstance(source, tuple) else (source,)
        self.name = name
        self.args = list(args)
        self.global_size = tuple(int(g) for g in global_size)
        self.local_size = tuple(int(x) for x in (local_size or (1,) * len(self.global_size)))

    def __repr__(self):
        return "<Launch %s %s/%s>" % (self.name, self.global_size, self.local_size)


def program_source(units):
    """One program text with every distinct snippet of `units` (Launch.source tuples), in first-use order."""
    seen = {}
    for unit in units:
        for snippet in unit:
            seen.setdefault(snippet, None)
    return HEADER + "\n".join(seen)


def bind(kernel, launch, device):
    """Set every argument of `kernel` from `launch` (once, when a plan is made); returns the constant arrays
    it uploaded, which the caller keeps alive as long as the kernel."""
    values, constants = [], []
    for a in launch.args:
        if isinstance(a, np.generic):
            values.append(a)
        elif isinstance(a, np.ndarray):
            constants.append(device.to_device(a))
            values.append(constants[-1].buffer)
        else:
            values.append(a.buffer)
    kernel.set_args(*values)
    return constants


def work_items(n, per_item, max_items=256, multiple=1):
    """(global size, elements per work-item): contiguous chunks of at least `per_item` elements, each a
    multiple of `multiple` elements (so every chunk of a vector loop starts aligned).

    CPU devices run one chunk per work-item far faster than one element each; capping the count keeps
    launches cheap while giving every core several chunks.
    """
    n = int(n)
    items = max(1, min(max_items, -(-n // per_item)))
    chunk = -(-n // items)
    chunk = -(-chunk // multiple) * multiple
    return -(-n // chunk), chunk
