"""Softmax, log-softmax and the softmax cross-entropies on the device: each work-item takes a chunk of rows."""
import numpy as np

from opencl.source import Launch, c_type, instantiate, suffix


def _rows(rows, max_items, columns=1):
    """(work-items along the rows, rows per work-item)."""
    per_item = max(1, -(-rows * columns // max(max_items, 1)))
    return -(-rows // per_item), per_item


def softmax(dtype, x, out, outer, length, inner, log=False, max_items=256):
    """A Launch of (log-)softmax along the middle axis of x [outer, length, inner]; None when empty."""
    if outer * length * inner == 0:
        return None
    items, per_item = _rows(outer, max_items, inner)
    return Launch(instantiate("softmax.cl", dtype), "softmax_" + suffix(dtype),
                  [x, out, np.int32(length), np.int32(inner), np.int32(bool(log)), np.int32(outer),
                   np.int32(per_item)], (inner, items))


def softmax_xent(dtype, logits, labels, loss, backprop, rows, classes, max_items=256):
    """A Launch of the softmax cross-entropy of logits [rows, classes] against label probabilities."""
    if rows == 0:
        return None
    items, per_item = _rows(rows, max_items)
    return Launch(instantiate("softmax.cl", dtype), "softmax_xent_" + suffix(dtype),
                  [logits, labels, loss, backprop, np.int32(classes), np.int32(rows), np.int32(per_item)], (items,))


def sparse_softmax_xent(dtype, label_dtype, logits, labels, loss, backprop, rows, classes, max_items=256):
    """A Launch of the softmax cross-entropy of logits [rows, classes] against integer labels [rows]."""
    if rows == 0:
        return None
    items, per_item = _rows(rows, max_items)
    source = (instantiate("softmax.cl", dtype),
              instantiate("sparse_xent.cl", dtype, I=c_type(label_dtype), IS=suffix(label_dtype)))
    return Launch(source, "sparse_softmax_xent_%s_%s" % (suffix(dtype), suffix(label_dtype)),
                  [logits, labels, loss, backprop, np.int32(classes), np.int32(rows), np.int32(per_item)], (items,))
