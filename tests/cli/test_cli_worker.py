"""``botoflowx worker``: graceful stop on signals, key=value logs, ``--processes``."""

from __future__ import annotations

import os
import re
import signal
import time
import uuid

import pytest
from cli_support import WorkerProcess, fields, run_cli


@pytest.fixture
def cli_domain(endpoint: str) -> str:
    """A fresh domain per test: a worker registers its task list as the types' default."""
    name = f"cliw-{uuid.uuid4().hex[:10]}"
    assert run_cli("domain", "register", name, endpoint_url=endpoint).returncode == 0
    return name


def test_sigint_stops_gracefully_with_exit_0(endpoint: str, cli_domain: str) -> None:
    worker = WorkerProcess(
        [
            "cli_flows:GreetingWorkflow,Greeter",
            "--domain",
            cli_domain,
            "--task-list",
            "sigint",
            "--log-format",
            "kv",
        ],
        endpoint,
    ).start()
    try:
        result = run_cli(
            "start",
            "GreetingWorkflow",
            "--task-list",
            "sigint",
            "--input",
            '["kv"]',
            "--wait",
            "--domain",
            cli_domain,
            endpoint_url=endpoint,
        )
        assert fields(result.stdout)["result"] == '"Hello kv!"'
        assert worker.stop(signal.SIGINT) == 0
    finally:
        worker.kill()
    text = worker.stderr()
    assert "Traceback" not in text
    ready = next(line for line in worker.lines() if "worker ready" in line)
    assert re.search(r"\blevel=INFO\b", ready) and re.search(
        r"\blogger=botoflowx\.cli\.worker\b", ready
    )
    assert 'msg="worker ready: ' in ready
    assert "workflows GreetingWorkflow; activities Greeter" in ready
    assert 'msg="worker stopped"' in worker.lines()[-1] or "worker stopped" in worker.lines()[-1]


def test_processes_start_children_and_stop_them_all(endpoint: str, cli_domain: str) -> None:
    worker = WorkerProcess(
        [
            "cli_flows",
            "--domain",
            cli_domain,
            "--task-list",
            "procs",
            "--processes",
            "2",
            "--log-format",
            "json",
        ],
        endpoint,
    ).start(ready_lines=2)
    try:
        import json

        records = [json.loads(line) for line in worker.lines() if line.startswith("{")]
        ready_pids = {r["pid"] for r in records if r["msg"].startswith("worker ready")}
        assert len(ready_pids) == 2
        assert worker.proc is not None and worker.proc.pid not in ready_pids
        # Both children serve the task list.
        for value in ("a", "b", "c"):
            result = run_cli(
                "start",
                "GreetingWorkflow",
                "--task-list",
                "procs",
                "--input",
                f'["{value}"]',
                "--wait",
                "--domain",
                cli_domain,
                endpoint_url=endpoint,
            )
            assert result.returncode == 0, result.stderr
        assert worker.stop(signal.SIGTERM) == 0
    finally:
        worker.kill()
    for pid in ready_pids:
        with pytest.raises(ProcessLookupError):
            _wait_gone(pid)
    assert "Traceback" not in worker.stderr()


def test_processes_children_stop_when_the_parent_is_killed(endpoint: str, cli_domain: str) -> None:
    # SIGKILL cannot be passed on to the children; they notice they were orphaned
    # and stop by themselves instead of polling forever.
    import json

    worker = WorkerProcess(
        [
            "cli_flows",
            "--domain",
            cli_domain,
            "--task-list",
            "orphans",
            "--processes",
            "2",
            "--log-format",
            "json",
        ],
        endpoint,
    ).start(ready_lines=2)
    try:
        records = [json.loads(line) for line in worker.lines() if line.startswith("{")]
        ready_pids = {r["pid"] for r in records if r["msg"].startswith("worker ready")}
        assert len(ready_pids) == 2
        assert worker.proc is not None
        worker.proc.kill()
        worker.proc.wait(10)
        for pid in ready_pids:
            _wait_exited(pid, timeout=60)
    finally:
        worker.kill()


def _wait_exited(pid: int, timeout: float) -> None:
    """Return once ``pid`` has exited (gone, or a zombie nobody reaped yet); else fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.1)
    pytest.fail(f"worker child {pid} still running {timeout}s after its parent was killed")


def _wait_gone(pid: int, timeout: float = 10) -> None:
    """Raise ProcessLookupError once ``pid`` is gone (reaped by its parent)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        os.kill(pid, 0)
        time.sleep(0.1)
    raise AssertionError(f"process {pid} still exists")
