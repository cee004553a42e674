"""What every command shares: options, the SWF connection, errors, output and progress."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TextIO

import orjson

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

DOMAIN_ENV = "BOTOFLOWX_DOMAIN"
TASK_LIST_ENV = "BOTOFLOWX_TASK_LIST"
ENDPOINT_URL_ENV = "BOTOFLOWX_ENDPOINT_URL"

# Commands (and the demo's hints) assume the server's default port.
LOCAL_SERVER_HINT = "botoflowx server"


class CliError(Exception):
    """A failure to report as a few plain lines (no traceback unless ``--debug``).

    Args:
        message: What went wrong and, where possible, what to do.
        exit_code: The process exit status (1 for failures, 2 for usage errors).
    """

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class UsageError(CliError):
    """The command line (or a file it names) is wrong; exit status 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


# -- options -------------------------------------------------------------------------------


def add_common_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """Add the options every SWF command takes, AWS CLI style.

    They are accepted before and after the command name: on the top-level parser
    they carry the defaults; on each command's parser they default to
    ``SUPPRESS`` so a value given before the command is not overwritten.
    """

    def default(value: Any) -> Any:
        return value if top_level else argparse.SUPPRESS

    group = parser.add_argument_group("connection and output (all commands)")
    group.add_argument(
        "--endpoint-url",
        default=default(None),
        metavar="URL",
        help=f"SWF endpoint, e.g. http://127.0.0.1:9191 (default: ${ENDPOINT_URL_ENV}, then AWS)",
    )
    group.add_argument(
        "--region", default=default(None), help="AWS region (default: your AWS configuration)"
    )
    group.add_argument(
        "--profile", default=default(None), help="AWS profile from ~/.aws (default: the default)"
    )
    group.add_argument(
        "--domain", default=default(None), help=f"SWF domain (default: ${DOMAIN_ENV})"
    )
    group.add_argument(
        "--task-list",
        default=default(None),
        metavar="NAME",
        help=f"task list (default: ${TASK_LIST_ENV}, or the type's registered default)",
    )
    group.add_argument(
        "--output",
        choices=["table", "json"],
        default=default("table"),
        help="format of data output (default: table)",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="show Python tracebacks and botocore's debug log",
    )


def non_negative_float(text: str) -> float:
    """argparse type: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0: {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_time(text: str, *, now: float | None = None) -> float:
    """A point in time as epoch seconds: ISO 8601, epoch seconds, or ``30m``/``2h``/``7d`` ago.

    Raises:
        argparse.ArgumentTypeError: The text is none of these.
    """
    stripped = text.strip()
    match = _RELATIVE.match(stripped)
    if match:
        ago = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        return (time.time() if now is None else now) - ago
    try:
        return float(stripped)
    except ValueError:
        pass
    iso = stripped[:-1] + "+00:00" if stripped.endswith(("Z", "z")) else stripped
    try:
        moment = _dt.datetime.fromisoformat(iso)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (use ISO 8601 like 2026-01-31T12:00:00Z, epoch seconds, "
            "or an age like 30m, 2h, 7d)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a local wall-clock time, as people type them
    return moment.timestamp()


# -- the connection --------------------------------------------------------------------------


@dataclass
class Connection:
    """The SWF endpoint of one command run: resolved once, clients built on first use.

    Attributes:
        endpoint_url: The explicit endpoint, or None for Amazon SWF.
        region: The region given, or None.
        profile: The AWS profile given, or None.
    """

    endpoint_url: str | None
    region: str | None
    profile: str | None
    _client: Any = field(default=None, repr=False)
    _target: Any = field(default=None, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Connection:
        """The connection named by the common options (and their environment variables)."""
        endpoint = getattr(args, "endpoint_url", None) or os.environ.get(ENDPOINT_URL_ENV) or None
        return cls(endpoint, getattr(args, "region", None), getattr(args, "profile", None))

    @property
    def where(self) -> str:
        """The endpoint for messages: its URL, or 'Amazon SWF (<region>)'."""
        if self.endpoint_url:
            return self.endpoint_url
        return f"Amazon SWF ({self.target.region or 'no region'})"

    @property
    def target(self) -> Any:
        """The resolved ``SWFTarget`` (session, region, endpoint, credentials)."""
        if self._target is None:
            import boto3
            import botocore.exceptions

            from botoflowx.client._swf import resolve_target

            try:
                session = boto3.session.Session(profile_name=self.profile)
            except botocore.exceptions.ProfileNotFound:
                raise UsageError(
                    f"the AWS profile {self.profile!r} is not configured (see `aws configure "
                    "list-profiles`)"
                ) from None
            self._target = resolve_target(session, self.region, self.endpoint_url)
        return self._target

    @property
    def client(self) -> Any:
        """A boto3 SWF client (built on first use)."""
        if self._client is None:
            from botoflowx.client._swf import client_for_target

            target = self.target
            if target.region is None:
                raise UsageError(
                    "no AWS region: pass --region (or set AWS_DEFAULT_REGION), or --endpoint-url "
                    "for a local server"
                )
            self._client = client_for_target(target)
        return self._client

    def worker_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for workers, starters and the replayer."""
        return {"session": self.target.session, "endpoint_url": self.endpoint_url}


