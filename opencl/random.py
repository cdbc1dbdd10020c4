"""Random numbers generated on the device with a counter-based generator (Philox4x32-10): a run sets a new
key and the kernel draws every element independently of how the work is split."""
import numpy as np

from opencl.source import Launch, instantiate, suffix, work_items

KINDS = {"uniform": 0, "normal": 1, "truncated_normal": 2, "integers": 3}
KEY_ARGS = (3, 4)  # argument positions of the two key words, which change every run


def random_launch(dtype, out, n, kind, low=0, high=0, max_items=256):
    """A Launch filling `out` (n elements of `dtype`) with `kind` numbers (integers in [low, high)); the caller
    sets the key arguments (KEY_ARGS) before each run."""
    if n == 0:
        return None
    items, chunk = work_items(n, 4096, max_items)
    chunk += -chunk % 4  # whole groups of four per work-item, so no group is drawn twice
    items = -(-n // chunk)
    return Launch((instantiate("philox.cl"), instantiate("random.cl", dtype)), "random_" + suffix(dtype),
                  [out, np.int32(n), np.int32(chunk), np.uint32(0), np.uint32(0), np.int32(KINDS[kind]),
                   np.int64(low), np.uint64(max(high - low, 1))], (items,))
