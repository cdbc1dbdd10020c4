"""Every declared op is complete: a numpy kernel, an explicit gradient decision, and a sane signature."""
import pytest

import flowgraph  # noqa: F401 - declares every op and registers the numpy kernels
from flowgraph.framework.op_registry import NOT_DIFFERENTIABLE, OP_DEFS, OpDef

ALL_OPS = sorted(n for n, d in OP_DEFS.items() if d.module.startswith("flowgraph."))  # not tests' own ops


def test_the_op_set_is_loaded():
    assert len(ALL_OPS) > 150


@pytest.mark.parametrize("type_name", ALL_OPS)
def test_every_op_has_a_numpy_kernel(type_name):
    assert callable(OP_DEFS[type_name].kernels.get("numpy")), "%s has no numpy kernel" % type_name


@pytest.mark.parametrize("type_name", ALL_OPS)
def test_every_op_decides_its_gradient(type_name):
    grad = OP_DEFS[type_name].grad
    assert grad is NOT_DIFFERENTIABLE or callable(grad)


@pytest.mark.parametrize("type_name", ALL_OPS)
def test_ref_inputs_come_first(type_name):
    refs = OP_DEFS[type_name].ref_inputs
    assert list(refs) == list(range(len(refs))), "kernels receive the cells of ref inputs as leading arguments"


def test_an_op_must_declare_its_gradient():
    with pytest.raises(TypeError, match="grad="):
        OpDef("UndecidedOp", inputs=("x",))


def test_an_op_is_declared_once():
    with pytest.raises(ValueError, match="declared twice"):
        OpDef("AddV2", inputs=("x", "y"), grad=NOT_DIFFERENTIABLE)
