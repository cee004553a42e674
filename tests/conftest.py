"""Suite-wide fixtures: one shared SWF server subprocess, a boto3 client and fresh domains."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpers.server import ServerProcess
from helpers.swf import SWFDomain, make_client, new_domain

# Short enough that a poll expected to come back empty costs about a second; the few
# tests that need a long hold start their own server.
SHARED_LONG_POLL_SECONDS = 1.0


@pytest.fixture(scope="session")
def swf_server() -> Iterator[ServerProcess]:
    """One ``python -m botoflowx.server`` on ``:memory:`` with the test clock, per session.

    Tests share it, so each works in its own domain (see ``domain``) and never relies on
    the absolute clock value: another test may have advanced it.
    """
    server = ServerProcess(
        database=":memory:", long_poll_seconds=SHARED_LONG_POLL_SECONDS, test_clock=True
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def swf(swf_server: ServerProcess) -> Any:
    """A boto3 SWF client for the shared server, with no retries."""
    return make_client(swf_server.endpoint_url)


@pytest.fixture
def domain(swf: Any) -> SWFDomain:
    """A fresh, uniquely named domain with a workflow type and an activity type."""
    return new_domain(swf)