def require_domain(args: argparse.Namespace) -> str:
    """The domain of the command (``--domain`` or ``$BOTOFLOWX_DOMAIN``).

    Raises:
        UsageError: Neither names one.
    """
    domain = getattr(args, "domain", None) or os.environ.get(DOMAIN_ENV)
    if not domain:
        raise UsageError(f"this command needs a domain: pass --domain NAME or set ${DOMAIN_ENV}")
    return str(domain)


def task_list_of(args: argparse.Namespace) -> str | None:
    """``--task-list`` or ``$BOTOFLOWX_TASK_LIST``, or None."""
    return getattr(args, "task_list", None) or os.environ.get(TASK_LIST_ENV) or None


# -- errors -----------------------------------------------------------------------------------


def explain(exc: BaseException, connection: Connection | None, domain: str | None) -> CliError:
    """Turn an SWF, botocore or network error into a message a person can act on.

    Returns:
        The error to report; its exit status is 1 (the command failed, the
        command line was fine).
    """
    import botocore.exceptions

    from botoflowx.client._errors import SWFError, error_code

    where = connection.endpoint_url if connection and connection.endpoint_url else None
    if isinstance(
        exc, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionError)
    ) or (isinstance(exc, SWFError) and exc.code == "ConnectionError"):
        if where:
            return CliError(
                f"cannot connect to the SWF endpoint {where}: connection refused or unreachable.\n"
                f"  Is a server running there? Start one with:  {LOCAL_SERVER_HINT}"
            )
        return CliError(f"cannot reach Amazon SWF: {exc}\n  Check the network and --region.")
    if isinstance(exc, SWFError) and exc.code == "ProxyRefused":
        # The message says which proxy, its status line and what to change.
        return CliError(f"{exc.message}\n  Check HTTPS_PROXY/HTTP_PROXY or the client's proxies.")
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return CliError(
            "no AWS credentials found: configure them as for the AWS CLI (`aws configure`), or "
            "use a local server with --endpoint-url (any credentials work there)"
        )
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return UsageError("no AWS region: pass --region or set AWS_DEFAULT_REGION")
    code = error_code(exc)
    if code is None:
        return CliError(f"{type(exc).__name__}: {exc}")
    message = exc.message if isinstance(exc, SWFError) else _client_error_message(exc)
    if code == "UnknownResourceFault" and message.lower().startswith("unknown domain"):
        name = domain or message.split(":", 1)[-1].strip()
        return CliError(
            f"the domain {name!r} is not registered at {where or 'Amazon SWF'}.\n"
            f"  Register it with:  botoflowx domain register {name}"
        )
    if code == "WorkflowExecutionAlreadyStartedFault":
        return CliError(
            "a workflow execution with this workflow id is already open; choose another "
            "--workflow-id or wait for it to close"
        )
    if code in ("UnrecognizedClientException", "InvalidSignatureException", "AccessDenied"):
        return CliError(f"SWF at {where or 'AWS'} refused the credentials: {message}")
    return CliError(f"SWF refused the request: {code}: {message}")


def _client_error_message(exc: BaseException) -> str:
    response: Any = getattr(exc, "response", {}) or {}
    return str(response.get("Error", {}).get("Message") or exc)


