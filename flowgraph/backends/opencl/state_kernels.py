"""OpenCL kernels of the variable ops and the fused optimizer updates: all update the variable's buffer (and
its slots') in place, in one generated kernel that also computes the update's elementwise inputs."""
from flowgraph.backends.opencl import opencl_kernel


@opencl_kernel("Assign", raw_inputs=True)
def _assign(k):
    value = k.inputs[0]
    target = k.variable(0, shape=value.shape, must_exist=False)
    k.set_output(0, k.elementwise(value.shape, [value], [(target, target.dtype)], "y0 = {0};")[0])


def _update(expression):
    def kernel(k):
        target = k.variable(0)
        k.set_output(0, k.elementwise(target.shape, [target, k.inputs[0]], [(target, target.dtype)],
                                      "y0 = %s;" % expression)[0])
    return kernel


opencl_kernel("AssignAdd", raw_inputs=True)(_update("{0} + {1}"))
opencl_kernel("AssignSub", raw_inputs=True)(_update("{0} - {1}"))


@opencl_kernel("IsVariableInitialized")
def _is_initialized(k):
    cell = k.builder.store.cell(k.op._inputs[0]._op)
    k.host_output(0, lambda: cell.value is not None)


@opencl_kernel("InitializedValue")
def _initialized_value(k):
    """The variable's value if it has one when the run starts, else the default (a plan made while the
    variable was unset is remade once it is set)."""
    cell = k.builder.store.cell(k.op._inputs[0]._op)
    default = k.inputs[0]
    if k.builder.cell_values.get(cell) is None and k.builder.device_array_of(cell) is None:
        k.builder.cell_checks.append((cell, None))
        k.alias(0, default)
        return
    current = k.variable(0, shape=default.shape)
    k.builder.copy(current, k.output(0))


# ---- optimizer updates: the numpy kernels' formulas, in their order of operations ---------------------------

def _apply(body, num_slots):
    """An Apply* op: `body` reads the variable and its slots as {0}..{num_slots}, then the op's other inputs in
    order, and assigns the new values of the variable and slots to y0, y1, ... ({T}: the variable's C type)."""
    def kernel(k):
        targets = [k.variable(i) for i in range(num_slots + 1)]
        outs = k.elementwise(targets[0].shape, targets + list(k.inputs), [(t, t.dtype) for t in targets], body)
        k.set_output(0, outs[0])
    return kernel


# var, alpha, delta
opencl_kernel("ApplyGradientDescent", raw_inputs=True)(_apply("y0 = {0} - {2} * {1};", 0))

# var, accum, lr, grad, momentum
_MOMENTUM = "const {T} accum_new = {1} * {4} + {3};\ny1 = accum_new;\ny0 = {0} - (%s);"
_momentum = _apply(_MOMENTUM % "accum_new * {2}", 1)
_nesterov_momentum = _apply(_MOMENTUM % "{3} * {2} + accum_new * {4} * {2}", 1)
opencl_kernel("ApplyMomentum", raw_inputs=True)(
    lambda k: (_nesterov_momentum if k.attr("use_nesterov") else _momentum)(k))

# var, accum, lr, grad
_ADAGRAD = "const {T} accum_new = %s;\ny1 = accum_new;\ny0 = {0} - {3} / sqrt(accum_new) * {2};"
_adagrad = _apply(_ADAGRAD % "{3} * {3} + {1}", 1)
_adagrad_fixed_slots = _apply(_ADAGRAD % "{1}", 1)
opencl_kernel("ApplyAdagrad", raw_inputs=True)(
    lambda k: (_adagrad if k.attr("update_slots") else _adagrad_fixed_slots)(k))

# var, accum, accum_update, lr, rho, epsilon, grad
opencl_kernel("ApplyAdadelta", raw_inputs=True)(_apply(
    "const {T} accum_new = {1} * {4} + {6} * {6} * (({T})1 - {4});\n"
    "const {T} update = sqrt({2} + {5}) / sqrt(accum_new + {5}) * {6};\n"
    "y1 = accum_new;\ny2 = {2} * {4} + update * update * (({T})1 - {4});\ny0 = {0} - update * {3};", 2))

# var, ms, mom, lr, rho, momentum, epsilon, grad
opencl_kernel("ApplyRMSProp", raw_inputs=True)(_apply(
    "const {T} ms_new = ({7} * {7} - {1}) * (({T})1 - {4}) + {1};\n"
    "const {T} mom_new = {3} * {7} / sqrt(ms_new + {6}) + {2} * {5};\n"
    "y1 = ms_new; y2 = mom_new;\ny0 = {0} - mom_new;", 2))

# var, mg, ms, mom, lr, rho, momentum, epsilon, grad
opencl_kernel("ApplyCenteredRMSProp", raw_inputs=True)(_apply(
    "const {T} ms_new = ({8} * {8} - {2}) * (({T})1 - {5}) + {2};\n"
    "const {T} mg_new = ({8} - {1}) * (({T})1 - {5}) + {1};\n"
    "const {T} mom_new = {4} * {8} / sqrt(ms_new - mg_new * mg_new + {7}) + {3} * {6};\n"
    "y1 = mg_new; y2 = ms_new; y3 = mom_new;\ny0 = {0} - mom_new;", 3))

# var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad
_ADAM = ("const {T} lr_t = {5} * sqrt(({T})1 - {4}) / (({T})1 - {3});\n"
         "const {T} m_new = ({9} - {1}) * (({T})1 - {6}) + {1};\n"
         "const {T} v_new = ({9} * {9} - {2}) * (({T})1 - {7}) + {2};\n"
         "y1 = m_new; y2 = v_new;\ny0 = {0} - (%s) / (sqrt(v_new) + {8}) * lr_t;")
_adam = _apply(_ADAM % "m_new", 2)
_nesterov_adam = _apply(_ADAM % "m_new * {6} + {9} * (({T})1 - {6})", 2)
opencl_kernel("ApplyAdam", raw_inputs=True)(lambda k: (_nesterov_adam if k.attr("use_nesterov") else _adam)(k))
