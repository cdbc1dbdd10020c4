"""Array ops: constants, placeholders, identity, shapes, reshaping, joining and splitting, padding, tiling.

Shape-like arguments (reshape's shape, fill's dims, slice begin/size, tile's multiples, paddings, perm) are
input tensors as in TF, read at build time through `constant_value` for static shapes; axes are attrs.
Slicing, gathering and one-hot live in indexing_ops; ranges and sequence ops in sequence_ops.
"""
import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.graph import Tensor, control_dependencies, name_scope
from flowgraph.framework.op_registry import (NOT_DIFFERENTIABLE, REQUIRED, OpDef, apply_op, constant,
                                             constant_value, constant_value_as_shape, convert_to_tensor)
from flowgraph.framework.shapes import TensorShape
from flowgraph.ops import shape_rules

__all__ = ["constant", "placeholder", "placeholder_with_default", "identity", "identity_n", "stop_gradient",
           "no_op", "group", "tuple", "shape", "shape_n", "size", "rank", "reshape", "fill", "zeros", "ones",
           "zeros_like", "ones_like", "convert_to_tensor", "stack", "unstack", "boolean_mask", "transpose",
           "invert_permutation", "expand_dims", "squeeze", "concat", "split", "tile", "pad", "reverse",
           "reverse_v2"]

_python_tuple = tuple
# Constants up to this many elements are stored in the graph; larger zeros/ones are Fill ops (as TF).
_SMALL_CONSTANT = 1000

# ---- declarations: sources, identity, shapes ---------------------------------------------------------------

OpDef("Const", attrs={"value": REQUIRED, "dtype": REQUIRED},
      shape=lambda op: TensorShape(np.shape(op.get_attr("value"))), grad=NOT_DIFFERENTIABLE)

OpDef("Placeholder", attrs={"dtype": REQUIRED, "shape": None},
      shape=lambda op: TensorShape(op.get_attr("shape")), grad=NOT_DIFFERENTIABLE)

OpDef("PlaceholderWithDefault", inputs=("input",), attrs={"shape": None},
      shape=lambda op: op.inputs[0].shape.merge_with(TensorShape(op.get_attr("shape"))),
      grad=lambda op, dy: [dy])

OpDef("Identity", inputs=("input",), shape=shape_rules.same_as_input, grad=lambda op, dy: [dy])

OpDef("IdentityN", inputs=("*input",), shape=lambda op: [t.shape for t in op.inputs],
      dtype=lambda op: [t.dtype for t in op.inputs], num_outputs="list", grad=lambda op, *dys: list(dys))

OpDef("StopGradient", inputs=("input",), shape=shape_rules.same_as_input, grad=NOT_DIFFERENTIABLE)

OpDef("NoOp", num_outputs=0, grad=NOT_DIFFERENTIABLE)


def _out_type(op):
    return dtypes.as_dtype(op.get_attr("out_type"))


def _shape_fold(op):
    static = op.inputs[0].shape
    if not static.is_fully_defined():
        return None
    return np.array(static.as_list(), dtype=_out_type(op).as_numpy_dtype)


OpDef("Shape", inputs=("input",), attrs={"out_type": dtypes.int32},
      shape=lambda op: TensorShape([op.inputs[0].shape.rank]), dtype=_out_type, grad=NOT_DIFFERENTIABLE,
      fold=_shape_fold)

OpDef("ShapeN", inputs=("*input",), attrs={"out_type": dtypes.int32},
      shape=lambda op: [TensorShape([t.shape.rank]) for t in op.inputs], dtype=_out_type, num_outputs="list",
      grad=NOT_DIFFERENTIABLE)


def _size_fold(op):
    count = op.inputs[0].shape.num_elements()
    return None if count is None else np.array(count, dtype=_out_type(op).as_numpy_dtype)


OpDef("Size", inputs=("input",), attrs={"out_type": dtypes.int32}, shape=shape_rules.scalar, dtype=_out_type,
      grad=NOT_DIFFERENTIABLE, fold=_size_fold)


def _rank_fold(op):
    rank_ = op.inputs[0].shape.rank
    return None if rank_ is None else np.array(rank_, dtype=np.int32)


OpDef("Rank", inputs=("input",), shape=shape_rules.scalar, dtype=lambda op: dtypes.int32,
      grad=NOT_DIFFERENTIABLE, fold=_rank_fold)

# ---- declarations: reshaping -------------------------------------------------------------------------------


