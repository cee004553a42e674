"""Pollers survive losing the SWF endpoint: they back off, keep polling, and resume."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import pytest
from test_integration import Acts, HelloWorkflow
from worker_harness import Harness

from helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(120)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_pollers_ride_out_a_server_outage(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    server = ServerProcess(
        database=tmp_path / "swf.sqlite3", long_poll_seconds=1, test_clock=False, port=_free_port()
    )
    server.start()
    try:
        harness = Harness(server.endpoint_url)
        with caplog.at_level(logging.WARNING, logger="botoflowx"):
            with harness.workers([HelloWorkflow], [Acts()]) as (deciders, runners):
                server.stop()  # every poll now fails to connect
                deadline = time.monotonic() + 30
                while not any("poll failed" in r.getMessage() for r in caplog.records):
                    assert time.monotonic() < deadline, "pollers never noticed the outage"
                    time.sleep(0.1)
                time.sleep(1.0)  # a few more failed rounds
                assert deciders.is_running and runners.is_running
                server.start()  # same port, same database
                handle = harness.start(lambda: HelloWorkflow.hello())
                assert handle.result(timeout=60) == "Hello World!"
        failures = [r for r in caplog.records if "poll failed" in r.getMessage()]
        assert {r.threadName.split("-")[1] for r in failures} >= {"workflow", "activity"}
    finally:
        server.stop()
