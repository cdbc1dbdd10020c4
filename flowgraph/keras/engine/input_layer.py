"""InputLayer and Input: the entry points of a functional model, holding the input's static shape and dtype."""
from flowgraph.framework import dtypes
from flowgraph.keras import backend
from flowgraph.keras.engine.base_layer import Layer
from flowgraph.keras.engine.keras_tensor import KerasTensor, Node


class InputLayer(Layer):
    """A layer with no inputs whose one output is the model's input KerasTensor."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, sparse=False, name=None, ragged=False,
                 batch_input_shape=None, **kwargs):
        if sparse or ragged:
            raise ValueError("Sparse and ragged inputs are not supported")
        if batch_input_shape is None:
            if input_shape is None:
                raise ValueError("An InputLayer needs `input_shape` or `batch_input_shape`")
            batch_input_shape = (batch_size,) + tuple(input_shape)
        super().__init__(name=name or backend.unique_object_name("input", zero_based=False),
                         dtype=dtype or backend.floatx(), **kwargs)
        self._batch_input_shape = tuple(None if d is None else int(d) for d in batch_input_shape)
        self.built = True
        Node(self, outputs=KerasTensor(self._batch_input_shape, dtypes.as_dtype(self.dtype), name=self.name))

    def get_config(self):
        return {"batch_input_shape": list(self._batch_input_shape), "dtype": self.dtype, "sparse": False,
                "ragged": False, "name": self.name}


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=False, tensor=None, ragged=False,  # noqa: N802
          batch_shape=None, **kwargs):
    """A symbolic input of a functional model: `shape` excludes the batch dimension (None: any size)."""
    if tensor is not None:
        raise ValueError("Input(tensor=...) is not supported: functional models replay their layers on new inputs")
    if shape is None and batch_shape is None:
        raise ValueError("Please provide to Input either a `shape` or a `batch_shape` argument. Note that "
                         "`shape` does not include the batch dimension.")
    layer = InputLayer(input_shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, name=name,
                       ragged=ragged, batch_input_shape=batch_shape, **kwargs)
    return layer._inbound_nodes[0].outputs
