"""Graph export and import: `Graph.as_graph_def`, `write_graph`, `read_graph` and `import_graph_def`.

Import rebuilds each node through the op dispatcher, so shape and dtype rules run as when the graph was built,
and refuses documents whose ops are unknown, whose attrs an op does not declare, whose inputs name missing ops,
or whose dependencies form a cycle. Nothing in a document can name Python code to run.
"""
import contextlib
import numbers
import os

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.graph import Graph, Operation, Tensor, get_default_graph
from flowgraph.framework.op_registry import OP_DEFS, REQUIRED, apply_op, convert_to_tensor
from flowgraph.io.atomic import write_atomically
from flowgraph.io.graph_def import (MAX_DOCUMENT_BYTES, GraphDef, NodeDef, check_exportable, from_document,
                                    parse_graph_def)

__all__ = ["write_graph", "read_graph", "import_graph_def", "GraphDef"]

# The gradient rule names tf.custom_gradient registers: Python functions of this process only.
CUSTOM_GRADIENT_PREFIX = "CustomGradient-"


def graph_to_graph_def(graph, from_version=None, add_shapes=False):
    """The nodes of `graph` (those added since `from_version`, when given) as a GraphDef.

    add_shapes records each output's dtype and static shape, which import then checks.
    ValueError when an op holds Python code: a callable attr, or a tf.custom_gradient gradient.
    """
    nodes = []
    for op in graph.get_operations()[from_version or 0:]:
        for key, value in op._attrs.items():
            check_exportable(value, "attr '%s' of op '%s' (%s)" % (key, op.name, op.type))
        if (op._gradient_override or "").startswith(CUSTOM_GRADIENT_PREFIX):
            raise ValueError("Cannot export op '%s' (%s): its gradient is a Python function (tf.custom_gradient), "
                             "and graph documents hold data only" % (op.name, op.type))
        inputs = [t.name for t in op.inputs] + ["^" + c.name for c in op.control_inputs]
        outputs = [(t.dtype, t.shape) for t in op.outputs] if add_shapes else None
        nodes.append(NodeDef(op.name, op.type, inputs, op.device, dict(op._attrs), outputs, op._gradient_override))
    return GraphDef(nodes)


def write_graph(graph_or_graph_def, logdir, name, as_text=True):
    """Write the graph's JSON document to logdir/name (one node per line when as_text) and return that path.

    The file is replaced atomically, so a reader never sees half a document.
    """
    graph_def = graph_or_graph_def
    if isinstance(graph_def, Graph):
        graph_def = graph_def.as_graph_def()
    if not isinstance(graph_def, GraphDef):
        raise TypeError("write_graph needs a Graph or a GraphDef, got %s" % type(graph_or_graph_def).__name__)
    data = graph_def.to_json(one_node_per_line=as_text).encode("utf-8")
    os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, name)
    write_atomically(path, lambda f: f.write(data))
    return path


def read_graph(path):
    """The GraphDef in the JSON file at `path`; ValueError when it is not a valid graph document."""
    size = os.path.getsize(path)
    if size > MAX_DOCUMENT_BYTES:
        raise ValueError("%s is %d bytes, more than the %d a graph document may have"
                         % (path, size, MAX_DOCUMENT_BYTES))
    with open(path, "rb") as f:
        return parse_graph_def(f.read())


def import_graph_def(graph_def, input_map=None, return_elements=None, name="import"):
    """Add the nodes of `graph_def` (a GraphDef, or its document as json.load gives it) to the default graph
    under the name scope `name` ('' for none).

    input_map: {'op:idx' or '^op': Tensor or Operation} replaces those inputs with tensors of this graph.
    return_elements: names ('op:idx' for a Tensor, 'op' for an Operation) to return, in order; else None.
    ValueError names the node when the document is inconsistent: unknown op types or attrs, missing inputs,
    cycles, inputs of the wrong dtype, shapes the op rejects. All but the last two are found before any op is
    added; a node whose dtype or shape rule fails leaves the nodes built before it in the graph.
    """
    if isinstance(graph_def, dict):
        graph_def = from_document(graph_def)
    if not isinstance(graph_def, GraphDef):
        raise TypeError("import_graph_def needs a GraphDef or its JSON document (a dict), got %s"
                        % type(graph_def).__name__)
    nodes = {}
    for node in graph_def.node:
        if node.name in nodes:
            raise ValueError("graph_def has two nodes named '%s'" % node.name)
        nodes[node.name] = node
    for node in graph_def.node:
        _check_node(node)
    input_map = _check_input_map(input_map, nodes)
    wanted = _check_return_elements(return_elements, nodes)
    order = _topological_order(graph_def.node, nodes, input_map)
    graph = get_default_graph()
    created = {}
    with graph.control_dependencies(None), graph.name_scope(name if name is not None else "import"):
        for node in order:
            created[node.name] = _import_node(graph, node, created, input_map)
    return None if return_elements is None else [_element(created, *w) for w in wanted]


