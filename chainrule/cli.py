"""The ``chainrule`` command: one subcommand per module, registered in COMMANDS.

Each subcommand module provides ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``; argparse does all parsing, so a bad option is a usage error.
"""

import argparse
import sys
from importlib import import_module

# subcommand -> module that implements it
COMMANDS = {
    "demo": "nn.demo",
    "graph": "engine.graph_cli",
    "steps": "engine.steps_cli",
}


def build_parser():
    parser = argparse.ArgumentParser(
        prog="chainrule", description="Watch backpropagation happen, one chain-rule step at a time."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv=None):
    """Entry point of the ``chainrule`` console command."""
    args = build_parser().parse_args(argv)
    return args._run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
