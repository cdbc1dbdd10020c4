"""Immediate execution: run an OpDef's numpy kernel on eager values now and wrap the results as EagerTensors.

This is the hot path of eager mode. Facts that depend only on the OpDef (kernel, default attrs, dtype rules as
numpy dtypes, stateful inputs) are worked out once per op type; a call then checks input dtypes, calls the
kernel and records the op on the gradient tapes that watch one of its inputs. Shape and dtype rules are not
run (the kernel's result is the truth), except for ops that update a variable, where a broadcast must not
silently change the variable's shape; under FLOWGRAPH_CHECK_KERNELS=1 (the test suite) every result is
checked against the OpDef's rules.
"""
import os

import numpy as np

from flowgraph.backends.numpy.executor import op_error
from flowgraph.eager import placement, tape
from flowgraph.eager.tape import EagerOp
from flowgraph.eager.tensor import NUMPY_TO_DTYPE, EagerTensor
from flowgraph.framework import errors, random_seed
from flowgraph.framework.op_registry import REQUIRED, infer_outputs

CHECK_KERNELS = os.environ.get("FLOWGRAPH_CHECK_KERNELS") == "1"
_MAX_GENERATORS = 256


class _OpInfo:
    """What every eager call of one op type needs, derived once from its OpDef."""

    __slots__ = ("kernel", "defaults", "same", "same_rest", "variadic_from", "allowed", "simple", "differentiable",
                 "num_outputs", "copies")

    def __init__(self, opdef):
        self.kernel = opdef.kernels.get("numpy")
        defaults = opdef.attr_defaults
        self.defaults = None if any(v is REQUIRED for v in defaults.values()) else dict(defaults)
        self.same = opdef.same_dtype
        self.same_rest = opdef.same_dtype[1:]
        self.variadic_from = len(opdef.input_names) - 1 if opdef.variadic and self.same else None
        self.allowed = frozenset(np.dtype(d.as_numpy_dtype) for d in opdef.allowed) if opdef.allowed else None
        self.simple = opdef.resource is None and not opdef.ref_inputs
        self.differentiable = opdef.differentiable
        self.num_outputs = opdef.num_outputs
        # Const returns the array it was given, which the caller still holds and may modify
        self.copies = opdef.type_name == "Const"


_INFO = {}


def execute(opdef, inputs, attrs, name):
    """Run `opdef` now on EagerTensor `inputs`; returns an EagerTensor, a list of them, or None."""
    info = _INFO.get(opdef)
    if info is None:
        info = _INFO[opdef] = _OpInfo(opdef)
    if attrs:
        if info.defaults is None or attrs.keys() != info.defaults.keys():
            attrs = opdef.full_attrs(attrs)
    else:
        attrs = info.defaults if info.defaults is not None else opdef.full_attrs(attrs)
    device = placement.device_for(opdef, inputs)
    if device is not None:
        outputs = _execute_on_device(opdef, info, inputs, attrs, name, device)
    else:
        outputs = _execute_on_host(opdef, info, inputs, attrs, name)
    if outputs is None:
        return None
    if CHECK_KERNELS:
        _check_against_rules(opdef, inputs, attrs, outputs)
    if tape.active and info.differentiable:
        tape.record_op(opdef, inputs, attrs, outputs)
    return outputs


def _execute_on_host(opdef, info, inputs, attrs, name):
    """Run the numpy kernel; returns the outputs as EagerTensors (None for an op without outputs)."""
    result = _numpy_result(opdef, info, inputs, attrs, name)
    n = info.num_outputs
    if n == 1:
        return EagerTensor(result if result.__class__ is np.ndarray else _as_value(result))
    if n == 0:
        return None
    return [EagerTensor(v if v.__class__ is np.ndarray else _as_value(v)) for v in result]


