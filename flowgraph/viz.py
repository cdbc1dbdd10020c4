"""Pictures of graphs: name scopes as nested clusters, collapsible to one node; dtypes and shapes on edges.

`to_graphviz` builds a graphviz.Digraph of a Graph, a GraphDef, or the subgraph some fetches need; `render`
writes it through Graphviz's `dot` (PNG, SVG, PDF). Placeholders, variables, constants and fetched ops have
their own shapes and borders; ops placed with `tf.device` are filled by device; control dependencies are
dashed; a RunMetadata from a traced `Session.run` puts each op's run time on its node.
"""
import os

from flowgraph.client.fetches import flatten_fetches
from flowgraph.framework.graph import Graph, Tensor, get_default_graph, graph_of
from flowgraph.io.graph_def import GraphDef
from flowgraph.io.graph_io import graph_from_graph_def

__all__ = ["to_graphviz", "render"]

KIND_STYLES = {
    "placeholder": {"shape": "invhouse", "style": "filled", "fillcolor": "#ffe0b2"},
    "variable": {"shape": "cylinder", "style": "filled", "fillcolor": "#c8e6c9"},
    "constant": {"shape": "note", "style": "filled", "fillcolor": "#eeeeee", "fontsize": "9"},
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff"},
    "scope": {"shape": "box3d", "style": "filled", "fillcolor": "#e3f2fd"},
}
FETCH_STYLE = {"peripheries": "2", "color": "#c62828", "penwidth": "2"}
CLUSTER_STYLE = {"style": "rounded,filled", "fillcolor": "#f5f5f5", "color": "#9e9e9e", "fontsize": "10"}
DEVICE_COLORS = ("#bbdefb", "#ffcdd2", "#dcedc8", "#fff9c4", "#e1bee7", "#b2dfdb", "#f8bbd0", "#d7ccc8")


def to_graphviz(graph_or_fetches=None, collapse=None, show_shapes=True, run_metadata=None, rankdir="TB"):
    """A graphviz.Digraph of a Graph (default: the default graph), a GraphDef, or the ops fetches need.

    collapse: an int N draws every name scope N levels deep as one node; a scope name or list of names
    ('gradients', 'Adam') draws those scopes as one node each. Edges into and out of a collapsed scope are
    merged, one per neighbour. run_metadata: a RunMetadata filled by a FULL_TRACE run (or a dict op name ->
    seconds); each node then shows its run time.
    """
    graphviz = _graphviz()
    graph, ops, fetched = _resolve(graph_or_fetches)
    scopes = {prefix for op in graph.get_operations() for prefix in _prefixes(op.name)[:-1]}
    collapsed_scope = _collapse_rule(collapse, scopes)
    times = dict(getattr(run_metadata, "step_stats", run_metadata) or {})
    layout = _Layout(ops, scopes, collapsed_scope)
    # newrank: dot's default ranking fails ("trouble in init_rank") on some nested clusters with crossing edges
    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir, "newrank": "true", "fontname": "Helvetica",
                                       "fontsize": "10"},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"},
                           edge_attr={"fontname": "Helvetica", "fontsize": "8", "color": "#616161"})
    devices = list(dict.fromkeys(op.device for op in ops if op.device))
    colors = {d: DEVICE_COLORS[i % len(DEVICE_COLORS)] for i, d in enumerate(devices)}
    _add_cluster(graphviz, dot, "", layout, fetched, colors, times)
    for (src, dst, control), tensors in layout.edges().items():
        dot.edge(src, dst, **_edge_style(tensors, control, show_shapes))
    if colors:
        _add_legend(graphviz, dot, colors)
    return dot


def render(graph_or_fetches, path, format="png", **options):  # noqa: A002 - graphviz's argument name
    """Write the picture of `graph_or_fetches` to `path` in `format` (png, svg, pdf); returns the path written,
    which gains '.<format>' when `path` has no extension (as graphviz's own render does).

    `options` go to `to_graphviz` (collapse, show_shapes, run_metadata, rankdir). Needs Graphviz's `dot`.
    """
    if not os.path.splitext(path)[1]:
        path = "%s.%s" % (path, format)
    data = to_graphviz(graph_or_fetches, **options).pipe(format=format)
    with open(path, "wb") as f:
        f.write(data)
    return path


