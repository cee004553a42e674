"""EmbeddedServer: the SWF-compatible engine behind its HTTP front, in one object."""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from botoflowx.server._http import SWFHTTPServer
from botoflowx.server._sigv4 import SigV4Verifier

__all__ = ["EmbeddedServer", "default_database_path", "is_loopback_host"]

logger = logging.getLogger("botoflowx.server")

MEMORY_DATABASE = ":memory:"
# How long stop() lets in-flight requests (woken polls included) finish before it
# drops their connections.
_DRAIN_SECONDS = 5.0


def _user_data_dir() -> Path:
    """Return the platform's per-user data directory (without creating it)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) if base else Path.home() / "AppData" / "Local"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    xdg = os.environ.get("XDG_DATA_HOME")
    # The XDG spec says a relative value is invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    return Path.home() / ".local" / "share"


def default_database_path() -> Path:
    """Return ``<user data dir>/botoflowx/server.sqlite3`` (the directory is not created)."""
    return _user_data_dir() / "botoflowx" / "server.sqlite3"


def is_loopback_host(host: str) -> bool:
    """Return whether binding ``host`` only exposes the server to this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class EmbeddedServer:
    """The embedded SWF-compatible server: an engine on SQLite behind an HTTP/1.1 front.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with EmbeddedServer(database=":memory:") as server:
            swf = boto3.client("swf", endpoint_url=server.endpoint_url, ...)

    Args:
        host: interface to bind; loopback by default.
        port: TCP port; 0 picks a free one (read it back from :attr:`port`).
        database: SQLite file path, or ``":memory:"``; defaults to
            :func:`default_database_path` (its directory is created).
        long_poll_seconds: how long an empty poll waits before answering.
        test_clock: run on a clock that :meth:`advance_clock` (and the
            ``BotoflowxAdmin.AdvanceClock`` operation) can move forward.
        credentials: access key id -> secret; when given, every request must carry
            a valid SigV4 signature by one of these keys.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        database: str | os.PathLike[str] | None = None,
        long_poll_seconds: float = 60.0,
        test_clock: bool = False,
        credentials: Mapping[str, str] | None = None,
    ) -> None:
        if long_poll_seconds < 0:
            raise ValueError(f"long_poll_seconds must be >= 0, not {long_poll_seconds!r}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be in 0..65535, not {port!r}")
        self.host = host
        self._requested_port = port
        self.database = database
        self.long_poll_seconds = float(long_poll_seconds)
        self.test_clock = test_clock
        self._credentials = dict(credentials) if credentials else None
        self._engine: Any = None
        self._httpd: SWFHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stop_requested = threading.Event()
        self._lifecycle = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> EmbeddedServer:
        """Open the database, start the engine and begin serving on a background thread.

        Returns:
            self, so ``server = EmbeddedServer(...).start()`` works.

        Raises:
            OSError: the address cannot be bound (for example, the port is in use).
            RuntimeError: the server is already running.
        """
        with self._lifecycle:
            if self._httpd is not None:
                raise RuntimeError("the server is already running")
            # Bind first: a port that is taken should fail before the database is
            # opened (a second server on the same file must not touch it).
            verifier = SigV4Verifier(self._credentials) if self._credentials else None
            httpd = SWFHTTPServer(
                (self.host, self._requested_port),
                None,
                verifier=verifier,
                admin_enabled=self.test_clock,
            )
            try:
                # Imported here so the HTTP front can be imported and tested on its own.
                from botoflowx.server._clock import SystemClock, TestClock
                from botoflowx.server._engine import Engine

                database = self._resolve_database()
                clock = TestClock() if self.test_clock else SystemClock()
                engine = Engine(database, clock=clock, long_poll_seconds=self.long_poll_seconds)
            except BaseException:
                httpd.server_close()
                raise
            try:
                engine.start()
            except BaseException:
                httpd.server_close()
                engine.close()
                raise
            httpd.engine = engine
            self._engine = engine
            self._httpd = httpd
            self._stop_requested.clear()
            self._thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.25},
                name=f"botoflowx-server-{httpd.port}",
                daemon=True,
            )
            self._thread.start()
            logger.info(
                "botoflowx server listening on %s (database %s)", self.endpoint_url, database
            )
            return self

    def stop(self) -> None:
        """Stop accepting, wake waiting polls, let in-flight requests finish, close the engine.

        Safe to call more than once and from any thread (but not from a signal
        handler: use :meth:`request_stop` there).
        """
        with self._lifecycle:
            httpd, engine, thread = self._httpd, self._engine, self._thread
            if httpd is None:
                return
            self._httpd = self._engine = self._thread = None
            self._stop_requested.set()
            httpd.shutdown()  # returns once the accept loop has exited
            if thread is not None:
                thread.join()
            httpd.closing = True  # answers from now on close their connections
            if not httpd.wait_for_calls(_DRAIN_SECONDS):
                logger.warning("stopping with engine calls still running")
            try:
                # Wakes every waiting long poll, which then answers its client.
                engine.close()
            finally:
                httpd.drain(_DRAIN_SECONDS)
                httpd.server_close()
            logger.info("botoflowx server stopped")

    def request_stop(self) -> None:
        """Ask :meth:`serve_forever` to return; safe to call from a signal handler."""
        self._stop_requested.set()

    def serve_forever(self) -> None:
        """Start (if needed) and block until :meth:`request_stop` or :meth:`stop`, then stop."""
        if self._httpd is None:
            self.start()
        try:
            # A timed wait keeps the main thread responsive to signals on every platform.
            while not self._stop_requested.wait(0.5):
                pass
        finally:
            self.stop()

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- accessors --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._httpd is not None

    @property
    def port(self) -> int:
        """The bound TCP port.

        Raises:
            RuntimeError: the server is not running.
        """
        return self._require_httpd().port

    @property
    def endpoint_url(self) -> str:
        """The URL to pass to ``boto3.client("swf", endpoint_url=...)``.

        Raises:
            RuntimeError: the server is not running.
        """
        httpd = self._require_httpd()
        host = self.host
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{httpd.port}"

    @property
    def engine(self) -> Any:
        """The running engine (for in-process tests); None when stopped."""
        return self._engine

    def advance_clock(self, seconds: float) -> float:
        """Move the server's test clock forward and fire whatever became due.

        Args:
            seconds: how far to move the clock (>= 0).

        Returns:
            The server's new current time, in epoch seconds.

        Raises:
            RuntimeError: the server was not created with ``test_clock=True``, or
                is not running.
        """
        if not self.test_clock:
            raise RuntimeError(
                "advance_clock() needs a test clock: create the server with "
                "EmbeddedServer(test_clock=True) (or run it with --test-clock)"
            )
        engine = self._engine
        if engine is None:
            raise RuntimeError("the server is not running: call start() first")
        return float(engine.advance_clock(seconds))

    # -- helpers ----------------------------------------------------------------------------

    def _require_httpd(self) -> SWFHTTPServer:
        httpd = self._httpd
        if httpd is None:
            raise RuntimeError("the server is not running: call start() first")
        return httpd

    def _resolve_database(self) -> str:
        if self.database is None:
            path = default_database_path()
        elif os.fspath(self.database) == MEMORY_DATABASE:
            return MEMORY_DATABASE
        else:
            path = Path(os.fspath(self.database)).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        return str(path)
