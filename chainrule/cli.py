"""The ``chainrule`` command: one subcommand per module, listed in COMMANDS.

Each subcommand module provides ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``; argparse does all parsing, so a bad option is a usage error
(exit status 2), and a failure is one line on stderr (exit status 1).
"""

import argparse
import sys

from . import demo, graph, steps

COMMANDS = {"demo": demo, "graph": graph, "steps": steps}  # subcommand -> the module that implements it


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule", description="Watch backpropagation happen, one chain-rule step at a time."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chainrule`` console command."""
    args = build_parser().parse_args(argv)
    return args._run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
