"""Numpy kernels of the nn ops."""
