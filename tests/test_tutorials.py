"""Every tutorial runs end to end in quick mode and prints what its text promises."""
import os
import re
import subprocess
import sys

TUTORIALS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tutorials")


def run_tutorial(name, tmp_path):
    env = dict(os.environ, FLOWGRAPH_TUTORIAL_QUICK="1", FLOWGRAPH_TUTORIAL_OUT=str(tmp_path), MPLBACKEND="Agg")
    env.pop("FLOWGRAPH_CHECK_KERNELS", None)
    proc = subprocess.run([sys.executable, name], cwd=TUTORIALS, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (name, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc.stdout


def number_after(pattern, text):
    match = re.search(pattern + r"\s*(-?[0-9.]+(?:e-?\d+)?)", text)
    assert match, "no %r in output:\n%s" % (pattern, text)
    return float(match.group(1))


def test_01_graphs_and_sessions(tmp_path):
    out = run_tutorial("01_graphs_and_sessions.py", tmp_path)
    assert "c = 13.0" in out and "'add/y'" in out


def test_02_placeholders_and_feeds(tmp_path):
    out = run_tutorial("02_placeholders_and_feeds.py", tmp_path)
    assert "InvalidArgumentError: You must feed a value for placeholder tensor 'x'" in out
    assert "Cannot feed value of shape (1, 2)" in out


def test_03_variables(tmp_path):
    out = run_tutorial("03_variables.py", tmp_path)
    assert "after three increments: 3" in out
    assert "first session: 1 second session: 0" in out


def test_04_gradients_by_hand(tmp_path):
    out = run_tutorial("04_gradients_by_hand.py", tmp_path)
    manual = number_after(r"final loss \(manual numpy updates\):", out)
    in_graph = number_after(r"final loss \(assign_sub in the graph\):", out)
    optimizer = number_after(r"final loss \(GradientDescentOptimizer\):", out)
    assert number_after(r"step\s+0\s+loss", out) > manual
    assert abs(manual - in_graph) < 1e-4 and abs(manual - optimizer) < 1e-4


def test_05_linear_classifier(tmp_path):
    out = run_tutorial("05_linear_classifier.py", tmp_path)
    assert number_after("largest difference between the two runs' losses:", out) < 1e-4
    assert number_after("training accuracy:", out) > 0.9
    assert (tmp_path / "05_linear_classifier.png").stat().st_size > 1000


def test_06_mlp_digits(tmp_path):
    out = run_tutorial("06_mlp_digits.py", tmp_path)
    assert number_after("held-out accuracy:", out) > 0.85
    assert "restored predictions identical: True" in out
    assert (tmp_path / "06_mlp_graph.png").stat().st_size > 1000


def test_07_convnet_digits(tmp_path):
    out = run_tutorial("07_convnet_digits.py", tmp_path)
    assert number_after("held-out accuracy:", out) > 0.8


def test_08_seeing_the_graph(tmp_path):
    out = run_tutorial("08_seeing_the_graph.py", tmp_path)
    for name in ("08_full_graph.png", "08_collapsed_graph.png", "08_forward_only.svg"):
        assert (tmp_path / name).stat().st_size > 500
    assert "imported:" in out
    assert any(f.startswith("events") for f in os.listdir(tmp_path / "08_logs"))


def test_09_eager_execution(tmp_path):
    out = run_tutorial("09_eager_execution.py", tmp_path)
    assert "height 44.1, speed 29.4, acceleration 9.8" in out
    assert "traced 1 time(s)" in out


def test_10_keras_three_ways(tmp_path):
    out = run_tutorial("10_keras_three_ways.py", tmp_path)
    for name in ("Sequential", "Functional", "Subclassing"):
        assert number_after(name + r"\s+held-out accuracy", out) > 0.8
    assert number_after("hand-written loop held-out accuracy", out) > 0.8


def test_11_devices(tmp_path):
    out = run_tutorial("11_devices.py", tmp_path)
    assert "numpy" in out and "steps/s" in out
