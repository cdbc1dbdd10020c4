"""Common op chains of training graphs as one numpy step each.

- A dense layer, `x @ W + b` optionally through relu: matmul, then the bias added and the relu taken in the
  matmul's own result (what buffer donation achieves too), one step instead of three.
- The gradient of a mean loss entering a per-example gradient: Shape, ReductionGrad, ExpandDims, Mul (every
  classifier's `reduce_mean(cross_entropy)`) become one multiplication by dy / batch size, the same
  arithmetic.

On small layers the per-step cost (a call, a few cold Python objects) is what remains to save. A chain fuses
only where its intermediate values are read by nothing else and not fetched; a fused step is placed where
the chain's last op was, and that op names it.
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
    writes = {}
    for index, (_, _, out) in enumerate(steps):
        for slot in [out] if out.__class__ is int else out:
            writes.setdefault(slot, []).append(index)

    def unchanged(slots, start, end):
        """No step between `start` and `end` writes these slots again (a variable read anew after an assign)."""
        return not any(start < i < end for slot in slots for i in writes.get(slot, ()))

    replaced, absorbed = {}, set()
    for index, op in enumerate(ops):
        if op.type != "MatMul" or not _plain_matmul(op):
            continue
        add = _only_reader(readers, steps[index][2])
        if add is None or ops[add].type not in _BIAS_ADDS or not _adds_a_bias_row(ops[add], op):
            continue
        relu = _only_reader(readers, steps[add][2])
        last = relu if relu is not None and ops[relu].type == "Relu" else add
        (x, w), bias = steps[index][1], [s for s in steps[add][1] if s != steps[index][2]][0]
        if not unchanged((x, w), index, last) or not unchanged((bias,), add, last):
            continue
        replaced[last] = (_dense_relu if last == relu else _dense, (x, w, bias), steps[last][2])
        absorbed.update({index, add} - {last})
    producer = {out: i for i, (_, _, out) in enumerate(steps) if out.__class__ is int}
    for index, op in enumerate(ops):
        chain = _mean_gradient_chain(index, op, steps, ops, readers, producer)
        if chain is not None and unchanged(chain[1][:2], min(chain[2]), index):
            mean, ins, parts = chain
            replaced[index] = (_scaled_by_mean_gradient if mean else _scaled_by_sum_gradient, ins, steps[index][2])
            absorbed.update(parts)
    kept = [i for i in range(len(steps)) if i not in absorbed]
    return ([replaced.get(i, steps[i]) for i in kept], [ops[i] for i in kept], [ops[i] for i in sorted(absorbed)])


def _mean_gradient_chain(index, op, steps, ops, readers, producer):
    """(mean, (dy, v, m), absorbed step indices) when step `index` is Mul(ExpandDims(ReductionGrad(dy,
    Shape(v)), -1), m) with a scalar dy, a vector v and a matrix m, each link read only by the next."""
    if op.type != "Mul" or len(steps[index][1]) != 2:
        return None
    for position in (0, 1):
        expand = producer.get(steps[index][1][position])
        if expand is None or ops[expand].type != "ExpandDims" or ops[expand].get_attr("axis") not in (-1, 1) or \
                _only_reader(readers, steps[expand][2]) != index:
            continue
        spread = producer.get(steps[expand][1][0])
        if spread is None or ops[spread].type != "ReductionGrad" or ops[spread].get_attr("axis") is not None or \
                _only_reader(readers, steps[spread][2]) != expand:
            continue
        dy, shape_slot = steps[spread][1]
        shape = producer.get(shape_slot)
        if shape is None or ops[shape].type != "Shape" or _only_reader(readers, shape_slot) != spread:
            continue
        matrix = steps[index][1][1 - position]
        if ops[spread].inputs[0].shape.ndims != 0 or ops[shape].inputs[0].shape.ndims != 1 or \
                op.inputs[1 - position].shape.ndims != 2:
            continue
        return ops[spread].get_attr("mean"), (dy, steps[shape][1][0], matrix), {expand, spread, shape}
    return None


def _scaled_by_mean_gradient(dy, vector, matrix):
    """matrix * (dy / len(vector)): each row times its example's share of a mean's gradient."""
    count = vector.shape[0]
    return np.multiply(matrix, dy / dy.dtype.type(count) if count > 1 else dy)


def _scaled_by_sum_gradient(dy, vector, matrix):
    return np.multiply(matrix, dy)


def _only_reader(readers, slot):
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