def _numpy_result(opdef, info, inputs, attrs, name):
    """What the op's numpy kernel returns for `inputs` (device values are copied to the host)."""
    if info.kernel is None:
        raise errors.UnimplementedError(None, None, "Op %s has no numpy kernel [Op:%s]"
                                        % (opdef.type_name, opdef.type_name))
    if info.simple:
        try:
            values = [t._value for t in inputs]
        except AttributeError:
            raise _not_eager(opdef, inputs) from None
        for v in values:
            if v.__class__ is not np.ndarray and not isinstance(v, np.generic):
                values = [t._numpy_value() for t in inputs]
                break
        if info.same:
            first = values[info.same[0]].dtype
            for i in info.same_rest if info.variadic_from is None else range(info.variadic_from, len(values)):
                dt = values[i].dtype
                if dt is not first and dt != first:
                    _check_dtypes(opdef, info, [v.dtype for v in values])
        if info.allowed is not None and values and values[info.same[0] if info.same else 0].dtype not in info.allowed:
            _check_dtypes(opdef, info, [v.dtype for v in values])
        try:
            result = info.kernel(*values, **attrs) if attrs else info.kernel(*values)
        except Exception as e:
            raise _eager_error(e, opdef, name) from e
    else:
        result = _execute_stateful(opdef, info, inputs, attrs, name)
    if info.copies:
        result = np.array(result)
    return result


# Results the host knows from their shape alone: kept as their host copy, so gradient rules that test for zeros
# (constant_value) read no device memory.
_KNOWN_ON_HOST = {
    "ZerosLike": lambda value: np.zeros(value.shape, value.dtype),
    "OnesLike": lambda value: np.ones(value.shape, value.dtype),
}


def _execute_on_device(opdef, info, inputs, attrs, name, device):
    """Run the op on an OpenCL `device` (see flowgraph.backends.opencl.eager); an op it has no kernel for runs
    with numpy, its inputs copied to the host and its outputs back to the device."""
    if opdef.resource is None and opdef.type_name != "Const" and (info.num_outputs or opdef.ref_inputs):
        args = placement.device_args(opdef, inputs, device)
        raw = None if args is None else device.run(opdef, attrs, args)
        if raw is not None:
            outputs = [EagerTensor(value, host) for value, host in raw]
            known = _KNOWN_ON_HOST.get(opdef.type_name)
            if known is not None:
                outputs[0]._mirror = known(outputs[0]._value)
            return outputs[0] if info.num_outputs == 1 else outputs or None
    cells = [inputs[i]._cell for i in opdef.ref_inputs if hasattr(inputs[i], "_cell")]
    with device.host_updates(cells):
        result = _numpy_result(opdef, info, inputs, attrs, name)
    n = info.num_outputs
    if n == 1:
        return placement.to_device(result, device)
    if n == 0:
        return None
    return [placement.to_device(v, device) for v in result]


def _as_value(result):
    """Kernels may return numpy scalars (kept: they act as 0-d arrays) or Python values."""
    return result if isinstance(result, np.generic) else np.asarray(result)


def _check_dtypes(opdef, info, dts):
    """TF's attr-T rule on the inputs' numpy dtypes (cheap), with TF's eager message on failure."""
    same = info.same
    if same:
        first = dts[same[0]]
        indices = same[1:] if info.variadic_from is None else range(info.variadic_from, len(dts))
        for i in indices:
            if i < len(dts) and dts[i] != first:
                raise errors.InvalidArgumentError(
                    None, None, "cannot compute %s as input #%d(zero-based) was expected to be a %s tensor but is a "
                                "%s tensor [Op:%s]" % (opdef.type_name, i, NUMPY_TO_DTYPE[first].name,
                                                        NUMPY_TO_DTYPE[dts[i]].name, opdef.type_name))
    if info.allowed is not None and dts:
        dt = dts[same[0] if same else 0]
        if dt not in info.allowed:
            raise errors.InvalidArgumentError(
                None, None, "Value for attr 'T' of %s is not in the list of allowed values: %s [Op:%s]"
                            % (NUMPY_TO_DTYPE[dt].name, ", ".join(d.name for d in opdef.allowed), opdef.type_name))


