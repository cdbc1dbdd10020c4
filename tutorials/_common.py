"""Shared by the tutorials: quick mode (CI) and where tutorials write their files."""
import os
import sys

QUICK = "--quick" in sys.argv or os.environ.get("FLOWGRAPH_TUTORIAL_QUICK") == "1"
OUT_DIR = os.environ.get("FLOWGRAPH_TUTORIAL_OUT", os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
os.makedirs(OUT_DIR, exist_ok=True)


def steps(full, quick):
    """How many steps to run: `quick` under CI, `full` otherwise."""
    return quick if QUICK else full


def out_path(name):
    return os.path.join(OUT_DIR, name)
