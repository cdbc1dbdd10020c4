"""Turning Keras objects into JSON-able configs and back, with custom objects looked up by name (never pickle).

A config is `{"class_name": ..., "config": {...}}`; functions are stored by name. Names resolve against, in
order: the `custom_objects` passed in, open `custom_object_scope` blocks, the registry filled by
`register_keras_serializable`, and the built-in module's own names.
"""
import contextlib
import inspect

_GLOBAL_CUSTOM_OBJECTS = {}
_scope_stack = []


def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a class or function loadable by name ('package>name') without custom_objects."""
    def decorate(obj):
        registered = "%s>%s" % (package, name or obj.__name__)
        if registered in _GLOBAL_CUSTOM_OBJECTS:
            raise ValueError("%s has already been registered to %s" % (registered, _GLOBAL_CUSTOM_OBJECTS[registered]))
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        obj._keras_registered_name = registered
        return obj
    return decorate


def get_registered_name(obj):
    """The name `obj` is saved under: its registered 'package>name', else its own name."""
    registered = obj.__dict__.get("_keras_registered_name") if inspect.isclass(obj) else \
        getattr(obj, "_keras_registered_name", None)
    return registered or obj.__name__


@contextlib.contextmanager
def custom_object_scope(*scopes):
    """Within the block, names in the given dicts resolve to their objects when deserializing."""
    merged = {}
    for scope in scopes:
        merged.update(scope or {})
    _scope_stack.append(merged)
    try:
        yield
    finally:
        _scope_stack.pop()


CustomObjectScope = custom_object_scope


def get_custom_objects():
    """The global registry of custom objects (a dict one may also fill directly, as in Keras)."""
    return _GLOBAL_CUSTOM_OBJECTS


def _lookup(name, module_objects, custom_objects):
    for table in [custom_objects or {}] + list(reversed(_scope_stack)) + [_GLOBAL_CUSTOM_OBJECTS, module_objects]:
        if name in table:
            return table[name]
    return None


def serialize_keras_object(instance):
    """{'class_name', 'config'} for objects with get_config; the registered name for functions; None stays."""
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        return {"class_name": get_registered_name(type(instance)), "config": instance.get_config()}
    if hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError("Cannot serialize %r: it has no get_config() and no __name__" % (instance,))


def deserialize_keras_object(identifier, module_objects, custom_objects=None, printable_module_name="object"):
    """An object from a config dict (class built with from_config) or a name (the object itself)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError("Improper config format for %s: %r" % (printable_module_name, identifier))
        cls = _lookup(identifier["class_name"], module_objects, custom_objects)
        if cls is None:
            raise ValueError("Unknown %s: '%s'. Please ensure you are using a `keras.utils.custom_object_scope` "
                             "and that this object is included in the scope (or pass it in `custom_objects`)."
                             % (printable_module_name, identifier["class_name"]))
        config = identifier["config"]
        from_config = getattr(cls, "from_config", None)
        if from_config is None:
            return cls(**config)
        if "custom_objects" in inspect.signature(from_config).parameters:
            all_custom = {}
            for scope in _scope_stack:
                all_custom.update(scope)
            all_custom.update(custom_objects or {})
            return from_config(config, custom_objects=all_custom)
        with custom_object_scope(custom_objects or {}):
            return from_config(config)
    if isinstance(identifier, str):
        obj = _lookup(identifier, module_objects, custom_objects)
        if obj is None:
            raise ValueError("Unknown %s: '%s'. Please ensure you are using a `keras.utils.custom_object_scope` "
                             "and that this object is included in the scope (or pass it in `custom_objects`)."
                             % (printable_module_name, identifier))
        return obj
    raise ValueError("Could not interpret serialized %s: %r" % (printable_module_name, identifier))


def get_from_module(identifier, module_objects, printable_module_name, instantiate_classes=False):
    """The `get()` of activations, losses, ...: None, a callable, a name, or a config all give an object."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        obj = deserialize_keras_object(identifier, module_objects, printable_module_name=printable_module_name)
        if instantiate_classes and inspect.isclass(obj):
            return obj()
        return obj
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret %s identifier: %r" % (printable_module_name, identifier))
