"""Fused optimizer updates: one op per (optimizer, variable) that rewrites the variable and its slots at once.

Each op takes the variable and its slot variables as ref inputs (its kernel replaces their values), then
scalar hyperparameters and the gradient; its output is the variable's new value. TF's op names, input names
and attrs, so graphs read as TF1's do (`Adam/update_w/ApplyAdam`).
"""
from flowgraph.framework import dtypes
from flowgraph.framework.op_registry import NOT_DIFFERENTIABLE, OpDef, apply_op, convert_to_tensor

__all__ = ["apply_gradient_descent", "apply_momentum", "apply_adagrad", "apply_adadelta", "apply_rms_prop",
           "apply_centered_rms_prop", "apply_adam"]

FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


def _update_shape_rule(scalars):
    """Slots and the gradient have the variable's shape; hyperparameters (`scalars`) are scalars."""
    def rule(op):
        shape = op.inputs[0].shape
        for name, t in zip(op.op_def.input_names[1:], op.inputs[1:]):
            if name in scalars:
                if t.shape.rank not in (None, 0):
                    raise ValueError("Shape must be rank 0 but is rank %d: %s (%s) of %s must be a scalar"
                                     % (t.shape.rank, name, t.name, op.type))
            elif not shape.is_compatible_with(t.shape):
                raise ValueError("Shapes must be equal, but are %s and %s: %s (%s) must have the shape of "
                                 "variable %s" % (shape.as_proto_list(), t.shape.as_proto_list(), name, t.name,
                                                  op.inputs[0].op.name))
            else:
                shape = shape.merge_with(t.shape)
        return shape
    return rule


def _declare(type_name, inputs, num_refs, attrs=None):
    """An Apply* op: the first `num_refs` inputs are the variable and its slots; after them all but the
    gradient (`grad`, or `delta` for plain descent) are scalar hyperparameters. Input order is TF's."""
    scalars = frozenset(inputs[num_refs:]) - {"grad", "delta"}
    OpDef(type_name, inputs=inputs, attrs=dict({"use_locking": False}, **(attrs or {})),
          ref_inputs=tuple(range(num_refs)), same_dtype=inputs, allowed=FLOATS, shape=_update_shape_rule(scalars),
          grad=NOT_DIFFERENTIABLE)


_declare("ApplyGradientDescent", ("var", "alpha", "delta"), 1)
_declare("ApplyMomentum", ("var", "accum", "lr", "grad", "momentum"), 2, {"use_nesterov": False})
_declare("ApplyAdagrad", ("var", "accum", "lr", "grad"), 2, {"update_slots": True})
_declare("ApplyAdadelta", ("var", "accum", "accum_update", "lr", "rho", "epsilon", "grad"), 3)
_declare("ApplyRMSProp", ("var", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad"), 3)
_declare("ApplyCenteredRMSProp", ("var", "mg", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad"), 4)
_declare("ApplyAdam", ("var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"), 3,
         {"use_nesterov": False})


def _variable_output(var):
    """The variable op's output (what ref inputs take) for a Variable or that output itself."""
    ref = getattr(var, "_ref", None)
    return ref() if ref is not None else var


def _apply(type_name, refs, values, attrs, name):
    """Apply `type_name` to the variables `refs` and the tensors or Python numbers `values` (in TF's order)."""
    refs = [_variable_output(r) for r in refs]
    dtype = refs[0].dtype.base_dtype
    values = [convert_to_tensor(v, dtype=dtype) for v in values]
    return apply_op(type_name, refs + values, attrs, name=name or type_name)


def apply_gradient_descent(var, alpha, delta, use_locking=False, name=None):
    """var -= alpha * delta."""
    return _apply("ApplyGradientDescent", [var], [alpha, delta], {"use_locking": use_locking}, name)


def apply_momentum(var, accum, lr, grad, momentum, use_locking=False, use_nesterov=False, name=None):
    """accum = accum * momentum + grad; var -= lr * accum (Nesterov: lr * (grad + momentum * accum))."""
    return _apply("ApplyMomentum", [var, accum], [lr, grad, momentum],
                  {"use_locking": use_locking, "use_nesterov": use_nesterov}, name)


def apply_adagrad(var, accum, lr, grad, use_locking=False, update_slots=True, name=None):
    """accum += grad^2; var -= lr * grad / sqrt(accum)."""
    return _apply("ApplyAdagrad", [var, accum], [lr, grad],
                  {"use_locking": use_locking, "update_slots": update_slots}, name)


def apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, use_locking=False, name=None):
    """Zeiler's Adadelta: the step is grad scaled by RMS(past steps) / RMS(past gradients), times lr."""
    return _apply("ApplyAdadelta", [var, accum, accum_update], [lr, rho, epsilon, grad],
                  {"use_locking": use_locking}, name)


def apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, use_locking=False, name=None):
    """ms <- rho * ms + (1 - rho) * grad^2; mom <- momentum * mom + lr * grad / sqrt(ms + epsilon); var -= mom."""
    return _apply("ApplyRMSProp", [var, ms, mom], [lr, rho, momentum, epsilon, grad],
                  {"use_locking": use_locking}, name)


def apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, use_locking=False, name=None):
    """RMSProp normalized by the gradient's estimated variance, ms - mg^2, instead of its second moment."""
    return _apply("ApplyCenteredRMSProp", [var, mg, ms, mom], [lr, rho, momentum, epsilon, grad],
                  {"use_locking": use_locking}, name)


def apply_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_locking=False,
               use_nesterov=False, name=None):
    """Adam with bias correction folded into the step size: lr * sqrt(1 - beta2^t) / (1 - beta1^t).

    With `use_nesterov` the step uses beta1 * m + (1 - beta1) * grad for m (tf.contrib.opt's Nadam).
    """
    return _apply("ApplyAdam", [var, m, v], [beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad],
                  {"use_locking": use_locking, "use_nesterov": use_nesterov}, name)
