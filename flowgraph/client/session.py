"""Session: runs the part of a graph that the fetches need, with feeds, holding Variable values."""
import contextlib
import threading

import numpy as np

from flowgraph.backends import get_backend
from flowgraph.backends.resources import ResourceStore
from flowgraph.client.fetches import flatten_fetches
from flowgraph.client.plan import Schedule
from flowgraph.devices import make_plan, placement_report
from flowgraph.framework import limits
from flowgraph.framework.graph import Operation, Tensor, get_default_graph


class _DefaultSessionStack(threading.local):
    def __init__(self):
        self.stack = []


_sessions = _DefaultSessionStack()


def get_default_session():
    return _sessions.stack[-1] if _sessions.stack else None


class ConfigProto:
    """Accepted for TF1 compatibility; flowgraph's sessions need no tuning knobs."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


class GPUOptions(ConfigProto):
    """Accepted for TF1 compatibility."""


class RunOptions:
    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = range(4)

    def __init__(self, trace_level=0, **kwargs):
        self.trace_level = trace_level
        self.__dict__.update(kwargs)


class RunMetadata:
    """Filled by a traced run: `step_stats` maps op names to seconds."""

    def __init__(self):
        self.step_stats = {}


class _Plan:
    """A backend plan plus what the session checks on every run (feed dtypes and shapes)."""

    def __init__(self, backend_plan, feed_tensors, fetches_only_tensors):
        self.backend_plan = backend_plan
        self.fetches_only_tensors = fetches_only_tensors
        self.feed_checks = [_feed_check(t) for t in feed_tensors]

    def run(self, feed_values):
        values = [check(v) for check, v in zip(self.feed_checks, feed_values)]
        return self.backend_plan.run(values)

    def run_traced(self, feed_values, run_metadata):
        """`run`, with each op's seconds in run_metadata.step_stats (empty for a backend that cannot time ops)."""
        values = [check(v) for check, v in zip(self.feed_checks, feed_values)]
        run_metadata.step_stats = {}
        traced = getattr(self.backend_plan, "run_traced", None)
        if traced is None:
            return self.backend_plan.run(values)
        return traced(values, run_metadata.step_stats)


def _feed_check(tensor):
    """A function that converts a fed value to the tensor's dtype and checks its shape, naming the tensor."""
    np_dtype = np.dtype(tensor.dtype.as_numpy_dtype)  # numpy's canonical instance, so `is` compares dtypes
    dims = tensor.shape.dims
    target_kind = np_dtype.kind

    rank = None if dims is None else len(dims)
    known = [(axis, d) for axis, d in enumerate(dims or ()) if d is not None]

    def check(value):
        if value.__class__ is not np.ndarray or value.dtype is not np_dtype:
            value = _convert_feed(value, np_dtype, target_kind, tensor)
        if rank is not None:
            shape = value.shape
            if len(shape) != rank:
                _bad_feed_shape(shape, tensor)
            for axis, d in known:
                if shape[axis] != d:
                    _bad_feed_shape(shape, tensor)
        return value
    return check


def _bad_feed_shape(shape, tensor):
    raise ValueError("Cannot feed value of shape %s for Tensor '%s', which has shape '%s'"
                     % (shape, tensor.name, tensor.shape))


def _convert_feed(value, np_dtype, target_kind, tensor):
    if isinstance(value, (Tensor, Operation)):
        raise TypeError("The value of a feed cannot be a tf.Tensor object (feeding %s for %s). Acceptable feed "
                        "values include Python scalars, strings, lists, numpy ndarrays." % (value.name, tensor.name))
    try:
        given = np.asarray(value)
    except Exception as e:
        raise ValueError("Cannot feed %r for Tensor '%s': %s" % (type(value).__name__, tensor.name, e)) from None
    kind = given.dtype.kind
    limits.check_run_size(given.shape, np_dtype, "The value fed for '%s'" % tensor.name)
    if target_kind in "iub" and kind == "f" and given.size and not np.array_equal(given, np.trunc(given)):
        raise ValueError("Cannot feed value of dtype %s with fractional values for Tensor '%s', which has dtype %s"
                         % (given.dtype, tensor.name, tensor.dtype.name))
    if target_kind in "iufb" and kind in "USO":
        raise ValueError("Cannot feed value of dtype %s for Tensor '%s', which has dtype %s"
                         % (given.dtype, tensor.name, tensor.dtype.name))
    return np.asarray(given, dtype=np_dtype)