def _reshape_shape(op):
    x = op.inputs[0].shape
    target = constant_value_as_shape(op.inputs[1])
    if target.rank is None:
        return target
    dims = target.as_list()
    requested = constant_value(op.inputs[1])
    wildcard = [] if requested is None else list(np.flatnonzero(np.reshape(requested, [-1]) == -1))
    if len(wildcard) > 1:
        raise ValueError("Reshape: only one input size may be -1, not both %d and %d" % _python_tuple(wildcard[:2]))
    known = 1
    for d in dims:
        if d is not None:
            known *= d
    total = x.num_elements()
    if total is not None and None not in dims and known != total:
        raise ValueError("Cannot reshape a tensor with %d elements to shape %s (%d elements)"
                         % (total, target.as_proto_list(), known))
    if total is not None and wildcard and dims.count(None) == 1:
        if known == 0 or total % known:
            raise ValueError("Reshape cannot infer the missing input size for an empty tensor unless all "
                             "specified input sizes are non-zero" if known == 0 else
                             "Input to reshape is a tensor with %d values, but the requested shape requires a "
                             "multiple of %d" % (total, known))
        dims[wildcard[0]] = total // known
    return TensorShape(dims)


OpDef("Reshape", inputs=("tensor", "shape"), shape=_reshape_shape, host_inputs=(1,),
      grad=lambda op, dy: [reshape(dy, shape(op.inputs[0])), None])


def _fill_shape(op):
    return constant_value_as_shape(op.inputs[0])


OpDef("Fill", inputs=("dims", "value"), shape=_fill_shape, dtype=lambda op: op.inputs[1].dtype, host_inputs=(0,),
      grad=lambda op, dy: [None, _math().reduce_sum(dy)])


def _transpose_shape(op):
    x = op.inputs[0].shape
    perm = constant_value(op.inputs[1])
    if perm is None:
        length = op.inputs[1].shape[0] if op.inputs[1].shape.rank == 1 else None
        return TensorShape(None if x.rank is None and length is None else [None] * (x.rank or length))
    perm = [int(p) for p in np.reshape(perm, [-1])]
    if x.rank is not None and len(perm) != x.rank:
        raise ValueError("Dimension must be %d but is %d" % (x.rank, len(perm)))
    if sorted(perm) != list(range(len(perm))):
        raise ValueError("transpose: perm %s is not a permutation of 0..%d" % (perm, len(perm) - 1))
    return TensorShape([None] * len(perm) if x.rank is None else [x[p] for p in perm])


OpDef("Transpose", inputs=("x", "perm"), shape=_transpose_shape, host_inputs=(1,),
      grad=lambda op, dy: [transpose(dy, invert_permutation(op.inputs[1])), None])

OpDef("InvertPermutation", inputs=("x",), shape=shape_rules.same_as_input,
      allowed=(dtypes.int32, dtypes.int64), grad=NOT_DIFFERENTIABLE)


def _expand_dims_shape(op):
    x = op.inputs[0].shape
    axis = op.get_attr("axis")
    if x.rank is None:
        return TensorShape(None)
    if not -x.rank - 1 <= axis <= x.rank:
        raise ValueError("dim %d not in the interval [%d, %d]." % (axis, -x.rank - 1, x.rank))
    axis = axis % (x.rank + 1)
    dims = x.as_list()
    return TensorShape(dims[:axis] + [1] + dims[axis:])


def _reshape_like_input(op, dy):
    """The gradient of ops that only change the shape: dy back in the input's shape."""
    x = op.inputs[0]
    target = x.shape.as_list() if x.shape.is_fully_defined() else shape(x)
    return [reshape(dy, target)] + [None] * (len(op.inputs) - 1)


OpDef("ExpandDims", inputs=("input",), attrs={"axis": REQUIRED}, shape=_expand_dims_shape, grad=_reshape_like_input)


def _squeeze_shape(op):
    x = op.inputs[0].shape
    axes = op.get_attr("squeeze_dims")
    if x.rank is None:
        return TensorShape(None)
    if not axes:
        if None in x.dims:
            return TensorShape(None)  # an unknown dim may or may not be 1
        return TensorShape([d for d in x.dims if d != 1])
    axes = {shape_rules.normalize_axis(a, x.rank, "Squeeze") for a in axes}
    for a in sorted(axes):
        if x[a] is not None and x[a] != 1:
            raise ValueError("Can not squeeze dim[%d], expected a dimension of 1, got %d" % (a, x[a]))
    return TensorShape([d for i, d in enumerate(x.dims) if i not in axes])


OpDef("Squeeze", inputs=("input",), attrs={"squeeze_dims": ()}, shape=_squeeze_shape, grad=_reshape_like_input)

# ---- declarations: joining and splitting -------------------------------------------------------------------


def _pack_shape(op):
    shape_ = op.inputs[0].shape
    for t in op.inputs[1:]:
        shape_ = shape_.merge_with(t.shape)
    if shape_.rank is None:
        return shape_
    axis = shape_rules.normalize_axis(op.get_attr("axis"), shape_.rank + 1, "Pack")
    dims = shape_.as_list()
    return TensorShape(dims[:axis] + [len(op.inputs)] + dims[axis:])


OpDef("Pack", inputs=("*values",), attrs={"axis": 0}, shape=_pack_shape, same_dtype=("values",),
      grad=lambda op, dy: unstack(dy, num=len(op.inputs), axis=op.get_attr("axis")))


