"""Run ``python -m botoflowx.server`` as a child process for black-box tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import NoReturn

ENDPOINT_PREFIX = "botoflowx server listening: endpoint_url="
ADMIN_ADVANCE_CLOCK = "BotoflowxAdmin.AdvanceClock"
REPO_ROOT = Path(__file__).resolve().parents[2]


class ServerStartError(RuntimeError):
    """The server process exited or stayed silent before printing its endpoint line."""


class ServerProcess:
    """One ``botoflowx.server`` subprocess, restartable on the same database.

    The process is started by :meth:`start` (or on entering the context manager).
    Its stdout is drained by a daemon thread after the endpoint line was read, so a
    chatty server can never block on a full pipe; stderr goes to a temporary file
    that is quoted in every start-up error.

    Args:
        database: SQLite path or ``":memory:"``.
        long_poll_seconds: the server's long-poll hold.
        test_clock: pass ``--test-clock`` (enables :meth:`advance_clock`).
        host: interface to bind.
        port: port to bind; 0 picks a free one on every (re)start.
        startup_timeout: seconds to wait for the endpoint line.
        extra_args: further command-line arguments.
    """

    def __init__(
        self,
        *,
        database: str | os.PathLike[str] = ":memory:",
        long_poll_seconds: float = 1.0,
        test_clock: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 30.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.database = str(database)
        self.long_poll_seconds = long_poll_seconds
        self.test_clock = test_clock
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.extra_args = tuple(extra_args)
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr_path: Path | None = None
        self._endpoint_url: str | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def command(self) -> list[str]:
        """Return the argv used to launch the server."""
        argv = [
            sys.executable,
            "-m",
            "botoflowx.server",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--database",
            self.database,
            "--long-poll-seconds",
            _format_seconds(self.long_poll_seconds),
        ]
        if self.test_clock:
            argv.append("--test-clock")
        argv.extend(self.extra_args)
        return argv

    def start(self) -> str:
        """Launch the process and wait for its endpoint line.

        Returns:
            The endpoint URL the server printed.

        Raises:
            ServerStartError: the process died or printed nothing usable in time.
            RuntimeError: the process is already running.
        """
        if self.running:
            raise RuntimeError("server process is already running")
        fd, stderr_name = tempfile.mkstemp(prefix="botoflowx-server-", suffix=".stderr")
        os.close(fd)
        self._stderr_path = Path(stderr_name)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self._stderr_path, "wb") as stderr:
            self._proc = subprocess.Popen(
                self.command(),
                stdout=subprocess.PIPE,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                cwd=REPO_ROOT,
                env=env,
            )
        self._endpoint_url = self._read_endpoint(self._proc)
        return self._endpoint_url

    def stop(self, timeout: float = 10.0) -> int | None:
        """Send SIGTERM and wait; escalate to SIGKILL after ``timeout`` seconds.

        Returns:
            The exit code, or None if the process was not running.
        """
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        return self._forget(proc)

    def kill(self) -> int | None:
        """Send SIGKILL (``kill -9``) and reap the process; nothing is flushed or closed.

        Returns:
            The exit code (negative signal number), or None if it was not running.
        """
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        return self._forget(proc)

    def restart(self) -> str:
        """Stop the process if it runs (SIGTERM) and start it again on the same database.

        Returns:
            The new endpoint URL (the port changes when ``port`` is 0).
        """
        self.stop()
        return self.start()

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- accessors ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int:
        """The process id of the running server."""
        if self._proc is None:
            raise RuntimeError("server process is not running")
        return self._proc.pid

    @property
    def endpoint_url(self) -> str:
        """The endpoint URL printed by the running server."""
        if self._endpoint_url is None:
            raise RuntimeError("server process is not running")
        return self._endpoint_url

    def stderr_text(self) -> str:
        """Return what the server wrote to stderr so far (for failure messages)."""
        if self._stderr_path is None or not self._stderr_path.exists():
            return ""
        return self._stderr_path.read_text(errors="replace")

    # -- admin -------------------------------------------------------------------------------

    def advance_clock(self, seconds: float) -> float:
        """Move the server's test clock forward and let everything due fire.

        Args:
            seconds: how far to move the clock.

        Returns:
            The server's new ``now`` as epoch seconds.

        Raises:
            RuntimeError: the server refused the admin call.
        """
        body = json.dumps({"seconds": seconds}).encode()
        request = urllib.request.Request(
            self.endpoint_url + "/",
            data=body,
            method="POST",
            headers={
                "X-Amz-Target": ADMIN_ADVANCE_CLOCK,
                "Content-Type": "application/x-amz-json-1.0",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                payload = json.loads(response.read())
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            raise RuntimeError(f"AdvanceClock failed: HTTP {err.code}: {detail}") from err
        return float(payload["now"])

    # -- internals ---------------------------------------------------------------------------

    def _read_endpoint(self, proc: subprocess.Popen[bytes]) -> str:
        assert proc.stdout is not None
        lines: list[bytes] = []
        got_line = threading.Event()

        def first_line() -> None:
            stream = proc.stdout
            assert stream is not None
            with stream:
                lines.append(stream.readline())
                got_line.set()
                # Keep draining until EOF: a full stdout pipe would stall the server.
                for _ in iter(stream.readline, b""):
                    pass

        threading.Thread(target=first_line, name="server-stdout", daemon=True).start()
        deadline = time.monotonic() + self.startup_timeout
        while not got_line.wait(0.05):
            if proc.poll() is not None:
                # The reader may still be about to publish a last line; give it a moment.
                got_line.wait(0.5)
                break
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait(10)
                self._fail(f"no endpoint line within {self.startup_timeout:.0f} s")
        line = lines[0].decode(errors="replace").strip() if lines else ""
        if not line.startswith(ENDPOINT_PREFIX):
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            self._fail(f"expected {ENDPOINT_PREFIX!r}..., got {line!r} (exit {proc.returncode})")
        return line[len(ENDPOINT_PREFIX) :].rstrip("/")

    def _fail(self, what: str) -> NoReturn:
        self._proc = None
        stderr = self.stderr_text()
        if self._stderr_path is not None:
            self._stderr_path.unlink(missing_ok=True)
            self._stderr_path = None
        raise ServerStartError(
            f"botoflowx server did not start: {what}\n"
            f"command: {' '.join(self.command())}\n"
            f"stderr:\n{stderr}"
        )

    def _forget(self, proc: subprocess.Popen[bytes]) -> int | None:
        self._proc = None
        self._endpoint_url = None
        if self._stderr_path is not None:
            self._stderr_path.unlink(missing_ok=True)
            self._stderr_path = None
        return proc.returncode


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))
