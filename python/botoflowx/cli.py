"""The ``botoflowx`` command line: ``botoflowx server`` runs the embedded SWF server."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from botoflowx import __version__

__all__ = ["main", "server_main"]

EXIT_OK = 0
EXIT_USAGE = 2

DEFAULT_PORT = 9191


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``botoflowx`` command.

    Args:
        argv: the arguments after the program name; defaults to ``sys.argv[1:]``.

    Returns:
        The process exit status.
    """
    parser = _build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return int(args.func(args))


def server_main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m botoflowx.server`` (the ``server`` subcommand on its own).

    Args:
        argv: the arguments after the program name; defaults to ``sys.argv[1:]``.

    Returns:
        The process exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m botoflowx.server", description=_SERVER_DESCRIPTION
    )
    _add_server_arguments(parser)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    return _run_server(args)


# -- the parser -------------------------------------------------------------------------------

_SERVER_DESCRIPTION = (
    "Run the embedded SWF-compatible server. Point boto3 at the printed endpoint_url; "
    "any credentials and region work unless --auth-keys-file is given."
)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="botoflowx", description="Durable workflows on the Amazon SWF API."
    )
    parser.add_argument("--version", action="version", version=f"botoflowx {__version__}")
    parser.set_defaults(command=None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    server = commands.add_parser(
        "server", help="run the embedded SWF-compatible server", description=_SERVER_DESCRIPTION
    )
    _add_server_arguments(server)
    server.set_defaults(command="server", func=_run_server)
    return parser


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0: {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be in 0..65535: {text!r}")
    return value


def _add_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help="TCP port; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--database",
        default=None,
        metavar="PATH",
        help="SQLite database file, or :memory: (default: a file in the user data directory)",
    )
    parser.add_argument(
        "--long-poll-seconds",
        type=_non_negative_float,
        default=60.0,
        metavar="SECONDS",
        help="how long an empty poll waits (default: %(default)s)",
    )
    parser.add_argument(
        "--test-clock",
        action="store_true",
        help="run on a test clock and enable the BotoflowxAdmin.AdvanceClock operation",
    )
    parser.add_argument(
        "--auth-keys-file",
        type=Path,
        default=None,
        metavar="PATH",
        help='verify SigV4 signatures against the keys in this JSON file ({"AKID": "secret"})',
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
        help="log level of the server's log on stderr (default: %(default)s)",
    )


# -- the server command -----------------------------------------------------------------------


class _UsageError(Exception):
    """A problem with the command line or its files, reported as one line."""


def _load_auth_keys(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _UsageError(f"cannot read --auth-keys-file {str(path)!r}: {exc.strerror}") from None
    except ValueError as exc:
        raise _UsageError(f"--auth-keys-file {str(path)!r} is not valid JSON: {exc}") from None
    if (
        not isinstance(data, dict)
        or not data
        or not all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in data.items())
    ):
        raise _UsageError(
            f"--auth-keys-file {str(path)!r} must hold a non-empty JSON object "
            '{"ACCESS_KEY_ID": "secret access key", ...}'
        )
    return data


def _error(message: str) -> int:
    print(f"botoflowx server: error: {message}", file=sys.stderr, flush=True)
    return EXIT_USAGE


def _run_server(args: argparse.Namespace) -> int:
    # Imported here so `botoflowx --help` stays fast and other subcommands do not
    # pay for the server's imports.
    from botoflowx.server._app import EmbeddedServer, is_loopback_host

    try:
        credentials = _load_auth_keys(args.auth_keys_file) if args.auth_keys_file else None
    except _UsageError as exc:
        return _error(str(exc))

    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    server = EmbeddedServer(
        host=args.host,
        port=args.port,
        database=args.database,
        long_poll_seconds=args.long_poll_seconds,
        test_clock=args.test_clock,
        credentials=credentials,
    )
    try:
        server.start()
    except OSError as exc:
        where = f"{args.host}:{args.port}"
        if exc.errno == errno.EADDRINUSE:
            return _error(f"cannot listen on {where}: the address is already in use")
        return _error(f"cannot start on {where} (database {args.database!r}): {exc}")

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        server.request_stop()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        url = server.endpoint_url
        print(f"botoflowx server listening: endpoint_url={url}", flush=True)
        print(
            '  use it with: boto3.client("swf", endpoint_url="'
            f'{url}", region_name="us-east-1", '
            'aws_access_key_id="x", aws_secret_access_key="x")',
            flush=True,
        )
        if credentials:
            print(
                f"  SigV4 signatures are verified against {len(credentials)} key(s)",
                flush=True,
            )
        if not is_loopback_host(args.host):
            print(
                f"botoflowx server: warning: listening on {args.host}, which is reachable "
                "from other machines"
                + (
                    "" if credentials else "; requests are NOT authenticated (see --auth-keys-file)"
                ),
                file=sys.stderr,
                flush=True,
            )
        server.serve_forever()
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return EXIT_OK
