"""Numpy kernel of CheckNumerics."""
import numpy as np

from flowgraph.backends.numpy import numpy_kernel
from flowgraph.framework import errors


@numpy_kernel("CheckNumerics")
def _check_numerics(tensor, message):
    if np.all(np.isfinite(tensor)):
        return tensor
    kinds = [word for word, bad in (("NaN", np.isnan(tensor).any()), ("Inf", np.isinf(tensor).any())) if bad]
    raise errors.InvalidArgumentError(None, None, "%s : Tensor had %s values" % (message, " and ".join(kinds)))
