"""OpenCL kernels of the math ops: matmul, reductions (and the reductions of gradients: SumToShape,
BiasAddGrad, L2Loss), running sums, select and bias_add."""
import numpy as np

from flowgraph.backends.opencl import opencl_kernel
from opencl import gemm, reduce, scan
from opencl.source import c_type

_LIMITS = {"float": ("-INFINITY", "INFINITY"), "double": ("-INFINITY", "INFINITY"), "int": ("INT_MIN", "INT_MAX"),
           "long": ("LONG_MIN", "LONG_MAX"), "char": ("CHAR_MIN", "CHAR_MAX"), "short": ("SHRT_MIN", "SHRT_MAX"),
           "uchar": ("0", "UCHAR_MAX"), "ushort": ("0", "USHRT_MAX")}


def _extremum(greater):
    """Max (greater) or Min: NaN wins, as numpy's max and min."""
    op = ">" if greater else "<"
    return {"f": "(isnan(a) || a %s b) ? a : b" % op, "iu": ("max(a, b)" if greater else "min(a, b)")}


REDUCTIONS = {
    "Sum": ("0", "a + b", "x", "a"),
    "Mean": ("0", "a + b", "x", "a / scale"),
    "Prod": ("1", "a * b", "x", "a"),
    "Max": ("lowest", _extremum(True), "x", "a"),
    "Min": ("highest", _extremum(False), "x", "a"),
    "Any": ("0", "a || b", "x", "a"),
    "All": ("1", "a && b", "x", "a"),
    "L2Loss": ("0", "a + b", "x * x", "a * scale"),
}


def _reduction(type_name, dtype):
    init, combine, map_expr, finish = REDUCTIONS[type_name]
    ctype = c_type(dtype)
    if init in ("lowest", "highest"):
        init = _LIMITS[ctype][0 if init == "lowest" else 1]
    if isinstance(combine, dict):
        combine = combine["f" if dtype.kind == "f" else "iu"]
    return reduce.Reduction(init, combine, map_expr, finish)


def reduction_passes(shape, axes):
    """[(outer, length, inner)] reducing `axes` of `shape`, innermost run of axes first; the input of each pass
    is the output of the one before."""
    runs = []  # [reduced?, size] with size-1 axes dropped and neighbours of one kind merged
    for axis, size in enumerate(shape):
        if size == 1:
            continue
        reduced = axis in axes
        if runs and runs[-1][0] == reduced:
            runs[-1][1] *= size
        else:
            runs.append([reduced, size])
    passes = []
    while any(r for r, _ in runs):
        at = max(i for i, (r, _) in enumerate(runs) if r)
        outer = int(np.prod([s for _, s in runs[:at]], dtype=np.int64))
        inner = int(np.prod([s for _, s in runs[at + 1:]], dtype=np.int64))
        passes.append((outer, runs[at][1], inner))
        del runs[at]
    return passes


def emit_reduction(k, type_name, x, out, axes, scale=1, acc_dtype=None):
    """Reduce the device value `x` over `axes` into the Value `out`, in as many passes as separate runs of axes."""
    acc_dtype = np.dtype(acc_dtype or out.dtype)
    reduction = _reduction(type_name, x.dtype)
    passes = reduction_passes(x.shape, set(axes))
    if not passes:  # nothing to reduce (size-1 axes): map and finish each element
        passes = [(x.size, 1, 1)]
    source, source_dtype = x, x.dtype
    for i, (outer, length, inner) in enumerate(passes):
        last = i == len(passes) - 1
        if last:
            target, target_dtype = out, out.dtype
        else:
            target, target_dtype = k.scratch(outer * inner * acc_dtype.itemsize), acc_dtype
        k.launch(reduce.reduce_launches(reduction, source_dtype, target_dtype, acc_dtype, source, target, outer,
                                        length, inner, scale, k.scratch, first=i == 0, last=last,
                                        max_items=k.builder.plan.max_items))
        source, source_dtype = target, acc_dtype


def around_axis(shape, axis):
    """(outer, length, inner): `shape` seen as three axes around `axis`, as the row kernels take it."""
    axis %= len(shape)
    return (int(np.prod(shape[:axis], dtype=np.int64)), int(shape[axis]),
            int(np.prod(shape[axis + 1:], dtype=np.int64)))


def _reduced_axes(k):
    axis = k.attr("axis")
    return range(len(k.inputs[0].shape)) if axis is None else [a % len(k.inputs[0].shape) for a in axis]


def _count(shape, axes):
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _reduce_op(type_name):
    def kernel(k):
        x = k.inputs[0]
        axes = list(_reduced_axes(k))
        count = _count(x.shape, axes)
        if type_name == "Mean" and x.dtype.kind in "iu" and count == 0:
            k.decline("integer mean of an empty axis")
        acc = np.int32 if x.dtype == np.bool_ else None
        emit_reduction(k, type_name, x, k.output(0), axes, scale=count if type_name == "Mean" else 1, acc_dtype=acc)
    return kernel


