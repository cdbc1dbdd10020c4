"""Keras optimizers with the Keras 2 (TF >= 2.11) update rules and defaults: SGD, RMSprop, Adam, Nadam, Adagrad.

Updates are written with variable assignments and public math ops, so the same code applies gradients
eagerly, inside a traced function, or as graph ops (where `apply_gradients` returns the op that applies
them). Slots are created on first use, one set per variable; `iterations` counts applied steps.
"""
from flowgraph.framework import context, dtypes
from flowgraph.gradients import gradients
from flowgraph.ops import array_ops, math_ops
from flowgraph.keras import backend
from flowgraph.keras.utils import serialization

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "Nadam", "Adagrad", "get", "serialize", "deserialize"]


def _variable_name(variable):
    name = getattr(variable, "name", "variable")
    return name[:-2] if name.endswith(":0") else name


class Optimizer:
    """Base class: subclasses declare slots (`_create_slots`) and one variable's update (`_update_step`)."""

    _default_name = "Optimizer"

    def __init__(self, learning_rate=0.001, clipnorm=None, clipvalue=None, global_clipnorm=None, name=None,
                 **kwargs):
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        if kwargs:
            raise TypeError("Unexpected keyword arguments for %s: %s" % (type(self).__name__, sorted(kwargs)))
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set.")
        self.name = name or self._default_name
        self.learning_rate = float(learning_rate)
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self._iterations = None
        self._slots = {}  # id(variable) -> {slot name: slot variable}
        self._extra_variables = []

    # ---- state -----------------------------------------------------------------------------------------------
    def _state_variable(self, name, initial_value, dtype, shape=None):
        value = initial_value if shape is None else (lambda: array_ops.fill(shape, array_ops.constant(
            initial_value, dtype=dtype)))
        return backend.make_variable(value, "%s/%s" % (self.name, name), dtype, trainable=False)

    @property
    def iterations(self):
        """The number of steps applied so far (an int64 variable, created on first use)."""
        self._ensure_iterations()
        return self._iterations

    def _ensure_iterations(self):
        if self._iterations is None:
            self._iterations = self._state_variable("iter", 0, dtypes.int64)

    def add_slot(self, variable, slot_name, initial_value=0.0):
        """A state variable shaped like `variable`, filled with `initial_value`."""
        slots = self._slots.setdefault(id(variable), {})
        if slot_name not in slots:
            shape = variable.shape.as_list()
            slots[slot_name] = self._state_variable("%s/%s" % (_variable_name(variable), slot_name),
                                                    initial_value, variable.dtype, shape)
        return slots[slot_name]

    def get_slot(self, variable, slot_name):
        return self._slots[id(variable)][slot_name]

    def _create_slots(self, variable):
        """Create the slots of one variable (none for plain SGD)."""

    def build(self, var_list):
        """Create `iterations` and the slots of `var_list` now (fit does this before tracing its step)."""
        self._ensure_iterations()
        for variable in var_list:
            if id(variable) not in self._slots:
                self._slots[id(variable)] = {}
                self._create_slots(variable)

    def variables(self):
        """`iterations`, then every slot variable."""
        result = [self._iterations] if self._iterations is not None else []
        result.extend(self._extra_variables)
        for slots in self._slots.values():
            result.extend(slots.values())
        return result

    # ---- applying gradients ----------------------------------------------------------------------------------
    def _clip(self, grads):
        if self.clipvalue is not None:
            return [math_ops.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            return [math_ops.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            return list(math_ops.clip_by_global_norm(grads, self.global_clipnorm)[0])
        return grads

    def apply_gradients(self, grads_and_vars, name=None):
        """Apply one step of gradients to variables (pairs with a None gradient are skipped).

        Eagerly the variables change now; in graph mode the returned op applies the step when run.
        """
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable: %s"
                             % [_variable_name(v) for _, v in grads_and_vars])
        variables = [v for _, v in pairs]
        self.build(variables)
        with backend.name_scope(name or self.name):
            grads = self._clip([array_ops.convert_to_tensor(g) for g, _ in pairs])
            local_step = math_ops.cast(self.iterations, dtypes.float32) + 1.0
            updates = self._prepare_step(local_step)
            for grad, variable in zip(grads, variables):
                step = local_step if variable.dtype == dtypes.float32 else math_ops.cast(local_step, variable.dtype)
                update = self._update_step(grad, variable, step)
                constraint = getattr(variable, "_keras_constraint", None)
                if constraint is not None:
                    with backend.after([update]):
                        update = variable.assign(constraint(variable))
                updates.append(update)
            with backend.after(updates):
                increment = self.iterations.assign_add(array_ops.constant(1, dtype=dtypes.int64))
        return None if context.executing_eagerly() else increment.op

    def _prepare_step(self, local_step):
        """Per-step updates that come before the variables' (Nadam's momentum-schedule product)."""
        return []

    def _update_step(self, grad, variable, local_step):
        raise NotImplementedError

    def minimize(self, loss, var_list, tape=None):
        """Differentiate `loss` (a tensor, or a function returning one when executing eagerly) and apply."""
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        if tape is not None:
            grads = tape.gradient(loss, var_list)
        elif context.executing_eagerly():
            if not callable(loss):
                raise ValueError("`tape` is required when a `Tensor` loss is passed to minimize() eagerly.")
            from flowgraph.eager import GradientTape
            with GradientTape() as new_tape:
                value = loss()
            grads = new_tape.gradient(value, var_list)
        else:
            grads = gradients(loss() if callable(loss) else loss, var_list)
        return self.apply_gradients(zip(grads, var_list))

    # ---- config ----------------------------------------------------------------------------------------------
    def get_config(self):
        config = {"name": self.name, "learning_rate": self.learning_rate}
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


class SGD(Optimizer):
    """m = momentum * m - lr * g; w += m (Nesterov: w += momentum * m - lr * g); plain w -= lr * g."""

    _default_name = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError("`momentum` must be between [0, 1].")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _create_slots(self, variable):
        if self.momentum:
            self.add_slot(variable, "momentum")

    def _update_step(self, grad, variable, local_step):
        if not self.momentum:
            return variable.assign_sub(grad * self.learning_rate)
        m = self.get_slot(variable, "momentum")
        m_new = m.assign(m * self.momentum - grad * self.learning_rate)
        if self.nesterov:
            return variable.assign_add(m_new * self.momentum - grad * self.learning_rate)
        return variable.assign_add(m_new)

    def get_config(self):
        return dict(super().get_config(), momentum=self.momentum, nesterov=self.nesterov)


class RMSprop(Optimizer):
    """v = rho * v + (1 - rho) * g^2; step = lr * g / sqrt(v + eps) (centered: v - mean(g)^2 + eps),
    through a momentum accumulator when momentum > 0."""

    _default_name = "RMSprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = float(rho), float(momentum), float(epsilon), centered

    def _create_slots(self, variable):
        self.add_slot(variable, "velocity")
        if self.momentum > 0:
            self.add_slot(variable, "momentum")
        if self.centered:
            self.add_slot(variable, "average_gradient")

    def _update_step(self, grad, variable, local_step):
        velocity = self.get_slot(variable, "velocity")
        v_new = velocity.assign(velocity * self.rho + math_ops.square(grad) * (1.0 - self.rho))
        if self.centered:
            average = self.get_slot(variable, "average_gradient")
            a_new = average.assign(average * self.rho + grad * (1.0 - self.rho))
            denominator = v_new - math_ops.square(a_new) + self.epsilon
        else:
            denominator = v_new + self.epsilon
        increment = grad * self.learning_rate / math_ops.sqrt(denominator)
        if self.momentum > 0:
            momentum = self.get_slot(variable, "momentum")
            return variable.assign_sub(momentum.assign(momentum * self.momentum + increment))
        return variable.assign_sub(increment)

    def get_config(self):
        return dict(super().get_config(), rho=self.rho, momentum=self.momentum, epsilon=self.epsilon,
                    centered=self.centered)


class Adam(Optimizer):
    """m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)."""

    _default_name = "Adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = float(beta_1), float(beta_2), float(epsilon), amsgrad

    def _create_slots(self, variable):
        self.add_slot(variable, "m")
        self.add_slot(variable, "v")
        if self.amsgrad:
            self.add_slot(variable, "vhat")

    def _update_step(self, grad, variable, local_step):
        alpha = self.learning_rate * math_ops.sqrt(1.0 - math_ops.pow(self.beta_2, local_step)) / (
            1.0 - math_ops.pow(self.beta_1, local_step))
        m, v = self.get_slot(variable, "m"), self.get_slot(variable, "v")
        m_new = m.assign_add((grad - m) * (1.0 - self.beta_1))
        v_new = v.assign_add((math_ops.square(grad) - v) * (1.0 - self.beta_2))
        if self.amsgrad:
            vhat = self.get_slot(variable, "vhat")
            v_new = vhat.assign(math_ops.maximum(vhat, v_new))
        return variable.assign_sub(m_new * alpha / (math_ops.sqrt(v_new) + self.epsilon))

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                    amsgrad=self.amsgrad)


