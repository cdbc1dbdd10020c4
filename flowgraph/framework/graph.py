"""Graph, Operation and Tensor: the static dataflow graph, its names, scopes and collections."""
import contextlib
import os
import re
import sys
import threading

from flowgraph.framework.shapes import as_shape

_VALID_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class GraphKeys:
    """Standard collection names, as TF's."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    LOSSES = "losses"
    UPDATE_OPS = "update_ops"
    TRAIN_OP = "train_op"
    GLOBAL_STEP = "global_step"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    SAVERS = "savers"
    ACTIVATIONS = "activations"
    WEIGHTS = "weights"
    BIASES = "biases"
    CONCATENATED_VARIABLES = "concatenated_variables"
    VARIABLES = GLOBAL_VARIABLES


def _user_frame():
    """(file, line) of the innermost caller outside the flowgraph package, for error messages."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    return frame.f_code.co_filename, frame.f_lineno


class Tensor:
    """One output of an Operation: a symbolic value with a dtype and a static shape."""

    __slots__ = ("_op", "_value_index", "_dtype", "_shape", "_consumers", "__weakref__")
    __array_priority__ = 100  # numpy defers `ndarray + Tensor` to Tensor.__radd__

    def __init__(self, op, value_index, dtype, shape):
        self._op = op
        self._value_index = value_index
        self._dtype = dtype
        self._shape = shape
        self._consumers = []

    op = property(lambda self: self._op)
    value_index = property(lambda self: self._value_index)
    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: self._shape)
    graph = property(lambda self: self._op.graph)
    device = property(lambda self: self._op.device)

    @property
    def name(self):
        return "%s:%d" % (self._op.name, self._value_index)

    def get_shape(self):
        return self._shape

    def set_shape(self, shape):
        """Refine the static shape; ValueError if it contradicts what is known."""
        try:
            self._shape = self._shape.merge_with(as_shape(shape))
        except ValueError:
            raise ValueError("Tensor %s has shape %s, which is incompatible with %s"
                             % (self.name, self._shape, as_shape(shape))) from None

    def consumers(self):
        return list(self._consumers)

    def eval(self, feed_dict=None, session=None):
        """This tensor's value in `session` (default: the default session)."""
        return _run_in_session(self, feed_dict, session)

    def __repr__(self):
        return "<tf.Tensor '%s' shape=%s dtype=%s>" % (self.name, self._shape, self._dtype.name)

    def _repr_svg_(self):
        """Jupyter shows a tensor as a picture of the subgraph that computes it (text when graphviz is absent)."""
        from flowgraph.viz import svg_or_none
        return svg_or_none(self)

    def __str__(self):
        return 'Tensor("%s", shape=%s, dtype=%s)' % (self.name, self._shape, self._dtype.name)

    # TF1 graph tensors compare by identity, so they can key feed_dicts; object's own slots do that in C,
    # which matters because every sess.run hashes its fetches and feeds.
    __hash__ = object.__hash__
    __eq__ = object.__eq__
    __ne__ = object.__ne__

    def __bool__(self):
        raise TypeError("Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is not None:` "
                        "instead of `if t:`, or run the graph to get the value (tensor %s)." % self.name)

    def __len__(self):
        if self._shape.rank is None or self._shape.rank == 0 or self._shape[0] is None:
            raise TypeError("len of tensor %s is not defined: its static shape is %s" % (self.name, self._shape))
        return self._shape[0]

    def __iter__(self):
        rank, first = self._shape.rank, (self._shape[0] if self._shape.rank else None)
        if rank is None or rank == 0 or first is None:
            raise TypeError("Tensor %s with shape %s is not iterable: its first dimension must be known"
                            % (self.name, self._shape))
        return (self[i] for i in range(first))


def _run_in_session(fetch, feed_dict, session):
    from flowgraph.client.session import get_default_session
    session = session or get_default_session()
    if session is None:
        raise ValueError("Cannot evaluate %s: no default session is registered. Use `with sess.as_default()` "
                         "or pass a session explicitly." % getattr(fetch, "name", fetch))
    return session.run(fetch, feed_dict)


