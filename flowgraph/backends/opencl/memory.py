"""A plan's device memory, laid out once: values whose lifetimes do not overlap share a buffer."""
import bisect

FIRST_STEP = -1  # feeds are written before any step runs
LAST_STEP = float("inf")  # fetched values are read after every step


class Storage:
    """The device memory one value (or a group of aliasing values, or a kernel's scratch space) needs.

    `first` and `last` are the plan positions of its first write and last read; `buffer` is set by `lay_out`
    unless the storage is `fixed` (constants, variables: their buffer exists already).
    """

    __slots__ = ("nbytes", "first", "last", "buffer", "fixed")

    def __init__(self, nbytes, buffer=None):
        self.nbytes = int(nbytes)
        self.first = None
        self.last = None
        self.buffer = buffer
        self.fixed = buffer is not None

    def touch(self, position):
        if self.first is None or position < self.first:
            self.first = position
        if self.last is None or position > self.last:
            self.last = position


def lay_out(storages, allocate):
    """Give every planned storage a buffer from `allocate(nbytes)`, reusing freed ones (the smallest that fits,
    if at most twice the size). Returns the buffers allocated, which the plan keeps alive."""
    planned = sorted((s for s in storages if not s.fixed and s.first is not None), key=lambda s: s.first)
    live = []  # (last, id, capacity, buffer), ordered by last use
    free = []  # (capacity, id, buffer), ordered by capacity
    owned = []
    for storage in planned:
        while live and live[0][0] < storage.first:
            _, key, capacity, buffer = live.pop(0)
            bisect.insort(free, (capacity, key, buffer))
        need = max(storage.nbytes, 1)
        at = bisect.bisect_left(free, (need, -1))
        if at < len(free) and free[at][0] <= 2 * need:
            capacity, _, storage.buffer = free.pop(at)
        else:
            capacity, storage.buffer = need, allocate(need)
            owned.append(storage.buffer)
        bisect.insort(live, (storage.last, id(storage), capacity, storage.buffer))
    return owned
