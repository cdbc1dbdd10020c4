"""Where dataset files are looked for: the path given, else Keras's cache folder (~/.keras/datasets)."""
import os


def cache_dir():
    return os.path.join(os.path.expanduser("~"), ".keras", "datasets")


def resolve(path, dataset, expected):
    """The existing file or folder for `path`; FileNotFoundError saying what to provide when there is none."""
    path = os.fspath(path)
    candidates = [path] if os.path.isabs(path) else [path, os.path.join(cache_dir(), path)]
    for candidate in candidates:
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError("%s data not found at %s. flowgraph never downloads datasets: place %s there (or pass "
                            "its path)." % (dataset, " or ".join(repr(c) for c in candidates), expected))