# -- JSON input ---------------------------------------------------------------------------------


def parse_json_option(text: str, option: str) -> Any:
    """Parse the JSON of a command-line option, pointing at the character at fault.

    Raises:
        UsageError: The text is not valid JSON.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        line = text.splitlines()[exc.lineno - 1] if text.splitlines() else ""
        where = f"line {exc.lineno}, column {exc.colno}" if "\n" in text else f"column {exc.colno}"
        raise UsageError(
            f"{option} is not valid JSON: {exc.msg} at {where}:\n"
            f"    {line}\n"
            f"    {' ' * (exc.colno - 1)}^"
        ) from None


def call_arguments(value: Any) -> tuple[list[Any], dict[str, Any]]:
    """Workflow or signal arguments from ``--input``: an array is the positional
    arguments, an object the keyword arguments, anything else the one argument."""
    if value is None:
        return [], {}
    if isinstance(value, list):
        return value, {}
    if isinstance(value, dict):
        return [], value
    return [value], {}


def encode_input(text: str | None, option: str = "--input") -> str:
    """The wire payload (``[args, kwargs]``) for an ``--input`` option."""
    from botoflowx.converter import default_converter

    value = None if text is None else parse_json_option(text, option)
    args, kwargs = call_arguments(value)
    return default_converter().dumps_input(args, kwargs, context=option)


# -- output ------------------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """``orjson`` default hook: datetimes as ISO 8601, anything else as its repr."""
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    return repr(value)


def print_json(data: Any, stream: TextIO | None = None) -> None:
    """Print ``data`` as indented JSON (datetimes as ISO 8601)."""
    out = stream or sys.stdout
    text = orjson.dumps(data, default=to_jsonable, option=orjson.OPT_INDENT_2)
    out.write(text.decode() + "\n")
    out.flush()


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], stream: TextIO | None = None
) -> None:
    """Print rows under headers in aligned columns (no trailing spaces)."""
    out = stream or sys.stdout
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.flush()


def print_fields(pairs: Iterable[tuple[str, Any]], stream: TextIO | None = None) -> None:
    """Print ``label: value`` lines with aligned values, skipping empty values."""
    out = stream or sys.stdout
    kept = [(label, value) for label, value in pairs if value not in (None, "", [], {})]
    width = max((len(label) for label, _ in kept), default=0)
    for label, value in kept:
        out.write(f"{label + ':':<{width + 1}} {value}\n")
    out.flush()


def format_time(value: Any) -> str:
    """A timestamp (datetime or epoch seconds) as ``YYYY-MM-DD HH:MM:SS.mmm`` UTC."""
    if value is None or value == "":
        return ""
    if isinstance(value, _dt.datetime):
        moment = value.astimezone(_dt.timezone.utc)
    else:
        moment = _dt.datetime.fromtimestamp(float(value), _dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_seconds(seconds: float) -> str:
    """A duration for people: ``0.004s``, ``12.3s``, ``5m02s``, ``3h04m``."""
    if seconds < 10:
        return f"{seconds:.3f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


# -- progress ------------------------------------------------------------------------------------


class Progress:
    """A one-line progress indicator on stderr, shown only when stderr is a terminal.

    Pipes, files and CI logs stay free of carriage-return noise.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self.enabled = bool(getattr(self._stream, "isatty", lambda: False)())
        self._width = 0

    def update(self, text: str) -> None:
        """Replace the line with ``text``."""
        if not self.enabled:
            return
        pad = max(0, self._width - len(text))
        self._stream.write("\r" + text + " " * pad)
        self._stream.flush()
        self._width = len(text)

    def clear(self) -> None:
        """Erase the line (before normal output continues)."""
        if self.enabled and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0


# -- small helpers -----------------------------------------------------------------------------


def fail(message: str, exit_code: int = EXIT_FAILURE) -> NoReturn:
    """Raise the :class:`CliError` that ends the command with ``message``."""
    raise CliError(message, exit_code)


def first_present(mapping: Mapping[str, Any], *keys: str) -> Any:
    """The first value among ``keys`` that is present and not None."""
    for key in keys:
        if mapping.get(key) is not None:
            return mapping[key]
    return None


Handler = Callable[[argparse.Namespace], int]