class Operation:
    """A node: an op type applied to input tensors with static attrs, producing output tensors."""

    def __init__(self, graph, opdef, name, inputs, attrs, control_inputs, device):
        self._graph = graph
        self._opdef = opdef
        self._name = name
        self._inputs = tuple(inputs)
        self._attrs = attrs
        self._control_inputs = list(control_inputs)
        self._device = device
        self._outputs = ()
        self._id = None
        self._folded = None  # cached constant-folded outputs
        self._gradient_override = None  # a RegisterGradient name, from Graph.gradient_override_map
        self._traceback = _user_frame()

    name = property(lambda self: self._name)
    type = property(lambda self: self._opdef.type_name)
    graph = property(lambda self: self._graph)
    inputs = property(lambda self: self._inputs)
    outputs = property(lambda self: list(self._outputs))
    control_inputs = property(lambda self: list(self._control_inputs))
    device = property(lambda self: self._device)
    op_def = property(lambda self: self._opdef)
    node_def = property(lambda self: {"name": self._name, "op": self.type, "attr": dict(self._attrs)})
    traceback = property(lambda self: self._traceback)

    def get_attr(self, name):
        try:
            return self._attrs[name]
        except KeyError:
            raise ValueError("Operation '%s' (type %s) has no attr named '%s'" % (self._name, self.type, name)) from None

    @property
    def attrs(self):
        return dict(self._attrs)

    def values(self):
        return tuple(self._outputs)

    def _add_control_input(self, op):
        if op not in self._control_inputs:
            self._control_inputs.append(op)

    def run(self, feed_dict=None, session=None):
        """Run this op in `session` (default: the default session)."""
        _run_in_session(self, feed_dict, session)

    def describe(self):
        """One line naming the op, its type, input shapes and the user line that built it (for errors)."""
        shapes = ", ".join(t.shape.as_proto_list() for t in self._inputs)
        text = "'%s' (op: %s, input shapes: [%s])" % (self._name, self.type, shapes)
        if self._traceback:
            text += ", defined at %s:%d" % self._traceback
        return text

    def __repr__(self):
        return "<tf.Operation '%s' type=%s>" % (self._name, self.type)

    def __str__(self):
        inputs = ", ".join(t.name for t in self._inputs)
        return 'name: "%s"\nop: "%s"\ninputs: [%s]' % (self._name, self.type, inputs)


class _ControlDependencies:
    """One `control_dependencies` block: its control inputs and the ops created inside it."""

    def __init__(self, control_ops):
        self.control_ops = control_ops
        self.new_ops = set()


