"""Saver: round trips through files, the checkpoint state file, max_to_keep, atomic writes, and TF's error
classes for damaged, missing or mismatched checkpoints."""
import os

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.train import checkpoint_files

X = np.random.default_rng(0).standard_normal([8, 3]).astype(np.float32)
Y = np.random.default_rng(1).standard_normal([8, 2]).astype(np.float32)


def _model():
    """A linear model trained with Adam (so slots and beta powers are saved too) and its prediction."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w")
    b = tf.Variable(np.zeros(2, np.float32), name="b")
    prediction = tf.matmul(x, w) + b
    d = prediction - Y
    step = tf.train.get_or_create_global_step()
    train = tf.train.AdamOptimizer(0.05).minimize(tf.reduce_sum(d * d), global_step=step)
    return x, prediction, train


def _trained_checkpoint(directory, steps=3):
    """Train, save at the global step; returns (prefix, predictions, predictions after one more step)."""
    x, prediction, train = _model()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            sess.run(train, {x: X})
        prefix = saver.save(sess, os.path.join(directory, "model.ckpt"), global_step=tf.train.get_global_step())
        before = sess.run(prediction, {x: X})
        sess.run(train, {x: X})
        after = sess.run(prediction, {x: X})
    return prefix, before, after


def test_round_trip_into_a_fresh_graph_and_session(tmp_path):
    prefix, before, after = _trained_checkpoint(str(tmp_path))
    assert prefix == os.path.join(str(tmp_path), "model.ckpt-3")
    assert os.path.isfile(prefix + ".npz") and os.path.isfile(prefix + ".index.json")
    with tf.Graph().as_default():
        x, prediction, train = _model()
        saver = tf.train.Saver()
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run(prediction, {x: X}), before)
            assert sess.run(tf.train.get_global_step()) == 3
            sess.run(train, {x: X})  # slots and beta powers came back too: training continues identically
            np.testing.assert_array_equal(sess.run(prediction, {x: X}), after)


def test_state_file_and_latest_checkpoint(tmp_path):
    directory = str(tmp_path)
    assert tf.train.latest_checkpoint(directory) is None and tf.train.get_checkpoint_state(directory) is None
    v = tf.Variable([1.0, 2.0], name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        first = saver.save(sess, os.path.join(directory, "m"), global_step=10)
        second = saver.save(sess, os.path.join(directory, "m"), global_step=20)
    text = open(os.path.join(directory, "checkpoint")).read()
    assert text == ('model_checkpoint_path: "%s"\nall_model_checkpoint_paths: "%s"\n'
                    'all_model_checkpoint_paths: "%s"\n' % (second, first, second))
    assert tf.train.latest_checkpoint(directory) == second
    state = tf.train.get_checkpoint_state(directory)
    assert state.model_checkpoint_path == second and state.all_model_checkpoint_paths == [first, second]
    assert tf.train.list_variables(directory) == [("v", [2])]
    np.testing.assert_array_equal(tf.train.load_variable(first, "v"), [1.0, 2.0])


def test_relative_paths_and_padded_steps(tmp_path):
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver(save_relative_paths=True, pad_step_number=True)
    with tf.Session() as sess:
        sess.run(v.initializer)
        prefix = saver.save(sess, os.path.join(str(tmp_path), "m"), global_step=7)
    assert prefix.endswith("m-00000007")
    assert 'model_checkpoint_path: "m-00000007"' in open(os.path.join(str(tmp_path), "checkpoint")).read()
    assert tf.train.latest_checkpoint(str(tmp_path)) == prefix


def test_max_to_keep_deletes_old_checkpoints(tmp_path):
    v = tf.Variable(0.0, name="v")
    bump = v.assign_add(1.0)
    saver = tf.train.Saver(max_to_keep=2)
    path = os.path.join(str(tmp_path), "m")
    with tf.Session() as sess:
        sess.run(v.initializer)
        prefixes = []
        for step in range(4):
            sess.run(bump)
            prefixes.append(saver.save(sess, path, global_step=step))
    assert saver.last_checkpoints == prefixes[2:]
    assert [tf.train.checkpoint_exists(p) for p in prefixes] == [False, False, True, True]
    assert not os.path.exists(prefixes[0] + ".npz")
    assert tf.train.get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths == prefixes[2:]
    assert tf.train.load_variable(str(tmp_path), "v") == 4.0


def test_var_list_as_dict_renames(tmp_path):
    a = tf.Variable([1.0, 2.0], name="a")
    path = os.path.join(str(tmp_path), "m")
    with tf.Session() as sess:
        sess.run(a.initializer)
        tf.train.Saver({"weights": a}).save(sess, path)
    assert tf.train.list_variables(path) == [("weights", [2])]
    with tf.Graph().as_default():
        other = tf.Variable([0.0, 0.0], name="other")
        with tf.Session() as sess:
            tf.train.Saver({"weights": other}).restore(sess, path)
            np.testing.assert_array_equal(sess.run(other), [1.0, 2.0])


def _saved_variable(directory, value=(1.0, 2.0), name="v"):
    v = tf.Variable(np.asarray(value, np.float32), name=name)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        return v, saver, saver.save(sess, os.path.join(directory, "m"))


def test_failed_write_leaves_the_last_good_checkpoint(tmp_path, monkeypatch):
    directory = str(tmp_path)
    v, saver, good = _saved_variable(directory)
    state_before = open(os.path.join(directory, "checkpoint")).read()

    def crash_mid_write(file, **arrays):
        file.write(b"PK\x03\x04 partial")
        raise OSError("disk full")
    with tf.Session() as sess:
        sess.run(v.assign([5.0, 6.0]))
        monkeypatch.setattr(np, "savez", crash_mid_write)
        with pytest.raises(OSError, match="disk full"):
            saver.save(sess, os.path.join(directory, "m"), global_step=1)
        with pytest.raises(OSError, match="disk full"):
            saver.save(sess, good)  # overwriting the good checkpoint itself fails without touching it
        monkeypatch.undo()
        assert sorted(os.listdir(directory)) == ["checkpoint", "m.index.json", "m.npz"]
        assert open(os.path.join(directory, "checkpoint")).read() == state_before
        assert tf.train.latest_checkpoint(directory) == good
        saver.restore(sess, good)
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])


def test_failed_index_write_keeps_previous_state(tmp_path, monkeypatch):
    directory = str(tmp_path)
    v, saver, good = _saved_variable(directory)
    real_replace = os.replace

    def fail_on_index(src, dst):
        if dst.endswith(".index.json"):
            raise OSError("power cut")
        real_replace(src, dst)
    monkeypatch.setattr(os, "replace", fail_on_index)
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(OSError, match="power cut"):
            saver.save(sess, os.path.join(directory, "m"), global_step=1)
    monkeypatch.undo()
    assert not tf.train.checkpoint_exists(os.path.join(directory, "m-1"))
    assert not [f for f in os.listdir(directory) if f.endswith(".tmp")]
    assert tf.train.latest_checkpoint(directory) == good


def test_truncated_data_is_data_loss(tmp_path):
    v, saver, prefix = _saved_variable(str(tmp_path))
    with open(prefix + ".npz", "r+b") as f:
        f.truncate(40)
    with tf.Session() as sess, pytest.raises(tf.errors.DataLossError, match="m.npz"):
        saver.restore(sess, prefix)


def test_corrupted_data_is_data_loss(tmp_path):
    v, saver, prefix = _saved_variable(str(tmp_path))
    data = bytearray(open(prefix + ".npz", "rb").read())
    data[len(data) // 2] ^= 0xFF
    open(prefix + ".npz", "wb").write(bytes(data))
    with tf.Session() as sess, pytest.raises(tf.errors.DataLossError, match="SHA-256"):
        saver.restore(sess, prefix)


def test_corrupted_index_is_data_loss(tmp_path):
    v, saver, prefix = _saved_variable(str(tmp_path))
    open(prefix + ".index.json", "w").write('{"format": "flowgraph-checkpoint", "vari')
    with tf.Session() as sess, pytest.raises(tf.errors.DataLossError, match="index"):
        saver.restore(sess, prefix)


def test_data_file_is_never_unpickled(tmp_path):
    v, saver, prefix = _saved_variable(str(tmp_path))
    np.savez(prefix + ".npz", arr_0=np.array([{"evil": 1}], dtype=object))
    reader = checkpoint_files.CheckpointReader(prefix)
    reader._digest = checkpoint_files._sha256(prefix + ".npz")  # a consistent but hostile data file
    with pytest.raises(tf.errors.DataLossError, match="pickle"):
        reader.read(["v"])


def test_missing_variable_is_not_found(tmp_path):
    _, _, prefix = _saved_variable(str(tmp_path))
    with tf.Graph().as_default():
        tf.Variable([0.0, 0.0], name="v")
        tf.Variable(3.0, name="extra")
        with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError, match="Key extra not found"):
            tf.train.Saver().restore(sess, prefix)


def test_shape_and_dtype_mismatch_are_invalid_argument(tmp_path):
    _, _, prefix = _saved_variable(str(tmp_path))
    with tf.Graph().as_default():
        tf.Variable([0.0, 0.0, 0.0], name="v")
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                                 match=r"Restoring v .*shape \[3\] .*shape \[2\]"):
            tf.train.Saver().restore(sess, prefix)
    with tf.Graph().as_default():
        tf.Variable([0, 0], name="v")
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="dtype int32 .*float32"):
            tf.train.Saver().restore(sess, prefix)


def test_restore_requires_an_existing_checkpoint(tmp_path):
    v, saver, _ = _saved_variable(str(tmp_path))
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="not a valid checkpoint"):
            saver.restore(sess, os.path.join(str(tmp_path), "nothing"))
        with pytest.raises(ValueError, match="None"):
            saver.restore(sess, None)
        with pytest.raises(ValueError, match="Parent directory"):
            saver.save(sess, os.path.join(str(tmp_path), "no", "such", "dir", "m"))


def test_saver_construction_errors():
    with pytest.raises(ValueError, match="No variables to save"):
        tf.train.Saver()
    v = tf.Variable(1.0, name="v")
    with pytest.raises(ValueError, match="same name: v"):
        tf.train.Saver([v, v])
    with pytest.raises(TypeError, match="not a Variable"):
        tf.train.Saver([tf.constant(1.0)])


def test_saving_uninitialized_variable_fails(tmp_path):
    tf.Variable(1.0, name="v")
    with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value v"):
        tf.train.Saver().save(sess, os.path.join(str(tmp_path), "m"))
    assert os.listdir(str(tmp_path)) == []
