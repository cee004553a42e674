"""Fixtures for the engine's in-process tests: an Engine on a TestClock in a fresh domain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from engine_support import Driver

from botoflowx.server._clock import TestClock
from botoflowx.server._engine import Engine


@pytest.fixture
def engine() -> Iterator[Engine]:
    eng = Engine(":memory:", clock=TestClock(), long_poll_seconds=0.05)
    eng.start()
    try:
        yield eng
    finally:
        eng.close()


@pytest.fixture
def swf(engine: Engine) -> Driver:
    """A driver in a fresh domain with one workflow type and one activity type."""
    driver = Driver(engine, "dom")
    driver("RegisterDomain", name="dom", workflowExecutionRetentionPeriodInDays="1")
    driver.register_workflow()
    driver.register_activity()
    return driver
