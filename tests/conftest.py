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


@pytest.fixture
def eager():
    """Runs a test in eager mode, with Keras's layer-name counters fresh (names start again at `dense`)."""
    tf.enable_eager_execution()
    tf.keras.backend.clear_session()
    yield
    tf.keras.backend.clear_session()


@pytest.fixture(params=["graph", "eager"])
def mode(request):
    """Runs a test in graph mode (the default) and again in eager mode."""
    if request.param == "eager":
        tf.enable_eager_execution()
        tf.keras.backend.clear_session()
    return request.param
