"""The ``chainrule`` command: one subcommand per module, listed in COMMANDS.

Each subcommand module provides ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``; argparse does all parsing, so a bad option is a usage error
(exit status 2), and a failure is one line on stderr (exit status 1): ``main`` turns
any OSError, ValueError, ArithmeticError or MemoryError a subcommand lets through
into that line, so a user never sees a traceback.
"""

import argparse
import os
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
    try:
        return args._run(args) or 0
    except BrokenPipeError:  # the reader went away (chainrule steps | head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"chainrule {args.command}: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, ArithmeticError, MemoryError) as exc:  # a failure, said in one line
        text = " ".join(str(exc).split()) or type(exc).__name__
        print(f"chainrule {args.command}: error: {text}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