for _name in ("Sum", "Mean", "Prod", "Max", "Min", "Any", "All"):
    opencl_kernel(_name)(_reduce_op(_name))


@opencl_kernel("L2Loss")
def _l2_loss(k):
    x = k.inputs[0]
    emit_reduction(k, "L2Loss", x, k.output(0), range(len(x.shape)), scale=0.5)


@opencl_kernel("ReductionGrad", raw_inputs=True)
def _reduction_grad(k):
    """dy broadcast back over the reduced axes (divided by their size for a mean), fused with dy's producer."""
    dy, shape = k.inputs[0], k.shapes[0]
    axes = range(len(shape)) if k.attr("axis") is None else [a % len(shape) for a in k.attr("axis")]
    if k.attr("mean") and dy.dtype.kind != "f":
        k.decline("the mean gradient of integers")
    kept = tuple(1 if i in axes else d for i, d in enumerate(shape))
    dy = k.view(dy, kept) if dy.shape != kept else dy
    if k.attr("mean"):
        k.pending_output(0, "{0} / {1}", [dy, k.constant(np.asarray(max(_count(shape, axes), 1), dy.dtype))])
    else:
        k.pending_output(0, "{0}", [dy])


@opencl_kernel("SumToShape")
def _sum_to_shape(k):
    x, target = k.inputs[0], k.shapes[0]
    lead = len(x.shape) - len(target)
    axes = list(range(lead)) + [i + lead for i, d in enumerate(target) if d == 1 and x.shape[i + lead] != 1]
    if not axes:
        k.alias(0, x)
        return
    emit_reduction(k, "Sum", x, k.output(0), axes)


@opencl_kernel("BiasAddGrad")
def _bias_add_grad(k):
    dy = k.inputs[0]
    channel = 1 if k.attr("data_format").startswith("NC") else len(dy.shape) - 1
    emit_reduction(k, "Sum", dy, k.output(0), [a for a in range(len(dy.shape)) if a != channel])


def _arg_reduce(greater):
    op = ">" if greater else "<"
    better = {"f": "v %s best || (isnan(v) && !isnan(best))" % op, "iu": "v %s best" % op}

    def kernel(k):
        x = k.inputs[0]
        outer, length, inner = around_axis(x.shape, k.attr("axis"))
        if length == 0:
            k.decline("arg reduction over an empty axis")
        k.launch(reduce.arg_reduce_launch(better["f" if x.dtype.kind == "f" else "iu"], x.dtype, k.dtypes[0], x,
                                          k.output(0), outer, length, inner))
    return kernel


opencl_kernel("ArgMax")(_arg_reduce(True))
opencl_kernel("ArgMin")(_arg_reduce(False))


@opencl_kernel("Cumsum")
def _cumsum(k):
    x = k.inputs[0]
    outer, length, inner = around_axis(x.shape, k.attr("axis"))
    k.launch(scan.cumsum(x.dtype, x, k.output(0), outer, length, inner, k.attr("exclusive"), k.attr("reverse")))


@opencl_kernel("MatMul")
def _matmul(k):
    a, b = k.inputs
    ta, tb = k.attr("transpose_a"), k.attr("transpose_b")
    out = k.output(0)
    m, n = out.shape[-2:]
    depth = a.shape[-2] if ta else a.shape[-1]
    batch = out.shape[:-2]
    a_strides = (1, m) if ta else (depth, 1)
    b_strides = (1, depth) if tb else (n, 1)
    k.launch(gemm.matmul_launches(a.dtype, a, b, out, m, n, depth, a_strides, b_strides,
                                  _batch_offsets(a.shape, batch), _batch_offsets(b.shape, batch), k.scratch))


def _batch_offsets(shape, batch):
    """The element offset of each matrix of a [..., r, c] operand, for every index of the broadcast `batch`."""
    own = tuple(shape[:-2])
    step = int(shape[-2]) * int(shape[-1])
    first = np.arange(int(np.prod(own, dtype=np.int64)), dtype=np.int64).reshape(own) * step
    return np.broadcast_to(first, tuple(batch)).astype(np.int32).ravel()


@opencl_kernel("Select", raw_inputs=True)
def _select(k):
    condition, t, e = k.inputs
    if len(condition.shape) == 1 and len(t.shape) > 1:  # a vector condition picks whole rows
        condition = k.view(condition, condition.shape + (1,) * (len(t.shape) - 1))
    k.pending_output(0, "{0} ? {1} : {2}", [condition, t, e])


@opencl_kernel("BiasAdd", raw_inputs=True)
def _bias_add(k):
    value, bias = k.inputs
    if k.attr("data_format").startswith("NC") and len(value.shape) > 2:
        bias = k.view(bias, bias.shape + (1,) * (len(value.shape) - 2))
    k.pending_output(0, "{0} + {1}", [value, bias])
