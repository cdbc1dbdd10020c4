"""Numpy kernels of the fused optimizer updates (TF's training_ops formulas, in the same order of operations).

Ref inputs arrive as VariableCells. Each kernel computes fresh arrays for the variable and its slots and
swaps them into the cells under the cells' locks (variable first, then slots in input order, so concurrent
updates cannot deadlock); arrays read earlier, or fetched, are never written. Temporaries are reused
through `out=` so a step allocates little more than the new values themselves. Gradient descent and Adam,
the common cases, update in place when nothing but the cell holds the arrays (`_unshared`), which saves the
large allocations and memory passes of big layers; the arithmetic is the same either way.
"""
import sys

import numpy as np

from flowgraph.backends.numpy import numpy_kernel
from flowgraph.backends.numpy.donation import into_kernel
from flowgraph.ops import training_ops  # noqa: F401 - declares the ops these kernels register for


def _unshared(cell):
    """The cell's array when no one else references it (no fetched value, no pending read, no eager tensor),
    so it may be overwritten; else None. References counted: the cell's, `value` here, getrefcount's."""
    value = cell.value
    if value.__class__ is np.ndarray and value.base is None and value.flags.writeable and \
            sys.getrefcount(value) <= 3:
        return value
    return None


def _fresh(result):
    """A ufunc's new result as an array: for 0-d operands numpy returns a scalar, which `out=` cannot take."""
    return result if result.__class__ is np.ndarray else np.asarray(result)


@numpy_kernel("ApplyGradientDescent")
def _apply_gradient_descent(var, alpha, delta, use_locking):
    with var.lock:
        target = _unshared(var)
        if target is not None and target.shape == np.shape(delta):
            target -= delta * alpha
            return target
        new = _fresh(np.multiply(delta, alpha))
        var.value = np.subtract(var.read(), new, out=new)
    return new


@into_kernel("ApplyGradientDescent", positions=(1,))
def _apply_gradient_descent_into(var, alpha, delta, use_locking, out):
    """As the kernel, scaling the gradient in its own array (the run reads it for the last time here)."""
    step = np.multiply(delta, alpha, out=out)
    with var.lock:
        target = _unshared(var)
        if target is not None and target.shape == step.shape:
            target -= step
            return target
        var.value = np.subtract(var.read(), step, out=step)
    return step


@numpy_kernel("ApplyMomentum")
def _apply_momentum(var, accum, lr, grad, momentum, use_locking, use_nesterov):
    with var.lock, accum.lock:
        new_accum = _fresh(np.multiply(accum.read(), momentum))
        new_accum += grad
        if use_nesterov:
            step = _fresh(np.multiply(grad, lr))
            step += new_accum * momentum * lr
        else:
            step = _fresh(np.multiply(new_accum, lr))
        accum.value = new_accum
        var.value = new = np.subtract(var.read(), step, out=step)
    return new


@numpy_kernel("ApplyAdagrad")
def _apply_adagrad(var, accum, lr, grad, use_locking, update_slots):
    with var.lock, accum.lock:
        new_accum = accum.read()
        if update_slots:
            new_accum = _fresh(np.multiply(grad, grad))
            new_accum += accum.read()
        step = _fresh(np.sqrt(new_accum))
        np.divide(grad, step, out=step)
        step *= lr
        accum.value = new_accum
        var.value = new = np.subtract(var.read(), step, out=step)
    return new


@numpy_kernel("ApplyAdadelta")
def _apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, use_locking):
    with var.lock, accum.lock, accum_update.lock:
        old_update = accum_update.read()
        new_accum = _fresh(np.multiply(accum.read(), rho))
        new_accum += np.square(grad) * (1 - rho)
        update = _fresh(np.sqrt(old_update + epsilon))
        update /= np.sqrt(new_accum + epsilon)
        update *= grad
        new_update = _fresh(np.multiply(old_update, rho))
        new_update += np.square(update) * (1 - rho)
        update *= lr
        accum.value = new_accum
        accum_update.value = new_update
        var.value = new = np.subtract(var.read(), update, out=update)
    return new


def _rms_step(mom, lr, momentum, grad, denominator):
    """mom * momentum + lr * grad / sqrt(denominator), the RMSProp step (computed in `denominator`)."""
    step = np.sqrt(denominator, out=denominator)
    np.divide(grad * lr, step, out=step)
    step += mom * momentum
    return step


def _moving_average(old, target, rho):
    """old + (target - old) * (1 - rho), TF's order of operations, computed in `target` (a fresh array)."""
    target -= old
    target *= 1 - rho
    target += old
    return target


@numpy_kernel("ApplyRMSProp")
def _apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, use_locking):
    with var.lock, ms.lock, mom.lock:
        new_ms = _moving_average(ms.read(), _fresh(np.square(grad)), rho)
        new_mom = _rms_step(mom.read(), lr, momentum, grad, _fresh(new_ms + epsilon))
        ms.value = new_ms
        mom.value = new_mom
        var.value = new = _fresh(var.read() - new_mom)
    return new


@numpy_kernel("ApplyCenteredRMSProp")
def _apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, use_locking):
    with var.lock, mg.lock, ms.lock, mom.lock:
        new_ms = _moving_average(ms.read(), _fresh(np.square(grad)), rho)
        new_mg = _moving_average(mg.read(), np.array(grad, copy=True), rho)
        denominator = _fresh(new_ms - np.square(new_mg))
        denominator += epsilon
        new_mom = _rms_step(mom.read(), lr, momentum, grad, denominator)
        mg.value = new_mg
        ms.value = new_ms
        mom.value = new_mom
        var.value = new = _fresh(var.read() - new_mom)
    return new


@numpy_kernel("ApplyAdam")
def _apply_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_locking, use_nesterov):
    lr_t = lr * np.sqrt(1 - beta2_power) / (1 - beta1_power)
    with var.lock, m.lock, v.lock:
        if not use_nesterov:
            targets = _unshared(var), _unshared(m), _unshared(v)
            if all(t is not None and t.shape == np.shape(grad) for t in targets):
                return _adam_in_place(*targets, lr_t, beta1, beta2, epsilon, grad)
        old_m, old_v = m.read(), v.read()
        new_m = _fresh(np.subtract(grad, old_m))
        new_m *= 1 - beta1
        new_m += old_m
        new_v = _fresh(np.square(grad))
        new_v -= old_v
        new_v *= 1 - beta2
        new_v += old_v
        step = _fresh(np.sqrt(new_v))
        step += epsilon
        if use_nesterov:
            numerator = new_m * beta1
            numerator += grad * (1 - beta1)
        else:
            numerator = new_m
        np.divide(numerator, step, out=step)
        step *= lr_t
        m.value = new_m
        v.value = new_v
        var.value = new = np.subtract(var.read(), step, out=step)
    return new


def _adam_in_place(var, m, v, lr_t, beta1, beta2, epsilon, grad):
    """The Adam update of `_apply_adam`, operation for operation, written into the arrays themselves."""
    step = _fresh(np.subtract(grad, m))
    step *= 1 - beta1
    m += step
    np.square(grad, out=step)
    step -= v
    step *= 1 - beta2
    v += step
    np.sqrt(v, out=step)
    step += epsilon
    np.divide(m, step, out=step)
    step *= lr_t
    var -= step
    return var
