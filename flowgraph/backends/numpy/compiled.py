"""A numpy plan's steps compiled into one straight-line Python function.

A loop over steps pays, for every op, a tuple unpack, a length test, list indexing and a loop over the values
that die there: about half a microsecond, as much as a small kernel. Generated code calls each kernel with
local variables and deletes each value after its last use (freeing memory early and letting a later step
reuse an array). What would otherwise be small Python functions around a kernel is written inline: a
variable read is an attribute load, and buffer donation (donation.py) is an `if` on the input's reference
count. A failing step is found from the traceback's line number, so the happy path carries no bookkeeping.
"""
import sys

import numpy as np

from flowgraph.backends.resources import VariableCell


def _refs_of_a_local():
    """The reference count `sys.getrefcount` reports for an array held by one local variable only, measured
    rather than assumed (interpreters differ) with the very pattern the generated code uses."""
    value = np.empty(1)
    return sys.getrefcount(value)


UNSHARED_REFS = _refs_of_a_local()


def compile_run(steps, template, feed_slots, fetch_slots, fetch_copies, on_error):
    """A function `run(feed_values) -> [fetched values]` doing what the steps (fn, ins, out, dead, donor) say.

    `donor` is None or (into, position): `into(*inputs, out=inputs[position])` may compute the result in
    that input's array when nothing else references it. `template[slot]` holds constants;
    `on_error(exception, step_index)` returns the exception to raise.
    """
    line_to_step = {}
    namespace = {"_fetched": fetched, "_on_error": on_error, "_failed_step": _failed_step_finder(line_to_step),
                 "_getrefcount": sys.getrefcount, "_ndarray": np.ndarray}

    def name(slot):
        if template[slot] is not None:
            namespace["c%d" % slot] = template[slot]
            return "c%d" % slot
        return "v%d" % slot

    body = []
    for index, (fn, ins, out, dead, donor) in enumerate(steps):
        lines = _step_lines(index, fn, [name(s) for s in ins], out, name, donor, namespace)
        for line in lines:
            line_to_step[len(body) + _FIRST_STEP_LINE] = index
            body.append(line)
        local_dead = [name(s) for s in dead if template[s] is None]
        if local_dead:
            body.append("del " + ", ".join(local_dead))
    feeds = "".join(name(s) + ", " for s in feed_slots)
    fetches = ", ".join("_fetched(%s, %s)" % (name(s), copy) for s, copy in zip(fetch_slots, fetch_copies))
    source = _TEMPLATE % {
        "feeds": "%s= feed_values" % feeds if feed_slots else "pass",
        "body": "\n".join("        " + line for line in body) or "        pass",
        "fetches": fetches,
    }
    exec(compile(source, "<numpy plan>", "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace["run"]


def _step_lines(index, fn, args, out, name, donor, namespace):
    """The source lines of one step."""
    if isinstance(getattr(fn, "__self__", None), VariableCell) and fn.__func__ is VariableCell.read:
        namespace["k%d" % index] = fn.__self__  # a variable read: the cell's value, read() only to raise
        return ["%s = k%d.value" % (name(out), index),
                "if %s is None: k%d.read()" % (name(out), index)]
    namespace["s%d" % index] = fn
    call = "s%d(%s)" % (index, ", ".join(args))
    if out.__class__ is int:
        target = name(out) + " = "
    elif len(out) == 1:
        target = name(out[0]) + ", = "
    elif out:
        target = ", ".join(name(s) for s in out) + " = "
    else:
        target = ""
    if donor is None:
        return [target + call]
    into, position = donor
    namespace["d%d" % index] = into
    given = args[position]
    return ["if _getrefcount(%s) <= %d and %s.__class__ is _ndarray and %s.base is None:"
            % (given, UNSHARED_REFS, given, given),
            "    try:",
            "        %sd%d(%s, out=%s)" % (target, index, ", ".join(args), given),
            "    except ValueError:  # numpy refused the output (read-only, or the input was broadcast)",
            "        %s%s" % (target, call),
            "else:",
            "    " + target + call]


_TEMPLATE = """\
def run(feed_values):
    %(feeds)s
    try:
%(body)s
    except Exception as e:
        raise _on_error(e, _failed_step(e)) from e
    return [%(fetches)s]
"""
_FIRST_STEP_LINE = 4  # the line of the first body statement in _TEMPLATE


def _failed_step_finder(line_to_step):
    """The step index whose line raised `e`, from the innermost frame of the generated function."""
    def find(e):
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<numpy plan>":
                return line_to_step.get(tb.tb_lineno)
            tb = tb.tb_next
        return None
    return find


def fetched(value, copy):
    """A fetched value as TF returns it: a numpy scalar for 0-d results, never aliasing session state."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return value[()]
        return value.copy() if copy else value
    return value
