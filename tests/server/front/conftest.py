"""Fixtures for the HTTP front's unit tests: a scriptable fake engine behind a real socket."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from botoflowx.server._http import SWFHTTPServer
from botoflowx.server._sigv4 import SigV4Verifier


class FakeEngine:
    """Records calls and answers them through a per-operation function.

    A handler may raise (SWF faults or anything else) or block, like the real engine.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]] = {}
        self.now = 1_800_000_000.0
        self.closed = threading.Event()
        self._lock = threading.Lock()

    def handle(self, operation: str, params: dict[str, Any], region: str) -> dict[str, Any] | None:
        with self._lock:
            self.calls.append((operation, params, region))
        handler = self.handlers.get(operation)
        if handler is None:
            return None
        return handler(params)

    def advance_clock(self, seconds: float) -> float:
        self.now += seconds
        return self.now

    def close(self) -> None:
        self.closed.set()


class FrontHarness:
    """A running SWFHTTPServer on a free loopback port with a FakeEngine behind it."""

    def __init__(self, *, verifier: SigV4Verifier | None = None, admin: bool = False) -> None:
        self.engine = FakeEngine()
        self.httpd = SWFHTTPServer(
            ("127.0.0.1", 0), self.engine, verifier=verifier, admin_enabled=admin
        )
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def port(self) -> int:
        return self.httpd.port

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connection(self, timeout: float = 10.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def close(self) -> None:
        self.httpd.shutdown()
        self.thread.join(10)
        self.engine.close()
        self.httpd.drain(2.0)
        self.httpd.server_close()


@pytest.fixture
def make_front() -> Iterator[Callable[..., FrontHarness]]:
    """A factory for harnesses with options (SigV4 keys, admin target); all closed after."""
    made: list[FrontHarness] = []

    def factory(
        *, credentials: dict[str, str] | None = None, admin: bool = False, clock: Any = None
    ) -> FrontHarness:
        verifier = None
        if credentials:
            verifier = (
                SigV4Verifier(credentials, clock=clock) if clock else SigV4Verifier(credentials)
            )
        harness = FrontHarness(verifier=verifier, admin=admin)
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        harness.close()


@pytest.fixture
def front(make_front: Callable[..., FrontHarness]) -> FrontHarness:
    """A harness with no signature checks and no admin target."""
    return make_front()