def _unpack_shape(op):
    shape_ = op.inputs[0].shape
    if shape_.rank is None:
        return [TensorShape(None)] * op.get_attr("num")
    axis = shape_rules.normalize_axis(op.get_attr("axis"), shape_.rank, "Unpack")
    if shape_[axis] is not None and shape_[axis] != op.get_attr("num"):
        raise ValueError("Cannot unpack %d values from dimension %d of size %d"
                         % (op.get_attr("num"), axis, shape_[axis]))
    dims = shape_.as_list()
    return [TensorShape(dims[:axis] + dims[axis + 1:])] * op.get_attr("num")


OpDef("Unpack", inputs=("value",), attrs={"num": REQUIRED, "axis": 0}, shape=_unpack_shape, num_outputs="list",
      grad=lambda op, *dys: [stack(dys, axis=op.get_attr("axis"))])


def _concat_shape(op):
    shapes = [t.shape for t in op.inputs]
    known = [s for s in shapes if s.rank is not None]
    if not known:
        return TensorShape(None)
    rank_ = known[0].rank
    if rank_ == 0:
        raise ValueError("Can't concatenate scalars (use tf.stack instead)")
    axis = op.get_attr("axis")
    if not -rank_ <= axis < rank_:
        raise ValueError("ConcatV2: expected the axis in the range [%d, %d), but got %d" % (-rank_, rank_, axis))
    axis %= rank_
    dims, total = list(known[0].dims), 0
    for s in known:
        if s.rank != rank_:
            raise ValueError("Shape must be rank %d but is rank %d" % (rank_, s.rank))
        for i, d in enumerate(s.dims):
            if i == axis or d is None:
                continue
            if dims[i] is not None and dims[i] != d:
                raise ValueError("Dimension %d in both shapes must be equal, but are %d and %d. Shapes are %s and %s."
                                 % (i, dims[i], d, known[0].as_proto_list(), s.as_proto_list()))
            dims[i] = d
    for s in shapes:
        total = None if total is None or s.rank is None or s[axis] is None else total + s[axis]
    dims[axis] = total
    return TensorShape(dims)


def _concat_grad(op, dy):
    axis = op.get_attr("axis")
    return split(dy, [_dim(x, axis) for x in op.inputs], axis=axis, num=len(op.inputs))


OpDef("ConcatV2", inputs=("*values",), attrs={"axis": REQUIRED}, shape=_concat_shape, same_dtype=("values",),
      grad=_concat_grad)


def _split_shape(op):
    x, num, axis = op.inputs[0].shape, op.get_attr("num_split"), op.get_attr("axis")
    if x.rank is None:
        return [TensorShape(None)] * num
    axis = shape_rules.normalize_axis(axis, x.rank, "Split")
    dims = x.as_list()
    if dims[axis] is not None:
        if dims[axis] % num:
            raise ValueError("Dimension size must be evenly divisible by %d but is %d" % (num, dims[axis]))
        dims[axis] //= num
    return [TensorShape(dims)] * num


OpDef("Split", inputs=("value",), attrs={"num_split": REQUIRED, "axis": 0}, shape=_split_shape,
      num_outputs="list", grad=lambda op, *dys: [concat(list(dys), op.get_attr("axis"))])


def _split_v_shape(op):
    x, num, axis = op.inputs[0].shape, op.get_attr("num_split"), op.get_attr("axis")
    sizes = constant_value(op.inputs[1])
    if x.rank is None:
        return [TensorShape(None)] * num
    axis = shape_rules.normalize_axis(axis, x.rank, "SplitV")
    if sizes is None:
        return [TensorShape(x.dims[:axis] + [None] + x.dims[axis + 1:])] * num
    sizes = [int(s) for s in np.reshape(sizes, [-1])]
    if len(sizes) != num:
        raise ValueError("SplitV: num_split %d does not match the %d size_splits %s" % (num, len(sizes), sizes))
    sizes = _resolve_split_sizes(sizes, x[axis])
    return [TensorShape(x.dims[:axis] + [s] + x.dims[axis + 1:]) for s in sizes]


def _resolve_split_sizes(sizes, dim):
    """SplitV's sizes with the one -1 filled in (None when the dim is unknown); ValueError as TF's."""
    wildcards = [i for i, s in enumerate(sizes) if s == -1]
    for i, s in enumerate(sizes):
        if s < -1 or (s == -1 and len(wildcards) > 1 and i == wildcards[1]):
            raise ValueError("Split size at index %d must be >= 0. Got: %d" % (i, s))
    if dim is None:
        return [None if s == -1 else s for s in sizes]
    known = sum(s for s in sizes if s != -1)
    if (not wildcards and known != dim) or (wildcards and known > dim):
        raise ValueError("can't split axis of size %d into pieces of size [%s]" % (dim, ",".join(map(str, sizes))))
    return [dim - known if s == -1 else s for s in sizes]


