"""Command line: `python -m flowgraph render GRAPH.json -o graph.png [--collapse ...]` draws a graph document
written by tf.train.write_graph; `python -m flowgraph devices` lists the devices flowgraph can run on."""
import argparse
import importlib
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m flowgraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="draw a graph document (JSON from tf.train.write_graph)")
    render.add_argument("graph", help="the graph document")
    render.add_argument("-o", "--output", help="the picture to write; its extension picks the format (png, svg, "
                                               "pdf; .dot or .gv writes Graphviz source). Default: GRAPH.png")
    render.add_argument("--collapse", nargs="+", metavar="SCOPE",
                        help="draw these name scopes as one node each, or one number: every scope that deep")
    render.add_argument("--rankdir", default="TB", choices=["TB", "BT", "LR", "RL"], help="layout direction")
    commands.add_parser("devices", help="list the devices flowgraph can run on")
    args = parser.parse_args(argv)
    if args.command == "devices":
        return _devices()
    return _render(args)


def _render(args):
    from flowgraph import viz
    from flowgraph.io import read_graph
    output = args.output or os.path.splitext(args.graph)[0] + ".png"
    collapse = args.collapse
    if collapse and len(collapse) == 1 and collapse[0].isdigit():
        collapse = int(collapse[0])
    extension = os.path.splitext(output)[1].lstrip(".").lower() or "png"
    try:
        dot = viz.to_graphviz(read_graph(args.graph), collapse=collapse, rankdir=args.rankdir)
        data = dot.source.encode("utf-8") if extension in ("dot", "gv") else dot.pipe(format=extension)
    except (OSError, ValueError, RuntimeError) as e:  # unreadable or invalid document, unknown format, no `dot`
        print("flowgraph render: %s" % e, file=sys.stderr)
        return 1
    with open(output, "wb") as f:
        f.write(data)
    print(output)
    return 0


def _devices():
    devices_module = importlib.import_module("flowgraph.devices")  # `flowgraph.devices` is also the function
    if hasattr(devices_module, "main"):
        return devices_module.main()
    for device in devices_module.devices():
        print("  ".join("%s=%s" % (key, value) for key, value in device.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
