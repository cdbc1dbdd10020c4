"""Dense layers as one numpy step: `x @ W + b`, optionally through relu.

The three ops run as matmul, then the bias added and the relu taken in the matmul's own result, which is what
buffer donation achieves too; fused, they are one step instead of three, and on small layers the per-step
cost (a call, a few cold Python objects) is what remains to save. The chain fuses only where its
intermediate values are read by nothing else and not fetched.
"""
import numpy as np

_BIAS_ADDS = {"AddV2", "BiasAdd"}


def fuse_dense_layers(steps, ops, fetch_slots):
    """(steps, ops, absorbed ops) with each MatMul -> bias add (-> Relu) chain as one step, placed where the
    chain's last op was; a fused step's op is that last op."""
    readers = {}
    for index, (_, ins, _) in enumerate(steps):
        for slot in ins:
            readers.setdefault(slot, []).append(index)
    for slot in fetch_slots:
        readers.setdefault(slot, []).append(None)
    replaced, absorbed = {}, set()
    for index, op in enumerate(ops):
        if op.type != "MatMul" or not _plain_matmul(op):
            continue
        add = _only_reader(readers, steps[index][2], ops)
        if add is None or ops[add].type not in _BIAS_ADDS or not _adds_a_bias_row(ops[add], op):
            continue
        relu = _only_reader(readers, steps[add][2], ops)
        last = relu if relu is not None and ops[relu].type == "Relu" else add
        (x, w), bias = steps[index][1], [s for s in steps[add][1] if s != steps[index][2]][0]
        replaced[last] = (_dense_relu if last == relu else _dense, (x, w, bias), steps[last][2])
        absorbed.update({index, add} - {last})
    kept = [i for i in range(len(steps)) if i not in absorbed]
    return ([replaced.get(i, steps[i]) for i in kept], [ops[i] for i in kept], [ops[i] for i in sorted(absorbed)])


def _only_reader(readers, slot, ops):
    """The one step reading `slot`, when exactly one step reads it and it is not fetched."""
    if slot.__class__ is not int:
        return None
    found = readers.get(slot, [])
    return found[0] if len(found) == 1 and found[0] is not None else None


def _plain_matmul(op):
    a, b = op.inputs
    return (a.shape.ndims == 2 and b.shape.ndims == 2 and not op.get_attr("transpose_a")
            and not op.get_attr("transpose_b") and op.outputs[0].dtype.is_floating)


def _adds_a_bias_row(add, matmul):
    """`add` is matmul + b with b a vector as wide as the matmul's result (so the sum has the matmul's shape)."""
    if add.type == "BiasAdd" and add.get_attr("data_format").startswith("NC"):
        return False
    product = matmul.outputs[0]
    if add.inputs[0] is not product:
        return False
    bias = add.inputs[1]
    width = product.shape.dims[1]
    return bias.shape.ndims == 1 and width is not None and bias.shape.dims[0] == width and \
        bias.dtype == product.dtype


def _dense(x, w, b):
    h = np.matmul(x, w)
    np.add(h, b, out=h)
    return h


def _dense_relu(x, w, b):
    h = np.matmul(x, w)
    np.add(h, b, out=h)
    return np.maximum(h, np.zeros(h.shape[-1:], h.dtype), out=h)
