import os

os.environ.setdefault("FLOWGRAPH_CHECK_KERNELS", "1")  # every kernel result checked against static dtype/shape

import pytest  # noqa: E402

import flowgraph as tf  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_graph():
    """Each test builds in a new default graph, in graph mode."""
    tf.disable_eager_execution()
    tf.reset_default_graph()
    yield
    tf.disable_eager_execution()