OpDef("SplitV", inputs=("value", "size_splits"), attrs={"num_split": REQUIRED, "axis": 0}, shape=_split_v_shape,
      host_inputs=(1,), num_outputs="list",
      grad=lambda op, *dys: [concat(list(dys), op.get_attr("axis")), None])

# ---- declarations: slicing, tiling, padding, reversing -----------------------------------------------------


def _tile_shape(op):
    x = op.inputs[0].shape
    multiples = partial_values(op.inputs[1])
    length = op.inputs[1].shape[0] if op.inputs[1].shape.rank == 1 else None
    if x.rank is not None and length is not None and length != x.rank:
        raise ValueError("Tile: expected multiples to have length %d (the input rank), got length %d"
                         % (x.rank, length))
    if multiples is None:
        return TensorShape(None if x.rank is None and length is None else [None] * (x.rank or length))
    if any(m is not None and m < 0 for m in multiples):
        raise ValueError("Tile: expected multiples >= 0, got %s" % multiples)
    dims = x.dims if x.rank is not None else [None] * len(multiples)
    return TensorShape([None if d is None or m is None else d * m for d, m in zip(dims, multiples)])


def _tile_grad(op, dy):
    """Tile repeats x m times along each axis: view dy as [m0, d0, m1, d1, ...] and sum over the m axes."""
    x, multiples = op.inputs
    rank_ = x.shape.rank if x.shape.rank is not None else multiples.shape[0]
    if rank_ is None:
        raise ValueError("The gradient of Tile op '%s' needs the rank of its input to be known" % op.name)
    split_shape = reshape(transpose(stack([multiples, shape(x, out_type=multiples.dtype)])), [-1])
    grad = _math().reduce_sum(reshape(dy, split_shape), list(range(0, 2 * rank_, 2)))
    grad.set_shape(x.shape)
    return [grad, None]


OpDef("Tile", inputs=("input", "multiples"), shape=_tile_shape, host_inputs=(1,), grad=_tile_grad)


def _pad_shape(op):
    x = op.inputs[0].shape
    paddings_shape = op.inputs[1].shape
    if paddings_shape.rank is not None:
        if paddings_shape.rank != 2 or paddings_shape[1] not in (None, 2):
            raise ValueError("Paddings must have shape [rank, 2], got %s" % paddings_shape.as_proto_list())
        if x.rank is not None and paddings_shape[0] not in (None, x.rank):
            raise ValueError("The first dimension of paddings (%d) must be the rank of the input (%d)"
                             % (paddings_shape[0], x.rank))
    paddings = constant_value(op.inputs[1])
    rank_ = x.rank if x.rank is not None else paddings_shape[0] if paddings_shape.rank == 2 else None
    if paddings is None:
        return TensorShape(None if rank_ is None else [None] * rank_)
    paddings = np.reshape(paddings, [-1, 2])
    if np.any(paddings < 0):
        raise ValueError("Paddings must be non-negative, got %s" % paddings.tolist())
    dims = x.dims if x.rank is not None else [None] * len(paddings)
    mode = op.get_attr("mode") if op.type == "MirrorPad" else "CONSTANT"
    for i, (d, (before, after)) in enumerate(zip(dims, paddings)):
        if d is None:
            continue
        if mode == "REFLECT" and max(before, after) >= d:
            raise ValueError("MirrorPad: paddings must be less than the dimension size in REFLECT mode: %d, %d not "
                             "less than %d (axis %d)" % (before, after, d, i))
        if mode == "SYMMETRIC" and max(before, after) > d:
            raise ValueError("MirrorPad: paddings must be no greater than the dimension size in SYMMETRIC mode: %d, "
                             "%d greater than %d (axis %d)" % (before, after, d, i))
    return TensorShape([None if d is None else d + int(a) + int(b) for d, (a, b) in zip(dims, paddings)])


def _pad_grad(op, dy):
    """The input's part of dy: slice from paddings[:, 0] with the input's shape."""
    x, paddings = op.inputs[0], op.inputs[1]
    begin = reshape(_indexing().slice(paddings, [0, 0], [-1, 1]), [-1])
    return [_indexing().slice(dy, begin, shape(x, out_type=paddings.dtype))] + [None] * (len(op.inputs) - 1)


OpDef("Pad", inputs=("input", "paddings"), shape=_pad_shape, host_inputs=(1,), grad=_pad_grad)
OpDef("PadV2", inputs=("input", "paddings", "constant_values"), shape=_pad_shape, host_inputs=(1,),
      same_dtype=("input", "constant_values"), grad=_pad_grad)
OpDef("MirrorPad", inputs=("input", "paddings"), attrs={"mode": REQUIRED}, shape=_pad_shape, host_inputs=(1,),
      grad=lambda op, dy: [apply_op("MirrorPadGrad", (dy, op.inputs[1]), {"mode": op.get_attr("mode")}), None])


