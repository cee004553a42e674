"""Conformance fixtures: one fresh server per test module.

SWF allows 100 registered (or deprecated) domains per account and the server enforces
that quota, while every conformance test registers its own domain. A server per module
keeps each module under the quota and also keeps one module's clock advances away from
the next module's executions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpers.server import ServerProcess
from helpers.swf import make_client

LONG_POLL_SECONDS = 1.0


@pytest.fixture(scope="module")
def swf_server() -> Iterator[ServerProcess]:
    """A ``:memory:`` server with the test clock and 1-second long polls, for this module."""
    with ServerProcess(
        database=":memory:", long_poll_seconds=LONG_POLL_SECONDS, test_clock=True
    ) as server:
        yield server


@pytest.fixture(scope="module")
def swf(swf_server: ServerProcess) -> Any:
    """A boto3 SWF client for this module's server, with no retries."""
    return make_client(swf_server.endpoint_url)
