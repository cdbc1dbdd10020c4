"""The `checkpoint` state file of a directory: which checkpoint is the latest and which are still kept.

It is written in TF's text form (`model_checkpoint_path: "model.ckpt-1000"`, then one
`all_model_checkpoint_paths: "..."` line per kept checkpoint), atomically, so TF1 tooling reads it too.
Relative paths are relative to the directory holding the file.
"""
import json
import logging
import os

from flowgraph.io.atomic import write_atomically
from flowgraph.train.checkpoint_files import CheckpointReader, checkpoint_exists

__all__ = ["CheckpointState", "get_checkpoint_state", "update_checkpoint_state", "latest_checkpoint",
           "checkpoint_exists", "list_variables", "load_variable"]

STATE_FILENAME = "checkpoint"


class CheckpointState:
    """The parsed state file: `model_checkpoint_path` (the latest) and `all_model_checkpoint_paths` (oldest
    first, the latest last)."""

    def __init__(self, model_checkpoint_path="", all_model_checkpoint_paths=()):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)

    def __repr__(self):
        return "CheckpointState(model_checkpoint_path=%r, all_model_checkpoint_paths=%r)" % (
            self.model_checkpoint_path, self.all_model_checkpoint_paths)


def _state_path(checkpoint_dir, latest_filename):
    return os.path.join(checkpoint_dir, latest_filename or STATE_FILENAME)


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None, latest_filename=None):
    """Record `model_checkpoint_path` as the latest checkpoint of `save_dir` (atomically)."""
    paths = [p for p in (all_model_checkpoint_paths or []) if p != model_checkpoint_path]
    paths.append(model_checkpoint_path)
    lines = ["model_checkpoint_path: %s" % _quote(model_checkpoint_path)]
    lines.extend("all_model_checkpoint_paths: %s" % _quote(p) for p in paths)
    text = ("\n".join(lines) + "\n").encode("utf-8")
    write_atomically(_state_path(save_dir, latest_filename), lambda f: f.write(text))


def _quote(path):
    return json.dumps(path, ensure_ascii=False)


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The CheckpointState of `checkpoint_dir` with paths made absolute, or None when there is no (readable)
    state file."""
    path = _state_path(checkpoint_dir, latest_filename)
    if not os.path.isfile(path):
        return None
    state = CheckpointState()
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                key, _, value = line.partition(":")
                value = json.loads(value.strip())
                if key.strip() == "model_checkpoint_path":
                    state.model_checkpoint_path = value
                elif key.strip() == "all_model_checkpoint_paths":
                    state.all_model_checkpoint_paths.append(value)
    except (ValueError, UnicodeDecodeError) as e:
        logging.warning("%s: checkpoint state file %s is unreadable: %s", type(e).__name__, path, e)
        return None
    if not state.model_checkpoint_path:
        logging.warning("Checkpoint state file %s names no model_checkpoint_path", path)
        return None
    state.model_checkpoint_path = os.path.join(checkpoint_dir, state.model_checkpoint_path)
    state.all_model_checkpoint_paths = [os.path.join(checkpoint_dir, p) for p in state.all_model_checkpoint_paths]
    return state


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the latest checkpoint in `checkpoint_dir` (to pass to Saver.restore), or None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None:
        return None
    if not checkpoint_exists(state.model_checkpoint_path):
        logging.error("Couldn't match files for checkpoint %s", state.model_checkpoint_path)
        return None
    return state.model_checkpoint_path


def _checkpoint_prefix(ckpt_dir_or_file):
    if os.path.isdir(ckpt_dir_or_file):
        prefix = latest_checkpoint(ckpt_dir_or_file)
        if prefix is None:
            raise ValueError("Couldn't find 'checkpoint' file or checkpoints in given directory %s" % ckpt_dir_or_file)
        return prefix
    return ckpt_dir_or_file


def list_variables(ckpt_dir_or_file):
    """[(name, shape)] of the variables in a checkpoint (or a directory's latest), sorted by name."""
    reader = CheckpointReader(_checkpoint_prefix(ckpt_dir_or_file))
    return [(name, list(reader.shape(name))) for name in reader.names()]


def load_variable(ckpt_dir_or_file, name):
    """The numpy value of variable `name` in a checkpoint (or a directory's latest)."""
    name = name[:-2] if name.endswith(":0") else name
    return CheckpointReader(_checkpoint_prefix(ckpt_dir_or_file)).read([name])[name]
