"""Helpers of the command-line tests: run ``python -m botoflowx`` commands and workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

CLI_DIR = Path(__file__).resolve().parent
READY = "worker ready"


def cli_env(
    endpoint_url: str | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a command: this one without BOTOFLOWX_* settings, plus ``extra``.

    ``tests/cli`` is on PYTHONPATH so ``botoflowx worker cli_flows`` finds the test flows.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTOFLOWX_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CLI_DIR), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    if endpoint_url:
        env["BOTOFLOWX_ENDPOINT_URL"] = endpoint_url
    env.update(extra or {})
    return env


def run_cli(
    *args: str,
    endpoint_url: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run one ``python -m botoflowx`` command to its end."""
    return subprocess.run(
        [sys.executable, "-m", "botoflowx", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=CLI_DIR,
        env=cli_env(endpoint_url, env),
        input=stdin,
        check=False,
    )


def fields(text: str) -> dict[str, str]:
    """The ``label: value`` lines of a table-format answer."""
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {label.strip(): value.strip() for label, value in pairs}


class WorkerProcess:
    """``python -m botoflowx worker ...`` in the background; its stderr is collected."""

    def __init__(self, args: Sequence[str], endpoint_url: str) -> None:
        self.args = list(args)
        self.endpoint_url = endpoint_url
        self.proc: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def start(self, ready_lines: int = 1, timeout: float = 30) -> WorkerProcess:
        """Start and wait until ``ready_lines`` processes logged that they are ready."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "botoflowx", "worker", *self.args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=CLI_DIR,
            env=cli_env(self.endpoint_url),
        )
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + timeout
        while sum(READY in line for line in self.lines()) < ready_lines:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"worker did not get ready:\n{self.stderr()}")
            time.sleep(0.05)
        return self

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._lock:
                self._lines.append(line)

    def lines(self) -> list[str]:
        """The stderr lines so far."""
        with self._lock:
            return list(self._lines)

    def stderr(self) -> str:
        """The stderr so far."""
        return "".join(self.lines())

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send ``sig`` and wait for the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        time.sleep(0.1)  # let the reader take the last lines
        return code

    def kill(self) -> None:
        """Kill the process if it still runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