def _execute_stateful(opdef, info, inputs, attrs, name):
    """Ops with a variable input (kernel gets the variable's cell) or a random generator."""
    if opdef.resource == "variable":
        raise errors.FailedPreconditionError(
            None, None, "%s holds its value in a Session and cannot run eagerly; create a tf.Variable instead "
                        "[Op:%s]" % (opdef.type_name, opdef.type_name))
    lead = []
    if opdef.resource == "rng":
        lead.append(_generator(attrs.get("seed"), attrs.get("seed2")))
    refs = opdef.ref_inputs
    for i in refs:
        cell = getattr(inputs[i], "_cell", None)
        if cell is None:
            raise TypeError("Input '%s' of '%s' Op requires a Variable, got %r"
                            % (opdef.input_names[min(i, len(opdef.input_names) - 1)], opdef.type_name, inputs[i]))
        lead.append(cell)
    try:
        values = [t._numpy_value() for i, t in enumerate(inputs) if i not in refs]
    except AttributeError:
        raise _not_eager(opdef, inputs) from None
    _check_dtypes(opdef, info, [np.dtype(t.dtype.as_numpy_dtype) if i in refs else t._value.dtype
                                for i, t in enumerate(inputs)])
    if refs and opdef.shape_rule is not None:
        try:
            opdef.shape_rule(EagerOp(opdef, inputs, attrs, ()))
        except ValueError as e:
            raise errors.InvalidArgumentError(None, None, "%s [Op:%s]" % (e, opdef.type_name)) from None
    try:
        return info.kernel(*lead, *values, **attrs)
    except Exception as e:
        raise _eager_error(e, opdef, name) from e


_streams = {"generation": None, "by_seeds": {}}
_fresh = np.random.default_rng()


def _generator(seed, seed2):
    """The numpy Generator for a random op's seeds: one stream per (seed, seed2), continued by later calls
    with the same seeds and restarted by set_random_seed (as TF's kernel cache behaves); fresh randomness
    without seeds. The most recent _MAX_GENERATORS streams are kept, so ever-new seeds do not grow memory."""
    if seed is None and seed2 is None:
        return _fresh
    generation = random_seed._eager_seed["generation"]
    if _streams["generation"] != generation:
        _streams["generation"] = generation
        _streams["by_seeds"] = {}
    streams = _streams["by_seeds"]
    key = (int(seed or 0), int(seed2 or 0))
    gen = streams.pop(key, None)
    if gen is None:
        gen = np.random.default_rng(list(key))
        if len(streams) >= _MAX_GENERATORS:
            del streams[next(iter(streams))]
    streams[key] = gen
    return gen


def _not_eager(opdef, inputs):
    bad = next(t for t in inputs if not hasattr(t, "_value"))
    return TypeError("An op outside of the function building code is being passed a Graph tensor (%r) as input "
                     "of %s. Graph tensors cannot be used while executing eagerly." % (bad, opdef.type_name))


def _eager_error(exc, opdef, name):
    """A kernel failure as TF's eager error: the OpError class, naming the op as '[Op:Type] name: ...'."""
    suffix = " [Op:%s]%s" % (opdef.type_name, " name: %s" % name if name else "")
    if isinstance(exc, errors.OpError):
        return type(exc)(exc.node_def, exc.op, exc.message + suffix)
    converted = op_error(exc, _Described(opdef))
    if isinstance(converted, errors.OpError):
        return type(converted)(None, None, "%s: %s%s" % (type(exc).__name__, exc, suffix))
    return converted


class _Described:
    """What `op_error` asks of an op, for an eager op (which has no graph, name or traceback)."""

    def __init__(self, opdef):
        self.opdef = opdef

    def describe(self):
        return self.opdef.type_name


def _check_against_rules(opdef, inputs, attrs, outputs):
    """Under FLOWGRAPH_CHECK_KERNELS: the kernel's results have the dtypes and shapes the OpDef declares."""
    results = outputs if isinstance(outputs, list) else [outputs]
    op = EagerOp(opdef, inputs, attrs, results)
    try:
        specs = infer_outputs(op)
    except ValueError as e:
        raise AssertionError("shape rule of %s rejects inputs its kernel accepted: %s" % (opdef.type_name, e))
    for i, ((dtype, shape), t) in enumerate(zip(specs, results)):
        if dtype != t.dtype:
            raise AssertionError("kernel of %s returned dtype %s for output %d (declared %s)"
                                 % (opdef.type_name, t.dtype.name, i, dtype.name))
        if not shape.is_compatible_with(t.shape):
            raise AssertionError("kernel of %s returned shape %s for output %d (inferred %s)"
                                 % (opdef.type_name, t.shape, i, shape))
