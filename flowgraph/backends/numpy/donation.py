"""Buffer donation: an elementwise step may write its result into an input array that dies at that step.

The executor knows where each value is read for the last time. When an elementwise op reads an array for the
last time and nothing else holds it (it is not a feed, a constant, a variable's value, a fetched value or the
base of a view), the op may put its result into that array instead of a fresh one: one allocation and one
pass over cold memory less. "Nothing else holds it" is proven at run time by the reference count, the test
numpy itself uses to reuse temporaries in `a + b + c` (compiled.py writes that test inline). Kernels that
can compute into one of their inputs register that variant here.
"""

INTO_KERNELS = {}  # op type -> (fn(*inputs, out=array), input positions whose array may be the result)


def into_kernel(type_name, positions=(0, 1)):
    """Register `fn(*inputs, out=...)` for `type_name`: the op's result written into `out`, one of its inputs."""
    def decorate(fn):
        INTO_KERNELS[type_name] = (fn, positions)
        return fn
    return decorate
