"""Tests of the ServerProcess helper itself: start, failure reporting, stop, kill, restart."""

from __future__ import annotations

import signal

import pytest

from helpers.server import ServerProcess, ServerStartError
from helpers.swf import make_client


def test_start_failure_reports_the_servers_stderr() -> None:
    server = ServerProcess(extra_args=["--no-such-option"])
    with pytest.raises(ServerStartError) as err:
        server.start()
    message = str(err.value)
    assert "--no-such-option" in message  # the command line
    assert "usage" in message.lower()  # argparse's complaint, read from stderr
    assert not server.running


def test_lifecycle_stop_kill_restart_and_clock() -> None:
    server = ServerProcess(long_poll_seconds=1, test_clock=True)
    first_url = server.start()
    try:
        assert server.endpoint_url == first_url
        assert first_url.startswith("http://127.0.0.1:")
        client = make_client(first_url)
        assert "domainInfos" in client.list_domains(registrationStatus="REGISTERED")
        now = server.advance_clock(0)
        assert server.advance_clock(100) >= now + 100

        assert server.kill() == -signal.SIGKILL
        assert not server.running
        second_url = server.restart()
        assert server.running
        assert "domainInfos" in make_client(second_url).list_domains(
            registrationStatus="REGISTERED"
        )
    finally:
        server.stop()
    assert not server.running
    assert server.stop() is None