class BaseSession:
    """Runs fetches of one graph on one backend; Variable values live here, not in the graph."""

    def __init__(self, target="", graph=None, config=None, device=None):
        self._graph = graph if graph is not None else get_default_graph()
        self._config = config
        self._backend = get_backend(device)
        self._store = ResourceStore()
        self._plans = {}
        self._plan_lock = threading.Lock()
        self._closed = False
        self._default_ctx = None

    graph = property(lambda self: self._graph)
    graph_def = property(lambda self: self._graph.as_graph_def())
    sess_str = property(lambda self: "")
    device = property(lambda self: self._backend.device)

    def list_devices(self):
        return [self._backend.device]

    def placement_report(self):
        """[(op name, op type, reason)]: ops placed on an OpenCL device that ran on the host, with copies,
        in this session's runs so far (no OpenCL kernel, or shapes that depend on data)."""
        return placement_report(p.backend_plan for p in list(self._plans.values()))

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Values of `fetches` (a tensor, op, name, or nested list/tuple/dict/namedtuple of them)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        feed_dict = feed_dict or {}
        single = fetches.__class__
        if (single is Tensor or single is Operation) and run_metadata is None:  # one tensor, or a training op
            plan = self._plans.get((fetches, tuple(feed_dict)))
            if plan is None:
                tensor = single is Tensor
                plan = self._plan_for([fetches] if tensor else [], [] if tensor else [fetches], feed_dict,
                                      (fetches, tuple(feed_dict)))
            values = plan.run(list(feed_dict.values()))
            return values[0] if single is Tensor else None
        if fetches.__class__ is list and run_metadata is None:  # a flat list seen before: no structure to build
            try:
                plan = self._plans.get((tuple(fetches), tuple(feed_dict)))
            except TypeError:  # nested lists or dicts: the general path below
                plan = None
            if plan is not None:
                values = plan.run(list(feed_dict.values()))
                if plan.fetches_only_tensors:
                    return values
                values = iter(values)
                return [next(values) if e.__class__ is Tensor else None for e in fetches]
        elements, rebuild = flatten_fetches(fetches, self._graph)
        key = (tuple(elements), tuple(feed_dict))
        plan = self._plans.get(key)
        if plan is None:
            tensors = [e for e in elements if isinstance(e, Tensor)]
            targets = [e for e in elements if isinstance(e, Operation)]
            plan = self._plan_for(tensors, targets, feed_dict, key)
        if run_metadata is not None and options is not None and options.trace_level:
            values = iter(plan.run_traced(list(feed_dict.values()), run_metadata))
        else:
            values = iter(plan.run(list(feed_dict.values())))
        return rebuild([next(values) if isinstance(e, Tensor) else None for e in elements])

    def _plan_for(self, tensors, targets, feed_dict, key):
        for t in tensors + targets:
            if t.graph is not self._graph:
                kind = "Tensor" if isinstance(t, Tensor) else "Operation"
                raise ValueError("Fetch argument %r cannot be interpreted as a %s. (%s %s is not an element of this "
                                 "graph.)" % (t, kind, kind, t.name))
        feeds = [self._feed_tensor(k) for k in feed_dict]
        schedule = Schedule(tensors, targets, feeds)
        plan = _Plan(make_plan(self._backend, schedule, self._store), feeds, not targets)
        with self._plan_lock:
            self._plans[key] = plan
        return plan

    def _feed_tensor(self, key):
        try:
            t = self._graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
        except (KeyError, TypeError, ValueError) as e:
            raise TypeError("Cannot interpret feed_dict key %r as a Tensor: %s" % (key, e)) from None
        return t

    def make_callable(self, fetches, feed_list=None, accept_options=False):
        """A function of the feed values (in `feed_list` order) that runs `fetches`, with no per-call lookups."""
        feed_list = list(feed_list or [])
        elements, rebuild = flatten_fetches(fetches, self._graph)
        tensors = [e for e in elements if isinstance(e, Tensor)]
        targets = [e for e in elements if isinstance(e, Operation)]
        plan = self._plan_for(tensors, targets, dict.fromkeys(feed_list), (tuple(elements), tuple(feed_list)))
        single = isinstance(fetches, Tensor)

        def call(*feed_values):
            if self._closed:
                raise RuntimeError("Attempted to use a closed Session.")
            values = plan.run(feed_values)
            if single:
                return values[0]
            it = iter(values)
            return rebuild([next(it) if isinstance(e, Tensor) else None for e in elements])
        return call

    def close(self):
        self._closed = True
        self._plans.clear()

    @property
    def closed(self):
        return self._closed

    @contextlib.contextmanager
    def as_default(self):
        _sessions.stack.append(self)
        try:
            yield self
        finally:
            _sessions.stack.remove(self)

    def __enter__(self):
        self._default_ctx = self.as_default()
        self._default_ctx.__enter__()
        self._graph_ctx = self._graph.as_default()
        self._graph_ctx.__enter__()
        return self

    def __exit__(self, *exc):
        self._graph_ctx.__exit__(*exc)
        self._default_ctx.__exit__(*exc)
        self.close()

    def __del__(self):
        self._closed = True


class Session(BaseSession):
    """`Session(target='', graph=None, config=None, device=None)`: device 'numpy' (default) or '/opencl:0'."""


class InteractiveSession(BaseSession):
    """A session that makes itself the default on creation, for shells and notebooks."""

    def __init__(self, target="", graph=None, config=None, device=None):
        super().__init__(target, graph, config, device)
        _sessions.stack.append(self)

    def close(self):
        super().close()
        if self in _sessions.stack:
            _sessions.stack.remove(self)