class Graph:
    """A dataflow graph. Ops are added through the op dispatcher while the graph is the default."""

    def __init__(self):
        self._ops = []
        self._ops_by_name = {}
        self._names_in_use = {}
        self._name_stack = ""
        self._control_stack = []
        self._device_stack = []
        self._collections = {}
        self._finalized = False
        self._lock = threading.RLock()
        self._gradient_override_map = {}
        self._variable_scope_state = None
        self.seed = None

    # ---- building ----------------------------------------------------------------------------------------
    def _create_op(self, opdef, inputs, attrs, name):
        """A new Operation, not yet in the graph: the dispatcher infers its outputs, then registers it."""
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        op = Operation(self, opdef, name, inputs, attrs, self._control_inputs_for(inputs), self._current_device())
        op._gradient_override = self._gradient_override_map.get(opdef.type_name)
        return op

    def _register_op(self, op, output_specs):
        """Give `op` outputs [(dtype, shape)] and add it to the graph."""
        op._outputs = tuple(Tensor(op, i, dt, shape) for i, (dt, shape) in enumerate(output_specs))
        with self._lock:
            op._id = len(self._ops)
            self._ops.append(op)
            self._ops_by_name[op._name] = op
        for t in op._inputs:
            t._consumers.append(op)
        for block in self._control_stack:
            block.new_ops.add(op)
        return op

    def _control_inputs_for(self, inputs):
        """Control inputs of the open blocks, except where an input already depends on the block (as TF)."""
        if not self._control_stack:
            return []
        input_ops = {t._op for t in inputs}
        result = []
        for block in self._control_stack:
            if not any(op in block.new_ops for op in input_ops):
                result.extend(c for c in block.control_ops if c not in input_ops and c not in result)
        return result

    def _current_device(self):
        return self._device_stack[-1] if self._device_stack else ""

    def unique_name(self, name, mark_as_used=True):
        """`name` under the current name scope, suffixed _1, _2, ... as TF does when already taken."""
        if self._name_stack:
            name = self._name_stack + "/" + name
        key = name.lower()
        i = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = i + 1
        if i > 0:
            base = key
            while key in self._names_in_use:
                key = "%s_%d" % (base, i)
                i += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = "%s_%d" % (name, i - 1)
        return name

    def _op_name(self, name, default):
        """The name of a new op: a name ending in '/' is taken as is (a captured scope), else made unique."""
        if name and name.endswith("/"):
            return name[:-1]
        name = name or default
        if not _VALID_NAME.match(name):
            raise ValueError("'%s' is not a valid op name" % name)
        return self.unique_name(name)

    def get_name_scope(self):
        return self._name_stack

    @contextlib.contextmanager
    def name_scope(self, name):
        """Open a name scope: unique below the current one, absolute when it ends with '/', root for None/''."""
        if name:
            if name.endswith("/"):
                new_stack = name[:-1]
            else:
                if not _VALID_NAME.match(name):
                    raise ValueError("'%s' is not a valid scope name" % name)
                new_stack = self.unique_name(name)
        else:
            new_stack = ""
        old = self._name_stack
        self._name_stack = new_stack
        try:
            yield "" if not new_stack else new_stack + "/"
        finally:
            self._name_stack = old

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        """Ops created inside run after `control_inputs` (ops or tensors); None clears the open blocks."""
        if control_inputs is None:
            old = self._control_stack
            self._control_stack = []
            try:
                yield
            finally:
                self._control_stack = old
            return
        ops = []
        for c in control_inputs:
            c = getattr(c, "_as_graph_element", lambda c=c: c)()
            op = c.op if isinstance(c, Tensor) else c
            if not isinstance(op, Operation):
                raise TypeError("Control input must be an Operation or a Tensor, got %r" % (c,))
            if op.graph is not self:
                raise ValueError("Control input %s is from a different graph" % op.name)
            ops.append(op)
        self._control_stack.append(_ControlDependencies(ops))
        try:
            yield
        finally:
            self._control_stack.pop()

    @contextlib.contextmanager
    def device(self, device_name):
        """Record `device_name` on ops created inside (placement is the session's job)."""
        self._device_stack.append(canonical_device(device_name) if device_name else "")
        try:
            yield
        finally:
            self._device_stack.pop()

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map):
        """Within the block, use gradients registered under other names for the given op types."""
        old = dict(self._gradient_override_map)
        self._gradient_override_map.update(op_type_map)
        try:
            yield
        finally:
            self._gradient_override_map = old

    @contextlib.contextmanager
    def as_default(self):
        _graph_stack.push(self)
        try:
            yield self
        finally:
            _graph_stack.pop(self)

    def finalize(self):
        self._finalized = True

    @property
    def finalized(self):
        return self._finalized

    # ---- lookup ------------------------------------------------------------------------------------------
    def get_operations(self):
        return list(self._ops)

    def get_operation_by_name(self, name):
        if not isinstance(name, str):
            raise TypeError("Operation names are strings, got %r" % (name,))
        op = self._ops_by_name.get(name)
        if op is None:
            raise KeyError("The name '%s' refers to an Operation not in the graph." % name)
        return op

    def get_tensor_by_name(self, name):
        if not isinstance(name, str) or ":" not in name:
            raise ValueError("The name %r looks like an Operation name, not a Tensor name ('op:0')." % (name,))
        op_name, _, index = name.rpartition(":")
        op = self._ops_by_name.get(op_name)
        if op is None:
            raise KeyError("The name '%s' refers to a Tensor which does not exist. The operation, '%s', does not "
                           "exist in the graph." % (name, op_name))
        try:
            return op._outputs[int(index)]
        except (ValueError, IndexError):
            raise KeyError("The name '%s' refers to a Tensor which does not exist. The operation, '%s', exists "
                           "but only has %d outputs." % (name, op_name, len(op._outputs))) from None

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        """Resolve a Tensor, an Operation, or a name ('op' or 'op:0') to an element of this graph."""
        obj = getattr(obj, "_as_graph_element", lambda obj=obj: obj)()
        if isinstance(obj, str):
            if ":" in obj and allow_tensor:
                return self.get_tensor_by_name(obj)
            if allow_operation:
                return self.get_operation_by_name(obj)
            raise ValueError("Name %r names an Operation, but a Tensor is required here" % obj)
        if isinstance(obj, Tensor) and allow_tensor or isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError("%s is not an element of this graph." % (obj,))
            return obj
        raise TypeError("Can not convert a %s into a %s." % (type(obj).__name__,
                                                             "Tensor or Operation" if allow_operation else "Tensor"))

    def is_fetchable(self, tensor_or_op):
        return True

    @property
    def version(self):
        return len(self._ops)

    def _last_id(self):
        return len(self._ops)

    def as_graph_def(self, from_version=None, add_shapes=False):
        """The graph as data (flowgraph.io.GraphDef), for write_graph and import_graph_def."""
        from flowgraph.io.graph_io import graph_to_graph_def
        return graph_to_graph_def(self, from_version, add_shapes)

    def _repr_svg_(self):
        """Jupyter shows a graph as its rendered picture (text when graphviz is absent)."""
        from flowgraph.viz import svg_or_none
        return svg_or_none(self)

    # ---- collections -------------------------------------------------------------------------------------
    def add_to_collection(self, name, value):
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value):
        for name in [names] if isinstance(names, str) else set(names):
            self.add_to_collection(name, value)

    def get_collection_ref(self, name):
        return self._collections.setdefault(name, [])

    def get_collection(self, name, scope=None):
        """A copy of the collection; with `scope`, only items whose name matches it from the start."""
        items = self._collections.get(name, [])
        if scope is None:
            return list(items)
        pattern = re.compile(scope)
        return [item for item in items if hasattr(item, "name") and pattern.match(item.name)]

    def get_all_collection_keys(self):
        return [k for k, v in self._collections.items() if v]

    def clear_collection(self, name):
        self._collections.pop(name, None)

    def __repr__(self):
        return "<flowgraph.Graph object at 0x%x>" % id(self)


