"""Progbar: Keras's text progress bar (`12/42 [======>.....] - ETA: 1s - loss: 0.4123`)."""
import sys
import time


def _dynamic_display(stream):
    return (hasattr(stream, "isatty") and stream.isatty()) or "ipykernel" in sys.modules


def format_value(value):
    return "%.4f" % value if abs(value) > 1e-3 else "%.4e" % value


class Progbar:
    """verbose=1: a bar redrawn in place (or only its final state when output is not a terminal);
    verbose=2: one summary line when the target is reached."""

    def __init__(self, target, width=30, verbose=1, interval=0.05, unit_name="step", stream=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stream = stream or sys.stdout
        self._dynamic = _dynamic_display(self.stream)
        self._start = time.time()
        self._last_update = 0.0
        self._total_width = 0

    def update(self, current, values=None, finalize=None):
        """Show progress `current` of `target` with the latest `values` ([(name, number)])."""
        finalize = (self.target is not None and current >= self.target) if finalize is None else finalize
        now = time.time()
        if self.verbose == 1:
            if not finalize and (now - self._last_update < self.interval or not self._dynamic):
                return
            self._write(self._bar(current, now, finalize) + self._values(values), finalize)
        elif self.verbose == 2 and finalize:
            elapsed = now - self._start
            text = "%d/%d - %ds" % (current, self.target, elapsed) if self.target else "%ds" % elapsed
            self._write(text + self._values(values) + " - %s" % self._per_unit(elapsed, current), True)
        self._last_update = now

    def _bar(self, current, now, finalize):
        elapsed = now - self._start
        if self.target is None:
            return "%7d/Unknown - %ds" % (current, elapsed)
        digits = len(str(self.target))
        bar = ("%" + str(digits) + "d/%d [") % (current, self.target)
        progress = float(current) / self.target if self.target else 1.0
        filled = int(self.width * progress)
        if filled > 0:
            bar += "=" * (filled - 1) + (">" if current < self.target else "=")
        bar += "." * (self.width - filled) + "]"
        if finalize:
            return bar + " - %ds %s" % (elapsed, self._per_unit(elapsed, current))
        eta = elapsed / current * (self.target - current) if current else 0
        return bar + " - ETA: %ds" % eta

    def _per_unit(self, elapsed, current):
        per_unit = elapsed / max(current, 1)
        if per_unit >= 1:
            return "%.0fs/%s" % (per_unit, self.unit_name)
        if per_unit >= 1e-3:
            return "%.0fms/%s" % (per_unit * 1e3, self.unit_name)
        return "%.0fus/%s" % (per_unit * 1e6, self.unit_name)

    @staticmethod
    def _values(values):
        return "".join(" - %s: %s" % (name, format_value(float(value))) for name, value in values or [])

    def _write(self, text, finalize):
        if self._dynamic:
            padding = " " * max(self._total_width - len(text), 0)
            self.stream.write("\r" + text + padding)
            self._total_width = len(text)
            if finalize:
                self.stream.write("\n")
        elif finalize:
            self.stream.write(text + "\n")
        self.stream.flush()
