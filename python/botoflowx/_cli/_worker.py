"""``botoflowx worker``: host workflow definitions and activities until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import datetime as _dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import Any

import orjson

from botoflowx._cli._common import (
    EXIT_FAILURE,
    EXIT_OK,
    Connection,
    UsageError,
    positive_int,
    require_domain,
    task_list_of,
)
from botoflowx._cli._loading import load

log = logging.getLogger("botoflowx.cli.worker")

# Set in the children of --processes so their logs say which one they are.
CHILD_INDEX_ENV = "BOTOFLOWX_WORKER_PROCESS"
# Set in the children of --processes: the parent's pid, watched so that a parent killed
# with SIGKILL (which cannot pass a stop on) does not leave its children polling forever.
PARENT_PID_ENV = "BOTOFLOWX_WORKER_PARENT"
# How long the parent of --processes waits for its children after passing on a stop.
CHILD_STOP_SECONDS = 120.0
READY_MESSAGE = "worker ready"


def add_parser(commands: Any, common: list[argparse.ArgumentParser]) -> None:
    """Register ``botoflowx worker``."""
    parser = commands.add_parser(
        "worker",
        parents=common,
        # --processes is stripped from the children's command line by exact name.
        allow_abbrev=False,
        help="host workflows and activities from Python modules",
        description=(
            "Import MODULE and host its workflow definitions and activities (all of them, "
            "or those named as MODULE:NAME or MODULE:A,B) on one task list. SIGINT/SIGTERM "
            "stops polling, lets the tasks in flight finish and exits 0; a second signal "
            "exits at once."
        ),
    )
    parser.add_argument("modules", nargs="+", metavar="MODULE[:NAME]")
    parser.add_argument(
        "--pollers", type=positive_int, default=1, help="polling threads per kind (default: 1)"
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="tasks run at once per kind (default: 4 for activities, --pollers for workflows)",
    )
    parser.add_argument(
        "--processes",
        type=positive_int,
        default=1,
        metavar="N",
        help="run N worker processes (each a fresh interpreter; default: 1, this process)",
    )
    parser.add_argument(
        "--register-domain", action="store_true", help="register --domain if it does not exist"
    )
    parser.add_argument("--identity", help="the poller identity SWF records (default: host:pid)")
    parser.add_argument(
        "--log-format",
        choices=["text", "kv", "json"],
        default="text",
        help="log lines as text, key=value pairs or JSON objects (default: text)",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default="INFO",
        help="(default: INFO)",
    )
    parser.set_defaults(func=run)


# -- structured logs -----------------------------------------------------------------------------

_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})))


def _record_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ts": _dt.datetime.fromtimestamp(record.created, _dt.timezone.utc).isoformat(
            timespec="milliseconds"
        ),
        "level": record.levelname,
        "logger": record.name,
        "msg": record.getMessage(),
        "pid": record.process,
        "thread": record.threadName,
    }
    # Extra fields passed with ``extra={...}`` become keys of their own.
    fields.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS})
    if record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    return fields


class JSONLinesFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, pid, thread, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as one JSON line."""
        return orjson.dumps(_record_fields(record), default=repr).decode()


class KeyValueFormatter(logging.Formatter):
    """``key=value`` pairs, values quoted when they hold spaces, quotes or ``=``."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as one line of pairs."""
        return " ".join(f"{k}={_kv_value(v)}" for k, v in _record_fields(record).items())


def _kv_value(value: Any) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=\n\t'):
        return orjson.dumps(text).decode()
    return text


def configure_logging(log_format: str, level: str, *, debug: bool = False) -> None:
    """Send logs to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JSONLinesFormatter())
    elif log_format == "kv":
        handler.setFormatter(KeyValueFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if not debug:
        # botocore's INFO lines (credential lookups) are noise in a worker's log.
        logging.getLogger("botocore").setLevel(logging.WARNING)
        logging.getLogger("urllib3").setLevel(logging.WARNING)


# -- the command ---------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Run the worker (or its ``--processes`` children) until stopped."""
    domain = require_domain(args)
    task_list = task_list_of(args)
    if not task_list:
        raise UsageError(
            "a worker needs a task list to poll: pass --task-list NAME or set $BOTOFLOWX_TASK_LIST"
        )
    configure_logging(args.log_format, args.log_level, debug=args.debug)
    # Loaded in the parent of --processes too, so a bad module fails once, here.
    hosted = load(args.modules)
    if args.processes > 1:
        return _run_processes(args)
    return _serve(args, args.connection, hosted, domain, task_list)