def svg_or_none(graph_or_fetches):
    """SVG text for Jupyter, or None (the text repr then shows) when graphviz or its `dot` is missing."""
    try:
        graphviz = _graphviz()
    except ImportError:
        return None
    try:
        return to_graphviz(graph_or_fetches).pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound:
        return None


def _graphviz():
    try:
        import graphviz
    except ImportError:
        raise ImportError("flowgraph.viz needs the 'graphviz' Python package (pip install graphviz) and "
                          "Graphviz's `dot` program") from None
    return graphviz


# ---- what to draw ------------------------------------------------------------------------------------------

def _resolve(graph_or_fetches):
    """(graph, ops in build order, fetched ops) for a Graph, a GraphDef or a fetch structure."""
    if graph_or_fetches is None:
        graph_or_fetches = get_default_graph()
    if isinstance(graph_or_fetches, GraphDef):
        graph_or_fetches = graph_from_graph_def(graph_or_fetches)
    if isinstance(graph_or_fetches, Graph):
        return graph_or_fetches, graph_or_fetches.get_operations(), set()
    graph = graph_of(_leaves(graph_or_fetches)) or get_default_graph()
    elements, _ = flatten_fetches(graph_or_fetches, graph)
    fetched = {e.op if isinstance(e, Tensor) else e for e in elements}
    needed, stack = set(), list(fetched)
    while stack:
        op = stack.pop()
        if op not in needed:
            needed.add(op)
            stack.extend(t.op for t in op.inputs)
            stack.extend(op.control_inputs)
    return graph, [op for op in graph.get_operations() if op in needed], fetched


def _leaves(fetches):
    if isinstance(fetches, dict):
        return [leaf for value in fetches.values() for leaf in _leaves(value)]
    if isinstance(fetches, (list, tuple)):
        return [leaf for value in fetches for leaf in _leaves(value)]
    return [getattr(fetches, "_as_graph_element", lambda: fetches)()]


def _prefixes(scope):
    """'a/b/c' -> ['a', 'a/b', 'a/b/c']."""
    parts = scope.split("/")
    return ["/".join(parts[:i + 1]) for i in range(len(parts))]


def _collapse_rule(collapse, scopes):
    """A function scope -> the collapsed scope that contains it, or None."""
    if collapse is None:
        return lambda scope: None
    if isinstance(collapse, bool) or not isinstance(collapse, (int, str, list, tuple, set)):
        raise TypeError("collapse must be a depth (int >= 1) or scope names, got %r" % (collapse,))
    if isinstance(collapse, int):
        if collapse < 1:
            raise ValueError("collapse depth must be at least 1, got %d" % collapse)
        return lambda scope: "/".join(scope.split("/")[:collapse]) if scope.count("/") + 1 >= collapse else None
    names = {collapse} if isinstance(collapse, str) else set(collapse)
    unknown = sorted(names - scopes)
    if unknown:
        raise ValueError("collapse names scopes %s that are not in the graph (its top-level scopes: %s)"
                         % (unknown, sorted(s for s in scopes if "/" not in s)))
    return lambda scope: next((p for p in _prefixes(scope) if p in names), None)


