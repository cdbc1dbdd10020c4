"""GraphDef: a graph as plain data, and its versioned JSON document (no pickle, nothing that runs code).

The document is {"format": "flowgraph.GraphDef", "version": 1, "node": [...]}. Each node has `name`, `op`,
`input` ('op:idx' for data, '^op' for control inputs), `device`, `attr`, and optionally `output` (dtype and
shape of each output) and `gradient_override` (a RegisterGradient name). Attr values are JSON where JSON can
say them and one-key tagged objects otherwise: {"dtype": "float32"}, {"shape": [null, 3]}, {"tuple": [...]},
{"tensor": {"dtype", "shape", "data" (little-endian base64) or "values" (strings)}}, {"scalar": <tensor>},
{"bytes": base64}, {"float": "nan"}.

Parsing checks structure, types and sizes and raises ValueError naming the node and field; what the ops mean
(known types and attrs, references, cycles) is checked by `import_graph_def`.
"""
import base64
import binascii
import json
import math
import numbers

import numpy as np

from flowgraph.framework import dtypes, limits
from flowgraph.framework.shapes import TensorShape

FORMAT = "flowgraph.GraphDef"
VERSION = 1
MAX_DOCUMENT_BYTES = 1 << 30
MAX_NESTING = 32
MAX_RANK = 32
_NODE_FIELDS = ("name", "op", "input", "device", "attr", "output", "gradient_override")


class NodeDef:
    """One op as data: attr values are Python values (numpy arrays, DTypes, lists), `output` [(DType, shape)]."""

    __slots__ = _NODE_FIELDS

    def __init__(self, name, op, input=(), device="", attr=None, output=None,  # noqa: A002 - TF's field name
                 gradient_override=None):
        self.name = name
        self.op = op
        self.input = list(input)
        self.device = device
        self.attr = dict(attr or {})
        self.output = output
        self.gradient_override = gradient_override

    def __repr__(self):
        return "<NodeDef '%s' op=%s>" % (self.name, self.op)


class GraphDef:
    """A graph as a list of NodeDefs, in the order they were built; serialises to the JSON document."""

    def __init__(self, node=None):
        self.node = list(node or [])

    def to_json(self, one_node_per_line=False):
        """The JSON document; ValueError when an attr cannot be written (a Python callable, an unknown type).

        one_node_per_line gives a readable, diff-friendly text; otherwise it is compact.
        """
        doc = to_document(self)
        if not one_node_per_line:
            return json.dumps(doc, allow_nan=False, separators=(",", ":"))
        nodes = ",\n  ".join(json.dumps(n, allow_nan=False) for n in doc["node"])
        return '{"format": %s, "version": %d, "node": [\n  %s\n]}\n' % (json.dumps(FORMAT), VERSION, nodes)

    def SerializeToString(self):  # noqa: N802 - TF's method name
        return self.to_json().encode("utf-8")

    def ParseFromString(self, data):  # noqa: N802
        self.node = parse_graph_def(data).node

    @classmethod
    def FromString(cls, data):  # noqa: N802
        return parse_graph_def(data)

    def __repr__(self):
        return "<GraphDef with %d nodes>" % len(self.node)


# ---- writing -----------------------------------------------------------------------------------------------

def to_document(graph_def):
    return {"format": FORMAT, "version": VERSION, "node": [_node_document(n) for n in graph_def.node]}


def _node_document(node):
    where = "node '%s' (op %s)" % (node.name, node.op)
    doc = {"name": node.name, "op": node.op, "input": list(node.input)}
    if node.device:
        doc["device"] = node.device
    doc["attr"] = {key: encode_value(value, "attr '%s' of %s" % (key, where)) for key, value in node.attr.items()}
    if node.output is not None:
        doc["output"] = [{"dtype": dt.name, "shape": TensorShape(shape).dims} for dt, shape in node.output]
    if node.gradient_override:
        doc["gradient_override"] = node.gradient_override
    return doc


def check_exportable(value, where):
    """ValueError naming `where` when `value` has no JSON form: a Python callable (a custom gradient, a Python
    function) or an object of a type the format does not know."""
    encode_value(value, where, arrays=False)


