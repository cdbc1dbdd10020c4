"""tf.summary (TF1): summary ops that serialise values into Summary protos, and FileWriter for TensorBoard.

Protos and the record framing come from the `tensorboard` package, imported only when a summary is first
built or written (tensorboard's own writer would import TensorFlow; its record writer does not).
"""
import itertools
import os
import re
import socket
import threading
import time
import types

from flowgraph.framework import dtypes
from flowgraph.framework.graph import Graph, GraphKeys, add_to_collections, get_collection, name_scope
from flowgraph.framework.op_registry import NOT_DIFFERENTIABLE, OpDef, apply_op, convert_to_tensor
from flowgraph.framework.shapes import TensorShape
from flowgraph.io.graph_def import GraphDef
from flowgraph.io.graph_io import graph_from_graph_def

__all__ = ["scalar", "histogram", "merge", "merge_all", "FileWriter"]

REAL_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int16, dtypes.int32,
              dtypes.int64, dtypes.uint8, dtypes.uint16)
_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w.]")
_writer_ids = itertools.count()


def _scalar_output(op):
    return TensorShape(())


# `same_dtype` names only `values`, so `allowed` checks the values (not the string tags).
OpDef("ScalarSummary", inputs=("tags", "values"), same_dtype=("values",), allowed=REAL_TYPES,
      shape=_scalar_output, dtype=lambda op: dtypes.string, grad=NOT_DIFFERENTIABLE)
OpDef("HistogramSummary", inputs=("tag", "values"), same_dtype=("values",), allowed=REAL_TYPES,
      shape=_scalar_output, dtype=lambda op: dtypes.string, grad=NOT_DIFFERENTIABLE)
OpDef("MergeSummary", inputs=("*inputs",), same_dtype=("inputs",), allowed=(dtypes.string,),
      shape=_scalar_output, dtype=lambda op: dtypes.string, grad=NOT_DIFFERENTIABLE)


def protos():
    """tensorboard's proto modules (summary_pb2, event_pb2, graph_pb2, types_pb2) and its RecordWriter."""
    try:
        from tensorboard.compat.proto import event_pb2, graph_pb2, summary_pb2, types_pb2
        from tensorboard.summary.writer.record_writer import RecordWriter
    except ImportError:
        raise ImportError("flowgraph.summary needs the 'tensorboard' package for its Summary protos and event "
                          "files: pip install tensorboard (or flowgraph[summary])") from None
    return types.SimpleNamespace(summary_pb2=summary_pb2, event_pb2=event_pb2, graph_pb2=graph_pb2,
                                 types_pb2=types_pb2, RecordWriter=RecordWriter)


def clean_tag(name):
    """TF's tag rule: characters other than letters, digits, '_', '-', '.', '/' become '_'."""
    return None if name is None else _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")


def _summary_scope(name, family, values):
    """A unique name scope for the summary op; the tag is the scope's name (prefixed by `family`)."""
    name, family = clean_tag(name), clean_tag(family)
    return name_scope(name if family is None else "%s/%s" % (family, name), values=values)


def _tag(scope, family):
    return scope.rstrip("/") if family is None else "%s/%s" % (clean_tag(family), scope.rstrip("/"))


def scalar(name, tensor, collections=None, family=None):
    """A serialized Summary holding one scalar, tagged with the name scope it is built in."""
    return _summary_op("ScalarSummary", "tags", name, tensor, collections, family)


def histogram(name, values, collections=None, family=None):
    """A serialized Summary holding a histogram of `values` in TF's default buckets; NaN or Inf values fail."""
    return _summary_op("HistogramSummary", "tag", name, values, collections, family)


def _summary_op(type_name, tag_input, name, values, collections, family):
    protos()
    with _summary_scope(name, family, [values]) as scope:
        tag = convert_to_tensor(_tag(scope, family), dtype=dtypes.string, name=tag_input)
        summary = apply_op(type_name, (tag, convert_to_tensor(values, name="values")), name=scope)
    add_to_collections(GraphKeys.SUMMARIES if collections is None else collections, summary)
    return summary


def merge(inputs, collections=None, name=None):
    """One Summary with the values of all `inputs` (serialized Summaries); duplicate tags fail at run time."""
    protos()
    inputs = [convert_to_tensor(s, dtype=dtypes.string) for s in inputs]
    if not inputs:
        raise ValueError("List argument 'inputs' to 'MergeSummary' Op with length 0 shorter than minimum length 1")
    with name_scope(name, "Merge", inputs):
        summary = apply_op("MergeSummary", (inputs,), name=name)
    if collections:
        add_to_collections(collections, summary)
    return summary


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None):
    """merge() of every summary in collection `key` (optionally matching `scope`); None when there are none."""
    summaries = get_collection(key, scope=scope)
    return merge(summaries, name=name) if summaries else None


