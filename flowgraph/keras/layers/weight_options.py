"""The initializer/regularizer/constraint triple that layers take per weight (`kernel_initializer`, ...)."""
from flowgraph.keras import constraints, initializers, regularizers


def set_weight_options(layer, prefix, initializer, regularizer=None, constraint=None):
    """Resolve the options of weight `prefix` and store them as `<prefix>_initializer`, ... on `layer`."""
    setattr(layer, prefix + "_initializer", initializers.get(initializer))
    setattr(layer, prefix + "_regularizer", regularizers.get(regularizer))
    setattr(layer, prefix + "_constraint", constraints.get(constraint))


def add_configured_weight(layer, prefix, shape, name=None):
    """`layer.add_weight` with the options stored for `prefix`."""
    return layer.add_weight(name or prefix, shape, initializer=getattr(layer, prefix + "_initializer"),
                            regularizer=getattr(layer, prefix + "_regularizer"),
                            constraint=getattr(layer, prefix + "_constraint"))


def weight_options_config(layer, *prefixes):
    """The serialized options of each weight in `prefixes`, for get_config."""
    config = {}
    for prefix in prefixes:
        config[prefix + "_initializer"] = initializers.serialize(getattr(layer, prefix + "_initializer"))
        config[prefix + "_regularizer"] = regularizers.serialize(getattr(layer, prefix + "_regularizer"))
        config[prefix + "_constraint"] = constraints.serialize(getattr(layer, prefix + "_constraint"))
    return config
