"""Child processes of the end-to-end benchmarks: the server, a decider fleet, an activity fleet.

Each role runs until SIGTERM (or SIGINT), then stops cleanly and prints, as its last stdout
line, a JSON object with the CPU time it used (``getrusage``), so the parent can say where the
CPU went without any platform-specific process inspection::

    python benches/_procs.py server [--database PATH|:memory:] [--profile OUT.prof]
    python benches/_procs.py decider --endpoint URL --domain D --task-list T [--pollers P]
    python benches/_procs.py activity --endpoint URL --domain D --task-list T [--pollers P]

Every role takes ``--profile OUT.prof``: a cProfile of all its threads on their CPU clocks.

The server prints ``endpoint_url=...`` as its first line once it is listening; the workers
print ``ready`` once their pollers run.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: F401  (puts the repository's python/ on sys.path)


def _wait_for_stop() -> None:
    """Block the main thread until SIGTERM or SIGINT."""
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop.wait(0.5):
        pass


def _report(extra: dict[str, Any]) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    line = {
        "cpu_user_s": usage.ru_utime,
        "cpu_system_s": usage.ru_stime,
        "max_rss_kb": usage.ru_maxrss,
        **extra,
    }
    print(json.dumps(line), flush=True)


class _ThreadProfiles:
    """cProfile for every thread: a profile per thread, merged at the end.

    cProfile only sees the thread that enabled it, and the server does its work
    on one thread per connection, so each thread's ``run`` is wrapped. The timer is
    the thread's CPU clock: time a thread spends blocked (long polls, the store's
    lock, idle keep-alive connections) would otherwise swamp where the CPU goes.
    """

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()
        original: Callable[[threading.Thread], None] = threading.Thread.run
        profiles = self

        def run(thread: threading.Thread) -> None:
            profile = cProfile.Profile(time.thread_time)
            with profiles._lock:
                profiles.profiles.append(profile)
            profile.enable()
            try:
                original(thread)
            finally:
                profile.disable()

        threading.Thread.run = run  # type: ignore[method-assign]

    def dump(self, path: Path) -> None:
        with self._lock:
            profiles = list(self.profiles)
        stats: pstats.Stats | None = None
        for profile in profiles:
            try:
                profile.create_stats()
            except Exception:  # a thread still running: its profile is partial but usable
                continue
            if stats is None:
                stats = pstats.Stats(profile)
            else:
                stats.add(profile)
        if stats is not None:
            stats.dump_stats(str(path))


def run_server(args: argparse.Namespace) -> None:
    from botoflowx.server import EmbeddedServer

    profiles = _ThreadProfiles() if args.profile else None
    server = EmbeddedServer(
        port=0, database=args.database, long_poll_seconds=args.long_poll_seconds
    )
    server.start()
    print(f"endpoint_url={server.endpoint_url}", flush=True)
    try:
        _wait_for_stop()
    finally:
        server.stop()
    if profiles is not None:
        profiles.dump(Path(args.profile))
    _report({"role": "server"})


def run_worker(args: argparse.Namespace) -> None:
    from workloads import SeqActivities, SeqWorkflow, SingleActivities, SingleWorkflow

    from botoflowx.worker import (
        ActivityWorker,
        ThreadedActivityExecutor,
        ThreadedWorkflowExecutor,
        WorkflowWorker,
    )

    profiles = _ThreadProfiles() if args.profile else None
    executor: ThreadedWorkflowExecutor | ThreadedActivityExecutor
    if args.role == "decider":
        worker: Any = WorkflowWorker(
            None,
            "us-east-1",
            args.domain,
            args.task_list,
            SingleWorkflow,
            SeqWorkflow,
            endpoint_url=args.endpoint,
        )
        executor = ThreadedWorkflowExecutor(worker)
    else:
        worker = ActivityWorker(
            None,
            "us-east-1",
            args.domain,
            args.task_list,
            SingleActivities(),
            SeqActivities(),
            endpoint_url=args.endpoint,
        )
        executor = ThreadedActivityExecutor(worker)
    executor.start(pollers=args.pollers, workers=args.threads)
    print("ready", flush=True)
    try:
        _wait_for_stop()
    finally:
        executor.stop()
        executor.join(timeout=30)
        worker.close()
    if profiles is not None:
        profiles.dump(Path(args.profile))
    _report({"role": args.role})


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", choices=("server", "decider", "activity"))
    parser.add_argument("--database", default=":memory:")
    parser.add_argument("--long-poll-seconds", type=float, default=10.0)
    parser.add_argument("--profile", help="write a cProfile merged over all threads here")
    parser.add_argument("--endpoint")
    parser.add_argument("--domain")
    parser.add_argument("--task-list")
    parser.add_argument("--pollers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.role == "server":
        run_server(args)
    else:
        run_worker(args)


if __name__ == "__main__":
    main()
