"""Saving without pickle: weights as .npz, whole models as a zip of JSON config plus weights.

`save_weights` writes one array per weight (in a fixed order: layer by layer, each layer's weights in creation
order) and their names. `save_model` writes a zip archive holding `config.json` (the architecture as Keras
configs, the compile arguments, and a subclassed model's build shape) and `weights.npz`. Custom layers, losses
and functions are stored by name and found again through `custom_objects`. Files are written to a temporary
name in the target directory and renamed into place, so a crash never leaves a half-written file.
"""
import io
import json
import os
import zipfile

import numpy as np

from flowgraph.io.atomic import write_atomically
from flowgraph.keras import backend, losses, metrics, optimizers
from flowgraph.keras.utils import serialization

FORMAT = "flowgraph-keras-v1"
_NAMES_KEY = "__weight_names__"


def _atomic_write(filepath, write, overwrite):
    """Call `write(file object)` on a temporary file next to `filepath`, then rename it into place."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError("%s exists and overwrite=False" % filepath)
    os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
    write_atomically(filepath, write)


def _weight_arrays(model):
    weights = model._weights_in_creation_order()
    values = backend.get_values(weights)
    arrays = {"w%05d" % i: value for i, value in enumerate(values)}
    arrays[_NAMES_KEY] = np.array([getattr(w, "name", "") for w in weights], dtype=np.str_)
    return arrays


def _write_npz(f, arrays):
    np.savez(f, **arrays)


def save_weights(model, filepath, overwrite=True):
    """Write `model`'s weights to `filepath` as an .npz file."""
    arrays = _weight_arrays(model)
    _atomic_write(filepath, lambda f: _write_npz(f, arrays), overwrite)


def _assign_weights(model, archive, source):
    weights = model._weights_in_creation_order()
    count = len([k for k in archive.files if k != _NAMES_KEY])
    if count != len(weights):
        raise ValueError("Weight file %s holds %d weights, but model %s has %d: the architectures differ"
                         % (source, count, model.name, len(weights)))
    names = archive[_NAMES_KEY] if _NAMES_KEY in archive.files else [""] * count
    pairs = []
    for i, weight in enumerate(weights):
        value = archive["w%05d" % i]
        expected = tuple(weight.shape.as_list())
        if value.shape != expected:
            raise ValueError("Weight %d of %s (saved as '%s') has shape %s, but the model's weight %s has shape %s"
                             % (i, source, names[i], value.shape, weight.name, expected))
        pairs.append((weight, value))
    backend.set_values(pairs)


def load_weights(model, filepath):
    """Assign the weights saved by `save_weights` (or inside a saved model) to `model`, in order."""
    filepath = os.fspath(filepath)
    if zipfile.is_zipfile(filepath) and _is_model_archive(filepath):
        with zipfile.ZipFile(filepath) as archive:
            data = archive.read("weights.npz")
        with np.load(io.BytesIO(data), allow_pickle=False) as weights:
            _assign_weights(model, weights, filepath)
        return
    with np.load(filepath, allow_pickle=False) as weights:
        _assign_weights(model, weights, filepath)


def _is_model_archive(filepath):
    with zipfile.ZipFile(filepath) as archive:
        return "config.json" in archive.namelist()


def save_model(model, filepath, overwrite=True):
    """Write the architecture, compile arguments and weights of `model` to one zip archive."""
    import flowgraph
    config = {"format": FORMAT, "flowgraph_version": flowgraph.__version__,
              "model": serialization.serialize_keras_object(model),
              "compile_config": model._compile_config,
              "build_input_shape": None if model._is_graph_network else model._build_input_shape}
    text = json.dumps(config, indent=1)
    weights = io.BytesIO()
    _write_npz(weights, _weight_arrays(model))

    def write(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("config.json", text)
            archive.writestr("weights.npz", weights.getvalue())
    _atomic_write(filepath, write, overwrite)


def _resolve_spec(spec, deserialize, keep=()):
    """Names and configs of losses/metrics back to objects (names in `keep` are left for compile to resolve)."""
    if spec is None:
        return None
    if isinstance(spec, list):
        return [_resolve_spec(s, deserialize, keep) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _resolve_spec(v, deserialize, keep) for k, v in spec.items()}
    if isinstance(spec, str) and spec in keep:
        return spec
    return deserialize(spec)


def load_model(filepath, custom_objects=None, compile=True):  # noqa: A002 - Keras's argument name
    """A model saved by `model.save`, rebuilt from its config (custom classes and functions from
    `custom_objects`), with its weights and, when `compile`, compiled as it was."""
    from flowgraph.keras import layers
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise OSError("No file or directory found at %s" % filepath)
    if not zipfile.is_zipfile(filepath) or not _is_model_archive(filepath):
        raise ValueError("%s is not a model saved by model.save() (a zip archive with config.json and "
                         "weights.npz); use model.load_weights() for weight files" % filepath)
    with zipfile.ZipFile(filepath) as archive:
        config = json.loads(archive.read("config.json"))
    if config.get("format") != FORMAT:
        raise ValueError("%s has format %r, expected %r" % (filepath, config.get("format"), FORMAT))
    with serialization.custom_object_scope(custom_objects or {}):
        model = layers.deserialize(config["model"], custom_objects=custom_objects)
        if config.get("build_input_shape") is not None and not model.built:
            model.build(config["build_input_shape"])
        load_weights(model, filepath)
        compile_config = config.get("compile_config")
        if compile and compile_config:
            model.compile(
                optimizer=optimizers.deserialize(compile_config["optimizer"], custom_objects),
                loss=_resolve_spec(compile_config["loss"], lambda s: losses.deserialize(s, custom_objects)),
                metrics=_resolve_spec(compile_config["metrics"], lambda s: metrics.deserialize(s, custom_objects),
                                      keep=("accuracy", "acc", "crossentropy", "ce")),
                loss_weights=compile_config.get("loss_weights"),
                weighted_metrics=_resolve_spec(compile_config.get("weighted_metrics"),
                                               lambda s: metrics.deserialize(s, custom_objects),
                                               keep=("accuracy", "acc", "crossentropy", "ce")))
    return model


def model_from_json(json_string, custom_objects=None):
    """A new model (fresh weights) from the architecture `model.to_json()` wrote."""
    from flowgraph.keras import layers
    return layers.deserialize(json.loads(json_string), custom_objects=custom_objects)
