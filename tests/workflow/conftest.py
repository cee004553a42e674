"""Fixtures for the pure-Python workflow engine tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from botoflowx.workflow._loop import WorkflowLoop


@pytest.fixture
def loop() -> Iterator[WorkflowLoop]:
    """A workflow loop made current for the test; run it with ``loop.run_until_idle()``."""
    wf_loop = WorkflowLoop()
    with wf_loop.active():
        yield wf_loop
