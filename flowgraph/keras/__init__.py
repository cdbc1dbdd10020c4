"""flowgraph.keras: layers, models (Sequential, functional, subclassed) and their training loop.

Models build on public ops only, so the same model trains in graph mode (`import flowgraph as tf`: fit builds
one training graph run by a Session) and in eager mode (`import flowgraph.v2 as tf`: fit traces its step once
with the eager layer's `function`).
"""
from flowgraph.keras import (activations, backend, callbacks, constraints, datasets, initializers,  # noqa: F401
                             layers, losses, metrics, models, optimizers, regularizers, utils)
from flowgraph.keras.engine.input_layer import Input  # noqa: F401
from flowgraph.keras.engine.sequential import Sequential  # noqa: F401
from flowgraph.keras.engine.training import Model  # noqa: F401

__all__ = ["Input", "Model", "Sequential", "activations", "backend", "callbacks", "constraints", "datasets",
           "initializers", "layers", "losses", "metrics", "models", "optimizers", "regularizers", "utils"]
