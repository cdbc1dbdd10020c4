"""keras.datasets: small datasets as numpy arrays, read from local files (nothing is ever downloaded)."""
from flowgraph.keras.datasets import cifar100, digits, mnist  # noqa: F401

__all__ = ["cifar100", "digits", "mnist"]