def _mirror_pad_grad_shape(op):
    dy = op.inputs[0].shape
    paddings = constant_value(op.inputs[1])
    if dy.rank is None or paddings is None:
        return TensorShape(None if dy.rank is None else [None] * dy.rank)
    paddings = np.reshape(paddings, [-1, 2])
    return TensorShape([None if d is None else d - int(a) - int(b) for d, (a, b) in zip(dy.dims, paddings)])


# Folds the mirrored borders of dy back onto the elements they copied: MirrorPad's gradient.
OpDef("MirrorPadGrad", inputs=("input", "paddings"), attrs={"mode": REQUIRED}, shape=_mirror_pad_grad_shape,
      host_inputs=(1,), grad=lambda op, ddx: [pad(ddx, op.inputs[1], mode=op.get_attr("mode")), None])


def _reverse_shape(op):
    x = op.inputs[0].shape
    axes = [shape_rules.normalize_axis(a, x.rank, "ReverseV2") for a in op.get_attr("axis")]
    if x.rank is not None:
        for a in axes:
            if axes.count(a) > 1:
                raise ValueError("axis %d specified more than once." % a)
    return x


OpDef("ReverseV2", inputs=("tensor",), attrs={"axis": REQUIRED}, shape=_reverse_shape,
      grad=lambda op, dy: [reverse(dy, op.get_attr("axis"))])


# ---- declarations: masks and likes -------------------------------------------------------------------------


def _boolean_mask_shape(op):
    tensor, mask = op.inputs[0].shape, op.inputs[1].shape
    axis = op.get_attr("axis")
    if tensor.rank is None or mask.rank is None:
        return TensorShape(None)
    if mask.rank == 0:
        raise ValueError("BooleanMask: the mask cannot be a scalar")
    if axis + mask.rank > tensor.rank:
        raise ValueError("BooleanMask: a mask of shape %s at axis %d does not fit a tensor of shape %s"
                         % (mask.as_proto_list(), axis, tensor.as_proto_list()))
    if not tensor[axis:axis + mask.rank].is_compatible_with(mask):
        raise ValueError("Shapes %s and %s are incompatible: the mask must match the tensor's dimensions from axis "
                         "%d" % (tensor.as_proto_list(), mask.as_proto_list(), axis))
    known = constant_value(op.inputs[1])
    count = None if known is None else int(np.count_nonzero(known))
    return tensor[:axis].concatenate([count]).concatenate(tensor[axis + mask.rank:])


OpDef("BooleanMask", inputs=("tensor", "mask"), attrs={"axis": 0}, shape=_boolean_mask_shape,
      grad=lambda op, dy: [apply_op("BooleanMaskGrad", (dy, op.inputs[1], shape(op.inputs[0])),
                                    {"axis": op.get_attr("axis")}), None])
# Scatters the rows of dy back to where the mask is true, zeros elsewhere: BooleanMask's gradient.
OpDef("BooleanMaskGrad", inputs=("dy", "mask", "shape"), attrs={"axis": 0}, host_inputs=(2,),
      shape=lambda op: constant_value_as_shape(op.inputs[2]),
      grad=lambda op, ddx: [boolean_mask(ddx, op.inputs[1], axis=op.get_attr("axis")), None, None])

OpDef("ZerosLike", inputs=("x",), shape=shape_rules.same_as_input, grad=NOT_DIFFERENTIABLE)
OpDef("OnesLike", inputs=("x",), shape=shape_rules.same_as_input, grad=NOT_DIFFERENTIABLE)


def _math():
    from flowgraph.ops import math_ops
    return math_ops


def _indexing():
    from flowgraph.ops import indexing_ops
    return indexing_ops


# ---- helpers -----------------------------------------------------------------------------------------------

def partial_values(tensor):
    """The elements of a small 1-D int tensor as a list with None where unknown, or None when even its length is.

    Knows constants and stacks of scalars (what `shape_tensor` builds from a list mixing ints and tensors).
    """
    value = constant_value(tensor)
    if value is not None:
        return [int(v) for v in np.reshape(value, [-1])]
    if tensor.op.type == "Pack" and tensor.shape.rank == 1:
        result = []
        for t in tensor.op.inputs:
            v = constant_value(t)
            result.append(None if v is None else int(v))
        return result
    if tensor.shape.rank == 1 and tensor.shape[0] is not None:
        return [None] * tensor.shape[0]
    return None


def _static_value(value, what):
    """`value`, or the build-time value of a tensor; ValueError when a tensor's value is not known yet."""
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        known = constant_value(convert_to_tensor(value))
        if known is None:
            raise ValueError("%s must be known when the graph is built, got tensor %s" % (what, value.name))
        return known
    return value


def static_int(value, what):
    """A Python int from an int or a tensor whose value is known at build time (axes, counts)."""
    value = _static_value(value, what)
    if np.ndim(value) != 0 or not np.issubdtype(np.asarray(value).dtype, np.integer):
        raise TypeError("%s must be an integer, got %r" % (what, value))
    return int(value)


