"""The Keras engine: Layer, KerasTensor/Node, Input, Model and its training loop, functional and Sequential."""
