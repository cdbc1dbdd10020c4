"""The kill test: a child process saving ever larger checkpoints is killed with SIGKILL mid-save, at varied
delays; the directory's latest checkpoint must then restore exactly the values of the last completed save, and
no half-written or temporary file may pass for a checkpoint."""
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np

import flowgraph as tf

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYER_SIZE = 20000
# Saves take about half of the child's loop, so some kills land inside one; more runs are made until one has.
KILL_DELAYS = [0.05, 0.2, 0.45, 0.8, 0.1, 0.3, 0.6, 0.15, 0.5, 0.7]
MIN_RUNS = 4

# The child adds one layer per step (so each checkpoint is larger than the last), adds 1 to every layer, then
# saves. Values are whole numbers, so the parent can recompute any step's values exactly. It prints
# "saving <step>" before each save and "saved <step> <checksum>" after it, flushing each line.
CHILD = textwrap.dedent("""
    import hashlib
    import os
    import sys

    import numpy as np

    import flowgraph as tf

    directory, layer_size = sys.argv[1], int(sys.argv[2])

    def initial(i):
        return np.random.default_rng(i).integers(-1000, 1000, layer_size).astype(np.float64)

    layers, steps = [], []
    sess = tf.Session()
    for step in range(10000):
        layer = tf.Variable(initial(step) + step, name="layer_%d" % step)
        sess.run(layer.initializer)
        if layers:
            sess.run(steps)
        layers.append(layer)
        steps.append(tf.assign_add(layer, np.ones(layer_size)))
        saver = tf.train.Saver(layers, max_to_keep=None)
        digest = hashlib.sha256(b"".join(v.tobytes() for v in sess.run(layers))).hexdigest()
        print("saving %d" % step, flush=True)
        saver.save(sess, os.path.join(directory, "model"), global_step=step)
        print("saved %d %s" % (step, digest), flush=True)
""")


def expected_layers(step):
    """The values the child holds after `step`: layer i starts at initial(i) + i and gains 1 per later step."""
    return [np.random.default_rng(i).integers(-1000, 1000, LAYER_SIZE).astype(np.float64) + step
            for i in range(step + 1)]


def checksum(values):
    return hashlib.sha256(b"".join(v.tobytes() for v in values)).hexdigest()


def run_and_kill(directory, delay):
    """Start the child, wait for its first completed save, kill it `delay` seconds later; its complete lines."""
    script = os.path.join(directory, "child.py")
    with open(script, "w") as f:
        f.write(CHILD)
    checkpoints = os.path.join(directory, "checkpoints")
    os.mkdir(checkpoints)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("FLOWGRAPH_DEVICE", None)  # saves must be about half the child's loop: numpy, whatever the run's device
    child = subprocess.Popen([sys.executable, script, checkpoints, str(LAYER_SIZE)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, cwd=directory)
    try:
        first = [child.stdout.readline(), child.stdout.readline()]
        if first[1].startswith(b"saved 0 "):
            time.sleep(delay)
    finally:
        child.send_signal(signal.SIGKILL)
        rest, err = child.communicate()
    assert first[1].startswith(b"saved 0 "), err.decode(errors="replace")[-2000:]
    assert child.returncode == -signal.SIGKILL
    text = b"".join(first) + rest
    return checkpoints, [line.decode() for line in text.split(b"\n")[:-1]]  # a cut-off last line is dropped


def restore_values(prefix):
    """Restore the checkpoint `prefix` into a fresh graph and session; the layers' values in order."""
    shapes = dict(tf.train.list_variables(prefix))
    assert sorted(shapes) == sorted("layer_%d" % i for i in range(len(shapes)))
    with tf.Graph().as_default():
        layers = [tf.Variable(np.zeros(shapes["layer_%d" % i]), name="layer_%d" % i) for i in range(len(shapes))]
        saver = tf.train.Saver(layers)
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            return sess.run(layers)


def check_after_kill(checkpoints, lines):
    """The latest checkpoint restores the last completed save exactly; every other file is a complete
    checkpoint, the state file, or a hidden temporary. Returns whether the kill landed inside a save."""
    saved = {}
    for line in lines:
        kind, step, *digest = line.split()
        if kind == "saved":
            saved[int(step)] = digest[0]
    in_flight = int(lines[-1].split()[1]) if lines[-1].startswith("saving") else None
    prefix = tf.train.latest_checkpoint(checkpoints)
    assert prefix is not None
    step = int(re.fullmatch(r".*model-(\d+)", prefix).group(1))
    # Killed after a save's files and state were written but before "saved" was printed, the latest checkpoint
    # is that in-flight save; otherwise it is exactly the last printed one.
    assert step == max(saved) or step == in_flight
    values = restore_values(prefix)
    assert checksum(values) == checksum(expected_layers(step))
    if step in saved:
        assert checksum(values) == saved[step]
    for name in os.listdir(checkpoints):
        if name == "checkpoint":
            continue
        if name.startswith("."):
            assert name.endswith(".tmp"), name
            continue
        match = re.fullmatch(r"model-(\d+)(\.npz|\.index\.json)", name)
        assert match, name
        other_step = int(match.group(1))
        other = os.path.join(checkpoints, "model-%d" % other_step)
        if match.group(2) == ".index.json":
            assert checksum(restore_values(other)) == checksum(expected_layers(other_step))
        else:  # a data file without its index was cut off before the index was written: not a checkpoint
            assert os.path.exists(other + ".index.json") or other_step == in_flight
    return in_flight is not None


def test_killed_during_save_the_latest_checkpoint_is_the_last_completed_save(tmp_path):
    inside_a_save = 0
    for run, delay in enumerate(KILL_DELAYS):
        if run >= MIN_RUNS and inside_a_save:
            break
        directory = tmp_path / ("killed_after_%gs" % delay)
        directory.mkdir()
        checkpoints, lines = run_and_kill(str(directory), delay)
        inside_a_save += check_after_kill(checkpoints, lines)
        if run:
            shutil.rmtree(str(tmp_path / ("killed_after_%gs" % KILL_DELAYS[run - 1])))
    assert inside_a_save, "no kill landed inside a save, so nothing was tested mid-save"

    # the directory stays usable: a new save becomes the latest
    layer = tf.Variable(np.arange(3.0), name="layer_0")
    with tf.Session() as sess:
        sess.run(layer.initializer)
        new_prefix = tf.train.Saver([layer]).save(sess, os.path.join(checkpoints, "model"), global_step=10 ** 6)
    assert tf.train.latest_checkpoint(checkpoints) == new_prefix
    np.testing.assert_array_equal(restore_values(new_prefix)[0], np.arange(3.0))