def canonical_device(spec):
    """'/opencl:0', '/device:GPU:0', 'opencl' ... -> a lower-case '/type:index' string."""
    if callable(spec):
        raise TypeError("Device functions are not supported; pass a device string such as '/opencl:0'")
    text = spec.strip().lower()
    for prefix in ("/job:localhost", "/replica:0", "/task:0"):
        text = text.replace(prefix, "")
    text = text.replace("/device:", "/").lstrip("/")
    if not text:
        return ""
    kind, _, index = text.partition(":")
    return "/%s:%s" % (kind, index or "0")


class _GraphStack(threading.local):
    """The default-graph stack: per thread, over one global default graph."""

    global_default = None

    def __init__(self):
        self.stack = []

    def push(self, graph):
        self.stack.append(graph)

    def pop(self, graph):
        if self.stack and self.stack[-1] is graph:
            self.stack.pop()

    def default(self):
        if self.stack:
            return self.stack[-1]
        if _GraphStack.global_default is None:
            _GraphStack.global_default = Graph()
        return _GraphStack.global_default


_graph_stack = _GraphStack()


def get_default_graph():
    return _graph_stack.default()


def reset_default_graph():
    """Replace the global default graph; not allowed inside a `with graph.as_default()` block."""
    if _graph_stack.stack:
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If you need a cleared "
                             "graph, exit the nesting and create a new graph.")
    _GraphStack.global_default = Graph()


def name_scope(name, default_name=None, values=None):
    """TF1's `name_scope(name, default_name, values)`: uses `default_name` when `name` is None."""
    if values is not None:
        graph = graph_of(values)
        if graph is not None and graph is not get_default_graph():
            return _scope_in_graph(graph, name or default_name)
    return get_default_graph().name_scope(name if name is not None else default_name)


@contextlib.contextmanager
def _scope_in_graph(graph, name):
    with graph.as_default(), graph.name_scope(name) as scope:
        yield scope


def graph_of(values):
    """The graph of the first graph element among `values`, or None."""
    for v in values:
        g = getattr(v, "graph", None)
        if isinstance(g, Graph):
            return g
    return None


def control_dependencies(control_inputs):
    """Ops created inside run after `control_inputs`; a no-op while executing eagerly (ops run in order), as TF."""
    from flowgraph.framework import context
    if context.executing_eagerly():
        return contextlib.nullcontext()
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name):
    """Place the ops created inside on `device_name` ('/opencl:0', '/cpu:0', ...); eager ops and variables
    created inside run and live there too."""
    return get_default_graph().device(device_name)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    get_default_graph().add_to_collections(names, value)


def get_collection(key, scope=None):
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key):
    return get_default_graph().get_collection_ref(key)


def is_tensor(x):
    return isinstance(x, Tensor) or hasattr(x, "_is_eager_tensor")