class Nadam(Adam):
    """Adam with Nesterov momentum and the momentum schedule u_t = b1 (1 - 0.5 * 0.96^t)."""

    _default_name = "Nadam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, name=name,
                         **kwargs)
        self._u_product = None
        self._u_product_now = None

    def build(self, var_list):
        if self._u_product is None:
            self._u_product = self._state_variable("u_product", 1.0, dtypes.float32)
            self._extra_variables.append(self._u_product)
        super().build(var_list)

    def _create_slots(self, variable):
        self.add_slot(variable, "m")
        self.add_slot(variable, "v")

    def _schedule(self, step):
        return self.beta_1 * (1.0 - 0.5 * math_ops.pow(0.96, step))

    def _prepare_step(self, local_step):
        self._u_product_now = self._u_product.assign(self._u_product * self._schedule(local_step))
        return [self._u_product_now]

    def _update_step(self, grad, variable, local_step):
        u_t, u_next = self._schedule(local_step), self._schedule(local_step + 1.0)
        u_product = self._u_product_now
        m, v = self.get_slot(variable, "m"), self.get_slot(variable, "v")
        m_new = m.assign_add((grad - m) * (1.0 - self.beta_1))
        v_new = v.assign_add((math_ops.square(grad) - v) * (1.0 - self.beta_2))
        m_hat = u_next * m_new / (1.0 - u_product * u_next) + (1.0 - u_t) * grad / (1.0 - u_product)
        v_hat = v_new / (1.0 - math_ops.pow(self.beta_2, local_step))
        return variable.assign_sub(m_hat * self.learning_rate / (math_ops.sqrt(v_hat) + self.epsilon))

    def get_config(self):
        config = super().get_config()
        config.pop("amsgrad")
        return config


class Adagrad(Optimizer):
    """acc += g^2; w -= lr * g / sqrt(acc + eps), acc starting at `initial_accumulator_value`."""

    _default_name = "Adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def _create_slots(self, variable):
        self.add_slot(variable, "accumulator", self.initial_accumulator_value)

    def _update_step(self, grad, variable, local_step):
        accumulator = self.get_slot(variable, "accumulator")
        acc_new = accumulator.assign_add(math_ops.square(grad))
        return variable.assign_sub(grad * self.learning_rate / math_ops.sqrt(acc_new + self.epsilon))

    def get_config(self):
        return dict(super().get_config(), initial_accumulator_value=self.initial_accumulator_value,
                    epsilon=self.epsilon)


_CLASSES = [SGD, RMSprop, Adam, Nadam, Adagrad]
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({cls.__name__.lower(): cls for cls in _CLASSES})


def serialize(optimizer):
    return serialization.serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    return serialization.deserialize_keras_object(config, _BY_NAME, custom_objects, "optimizer")


def get(identifier):
    """An optimizer from a name ('adam'), a config dict or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError("Could not interpret optimizer identifier: %s" % identifier)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError("Could not interpret optimizer identifier: %r" % (identifier,))