def encode_value(value, where, arrays=True):
    """The JSON form of one attr value (arrays=False only checks that there is one)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, dtypes.DType):
        return {"dtype": value.name}
    if isinstance(value, TensorShape):
        return {"shape": value.dims}
    if isinstance(value, np.ndarray):
        return {"tensor": _encode_array(value, where)} if arrays else _check_array_dtype(value, where)
    if isinstance(value, np.generic):
        return {"scalar": _encode_array(np.asarray(value), where)} if arrays else _check_array_dtype(value, where)
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [encode_value(v, where, arrays) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [encode_value(v, where, arrays) for v in value]}
    if callable(value):
        raise ValueError("Cannot export %s: its value %r is a Python callable (a custom gradient or Python "
                         "function), and graph documents hold data only" % (where, value))
    raise ValueError("Cannot export %s: a value of type %s has no graph-document form"
                     % (where, type(value).__name__))


def _check_array_dtype(value, where):
    try:
        return dtypes.as_dtype(value.dtype)
    except TypeError:
        raise ValueError("Cannot export %s: arrays of numpy dtype %s have no graph-document form"
                         % (where, value.dtype)) from None


def _encode_array(array, where):
    dt = _check_array_dtype(array, where)
    doc = {"dtype": dt.name, "shape": list(array.shape)}
    if dt is dtypes.string:
        doc["values"] = [_encode_string(v, where) for v in array.reshape(-1)]
    else:
        little = array.astype(array.dtype.newbyteorder("<"), copy=False)
        doc["data"] = base64.b64encode(np.ascontiguousarray(little).tobytes()).decode("ascii")
    return doc


def _encode_string(value, where):
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, str):
        return value
    raise ValueError("Cannot export %s: string tensors hold str or bytes, not %s" % (where, type(value).__name__))


# ---- reading -----------------------------------------------------------------------------------------------

def parse_graph_def(data):
    """A GraphDef from the JSON document in `data` (str or bytes); ValueError says what is wrong and where."""
    if not isinstance(data, (str, bytes, bytearray)):
        raise ValueError("A graph document is JSON text (str or bytes), got %s" % type(data).__name__)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValueError("The graph document is larger than %d bytes" % MAX_DOCUMENT_BYTES)
    if not isinstance(data, str):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError("The graph document is not UTF-8 text: %s" % e) from None
    try:
        doc = json.loads(data, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as e:
        raise ValueError("Not a JSON graph document: %s" % e) from None
    except RecursionError:
        raise ValueError("The graph document is nested too deeply") from None
    return from_document(doc)


def _reject_constant(name):
    raise ValueError("The graph document contains %s, which JSON does not allow (write {\"float\": \"nan\"})"
                     % name)


def _unique_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("The graph document repeats the key '%s' in one object" % key)
        result[key] = value
    return result


def from_document(doc):
    """A GraphDef from an already-parsed JSON document (dicts and lists)."""
    if not isinstance(doc, dict):
        raise ValueError("A graph document is a JSON object, got %s" % _json_type(doc))
    unknown = sorted(set(doc) - {"format", "version", "node"})
    if unknown:
        raise ValueError("The graph document has unknown field(s) %s" % unknown)
    if doc.get("format") != FORMAT:
        raise ValueError("Not a flowgraph graph document: its format is %r, expected %r"
                         % (doc.get("format"), FORMAT))
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
        raise ValueError("Graph document version %r is not supported: this flowgraph reads version %d"
                         % (version, VERSION))
    nodes = doc.get("node")
    if not isinstance(nodes, list):
        raise ValueError("The graph document's 'node' must be a list, got %s" % _json_type(nodes))
    graph_def = GraphDef([_parse_node(n, i) for i, n in enumerate(nodes)])
    seen = set()
    for node in graph_def.node:
        if node.name in seen:
            raise ValueError("The graph document has two nodes named '%s'" % node.name)
        seen.add(node.name)
    return graph_def


def _parse_node(doc, index):
    if not isinstance(doc, dict):
        raise ValueError("Node %d of the graph document must be an object, got %s" % (index, _json_type(doc)))
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("Node %d of the graph document needs a non-empty string 'name', got %r" % (index, name))
    where = "node '%s'" % name
    unknown = sorted(set(doc) - set(_NODE_FIELDS))
    if unknown:
        raise ValueError("%s has unknown field(s) %s" % (where, unknown))
    op = _field(doc, "op", str, where)
    inputs = _field(doc, "input", list, where, [])
    for i, text in enumerate(inputs):
        if not isinstance(text, str):
            raise ValueError("%s: input %d must be a string 'op:index' or '^op', got %s"
                             % (where, i, _json_type(text)))
    device = _field(doc, "device", str, where, "")
    attr_doc = _field(doc, "attr", dict, where, {})
    attr = {key: decode_value(value, "attr '%s' of %s" % (key, where)) for key, value in attr_doc.items()}
    output = doc.get("output")
    if output is not None:
        output = _parse_outputs(output, where)
    override = doc.get("gradient_override")
    if override is not None and not isinstance(override, str):
        raise ValueError("%s: 'gradient_override' must be a string, got %s" % (where, _json_type(override)))
    return NodeDef(name, op, inputs, device, attr, output, override)


def _field(doc, key, kind, where, default=None):
    if key not in doc:
        if default is None:
            raise ValueError("%s has no '%s'" % (where, key))
        return default
    value = doc[key]
    if not isinstance(value, kind):
        raise ValueError("%s: '%s' must be a %s, got %s" % (where, key, _JSON_NAMES[kind], _json_type(value)))
    return value


def _parse_outputs(doc, where):
    if not isinstance(doc, list):
        raise ValueError("%s: 'output' must be a list, got %s" % (where, _json_type(doc)))
    result = []
    for i, spec in enumerate(doc):
        here = "output %d of %s" % (i, where)
        if not isinstance(spec, dict) or set(spec) != {"dtype", "shape"}:
            raise ValueError("%s must be an object with exactly 'dtype' and 'shape', got %r" % (here, spec))
        result.append((_decode_dtype(spec["dtype"], here, 0), _decode_shape(spec["shape"], here, 0)))
    return result


def decode_value(doc, where, depth=0):
    """The Python value of one JSON attr value; ValueError for unknown tags, wrong types, oversize tensors."""
    if depth > MAX_NESTING:
        raise ValueError("%s is nested more than %d deep" % (where, MAX_NESTING))
    if doc is None or isinstance(doc, (bool, str, int)):
        return doc
    if isinstance(doc, float):
        return doc
    if isinstance(doc, list):
        return [decode_value(v, where, depth + 1) for v in doc]
    if isinstance(doc, dict):
        if len(doc) != 1:
            raise ValueError("%s: a tagged value has exactly one key (one of %s), got %s"
                             % (where, sorted(_DECODERS), sorted(doc)))
        (tag, payload), = doc.items()
        decoder = _DECODERS.get(tag)
        if decoder is None:
            raise ValueError("%s has an unknown value tag '%s' (expected one of %s)" % (where, tag, sorted(_DECODERS)))
        return decoder(payload, where, depth + 1)
    raise ValueError("%s has a value of JSON type %s" % (where, _json_type(doc)))


def _decode_dtype(payload, where, depth):
    if not isinstance(payload, str):
        raise ValueError("%s: a dtype is named by a string, got %s" % (where, _json_type(payload)))
    try:
        return dtypes.as_dtype(payload)
    except TypeError:
        raise ValueError("%s names an unknown dtype '%s'" % (where, payload)) from None


def _decode_shape(payload, where, depth):
    if payload is None:
        return TensorShape(None)
    if not isinstance(payload, list) or len(payload) > MAX_RANK:
        raise ValueError("%s: a shape is null or a list of at most %d dims, got %r" % (where, MAX_RANK, payload))
    for d in payload:
        if d is not None and (not _is_int(d) or d < 0):
            raise ValueError("%s: shape dims must be non-negative integers or null, got %r" % (where, payload))
    return TensorShape(payload)


def _decode_tuple(payload, where, depth):
    if not isinstance(payload, list):
        raise ValueError("%s: a tuple is written as a list, got %s" % (where, _json_type(payload)))
    return tuple(decode_value(v, where, depth + 1) for v in payload)


def _decode_float(payload, where, depth):
    if payload not in ("nan", "inf", "-inf"):
        raise ValueError("%s: a tagged float is 'nan', 'inf' or '-inf', got %r" % (where, payload))
    return float(payload)


def _decode_bytes(payload, where, depth):
    if not isinstance(payload, str):
        raise ValueError("%s: bytes are written as a base64 string, got %s" % (where, _json_type(payload)))
    try:
        return base64.b64decode(payload, validate=True)
    except binascii.Error as e:
        raise ValueError("%s: invalid base64 (%s)" % (where, e)) from None


def _decode_scalar(payload, where, depth):
    array = _decode_tensor(payload, where, depth)
    if array.ndim:
        raise ValueError("%s: a scalar has shape [], got %s" % (where, list(array.shape)))
    return array[()]


def _decode_tensor(payload, where, depth):
    if not isinstance(payload, dict):
        raise ValueError("%s: a tensor is an object with dtype, shape and data, got %s" % (where, _json_type(payload)))
    dt = _decode_dtype(payload.get("dtype"), where, depth)
    content = "values" if dt is dtypes.string else "data"
    if set(payload) != {"dtype", "shape", content}:
        raise ValueError("%s: a %s tensor has exactly the fields dtype, shape and %s, got %s"
                         % (where, dt.name, content, sorted(payload)))
    shape = payload["shape"]
    if not isinstance(shape, list) or len(shape) > MAX_RANK or not all(_is_int(d) and d >= 0 for d in shape):
        raise ValueError("%s: a tensor's shape is a list of at most %d non-negative integers, got %r"
                         % (where, MAX_RANK, shape))
    limits.check_build_size(shape, dt.as_numpy_dtype, "The tensor in %s" % where)
    count = math.prod(shape)
    if dt is dtypes.string:
        values = payload["values"]
        if not isinstance(values, list) or len(values) != count:
            raise ValueError("%s: a string tensor of shape %s needs a list of %d values" % (where, shape, count))
        strings = [v if isinstance(v, str) else _decode_tagged_bytes(v, where, depth) for v in values]
        array = np.empty(count, dtype=object)
        array[:] = strings
        return array.reshape(shape)
    return _decode_numeric(payload["data"], dt, shape, count, where)


def _decode_tagged_bytes(value, where, depth):
    if not isinstance(value, dict) or set(value) != {"bytes"}:
        raise ValueError("%s: string tensor values are strings or {\"bytes\": base64}, got %r" % (where, value))
    return _decode_bytes(value["bytes"], where, depth)


def _decode_numeric(data, dt, shape, count, where):
    nbytes = count * dt.size
    if not isinstance(data, str) or len(data) != 4 * ((nbytes + 2) // 3):
        raise ValueError("%s: a %s tensor of shape %s needs %d bytes of base64 data, got %s"
                         % (where, dt.name, shape, nbytes, "%d characters" % len(data)
                            if isinstance(data, str) else _json_type(data)))
    raw = _decode_bytes(data, where, 0)
    if len(raw) != nbytes:
        raise ValueError("%s: the data holds %d bytes, the shape %s needs %d" % (where, len(raw), shape, nbytes))
    if dt is dtypes.bool and raw and max(raw) > 1:
        raise ValueError("%s: bool tensor data must be bytes 0 or 1" % where)
    little = np.dtype(dt.as_numpy_dtype).newbyteorder("<")
    return np.frombuffer(raw, dtype=little).astype(dt.as_numpy_dtype).reshape(shape)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


_JSON_NAMES = {str: "string", list: "list", dict: "object"}


def _json_type(value):
    for kind, name in ((bool, "boolean"), (str, "string"), (int, "number"), (float, "number"), (list, "list"),
                       (dict, "object")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


_DECODERS = {"dtype": _decode_dtype, "shape": _decode_shape, "tuple": _decode_tuple, "float": _decode_float,
             "bytes": _decode_bytes, "tensor": _decode_tensor, "scalar": _decode_scalar}