def _serve(
    args: argparse.Namespace, connection: Connection, hosted: Any, domain: str, task_list: str
) -> int:
    from botoflowx.worker import (
        ActivityWorker,
        ThreadedActivityExecutor,
        ThreadedWorkflowExecutor,
        WorkflowWorker,
    )

    common: dict[str, Any] = {
        "endpoint_url": connection.endpoint_url,
        "register_domain": args.register_domain,
        "identity": args.identity,
    }
    session, region = connection.target.session, connection.target.region
    executors: list[Any] = []
    if hosted.workflows:
        deciders = WorkflowWorker(session, region, domain, task_list, *hosted.workflows, **common)
        executors.append((ThreadedWorkflowExecutor(deciders), args.workers or args.pollers))
    if hosted.activities:
        runners = ActivityWorker(session, region, domain, task_list, *hosted.activities, **common)
        executors.append((ThreadedActivityExecutor(runners), args.workers or 4))
    stop = threading.Event()
    parent = os.environ.get(PARENT_PID_ENV)
    if parent and parent.isdigit():
        _stop_when_orphaned(int(parent), stop)
    signals = _StopSignals(stop)
    with signals:
        started = []
        try:
            for executor, workers in executors:
                executor.start(pollers=args.pollers, workers=workers)
                started.append(executor)
        except BaseException:
            for executor in started:
                executor.stop()
            raise
        log.info(
            "%s: domain=%s task_list=%s endpoint=%s %s",
            READY_MESSAGE,
            domain,
            task_list,
            connection.where,
            hosted.describe(),
            extra={"domain": domain, "task_list": task_list},
        )
        stop.wait()
        log.info(
            "stopping: no new polls; waiting for the polls in flight (up to the 60 s long poll) "
            "and the tasks in flight (a second signal exits at once)"
        )
        for executor, _ in executors:
            executor.stop()
        for executor, _ in executors:
            executor.join()
    for executor, _ in executors:
        executor.worker.close()
    log.info("worker stopped")
    return EXIT_OK


def _stop_when_orphaned(parent_pid: int, stop: threading.Event) -> None:
    """Stop gracefully (as on SIGTERM) once the ``--processes`` parent is gone."""

    def watch() -> None:
        while not stop.wait(1.0):
            # Reparented: the parent died without passing on a stop.
            if os.getppid() != parent_pid:
                log.warning("parent process %d is gone: stopping", parent_pid)
                stop.set()

    threading.Thread(target=watch, name="botoflowx-parent-watch", daemon=True).start()


class _StopSignals:
    """SIGINT/SIGTERM set ``stop``; a second one exits the process at once."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._stop.is_set():
            # The user insists: abandon the tasks in flight (SWF times them out).
            os.write(2, b"botoflowx worker: second signal, exiting now\n")
            os._exit(EXIT_FAILURE)
        self._stop.set()

    def __enter__(self) -> _StopSignals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


# -- --processes ----------------------------------------------------------------------------------


def child_argv(argv: Sequence[str]) -> list[str]:
    """The command line of one child: this one without ``--processes``."""
    result: list[str] = []
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        if token == "--processes":
            skip = True
            continue
        if token.startswith("--processes="):
            continue
        result.append(token)
    return result


def _run_processes(args: argparse.Namespace) -> int:
    """Start ``--processes`` fresh ``botoflowx worker`` interpreters and supervise them.

    Each child is a new interpreter (never a fork), so nothing of this process'
    state (threads, sockets, locks) is inherited: the spawn-safe way. Whole
    ``botoflowx worker`` children (rather than ``worker._multiprocessing``'s
    executors, which serve one worker per process) keep what the command
    promises in every process: the chosen log format, the ready line, and the
    graceful stop on SIGTERM.
    """
    argv = [sys.executable, "-m", "botoflowx", *child_argv(args.argv)]
    children: list[subprocess.Popen[bytes]] = []
    stop = threading.Event()
    with _StopSignals(stop):
        for index in range(args.processes):
            env = dict(
                os.environ, **{CHILD_INDEX_ENV: str(index), PARENT_PID_ENV: str(os.getpid())}
            )
            # Children get their own process group so a terminal's Ctrl-C reaches
            # them only through this parent, once, in order.
            children.append(subprocess.Popen(argv, env=env, start_new_session=True))
        log.info(
            "started %d worker processes: %s",
            len(children),
            ", ".join(str(child.pid) for child in children),
        )
        while not stop.wait(0.5):
            if any(child.poll() is not None for child in children):
                break
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + CHILD_STOP_SECONDS
        codes = []
        for child in children:
            try:
                codes.append(child.wait(max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                child.kill()
                codes.append(child.wait())
    failed = [(c.pid, code) for c, code in zip(children, codes, strict=True) if code != 0]
    if failed or not stop.is_set():
        log.error(
            "worker processes exited: %s",
            ", ".join(f"pid {pid} status {code}" for pid, code in failed) or "unexpectedly",
        )
        return EXIT_FAILURE
    log.info("all %d worker processes stopped", len(children))
    return EXIT_OK
