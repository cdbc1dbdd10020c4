"""Optimizer: the base every tf.train optimizer builds on (gradients, slot variables, one grouped update op)."""
from flowgraph.framework import dtypes
from flowgraph.framework.graph import GraphKeys, Tensor, control_dependencies, get_default_graph, name_scope
from flowgraph.framework.op_registry import convert_to_tensor
from flowgraph.gradients import gradients
from flowgraph.ops import array_ops, math_ops, state_ops
from flowgraph.variables import Variable, trainable_variables

_VALID_DTYPES = (dtypes.float16, dtypes.float32, dtypes.float64)


def _assert_valid_dtypes(tensors):
    for t in tensors:
        if t.dtype.base_dtype not in _VALID_DTYPES:
            raise ValueError("Invalid type %s for %s, expected: %s."
                             % (t.dtype.name, t.name, [d.name for d in _VALID_DTYPES]))


class Optimizer:
    """Subclasses state their hyperparameters (`_prepare`), slots (`_create_slots`) and the fused update of
    one variable (`_apply_dense`); this class computes gradients, makes slots once per variable, names
    everything as TF does and groups the updates (then increments `global_step`) in one op.
    """

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking, name, **hyperparameters):
        """`hyperparameters` (numbers, tensors, or callables returning them) by the names TF gives them."""
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._hyper = hyperparameters
        self._hyper_tensors = {}
        self._slots = {}  # slot name -> {variable: slot variable}
        self._non_slot_variables = {}  # (name, graph) -> variable, e.g. Adam's beta1_power

    def get_name(self):
        return self._name

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP, aggregation_method=None,
                 colocate_gradients_with_ops=False, name=None, grad_loss=None):
        """compute_gradients then apply_gradients: the op that takes one training step."""
        grads_and_vars = self.compute_gradients(loss, var_list=var_list, gate_gradients=gate_gradients,
                                                aggregation_method=aggregation_method,
                                                colocate_gradients_with_ops=colocate_gradients_with_ops,
                                                grad_loss=grad_loss)
        if not [v for g, v in grads_and_vars if g is not None]:
            raise ValueError("No gradients provided for any variable, check your graph for ops that do not support "
                             "gradients, between variables %s and loss %s."
                             % ([str(v) for _, v in grads_and_vars], loss))
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP, aggregation_method=None,
                          colocate_gradients_with_ops=False, grad_loss=None):
        """[(gradient, variable)] for `var_list` (default: the trainable variables); the gradient is None
        for a variable the loss does not depend on."""
        if gate_gradients not in (Optimizer.GATE_NONE, Optimizer.GATE_OP, Optimizer.GATE_GRAPH):
            raise ValueError("gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, "
                             "Optimizer.GATE_GRAPH. Not %s" % gate_gradients)
        loss = convert_to_tensor(loss)
        var_list = trainable_variables() if var_list is None else list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            if not isinstance(v, Variable):
                raise NotImplementedError("Trying to optimize unsupported type %r: only tf.Variable is supported"
                                          % (v,))
        _assert_valid_dtypes([loss] + [v.value() for v in var_list])
        grads = gradients(loss, var_list, grad_ys=grad_loss, aggregation_method=aggregation_method,
                          colocate_gradients_with_ops=colocate_gradients_with_ops)
        if gate_gradients == Optimizer.GATE_GRAPH:
            grads = array_ops.tuple(grads)
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """One op applying every non-None gradient to its variable, then adding 1 to `global_step`."""
        pairs = []
        for pair in grads_and_vars:
            try:
                grad, var = pair
            except (TypeError, ValueError):
                raise TypeError("grads_and_vars must be a list of (gradient, variable) pairs, got %r"
                                % (pair,)) from None
            if not isinstance(var, Variable):
                raise TypeError("Can only apply gradients to tf.Variable objects, got %r" % (var,))
            if grad is not None:
                grad = convert_to_tensor(grad, dtype=var.dtype.base_dtype)
                if not grad.shape.is_compatible_with(var.shape):
                    raise ValueError("Gradient %s has shape %s, incompatible with variable %s of shape %s"
                                     % (grad.name, grad.shape, var.op.name, var.shape))
            pairs.append((grad, var))
        if not pairs:
            raise ValueError("No variables provided.")
        var_list = [v for g, v in pairs if g is not None]
        if not var_list:
            raise ValueError("No gradients provided for any variable: %s." % ([str(v) for _, v in pairs],))
        with control_dependencies(None):
            self._create_slots(var_list)
        with name_scope(name, self._name) as scope:
            self._prepare()
            update_ops = []
            for grad, var in pairs:
                if grad is None:
                    continue
                with name_scope("update_" + var.op.name):
                    update = self._apply_dense(grad, var)
                    if var.constraint is not None:  # projected after its update, as TF1's optimizers do
                        with control_dependencies([update]):
                            update = var.assign(var.constraint(var))
                    update_ops.append(update)
            if global_step is None:
                train_op = self._finish(update_ops, scope)
            else:
                with control_dependencies([self._finish(update_ops, "update")]):
                    train_op = state_ops.assign_add(global_step, 1, name=scope).op
        collection = get_default_graph().get_collection_ref(GraphKeys.TRAIN_OP)
        if train_op not in collection:
            collection.append(train_op)
        return train_op

    # ---- slots -------------------------------------------------------------------------------------------
    def get_slot_names(self):
        return sorted(self._slots)

    def get_slot(self, var, name):
        """The slot variable `name` ('m', 'momentum', ...) of `var`, or None."""
        return self._slots.get(name, {}).get(var)

    def variables(self):
        """This optimizer's variables in the default graph (slots and e.g. beta1_power), sorted by name."""
        graph = get_default_graph()
        found = [v for (_, g), v in self._non_slot_variables.items() if g is graph]
        found.extend(v for slots in self._slots.values() for v in slots.values() if v.graph is graph)
        return sorted(found, key=lambda v: v.name)

    def _slot(self, var, slot_name, op_name, initial_value):
        """The slot, created on first use as the non-trainable variable `<var>/<op_name>` (made unique, as TF:
        Adam's second slot becomes `w/Adam_1`) holding `initial_value(shape, dtype)`."""
        slots = self._slots.setdefault(slot_name, {})
        slot = slots.get(var)
        if slot is None:
            shape, dtype = var.shape.as_list(), var.dtype.base_dtype
            with name_scope(None):
                slot = Variable(lambda: initial_value(shape, dtype), trainable=False, name=var.op.name + "/" + op_name)
            slots[var] = slot
        return slot

    def _zeros_slot(self, var, slot_name, op_name):
        return self._slot(var, slot_name, op_name, lambda shape, dtype: array_ops.zeros(shape, dtype))

    def _non_slot_variable(self, name, initial_value):
        """A variable shared by all of this optimizer's updates in one graph (Adam's beta1_power)."""
        key = (name, get_default_graph())
        var = self._non_slot_variables.get(key)
        if var is None:
            var = self._non_slot_variables[key] = Variable(initial_value, name=name, trainable=False)
        return var

    def _get_non_slot_variable(self, name):
        return self._non_slot_variables.get((name, get_default_graph()))

    # ---- what subclasses state ----------------------------------------------------------------------------
    def _create_slots(self, var_list):
        """Make the slot variables of each variable in `var_list` (none by default)."""

    def _prepare(self):
        """Turn each hyperparameter into a tensor named by its key (TF's names: `Adam/learning_rate`), once per
        apply_gradients, inside the optimizer's name scope."""
        self._hyper_tensors = {name: _hyper_tensor(value, name) for name, value in self._hyper.items()}

    def _apply_dense(self, grad, var):
        raise NotImplementedError("%s must define _apply_dense" % type(self).__name__)

    def _finish(self, update_ops, name):
        """The op grouping the per-variable updates; Adam also advances its beta powers here."""
        return array_ops.group(*update_ops, name=name)

    # ---- helpers for subclasses ----------------------------------------------------------------------------
    def _hyper_for(self, name, var):
        """Hyperparameter `name` in `var`'s dtype (float32 constants serve float64 variables, as TF)."""
        return math_ops.cast(self._hyper_tensors[name], var.dtype.base_dtype)


def _hyper_tensor(value, name):
    """A hyperparameter (number, tensor, or callable returning one) as a tensor; numbers become `name`."""
    if callable(value):
        value = value()
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        return convert_to_tensor(value)
    return convert_to_tensor(value, name=name)
