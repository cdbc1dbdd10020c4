"""A numpy plan's steps compiled into one straight-line Python function.

A loop over steps pays, for every op, a tuple unpack, a length test, list indexing and a loop over the values
that die there: about half a microsecond, as much as a small kernel. Generated code calls each kernel with
local variables and deletes each value after its last use (freeing memory early and letting a later step
reuse an array, see donation.py). A failing step is found from the traceback's line number, so the happy
path carries no bookkeeping.
"""
import numpy as np


def compile_run(steps, template, feed_slots, fetch_slots, fetch_copies, on_error):
    """A function `run(feed_values) -> [fetched values]` doing what the steps (fn, ins, out, dead) say.

    `template[slot]` holds constants; `on_error(exception, step_index)` returns the exception to raise.
    """
    line_to_step = {}
    namespace = {"_fetched": fetched, "_on_error": on_error, "_failed_step": _failed_step_finder(line_to_step)}

    def name(slot):
        if template[slot] is not None:
            namespace["c%d" % slot] = template[slot]
            return "c%d" % slot
        return "v%d" % slot

    body = []
    for index, (fn, ins, out, dead) in enumerate(steps):
        namespace["s%d" % index] = fn
        call = "s%d(%s)" % (index, ", ".join(name(s) for s in ins))
        if out.__class__ is int:
            call = "%s = %s" % (name(out), call)
        elif len(out) == 1:
            call = "%s, = %s" % (name(out[0]), call)
        elif out:
            call = "%s = %s" % (", ".join(name(s) for s in out), call)
        line_to_step[len(body) + _FIRST_STEP_LINE] = index
        body.append(call)
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
