"""Registers the OpenCL backend (the package flowgraph.backends.opencl) for device strings '/opencl:N'."""
from flowgraph.backends import register_backend
from flowgraph.backends.opencl.plan import backend

register_backend("opencl", backend)