def graph_from_graph_def(graph_def):
    """A new Graph holding the nodes of `graph_def` under their own names."""
    graph = Graph()
    with graph.as_default():
        import_graph_def(graph_def, name="")
    return graph


# ---- checks before anything is built -----------------------------------------------------------------------

def _check_node(node):
    opdef = OP_DEFS.get(node.op)
    if opdef is None:
        raise ValueError("graph_def node '%s' has unknown op type '%s'" % (node.name, node.op))
    for key, value in node.attr.items():
        if key not in opdef.attr_defaults:
            raise ValueError("graph_def node '%s': op %s has no attr named '%s' (its attrs: %s)"
                             % (node.name, node.op, key, sorted(opdef.attr_defaults)))
        _check_attr_type(node, key, value, opdef.attr_defaults[key])
    missing = [k for k, v in opdef.attr_defaults.items() if v is REQUIRED and k not in node.attr]
    if missing:
        raise ValueError("graph_def node '%s' (op %s) is missing required attrs %s" % (node.name, node.op, missing))
    if node.op == "Const":
        _check_const(node)
    data = [i for i in node.input if not i.startswith("^")]
    declared = len(opdef.input_names)
    if opdef.variadic and len(data) < declared - 1 or not opdef.variadic and len(data) != declared:
        raise ValueError("graph_def node '%s': op %s takes %s%d inputs, the node has %d"
                         % (node.name, node.op, "at least " if opdef.variadic else "", declared - opdef.variadic,
                            len(data)))


def _check_attr_type(node, key, value, default):
    """An attr whose declared default is a bool, number, string or dtype must hold one of the same kind."""
    if value is None or default is None or default is REQUIRED:
        return
    if isinstance(default, bool):
        ok = isinstance(value, (bool, np.bool_))
    elif isinstance(default, numbers.Integral):
        ok = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    elif isinstance(default, numbers.Real):
        ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, dtypes.DType):
        ok = isinstance(value, dtypes.DType)
    else:
        return
    if not ok:
        raise ValueError("graph_def node '%s': attr '%s' of op %s must be a %s like its default %r, got %r"
                         % (node.name, key, node.op, type(default).__name__, default, value))


def _check_const(node):
    value, dtype = node.attr["value"], node.attr["dtype"]
    if not isinstance(value, np.ndarray) or not isinstance(dtype, dtypes.DType):
        raise ValueError("graph_def node '%s': a Const holds a tensor value and a dtype, got %s and %s"
                         % (node.name, type(value).__name__, type(dtype).__name__))
    if dtypes.as_dtype(value.dtype) != dtype:
        raise ValueError("graph_def node '%s': the Const's value has dtype %s but its dtype attr is %s"
                         % (node.name, dtypes.as_dtype(value.dtype).name, dtype.name))


def parse_input(text):
    """('op', index) for 'op:index' or 'op', ('op', None) for a control input '^op'."""
    if text.startswith("^"):
        return text[1:], None
    op_name, colon, index = text.rpartition(":")
    if not colon:
        return text, 0
    if not index.isdigit() or not op_name:
        raise ValueError("'%s' is not an input of the form 'op:index' or '^op'" % text)
    return op_name, int(index)


def _check_input_map(input_map, nodes):
    """{(op name, index or None): Tensor or Operation}, each key naming a node of the document."""
    result, unknown = {}, []
    for key, value in (input_map or {}).items():
        if not isinstance(key, str):
            raise TypeError("input_map keys are tensor names ('op:0') or '^op', got %r" % (key,))
        op_name, index = parse_input(key)
        if op_name not in nodes:
            unknown.append(key)
            continue
        if index is None:
            if not isinstance(value, Operation):
                raise TypeError("input_map['%s'] replaces a control input and must be an Operation, got %r"
                                % (key, value))
        elif not isinstance(value, Tensor):
            value = convert_to_tensor(value)
        result[(op_name, index)] = value
    if unknown:
        raise ValueError("Attempted to map inputs that were not found in graph_def: [%s]" % ", ".join(unknown))
    return result


