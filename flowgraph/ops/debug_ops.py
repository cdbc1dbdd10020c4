"""Numerics checks: fail a run with InvalidArgumentError naming the op when a tensor holds NaN or Inf."""
from flowgraph.framework.graph import get_default_graph
from flowgraph.framework.op_registry import REQUIRED, OpDef, apply_op, convert_to_tensor
from flowgraph.ops import array_ops, shape_rules

__all__ = ["check_numerics", "add_check_numerics_ops", "verify_tensor_all_finite"]

# The gradient is checked too, so a NaN born in backprop is caught where it appears (as TF does).
OpDef("CheckNumerics", inputs=("tensor",), attrs={"message": REQUIRED}, shape=shape_rules.same_as_input,
      grad=lambda op, dy: [check_numerics(dy, "Not a number (NaN) or infinity (Inf) values detected in gradient. "
                                              + op.get_attr("message"))])


def check_numerics(tensor, message, name=None):
    """`tensor` unchanged; running it raises InvalidArgumentError if it holds NaN or Inf."""
    tensor = convert_to_tensor(tensor)
    if not tensor.dtype.is_floating:
        raise TypeError("check_numerics needs a floating-point tensor, got %s of dtype %s"
                        % (tensor.name, tensor.dtype.name))
    return apply_op("CheckNumerics", (tensor,), {"message": str(message)}, name=name or "CheckNumerics")


verify_tensor_all_finite = check_numerics


def add_check_numerics_ops():
    """One op that checks every floating-point tensor of the default graph built so far."""
    graph = get_default_graph()
    checks = []
    for op in graph.get_operations():
        if op.type == "CheckNumerics":
            continue
        for t in op.outputs:
            if t.dtype.is_floating:
                with graph.control_dependencies(checks[-1:]):
                    checks.append(check_numerics(t, "%s : %s" % (op.name, t.name)).op)
    return array_ops.group(*checks, name="CheckNumerics_all")
