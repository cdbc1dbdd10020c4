"""model.summary(): the table Keras 2 prints (layer and type, output shape, parameter count, and for
non-sequential functional models the layers each one is connected to), then the parameter totals."""
from flowgraph.keras import backend


def _fit_row(fields, positions):
    """One table line: each field cut or padded to end at its column position."""
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line += str(field)
        line = line[:positions[i]]
        line += " " * (positions[i] - len(line))
    return line


def _shape_text(layer):
    nodes = layer._inbound_nodes
    if len(nodes) != 1:
        return "multiple"
    outputs = nodes[0].output_tensors
    shapes = [tuple(t.shape.as_list()) if t.shape.rank is not None else "?" for t in outputs]
    if type(layer).__name__ == "InputLayer":
        return "[%s]" % ", ".join(str(s) for s in shapes)
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _is_sequential_like(model):
    """A chain: every layer called once, on one input tensor."""
    if not getattr(model, "_is_graph_network", False):
        return True
    calls = {}
    for node in model._nodes_in_order:
        calls[id(node.layer)] = calls.get(id(node.layer), 0) + 1
        if len(node.input_tensors) > 1 or calls[id(node.layer)] > 1:
            return False
    return True


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Print the summary of a built model through `print_fn` (one call per line; default `print`)."""
    print_fn = print_fn or print
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    layers = model._summary_layers()
    print_fn('Model: "%s"' % model.name)
    print_fn("_" * line_length)
    print_fn(_fit_row(headers, positions))
    print_fn("=" * line_length)
    for i, layer in enumerate(layers):
        name = "%s (%s)" % (layer.name, type(layer).__name__)
        params = layer.count_params() if layer.built else 0
        if sequential_like:
            print_fn(_fit_row([name, _shape_text(layer), params], positions))
        else:
            sources = _connections(model, layer)
            print_fn(_fit_row([name, _shape_text(layer), params, sources[0] if sources else ""], positions))
            for source in sources[1:]:
                print_fn(_fit_row(["", "", "", source], positions))
        print_fn("=" * line_length if i == len(layers) - 1 else "_" * line_length)
    trainable = backend.count_params(model.trainable_weights)
    non_trainable = backend.count_params(model.non_trainable_weights)
    print_fn("Total params: {:,}".format(trainable + non_trainable))
    print_fn("Trainable params: {:,}".format(trainable))
    print_fn("Non-trainable params: {:,}".format(non_trainable))
    print_fn("_" * line_length)


def _connections(model, layer):
    """'name[node][tensor]' for each input of the layer's nodes inside `model`."""
    own_nodes = set(id(n) for n in model._nodes_in_order)
    result = []
    for node in layer._inbound_nodes:
        if id(node) in own_nodes:
            result.extend("%s[%d][%d]" % history for history in node.inbound_history())
    return result

