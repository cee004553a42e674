"""Fixtures of the command-line tests: the shared server, a fresh domain, a running worker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from cli_support import WorkerProcess, run_cli

from helpers.server import ServerProcess


@pytest.fixture(scope="module")
def endpoint(swf_server: ServerProcess) -> str:
    """The shared test server's endpoint URL."""
    return swf_server.endpoint_url


@pytest.fixture(scope="module")
def cli_domain(endpoint: str) -> str:
    """A fresh domain, registered through the command line."""
    name = f"cli-{uuid.uuid4().hex[:10]}"
    result = run_cli("domain", "register", name, endpoint_url=endpoint)
    assert result.returncode == 0, result.stderr
    return name


@pytest.fixture(scope="module")
def worker(endpoint: str, cli_domain: str) -> Iterator[WorkerProcess]:
    """A worker hosting ``cli_flows`` on task list ``cli`` (JSON logs)."""
    process = WorkerProcess(
        ["cli_flows", "--domain", cli_domain, "--task-list", "cli", "--log-format", "json"],
        endpoint,
    ).start()
    try:
        yield process
    finally:
        process.stop()
        process.kill()