class _Layout:
    """Where each op is drawn: its own node inside its scope's cluster, or the node of a collapsed scope."""

    def __init__(self, ops, scopes, collapsed_scope):
        self.ops = ops
        self.node_of = {}
        self.members = {}  # collapsed scope -> its ops
        self.contents = {}  # scope ('' for the root) -> ([ops], [collapsed scopes], {child scopes})
        for op in ops:
            group = op.name if op.name in scopes else _parent(op.name)
            collapsed = collapsed_scope(group) if group else None
            if collapsed is None:
                self.node_of[op] = op.name
                self._content(group)[0].append(op)
            else:
                self.node_of[op] = collapsed + "/"
                if collapsed not in self.members:
                    self._content(_parent(collapsed))[1].append(collapsed)
                self.members.setdefault(collapsed, []).append(op)

    def _content(self, scope):
        if scope not in self.contents:
            self.contents[scope] = ([], [], set())
            if scope:
                self._content(_parent(scope))[2].add(scope)
        return self.contents[scope]

    def edges(self):
        """{(src node, dst node, is_control): [tensors or source ops]} with merged duplicates, in build order."""
        edges = {}
        for op in self.ops:
            dst = self.node_of[op]
            for t in op.inputs:
                src = self.node_of.get(t.op)
                if src is not None and src != dst and t not in edges.setdefault((src, dst, False), []):
                    edges[(src, dst, False)].append(t)
            for c in op.control_inputs:
                src = self.node_of.get(c)
                if src is not None and src != dst and c not in edges.setdefault((src, dst, True), []):
                    edges[(src, dst, True)].append(c)
        return edges


def _parent(name):
    return name.rsplit("/", 1)[0] if "/" in name else ""


def _kind(op):
    if op.type == "Placeholder" or op.type == "PlaceholderWithDefault":
        return "placeholder"
    if op.op_def.resource == "variable":
        return "variable"
    if op.type == "Const":
        return "constant"
    return "op"


# ---- drawing -----------------------------------------------------------------------------------------------

def _add_cluster(graphviz, parent, scope, layout, fetched, colors, times):
    ops, collapsed, children = layout.contents.get(scope, ([], [], set()))
    target = parent if not scope else graphviz.Digraph(name="cluster_" + scope,
                                                       graph_attr=dict(CLUSTER_STYLE, label=_leaf(scope)))
    for op in ops:
        target.node(op.name, **_op_style(op, op in fetched, colors, times))
    for name in collapsed:
        target.node(name + "/", **_scope_style(name, layout.members[name], fetched, colors, times))
    for child in sorted(children):
        _add_cluster(graphviz, target, child, layout, fetched, colors, times)
    if scope:
        parent.subgraph(target)


def _op_style(op, is_fetched, colors, times):
    style = dict(KIND_STYLES[_kind(op)])
    label = "%s\\n%s" % (op.type, _leaf(op.name))
    if op.name in times:
        label += "\\n%s" % _duration(times[op.name])
    if op.device:
        style["fillcolor"] = colors[op.device]
    if is_fetched:
        style.update(FETCH_STYLE)
    tooltip = op.name + (" on " + op.device if op.device else "")
    return dict(style, label=label, tooltip=tooltip)


def _scope_style(scope, ops, fetched, colors, times):
    style = dict(KIND_STYLES["scope"])
    label = "%s\\n(%d ops)" % (_leaf(scope), len(ops))
    timed = [times[op.name] for op in ops if op.name in times]
    if timed:
        label += "\\n%s" % _duration(sum(timed))
    devices = {op.device for op in ops}
    if len(devices) == 1 and "" not in devices:
        style["fillcolor"] = colors[devices.pop()]
    if any(op in fetched for op in ops):
        style.update(FETCH_STYLE)
    return dict(style, label=label, tooltip="%s/ (collapsed: %d ops)" % (scope, len(ops)))


def _edge_style(items, control, show_shapes):
    if control:
        return {"style": "dashed", "arrowhead": "odot", "tooltip": "control dependency"}
    names = ", ".join(t.name for t in items)
    if len(items) > 1:
        return {"label": "%d tensors" % len(items), "tooltip": names, "penwidth": "1.5"}
    t = items[0]
    label = "%s %s" % (t.dtype.name, t.shape.as_proto_list()) if show_shapes else ""
    return {"label": label, "tooltip": names}


def _add_legend(graphviz, dot, colors):
    legend = graphviz.Digraph(name="cluster_legend", graph_attr=dict(CLUSTER_STYLE, label="devices"))
    for device, color in colors.items():
        legend.node("device " + device, label=device, shape="box", style="filled", fillcolor=color)
    dot.subgraph(legend)


def _leaf(name):
    return name.rsplit("/", 1)[-1]


def _duration(seconds):
    return "%.3f ms" % (seconds * 1e3) if seconds < 1 else "%.2f s" % seconds
