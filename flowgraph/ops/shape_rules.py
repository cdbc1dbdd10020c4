"""Shape rules shared by many op declarations."""
from flowgraph.framework.shapes import TensorShape, broadcast_shapes


def same_as_input(op):
    """Elementwise unary ops: the output has the input's shape."""
    return op.inputs[0].shape


def broadcast_inputs(op):
    """Elementwise binary ops: numpy broadcasting of the two input shapes."""
    return broadcast_shapes(op.inputs[0].shape, op.inputs[1].shape)


def scalar(op):
    return TensorShape(())


def normalize_axis(axis, rank, op_name="op"):
    """A non-negative axis in [0, rank); ValueError naming the op otherwise."""
    if rank is None:
        return axis
    if not -rank <= axis < rank:
        raise ValueError("%s: axis %d is out of range for a tensor of rank %d (expected -%d <= axis < %d)"
                         % (op_name, axis, rank, rank, rank))
    return axis % rank
