"""Neural-network ops: activations, softmax and cross-entropies, convolution, pooling, normalization."""

__all__ = []
