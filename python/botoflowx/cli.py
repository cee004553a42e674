"""The ``botoflowx`` command line (also ``python -m botoflowx``).

Exit status: 0 success; 1 the command failed (an SWF error, a workflow that
did not complete, a replay that did not match); 2 the command line was wrong.
The commands live in ``botoflowx._cli``, one module per command group.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from botoflowx import __version__
from botoflowx._cli import _demo, _domain, _executions, _history, _replay, _server, _worker
from botoflowx._cli._common import (
    EXIT_USAGE,
    CliError,
    Connection,
    add_common_options,
    explain,
)

__all__ = ["main", "server_main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``botoflowx`` command.

    Args:
        argv: the arguments after the program name; defaults to ``sys.argv[1:]``.

    Returns:
        The process exit status (0 ok, 1 failure or mismatch, 2 usage).
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.command == "server":
        # The server keeps its own error reporting (and its own tests).
        return int(args.func(args))
    args.argv = arguments
    label = " ".join(filter(None, [args.command, getattr(args, "action", None)]))
    debug = bool(getattr(args, "debug", False))
    if debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    args.connection = Connection.from_args(args)
    try:
        return int(args.func(args))
    except CliError as exc:
        if debug:
            traceback.print_exc()
        return _report(label, exc)
    except KeyboardInterrupt:
        print(f"botoflowx {label}: interrupted", file=sys.stderr, flush=True)
        return 130
    except Exception as exc:
        if debug:
            traceback.print_exc()
        error = explain(exc, args.connection, getattr(args, "domain", None))
        if error.message.startswith(f"{type(exc).__name__}:"):
            # Not an SWF or network error we know: likely a bug; say how to see more.
            error = CliError(error.message + "\n  (run again with --debug for the traceback)")
        return _report(label, error)


def _report(command: str, error: CliError) -> int:
    print(f"botoflowx {command}: error: {error.message}", file=sys.stderr, flush=True)
    return error.exit_code


def server_main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m botoflowx.server`` (the ``server`` subcommand on its own).

    Args:
        argv: the arguments after the program name; defaults to ``sys.argv[1:]``.

    Returns:
        The process exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m botoflowx.server", description=_server.SERVER_DESCRIPTION
    )
    _server.add_server_arguments(parser)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    return _server.run_server(args)


def build_parser() -> argparse.ArgumentParser:
    """The ``botoflowx`` argument parser with every command."""
    parser = argparse.ArgumentParser(
        prog="botoflowx",
        description="Durable workflows on the Amazon SWF API.",
        epilog=(
            "Exit status: 0 ok, 1 failure (or a replay that did not match), 2 usage error. "
            "New here? Run `botoflowx demo`."
        ),
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"botoflowx {__version__}")
    add_common_options(parser, top_level=True)
    parser.set_defaults(command=None)
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    add_common_options(common, top_level=False)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")

    server = commands.add_parser(
        "server",
        help="run the embedded SWF-compatible server",
        description=_server.SERVER_DESCRIPTION,
        allow_abbrev=False,
    )
    _server.add_server_arguments(server)
    server.set_defaults(func=_server.run_server)

    _demo.add_parser(commands, [common])
    _worker.add_parser(commands, [common])
    _executions.add_parsers(commands, [common])
    _history.add_parser(commands, [common])
    _replay.add_parser(commands, [common])
    _domain.add_parser(commands, [common])
    return parser
