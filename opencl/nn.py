"""Softmax, log-softmax and the softmax cross-entropies on the device: one work-item per row."""
import numpy as np

from opencl.source import Launch, c_type, instantiate, suffix


def softmax(dtype, x, out, outer, length, inner, log=False):
    """A Launch of (log-)softmax along the middle axis of x [outer, length, inner]; None when empty."""
    if outer * length * inner == 0:
        return None
    return Launch(instantiate("softmax.cl", dtype), "softmax_" + suffix(dtype),
                  [x, out, np.int32(length), np.int32(inner), np.int32(bool(log))], (inner, outer))


def softmax_xent(dtype, logits, labels, loss, backprop, rows, classes):
    """A Launch of the softmax cross-entropy of logits [rows, classes] against label probabilities."""
    if rows == 0:
        return None
    return Launch(instantiate("softmax.cl", dtype), "softmax_xent_" + suffix(dtype),
                  [logits, labels, loss, backprop, np.int32(classes)], (rows,))


def sparse_softmax_xent(dtype, label_dtype, logits, labels, loss, backprop, rows, classes):
    """A Launch of the softmax cross-entropy of logits [rows, classes] against integer labels [rows]."""
    if rows == 0:
        return None
    source = (instantiate("softmax.cl", dtype),
              instantiate("sparse_xent.cl", dtype, I=c_type(label_dtype), IS=suffix(label_dtype)))
    return Launch(source, "sparse_softmax_xent_%s_%s" % (suffix(dtype), suffix(label_dtype)),
                  [logits, labels, loss, backprop, np.int32(classes)], (rows,))
