"""tf.io: graph documents (write_graph, read_graph) and the GraphDef they hold."""
from flowgraph.io.graph_def import GraphDef, NodeDef
from flowgraph.io.graph_io import import_graph_def, read_graph, write_graph

__all__ = ["GraphDef", "NodeDef", "import_graph_def", "read_graph", "write_graph"]
