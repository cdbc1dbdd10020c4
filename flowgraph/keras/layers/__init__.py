"""keras.layers: the layer classes, plus `serialize`/`deserialize` of layer configs (models included)."""
from flowgraph.keras.engine.base_layer import Layer
from flowgraph.keras.engine.input_layer import Input, InputLayer
from flowgraph.keras.layers.convolutional import Conv2D, Convolution2D
from flowgraph.keras.layers.core import Activation, Dense, Dropout, Flatten, Lambda, ReLU, Reshape, Softmax
from flowgraph.keras.layers.embeddings import Embedding
from flowgraph.keras.layers.merging import Add, Concatenate
from flowgraph.keras.layers.normalization import BatchNormalization
from flowgraph.keras.layers.pooling import (AveragePooling2D, AvgPool2D, GlobalAveragePooling2D, GlobalAvgPool2D,
                                            MaxPool2D, MaxPooling2D)
from flowgraph.keras.utils import serialization

__all__ = ["Layer", "Input", "InputLayer", "Dense", "Activation", "ReLU", "Softmax", "Flatten", "Reshape", "Dropout",
           "Lambda", "Embedding", "Conv2D", "Convolution2D", "MaxPooling2D", "MaxPool2D", "AveragePooling2D",
           "AvgPool2D", "GlobalAveragePooling2D", "GlobalAvgPool2D", "BatchNormalization", "Add", "Concatenate",
           "add", "concatenate", "serialize", "deserialize"]


def add(inputs, **kwargs):
    """Functional form of `Add`."""
    return Add(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def _module_objects():
    from flowgraph.keras.engine.functional import Functional
    from flowgraph.keras.engine.sequential import Sequential
    from flowgraph.keras.engine.training import Model
    objects = {name: globals()[name] for name in __all__ if isinstance(globals()[name], type)}
    objects.update({"Functional": Functional, "Model": Functional, "Sequential": Sequential, "ModelBase": Model})
    return objects


def serialize(layer):
    return serialization.serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """A layer (or model) from `{'class_name': ..., 'config': ...}`; custom classes come from `custom_objects`."""
    return serialization.deserialize_keras_object(config, _module_objects(), custom_objects, "layer")
