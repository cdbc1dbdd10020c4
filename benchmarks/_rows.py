"""How a benchmark hands its figures to run_all.py: rows appended as JSON lines to the file named by
FLOWGRAPH_BENCH_ROWS (nothing happens when it is unset, so each script still runs alone)."""
import json
import os


def report(benchmark, measure, unit, flowgraph, tensorflow=None, reference=None, reference_name=None):
    """One figure: flowgraph's, TensorFlow's when measured, and another reference (numpy, pyclblast) if any."""
    path = os.environ.get("FLOWGRAPH_BENCH_ROWS")
    if not path:
        return
    row = {"benchmark": benchmark, "measure": measure, "unit": unit, "flowgraph": flowgraph,
           "tensorflow": tensorflow, "reference": reference, "reference_name": reference_name}
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")