def static_ints(values, what):
    """A list of Python ints from an int, a list of ints, or a tensor whose value is known at build time."""
    values = _static_value(values, what)
    return [static_int(v, what) for v in np.reshape(np.asarray(values, dtype=object), [-1])]


def _dim(x, axis):
    """The size of `x` along `axis`: a Python int when static, else a scalar int32 tensor."""
    if x.shape.rank is not None and x.shape[axis] is not None:
        return x.shape[axis]
    if axis < 0:
        axis = axis % x.shape.rank if x.shape.rank is not None else rank(x) + axis
    return reshape(_indexing().slice(shape(x), stack([axis]) if isinstance(axis, Tensor) else [axis], [1]), [])


def shape_tensor(dims, name="shape"):
    """A 1-D int32 tensor from a list that may mix ints and scalar tensors."""
    if isinstance(dims, Tensor) or hasattr(dims, "_as_tensor"):
        return convert_to_tensor(dims)
    if isinstance(dims, TensorShape):
        dims = dims.as_list()
    dims = list(dims) if not np.isscalar(dims) else [dims]
    if any(isinstance(d, Tensor) for d in dims):
        return stack([convert_to_tensor(d, dtype=dtypes.int32) for d in dims], name=name)
    value = np.asarray(dims, dtype=np.int64)
    dtype = dtypes.int32 if (value.size == 0 or value.max() < 2 ** 31) else dtypes.int64
    return constant(value.astype(dtype.as_numpy_dtype).reshape([-1]), name=name)


# ---- public functions: sources and identity ----------------------------------------------------------------

def placeholder(dtype, shape=None, name=None):
    """A value fed at run time; `shape` may contain None for any size (None alone: any rank)."""
    shape = None if shape is None else TensorShape(shape).dims
    return apply_op("Placeholder", (), {"dtype": dtypes.as_dtype(dtype), "shape": shape}, name=name)


def placeholder_with_default(input, shape, name=None):  # noqa: A002 - TF's argument name
    """`input` unless a value is fed; the fed value must have `shape`."""
    return apply_op("PlaceholderWithDefault", (convert_to_tensor(input),), {"shape": TensorShape(shape).dims},
                    name=name)


def identity(input, name=None):  # noqa: A002
    return apply_op("Identity", (convert_to_tensor(input),), name=name)


def identity_n(input, name=None):  # noqa: A002
    """The same tensors, passed through one op (so one control dependency covers all of them)."""
    return apply_op("IdentityN", ([convert_to_tensor(t) for t in input],), name=name or "IdentityN")


def stop_gradient(input, name=None):  # noqa: A002
    """The input's value; gradients do not flow through it."""
    return apply_op("StopGradient", (convert_to_tensor(input),), name=name)


def no_op(name=None):
    return apply_op("NoOp", (), name=name)


def group(*inputs, **kwargs):
    """One op that runs after all `inputs` (ops or tensors) have run."""
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError("group() got unexpected keyword arguments %s" % sorted(kwargs))
    flat = []
    for item in inputs:
        flat.extend(item if isinstance(item, (list, _python_tuple, set)) else [item])
    flat = [x for x in flat if x is not None]
    with control_dependencies(flat):
        return no_op(name=name or "group_deps")


def tuple(tensors, name=None, control_inputs=None):  # noqa: A001 - TF's public name
    """The same tensors, each available only once all of them (and `control_inputs`) are computed."""
    with name_scope(name, "tuple", tensors):
        gate = group([t for t in tensors if t is not None] + list(control_inputs or []))
        result = []
        for t in tensors:
            if t is None:
                result.append(None)
                continue
            with control_dependencies([gate]):
                result.append(identity(t))
        return result


# ---- public functions: shapes ------------------------------------------------------------------------------

def shape(input, name=None, out_type=dtypes.int32):  # noqa: A002
    """The dynamic shape of `input` as a 1-D int tensor."""
    return apply_op("Shape", (convert_to_tensor(input),), {"out_type": dtypes.as_dtype(out_type)}, name=name)


def shape_n(input, out_type=dtypes.int32, name=None):  # noqa: A002
    """The shapes of several tensors, from one op."""
    return apply_op("ShapeN", ([convert_to_tensor(t) for t in input],), {"out_type": dtypes.as_dtype(out_type)},
                    name=name or "ShapeN")


def size(input, name=None, out_type=dtypes.int32):  # noqa: A002
    """The number of elements of `input` as a scalar."""
    return apply_op("Size", (convert_to_tensor(input),), {"out_type": dtypes.as_dtype(out_type)},
                    name=name or "Size")


def rank(input, name=None):  # noqa: A002
    """The number of dimensions of `input` as an int32 scalar."""
    return apply_op("Rank", (convert_to_tensor(input),), name=name or "Rank")


