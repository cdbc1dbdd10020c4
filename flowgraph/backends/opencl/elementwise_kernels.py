"""OpenCL expressions of the elementwise ops, as the numpy kernels compute them (NaN propagates the same way).

`{0}`, `{1}`, ... are the inputs (broadcast), `{T}` the output's C type. A dict keys expressions by the first
input's dtype kind ('f' float, 'iu' integer, 'b' bool); kinds left out run on the host.

Integer FloorDiv and FloorMod round toward minus infinity, as Python. A divisor known on the host (a constant
or a feed) is checked there and raises on zero as numpy does; one computed on the device cannot raise, so a
zero divisor gives 0 there (TF's GPU kernels leave it undefined).
"""
from flowgraph.backends.numpy.math_kernels import check_integer_divisor
from flowgraph.backends.opencl import elementwise, opencl_kernel

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717

FLOAT = "f"
NUMBER = ("f", "iu")


def _kinds(kinds, expression):
    return {kind: expression for kind in kinds}


def _literal(value):
    """A C literal in the output type: Python floats are applied in the array's dtype, as numpy does."""
    return "({T})%r" % float(value)


for _name, _expression in {
        "AddV2": "{0} + {1}", "Sub": "{0} - {1}", "Mul": "{0} * {1}", "SquaredDifference": "({0} - {1}) * ({0} - {1})",
        "Equal": "{0} == {1}", "NotEqual": "{0} != {1}", "Less": "{0} < {1}", "LessEqual": "{0} <= {1}",
        "Greater": "{0} > {1}", "GreaterEqual": "{0} >= {1}", "LogicalAnd": "{0} && {1}", "LogicalOr": "{0} || {1}",
        "LogicalNot": "!{0}", "SelectV2": "{0} ? {1} : {2}", "CondSelect": "{0} ? {1} : {2}",
        "Square": "{0} * {0}", "Neg": "-{0}",
        "ZerosLike": "({T})0", "OnesLike": "({T})1",
        "Relu": "{0} < 0 ? ({T})0 : {0}", "ReluGrad": "{1} > 0 ? {0} : ({T})0",
        "Relu6": "{0} < 0 ? ({T})0 : ({0} > 6 ? ({T})6 : {0})",
        "Relu6Grad": "({1} > 0 && {1} < 6) ? {0} : ({T})0"}.items():
    elementwise(_name, _expression)

for _name, _expression in {
        "RealDiv": "{0} / {1}", "Pow": "pow({0}, {1})", "DivNoNan": "{1} == 0 ? ({T})0 : {0} / {1}",
        "Sqrt": "sqrt({0})", "Rsqrt": "({T})1 / sqrt({0})", "Reciprocal": "({T})1 / {0}", "Exp": "exp({0})",
        "Expm1": "expm1({0})", "Log": "log({0})", "Log1p": "log1p({0})", "Sin": "sin({0})", "Cos": "cos({0})",
        "Tan": "tan({0})", "Tanh": "tanh({0})", "Erf": "erf({0})", "Floor": "floor({0})", "Ceil": "ceil({0})",
        "IsNan": "isnan({0})", "IsInf": "isinf({0})", "IsFinite": "isfinite({0})",
        "Sigmoid": "{0} >= 0 ? ({T})1 / (({T})1 + exp(-{0})) : exp({0}) / (({T})1 + exp({0}))",
        "Softplus": "fmax({0}, ({T})0) + log1p(exp(-fabs({0})))", "Softsign": "{0} / (({T})1 + fabs({0}))",
        "Elu": "{0} > 0 ? {0} : expm1({0})", "EluGrad": "{1} < 0 ? {0} * ({1} + ({T})1) : {0}",
        "Selu": _literal(SELU_SCALE) + " * ({0} > 0 ? {0} : " + _literal(SELU_ALPHA) + " * expm1({0}))",
        "SeluGrad": "{1} < 0 ? {0} * ({1} + " + _literal(SELU_SCALE * SELU_ALPHA) + ") : {0} * " + _literal(SELU_SCALE),
        }.items():
    elementwise(_name, {FLOAT: _expression})

elementwise("Maximum", {"f": "(isnan({0}) || {0} > {1}) ? {0} : {1}", "iu": "max({0}, {1})"})
elementwise("Minimum", {"f": "(isnan({0}) || {0} < {1}) ? {0} : {1}", "iu": "min({0}, {1})"})
elementwise("Abs", {"f": "fabs({0})", "iu": "({T})abs({0})"})
elementwise("Sign", {"f": "{0} > 0 ? ({T})1 : ({0} < 0 ? ({T})-1 : {0})", "iu": "({0} > 0) - ({0} < 0)"})
elementwise("Round", {"f": "rint({0})", "iu": "{0}"})
elementwise("LeakyRelu", lambda op: _kinds(NUMBER, "{0} > 0 ? {0} : %s * {0}" % _literal(op.get_attr("alpha"))))
elementwise("LeakyReluGrad", lambda op: _kinds(NUMBER, "{1} > 0 ? {0} : %s * {0}" % _literal(op.get_attr("alpha"))))
elementwise("AddN", lambda op: " + ".join("{%d}" % i for i in range(len(op.inputs))))


# Guarded: x86 traps on an integer division by zero and on the smallest integer divided by -1 (which wraps).
FLOOR_DIVISION = {
    "FloorDiv": {"f": "floor({0} / {1})",
                 "iu": "{1} == 0 ? ({T})0 : ({1} == -1 ? ({T})(0 - {0}) : "
                       "({T})({0} / {1} - ({0} % {1} != 0 && (({0} < 0) != ({1} < 0)))))"},
    "FloorMod": {"f": "(fmod({0}, {1}) != 0 && ((fmod({0}, {1}) < 0) != ({1} < 0))) ? fmod({0}, {1}) + {1} "
                      ": fmod({0}, {1})",
                 "iu": "({1} == 0 || {1} == -1) ? ({T})0 : "
                       "({T})({0} % {1} + (({0} % {1} != 0 && (({0} % {1} < 0) != ({1} < 0))) ? {1} : 0))"},
}


def _floor_division(expressions):
    """An integer divisor known on the host is checked for zeros as numpy does, then the op fuses like any
    elementwise op."""
    def kernel(k):
        x, y = k.inputs
        if x.dtype.kind in "iu":
            k.check_on_host(1, check_integer_divisor)
        k.pending_output(0, expressions["f" if x.dtype.kind == "f" else "iu"], [x, y])
    return kernel


for _name, _expressions in FLOOR_DIVISION.items():
    opencl_kernel(_name, raw_inputs=True)(_floor_division(_expressions))


def _cast(op):
    """C conversions, as the numpy kernel: floats truncate toward zero; to bool is `!= 0`."""
    return "{0} != 0" if op.get_attr("DstT").is_bool else "({T})({0})"


elementwise("Cast", _cast)
