"""Atomic file replacement, shared by everything that writes files (checkpoints, Keras saving, graph export).

A file is written under a temporary name in its own directory, fsynced, renamed over the target, and the
directory is fsynced: a crash leaves either the old file or the new one under the target's name, never half.
"""
import os
import uuid


def write_atomically(path, write):
    """Call `write(file)` on a binary temporary file beside `path`, fsync it, then rename it to `path`.

    On any failure the temporary file is removed and `path` keeps its previous content.
    """
    directory = os.path.dirname(os.path.abspath(path))
    tmp_path = os.path.join(directory, ".%s.%s.tmp" % (os.path.basename(path), uuid.uuid4().hex))
    # O_EXCL with mode 0o666: a new file, with the permissions the umask gives (mkstemp's would be owner-only)
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    """Make the rename durable; some platforms cannot open a directory, and then there is nothing to do."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