def reshape(tensor, shape, name=None):  # noqa: F811 - TF's argument name
    """`tensor` with a new shape; one dimension may be -1 and is inferred."""
    with name_scope(name, "Reshape", [tensor]) as scope:
        return apply_op("Reshape", (convert_to_tensor(tensor), shape_tensor(shape)), name=scope)


def transpose(a, perm=None, name="transpose", conjugate=False):
    """Permute the dimensions of `a`: output dim i is input dim perm[i]; perm defaults to reversing them."""
    a = convert_to_tensor(a)
    if perm is None:
        if a.shape.rank is None:
            with name_scope(name, "transpose") as scope:
                from flowgraph.ops import sequence_ops
                perm = sequence_ops.range(rank(a) - 1, -1, -1)
                return apply_op("Transpose", (a, perm), name=scope)
        perm = list(range(a.shape.rank - 1, -1, -1))
    with name_scope(name, "transpose") as scope:
        return apply_op("Transpose", (a, shape_tensor(perm, name="perm")), name=scope)


def invert_permutation(x, name=None):
    """The inverse permutation: y[x[i]] = i."""
    return apply_op("InvertPermutation", (convert_to_tensor(x),), name=name or "InvertPermutation")


def expand_dims(input, axis=None, name=None, dim=None):  # noqa: A002
    """`input` with a new size-1 dimension at `axis` (negative counts from the end of the result)."""
    if axis is None:
        if dim is None:
            raise ValueError("expand_dims needs `axis`")
        axis = dim
    elif dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    return apply_op("ExpandDims", (convert_to_tensor(input),), {"axis": static_int(axis, "expand_dims axis")},
                    name=name or "ExpandDims")


def squeeze(input, axis=None, name=None, squeeze_dims=None):  # noqa: A002
    """`input` without size-1 dimensions: all of them, or those listed in `axis`."""
    if axis is None:
        axis = squeeze_dims
    elif squeeze_dims is not None:
        raise ValueError("Cannot specify both 'axis' and 'squeeze_dims'")
    axes = () if axis is None else _python_tuple(static_ints(axis, "squeeze axis"))
    return apply_op("Squeeze", (convert_to_tensor(input),), {"squeeze_dims": axes}, name=name or "Squeeze")


# ---- public functions: filling -----------------------------------------------------------------------------

def fill(dims, value, name=None):
    """A tensor of shape `dims` filled with the scalar `value`."""
    with name_scope(name, "Fill", [dims, value]) as scope:
        return apply_op("Fill", (shape_tensor(dims, name="dims"), convert_to_tensor(value, name="value")),
                        name=scope)


def _filled(shape_, dtype, scalar, name):
    """zeros/ones: a constant when the shape is static and small, else a Fill op (as TF)."""
    dtype = dtypes.as_dtype(dtype)
    dynamic = isinstance(shape_, Tensor) or hasattr(shape_, "_as_tensor") or (
        not isinstance(shape_, TensorShape) and not np.isscalar(shape_)
        and any(isinstance(d, Tensor) for d in shape_))
    if not dynamic:
        dims = TensorShape(shape_).as_list() if isinstance(shape_, TensorShape) else np.reshape(shape_, [-1]).tolist()
        if int(np.prod(dims, dtype=np.int64)) <= _SMALL_CONSTANT:
            return constant(np.full(dims, scalar, dtype=dtype.as_numpy_dtype), dtype=dtype, name=name)
        shape_ = dims
    with name_scope(name) as scope:
        return fill(shape_tensor(shape_), constant(scalar, dtype=dtype, name="Const"), name=scope)


def zeros(shape, dtype=dtypes.float32, name=None):
    """A tensor of zeros; `shape` may be a list, a TensorShape, a tensor, or a list mixing ints and tensors."""
    return _filled(shape, dtype, 0, name or "zeros")


def ones(shape, dtype=dtypes.float32, name=None):
    """A tensor of ones; `shape` as for `zeros`."""
    return _filled(shape, dtype, 1, name or "ones")


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    """Zeros with the shape of `tensor` and its dtype, or `dtype`."""
    tensor = convert_to_tensor(tensor)
    if dtype is not None and dtypes.as_dtype(dtype) != tensor.dtype:
        return zeros(shape(tensor), dtype=dtype, name=name)
    return apply_op("ZerosLike", (tensor,), name=name)


def ones_like(tensor, dtype=None, name=None, optimize=True):
    """Ones with the shape of `tensor` and its dtype, or `dtype`."""
    tensor = convert_to_tensor(tensor)
    if dtype is not None and dtypes.as_dtype(dtype) != tensor.dtype:
        return ones(shape(tensor), dtype=dtype, name=name)
    return apply_op("OnesLike", (tensor,), name=name)


# ---- public functions: joining and splitting ---------------------------------------------------------------

def stack(values, axis=0, name="stack"):
    """Join same-shaped tensors along a new axis."""
    values = [convert_to_tensor(v) for v in values]
    if not values:
        raise ValueError("stack needs at least one tensor, got an empty list")
    return apply_op("Pack", (values,), {"axis": int(axis)}, name=name)


