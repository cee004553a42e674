"""Fixtures for worker tests: an embedded server and a harness running real workers on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from worker_harness import Harness

from botoflowx.server import EmbeddedServer


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    """An in-process embedded server with 1 s long polls and a test clock."""
    with EmbeddedServer(port=0, database=":memory:", long_poll_seconds=1, test_clock=True) as srv:
        yield srv


@pytest.fixture
def harness(server: EmbeddedServer) -> Harness:
    return Harness(server.endpoint_url)