def _check_return_elements(return_elements, nodes):
    wanted = []
    for text in return_elements or []:
        if not isinstance(text, str):
            raise TypeError("return_elements are names ('op' or 'op:0'), got %r" % (text,))
        op_name, index = parse_input(text) if ":" in text else (text, None)
        if op_name not in nodes:
            raise ValueError("Requested return %s '%s' not found in graph def"
                             % ("node" if index is None else "tensor", text))
        wanted.append((text, op_name, index))
    return wanted


def _dependencies(node, nodes, input_map):
    """Names of the nodes `node` needs built first; ValueError for an input naming no node."""
    deps = []
    for text in node.input:
        try:
            op_name, index = parse_input(text)
        except ValueError as e:
            raise ValueError("graph_def node '%s': %s" % (node.name, e)) from None
        if op_name not in nodes:
            raise ValueError("graph_def node '%s' has input '%s', but there is no node named '%s'"
                             % (node.name, text, op_name))
        if (op_name, index) not in input_map:
            deps.append(op_name)
    return deps


def _topological_order(node_list, nodes, input_map):
    """Nodes with their inputs first (document order where free); ValueError naming the nodes of a cycle."""
    waiting = {}
    consumers = {}
    for node in node_list:
        deps = set(_dependencies(node, nodes, input_map))
        waiting[node.name] = len(deps)
        for dep in deps:
            consumers.setdefault(dep, []).append(node.name)
    ready = [node.name for node in reversed(node_list) if waiting[node.name] == 0]
    order = []
    while ready:
        name = ready.pop()
        order.append(nodes[name])
        for consumer in reversed(consumers.get(name, [])):
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                ready.append(consumer)
    if len(order) < len(node_list):
        stuck = [node.name for node in node_list if waiting[node.name] > 0]
        raise ValueError("graph_def has a cycle: nodes %s depend on each other (through data or control inputs)"
                         % ", ".join("'%s'" % n for n in stuck[:10]))
    return order


# ---- building ----------------------------------------------------------------------------------------------

def _import_node(graph, node, created, input_map):
    inputs, controls = [], []
    for text in node.input:
        op_name, index = parse_input(text)
        mapped = input_map.get((op_name, index))
        if index is None:
            controls.append(mapped if mapped is not None else created[op_name])
        elif mapped is not None:
            inputs.append(mapped)
        else:
            inputs.append(_output(created[op_name], index, node, text))
    opdef = OP_DEFS[node.op]
    if opdef.variadic:
        fixed = len(opdef.input_names) - 1
        inputs = inputs[:fixed] + [inputs[fixed:]]
    try:
        with contextlib.ExitStack() as context:
            if node.device:
                context.enter_context(graph.device(node.device))
            if node.gradient_override:
                context.enter_context(graph.gradient_override_map({node.op: node.gradient_override}))
            context.enter_context(graph.control_dependencies(controls))
            result = apply_op(node.op, inputs, node.attr, name=node.name)
    except Exception as e:  # shape rules, dtype checks and name checks all speak for this node
        raise ValueError("graph_def node '%s' (op %s) cannot be imported: %s" % (node.name, node.op, e)) from e
    op = _op_of(result, graph)
    if node.output is not None:
        _check_outputs(node, op)
    return op


def _output(op, index, node, text):
    if index >= len(op.outputs):
        raise ValueError("graph_def node '%s' has input '%s', but op %s has %d outputs"
                         % (node.name, text, op.type, len(op.outputs)))
    return op.outputs[index]


def _op_of(result, graph):
    if isinstance(result, Operation):
        return result
    if isinstance(result, Tensor):
        return result.op
    return result[0].op if result else graph.get_operations()[-1]


def _check_outputs(node, op):
    if len(node.output) != len(op.outputs):
        raise ValueError("graph_def node '%s' records %d outputs, op %s built with its attrs has %d"
                         % (node.name, len(node.output), node.op, len(op.outputs)))
    for i, ((dtype, shape), t) in enumerate(zip(node.output, op.outputs)):
        if dtype != t.dtype or not t.shape.is_compatible_with(shape):
            raise ValueError("graph_def node '%s' records output %d as %s %s, but it is %s %s"
                             % (node.name, i, dtype.name, shape, t.dtype.name, t.shape))


def _element(created, text, op_name, index):
    op = created[op_name]
    if index is None:
        return op
    if index >= len(op.outputs):
        raise ValueError("Requested return tensor '%s' not found in graph def: op %s has %d outputs"
                         % (text, op.type, len(op.outputs)))
    return op.outputs[index]