def unstack(value, num=None, axis=0, name="unstack"):
    """Split `value` along `axis` into a list of tensors with that axis removed."""
    value = convert_to_tensor(value)
    if num is None:
        rank_ = value.shape.rank
        num = value.shape[axis] if rank_ is not None and -rank_ <= axis < rank_ else None
        if num is None:
            raise ValueError("Cannot infer argument `num` from shape %s" % value.shape)
    return apply_op("Unpack", (value,), {"num": int(num), "axis": int(axis)}, name=name)


def concat(values, axis, name="concat"):
    """Join tensors along an existing axis (negative counts from the end); one tensor comes back as identity."""
    if not isinstance(values, (list, _python_tuple)):
        values = [values]
    values = [convert_to_tensor(v) for v in values]
    if not values:
        raise ValueError("concat needs at least one tensor, got an empty list")
    axis = static_int(axis, "concat axis")
    if len(values) == 1:
        rank_ = values[0].shape.rank
        if rank_ is not None:
            shape_rules.normalize_axis(axis, rank_, "ConcatV2")
        with name_scope(name, "concat") as scope:
            return identity(values[0], name=scope)
    return apply_op("ConcatV2", (values,), {"axis": axis}, name=name or "concat")


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Split `value` along `axis` into `num_or_size_splits` equal parts, or parts of the listed sizes
    (one size may be -1: the rest)."""
    value = convert_to_tensor(value)
    axis = static_int(axis, "split axis")
    if isinstance(num_or_size_splits, (int, np.integer)) or (
            isinstance(num_or_size_splits, Tensor) and num_or_size_splits.shape.rank == 0):
        count = static_int(num_or_size_splits, "split num_or_size_splits")
        if count < 1:
            raise ValueError("split needs a positive number of splits, got %d" % count)
        return apply_op("Split", (value,), {"num_split": count, "axis": axis}, name=name or "split")
    with name_scope(name, "split") as scope:
        sizes = shape_tensor(num_or_size_splits, name="size_splits")
        if num is None:
            num = sizes.shape[0] if sizes.shape.rank == 1 else None
            if num is None:
                raise ValueError("Cannot infer num from shape %s" % sizes.shape)
        return apply_op("SplitV", (value, sizes), {"num_split": int(num), "axis": axis}, name=scope)


# ---- public functions: slicing, tiling, padding, reversing -------------------------------------------------

def tile(input, multiples, name=None):  # noqa: A002
    """`input` repeated multiples[i] times along dimension i."""
    with name_scope(name, "Tile", [input, multiples]) as scope:
        return apply_op("Tile", (convert_to_tensor(input), shape_tensor(multiples, name="multiples")), name=scope)


_PAD_MODES = ("CONSTANT", "REFLECT", "SYMMETRIC")


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """`tensor` padded by paddings[i] = [before, after] along dimension i.

    CONSTANT fills with `constant_values`; REFLECT mirrors without the edge, SYMMETRIC with it.
    """
    tensor = convert_to_tensor(tensor)
    mode = str(mode).upper()
    if mode not in _PAD_MODES:
        raise ValueError('Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", or "SYMMETRIC". '
                         "Received `mode` = %s" % mode)
    if mode != "CONSTANT":
        type_name = "MirrorPad"
    elif not isinstance(constant_values, Tensor) and np.ndim(constant_values) == 0 and constant_values == 0:
        type_name = "Pad"
    else:
        type_name = "PadV2"
    with name_scope(name, type_name, [tensor, paddings]) as scope:
        paddings = convert_to_tensor(paddings, dtype_hint=dtypes.int32, name="paddings")
        if type_name == "MirrorPad":
            return apply_op(type_name, (tensor, paddings), {"mode": mode}, name=scope)
        if type_name == "Pad":
            return apply_op(type_name, (tensor, paddings), name=scope)
        value = convert_to_tensor(constant_values, dtype=tensor.dtype, name="constant_values")
        return apply_op(type_name, (tensor, paddings, value), name=scope)


def reverse(tensor, axis, name=None):
    """`tensor` with the order of elements reversed along each of the listed axes."""
    axes = _python_tuple(static_ints(axis, "reverse axis"))
    return apply_op("ReverseV2", (convert_to_tensor(tensor),), {"axis": axes}, name=name or "ReverseV2")


reverse_v2 = reverse


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """The entries of `tensor` where `mask` is true: mask covers dims axis..axis+k-1, which become one dim."""
    tensor = convert_to_tensor(tensor)
    axis = 0 if axis is None else static_int(axis, "boolean_mask axis")
    if axis < 0:
        if tensor.shape.rank is None:
            raise ValueError("boolean_mask needs the rank of %s for a negative axis" % tensor.name)
        axis += tensor.shape.rank
    return apply_op("BooleanMask", (tensor, convert_to_tensor(mask, dtype=dtypes.bool)), {"axis": axis}, name=name)
