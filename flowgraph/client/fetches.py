"""Flatten a fetch structure to graph elements, and rebuild the structure around their values."""
from flowgraph.framework.graph import Operation, Tensor


def flatten_fetches(fetches, graph):
    """([Tensor or Operation], rebuild): rebuild(values) gives the structure of `fetches` with values in it."""
    elements = []
    build = _flatten(fetches, graph, elements)
    return elements, lambda values: build(iter(values))


def _flatten(fetch, graph, elements):
    if isinstance(fetch, (list, tuple)):
        builders = [_flatten(f, graph, elements) for f in fetch]
        if hasattr(fetch, "_fields"):  # namedtuple
            return lambda it: type(fetch)(*[b(it) for b in builders])
        kind = type(fetch) if type(fetch) in (list, tuple) else list
        return lambda it: kind(b(it) for b in builders)
    if isinstance(fetch, dict):
        keys = list(fetch)
        builders = [_flatten(fetch[k], graph, elements) for k in keys]
        kind = type(fetch)
        return lambda it: kind(zip(keys, [b(it) for b in builders]))
    if fetch is None:
        raise TypeError("Fetch argument None has invalid type <class 'NoneType'>")
    elements.append(_element(fetch, graph))
    return next


def _element(fetch, graph):
    try:
        element = graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
    except TypeError:
        raise TypeError("Fetch argument %r has invalid type %s, must be a string or Tensor. (Can not convert a %s "
                        "into a Tensor or Operation.)" % (fetch, type(fetch), type(fetch).__name__)) from None
    except ValueError as e:
        raise ValueError("Fetch argument %r cannot be interpreted as a Tensor. (%s)" % (fetch, e)) from None
    except KeyError as e:
        raise ValueError("Fetch argument %r cannot be interpreted as a Tensor. (%s)" % (fetch, e.args[0])) from None
    if not isinstance(element, (Tensor, Operation)):
        raise TypeError("Fetch argument %r has invalid type %s" % (fetch, type(fetch)))
    return element
