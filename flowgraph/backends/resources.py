"""Per-session state: variable cells and random generators, shared by every backend."""
import threading

import numpy as np

from flowgraph.framework import errors


class VariableCell:
    """Holds one variable's current value in one session. Values are replaced, never mutated in place,
    so a value fetched or read earlier stays intact; `lock` makes read-modify-write updates atomic."""

    __slots__ = ("name", "value", "lock", "op")

    def __init__(self, name, op=None):
        self.name = name
        self.value = None
        self.lock = threading.Lock()
        self.op = op

    def read(self):
        value = self.value
        if value is None:
            raise errors.FailedPreconditionError(
                None, self.op, "Attempting to use uninitialized value %s: run its initializer (for example "
                               "tf.global_variables_initializer()) before reading it." % self.name)
        return value


class ResourceStore:
    """The session's variables (by variable op name) and random generators (by op name)."""

    def __init__(self):
        self.cells = {}
        self.generators = {}
        self._lock = threading.Lock()

    def cell(self, op):
        with self._lock:
            cell = self.cells.get(op.name)
            if cell is None:
                cell = self.cells[op.name] = VariableCell(op.name, op)
            return cell

    def generator(self, op):
        """A numpy Generator per random op, seeded from the graph and op seeds (TF's get_seed rules)."""
        with self._lock:
            gen = self.generators.get(op.name)
            if gen is None:
                seed = op_seeds(op)
                gen = self.generators[op.name] = np.random.default_rng(None if seed is None else list(seed))
            return gen


def op_seeds(op):
    """The (seed, seed2) attrs a random op was given at creation, or None for fresh randomness."""
    seed, seed2 = op._attrs.get("seed"), op._attrs.get("seed2")
    if seed is None and seed2 is None:
        return None
    return int(seed or 0), int(seed2 or 0)
