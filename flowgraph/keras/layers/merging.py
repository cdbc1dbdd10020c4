"""Merging layers: Add (elementwise sum) and Concatenate (along an axis) of a list of inputs."""
from flowgraph.framework.shapes import TensorShape, broadcast_shapes
from flowgraph.ops import array_ops, math_ops
from flowgraph.keras.engine.base_layer import Layer


def _check_list(layer, inputs, at_least=2):
    if not isinstance(inputs, (list, tuple)) or len(inputs) < at_least:
        raise ValueError("A merge layer (%s) should be called on a list of at least %d inputs. Received: inputs=%r"
                         % (layer.name, at_least, inputs))


class Add(Layer):
    """The elementwise sum of the inputs (their shapes must match or broadcast)."""

    def call(self, inputs):
        _check_list(self, inputs)
        total = inputs[0]
        for x in inputs[1:]:
            total = math_ops.add(total, x)
        return total

    def compute_output_shape(self, input_shape):
        _check_list(self, input_shape)
        shape = TensorShape(input_shape[0])
        for other in input_shape[1:]:
            try:
                shape = broadcast_shapes(shape, TensorShape(other))
            except ValueError:
                raise ValueError("Inputs have incompatible shapes. Received shapes %s and %s"
                                 % (shape, TensorShape(other))) from None
        return shape


class Concatenate(Layer):
    """The inputs joined along `axis`; all other dimensions must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        _check_list(self, inputs, at_least=1)
        return array_ops.concat(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        _check_list(self, input_shape, at_least=1)
        shapes = [TensorShape(s) for s in input_shape]
        if any(s.rank is None for s in shapes):
            return TensorShape(None)
        rank = shapes[0].rank
        axis = self.axis % rank
        dims = shapes[0].as_list()
        for shape in shapes[1:]:
            other = shape.as_list()
            if len(other) != rank or any(a is not None and b is not None and a != b
                                         for i, (a, b) in enumerate(zip(dims, other)) if i != axis):
                raise ValueError("A `Concatenate` layer requires inputs with matching shapes except for the concat "
                                 "axis. Received: input_shape=%s" % [s.as_list() for s in shapes])
            dims = [None if (i == axis and (a is None or b is None)) else a + b if i == axis else a if a is not None
                    else b for i, (a, b) in enumerate(zip(dims, other))]
        return TensorShape(dims)

    def get_config(self):
        return dict(super().get_config(), axis=self.axis)