class FileWriter:
    """Appends events (summaries, the graph) to a new event file in `logdir`, for TensorBoard to read.

    Writes happen in the calling thread; the file is flushed every `max_queue` events, after `flush_secs`,
    and on flush() and close().
    """

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None, filename_suffix=None,
                 session=None):
        self._protos = protos()
        self._logdir = str(logdir)
        os.makedirs(self._logdir, exist_ok=True)
        filename = "events.out.tfevents.%010d.%s.%d.%d%s" % (
            time.time(), socket.gethostname(), os.getpid(), next(_writer_ids), filename_suffix or "")
        self._path = os.path.join(self._logdir, filename)
        self._writer = self._protos.RecordWriter(open(self._path, "wb"))
        self._lock = threading.Lock()
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._pending = 0
        self._last_flush = time.time()
        self.add_event(self._protos.event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"))
        if graph is None and session is not None:
            graph = session.graph
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    def get_logdir(self):
        return self._logdir

    def add_event(self, event):
        """Append one Event proto."""
        with self._lock:
            if self._writer.closed:
                raise RuntimeError("FileWriter for %s is closed" % self._path)
            self._writer.write(event.SerializeToString())
            self._pending += 1
            if self._pending >= self._max_queue or time.time() - self._last_flush >= self._flush_secs:
                self._flush_locked()

    def add_summary(self, summary, global_step=None):
        """Append a Summary: the bytes a summary op returns from Session.run, or a Summary proto."""
        summary_pb2 = self._protos.summary_pb2
        if isinstance(summary, bytes):
            summary = summary_pb2.Summary.FromString(summary)
        if not isinstance(summary, summary_pb2.Summary):
            raise TypeError("add_summary needs the serialized Summary a summary op returns (bytes) or a Summary "
                            "proto, got %s" % type(summary).__name__)
        event = self._protos.event_pb2.Event(wall_time=time.time(), summary=summary)
        if global_step is not None:
            event.step = int(global_step)
        self.add_event(event)

    def add_graph(self, graph, global_step=None, graph_def=None):
        """Append a Graph (or a flowgraph GraphDef) for TensorBoard's graph tab: names, op types, inputs,
        devices and output shapes."""
        graph = graph if graph is not None else graph_def
        if isinstance(graph, GraphDef):
            graph = graph_from_graph_def(graph)
        if not isinstance(graph, Graph):
            raise TypeError("add_graph needs a Graph or a GraphDef, got %s" % type(graph).__name__)
        event = self._protos.event_pb2.Event(wall_time=time.time(),
                                             graph_def=tensorboard_graph_def(graph).SerializeToString())
        if global_step is not None:
            event.step = int(global_step)
        self.add_event(event)

    def flush(self):
        with self._lock:
            self._flush_locked()

    def _flush_locked(self):
        if not self._writer.closed:
            self._writer.flush()
        self._pending = 0
        self._last_flush = time.time()

    def close(self):
        with self._lock:
            if not self._writer.closed:
                self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def tensorboard_graph_def(graph):
    """`graph` as TensorFlow's GraphDef proto, as TensorBoard draws it: inputs named 'op' / 'op:1' / '^op',
    devices, simple attrs and each node's `_output_shapes`."""
    found = protos()
    types_pb2 = found.types_pb2
    graph_def = found.graph_pb2.GraphDef()
    graph_def.versions.producer = 22
    for op in graph.get_operations():
        node = graph_def.node.add(name=op.name, op=op.type, device=op.device)
        node.input.extend(t.op.name if t.value_index == 0 else t.name for t in op.inputs)
        node.input.extend("^" + c.name for c in op.control_inputs)
        shapes = node.attr["_output_shapes"].list.shape
        for t in op.outputs:
            _set_shape(shapes.add(), t.shape)
        if op.outputs:
            node.attr["T"].type = _data_type(types_pb2, op.outputs[0].dtype)
        for key, value in op.attrs.items():
            _set_attr(node.attr, key, value, types_pb2)
    return graph_def


def _set_shape(proto, shape):
    if shape.rank is None:
        proto.unknown_rank = True
    for d in shape.dims or []:
        proto.dim.add(size=-1 if d is None else d)


def _data_type(types_pb2, dtype):
    return getattr(types_pb2, "DT_" + {"float16": "HALF", "float32": "FLOAT", "float64": "DOUBLE"}.get(
        dtype.name, dtype.name.upper()))


def _set_attr(attrs, key, value, types_pb2):
    """Copy the attrs TensorBoard can show (numbers, strings, dtypes, shapes, int lists); skip tensors."""
    if isinstance(value, bool):
        attrs[key].b = value
    elif isinstance(value, int):
        attrs[key].i = value
    elif isinstance(value, float):
        attrs[key].f = value
    elif isinstance(value, str):
        attrs[key].s = value.encode("utf-8")
    elif isinstance(value, dtypes.DType):
        attrs[key].type = _data_type(types_pb2, value)
    elif key == "shape" and (value is None or isinstance(value, (list, tuple))):
        _set_shape(attrs[key].shape, TensorShape(value))
    elif isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        attrs[key].list.i.extend(value)
