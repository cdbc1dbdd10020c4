"""Run every benchmark and print one table: flowgraph's figures beside TensorFlow's (when installed) and
beside the other reference each benchmark measures (hand-written numpy, pyclblast).

Run: python benchmarks/run_all.py [--quick]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# script -> arguments (full run, quick run)
BENCHMARKS = {
    "session_overhead.py": ([], ["--calls", "1000"]),
    "graph_build.py": ([], []),
    "mlp_step.py": ([], ["--seconds", "1.5"]),
    "eager.py": ([], []),
    "keras_fit.py": ([], []),
    "opencl.py": ([], []),
}


def run(script, args, rows_path):
    env = dict(os.environ, FLOWGRAPH_BENCH_ROWS=rows_path)
    proc = subprocess.run([sys.executable, os.path.join(HERE, script)] + args, env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        print("%s failed (exit %d):\n%s" % (script, proc.returncode, proc.stderr[-2000:]), file=sys.stderr)


def fmt(value):
    if value is None:
        return "-"
    return "%.3g" % value if abs(value) < 100 else "%.0f" % value


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter measurements")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows_path = os.path.join(tmp, "rows.jsonl")
        open(rows_path, "w").close()
        for script, (full, quick) in BENCHMARKS.items():
            print("running %s ..." % script, file=sys.stderr, flush=True)
            run(script, quick if args.quick else full, rows_path)
        with open(rows_path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    print("| benchmark | measure | unit | flowgraph | tensorflow | other reference |")
    print("| --- | --- | --- | ---: | ---: | --- |")
    for r in rows:
        other = "-" if r["reference"] is None else "%s (%s)" % (fmt(r["reference"]), r["reference_name"])
        print("| %s | %s | %s | %s | %s | %s |" % (r["benchmark"], r["measure"], r["unit"], fmt(r["flowgraph"]),
                                                   fmt(r["tensorflow"]), other))


if __name__ == "__main__":
    main()
