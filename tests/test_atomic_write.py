"""io.atomic.write_atomically: the one file-replacement path of checkpoints, Keras saving and graph export."""
import os

import pytest

from flowgraph.io.atomic import write_atomically


def test_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = str(tmp_path / "state")
    write_atomically(path, lambda f: f.write(b"first"))
    write_atomically(path, lambda f: f.write(b"second"))
    assert open(path, "rb").read() == b"second"
    assert os.listdir(tmp_path) == ["state"]


def test_a_failing_writer_keeps_the_previous_content(tmp_path):
    path = str(tmp_path / "state")
    write_atomically(path, lambda f: f.write(b"good"))

    def half_then_fail(f):
        f.write(b"half")
        raise OSError("disk full")
    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, half_then_fail)
    assert open(path, "rb").read() == b"good"
    assert os.listdir(tmp_path) == ["state"]


def test_a_missing_directory_is_an_error_and_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomically(str(tmp_path / "absent" / "state"), lambda f: f.write(b"x"))
    assert os.listdir(tmp_path) == []


def test_written_files_get_the_umask_permissions(tmp_path):
    import os
    from flowgraph.io.atomic import write_atomically
    target = tmp_path / "data.bin"
    old = os.umask(0o022)
    try:
        write_atomically(str(target), lambda f: f.write(b"x"))
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644
