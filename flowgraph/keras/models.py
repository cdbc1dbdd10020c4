"""keras.models: the model classes and whole-model saving and loading."""
from flowgraph.keras.engine.functional import Functional  # noqa: F401
from flowgraph.keras.engine.sequential import Sequential  # noqa: F401
from flowgraph.keras.engine.training import Model  # noqa: F401
from flowgraph.keras.saving import load_model, model_from_json  # noqa: F401

__all__ = ["Functional", "Model", "Sequential", "load_model", "model_from_json", "save_model"]


def save_model(model, filepath, overwrite=True):
    model.save(filepath, overwrite=overwrite)
