"""``botoflowx server``: run the embedded SWF-compatible server in the foreground."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from botoflowx._cli._common import non_negative_float

EXIT_OK = 0
EXIT_USAGE = 2

DEFAULT_PORT = 9191

SERVER_DESCRIPTION = (
    "Run the embedded SWF-compatible server. Point boto3 at the printed endpoint_url; "
    "any credentials and region work unless --auth-keys-file is given."
)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be in 0..65535: {text!r}")
    return value


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``botoflowx server`` (and ``python -m botoflowx.server``)."""
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
        type=non_negative_float,
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


# -- the command -------------------------------------------------------------------------------


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


def run_server(args: argparse.Namespace) -> int:
    """Run the server until SIGINT/SIGTERM.

    Returns:
        0 after a clean stop, 2 when the options or the address are unusable.
    """
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
