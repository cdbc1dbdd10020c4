"""Numpy kernels of the summary ops: values in, a serialized Summary proto (a 0-d string tensor) out.

The protos come from the `tensorboard` package, imported on first use: flowgraph.summary checks it is there
before it builds a summary op.
"""
import functools

import numpy as np

from flowgraph.backends.numpy import numpy_kernel
from flowgraph.framework import errors


@functools.lru_cache(maxsize=None)
def _summary_pb2():
    from tensorboard.compat.proto import summary_pb2
    return summary_pb2


@functools.lru_cache(maxsize=None)
def default_bucket_limits():
    """TF's histogram buckets: +-1e-12 growing by 10% up to 1e20, around 0, closed by +-DBL_MAX."""
    positive = [1e-12]
    while positive[-1] * 1.1 < 1e20:
        positive.append(positive[-1] * 1.1)
    positive.append(np.finfo(np.float64).max)
    return np.array([-v for v in reversed(positive)] + [0.0] + positive)


def _text(tag):
    return tag.decode("utf-8") if isinstance(tag, bytes) else str(tag)


def _serialized(summary):
    return np.array(summary.SerializeToString(), dtype=object)


@numpy_kernel("ScalarSummary")
def _scalar_summary(tags, values):
    if tags.shape != values.shape:
        raise errors.InvalidArgumentError(None, None, "tags and values are not the same shape: %s != %s"
                                          % (list(tags.shape), list(values.shape)))
    pb = _summary_pb2()
    return _serialized(pb.Summary(value=[pb.Summary.Value(tag=_text(tag), simple_value=float(value))
                                         for tag, value in zip(tags.reshape(-1), values.reshape(-1))]))


@numpy_kernel("HistogramSummary")
def _histogram_summary(tag, values):
    if tag.ndim:
        raise errors.InvalidArgumentError(None, None, "tags must be scalar, got shape %s" % list(tag.shape))
    tag = _text(tag[()])
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(values)):
        raise errors.InvalidArgumentError(None, None, "Nan in summary histogram for: %s" % tag)
    pb = _summary_pb2()
    histo = pb.HistogramProto(num=values.size, sum=float(values.sum()), sum_squares=float(np.dot(values, values)))
    histo.min = float(values.min()) if values.size else np.finfo(np.float64).max
    histo.max = float(values.max()) if values.size else -np.finfo(np.float64).max
    limits = default_bucket_limits()
    buckets = np.minimum(np.searchsorted(limits, values, side="right"), len(limits) - 1)
    counts = np.bincount(buckets, minlength=len(limits))
    for end, count in _merged_empty_runs(limits, counts):
        histo.bucket_limit.append(end)
        histo.bucket.append(count)
    return _serialized(pb.Summary(value=[pb.Summary.Value(tag=tag, histo=histo)]))


def _merged_empty_runs(limits, counts):
    """(bucket end, count) pairs as TF writes them: each run of empty buckets becomes its last bucket."""
    nonzero = counts > 0
    keep = nonzero | np.append(nonzero[1:], True)
    return zip(limits[keep].tolist(), counts[keep].astype(float).tolist())


@numpy_kernel("MergeSummary")
def _merge_summary(*inputs):
    pb = _summary_pb2()
    merged = pb.Summary()
    tags = set()
    for serialized in (s for value in inputs for s in np.asarray(value, dtype=object).reshape(-1)):
        for value in pb.Summary.FromString(serialized).value:
            if value.tag in tags:
                raise errors.InvalidArgumentError(None, None, "Duplicate tag %s found in summary inputs" % value.tag)
            tags.add(value.tag)
            merged.value.add().CopyFrom(value)
    return _serialized(merged)
