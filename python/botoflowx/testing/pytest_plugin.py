"""The pytest plugin of botoflowx: the ``botoflowx_env`` and ``activity_env`` fixtures.

Installed botoflowx registers it through the ``pytest11`` entry point, so a test
module needs no import to use the fixtures::

    def test_hello(botoflowx_env):
        botoflowx_env.run_workers(HelloWorkflow, HelloActivities())
        handle = botoflowx_env.start_workflow(HelloWorkflow.hello, "World")
        assert handle.result(timeout=10) == "Hello World!"

The ``botoflowx`` marker passes keyword arguments to the
:class:`~botoflowx.testing.WorkflowEnvironment` of one test, module (with
``pytestmark``) or class::

    @pytest.mark.botoflowx(time_skipping=False)
    def test_with_real_time(botoflowx_env): ...

Without the entry point (running from a source tree), enable it with
``-p botoflowx.testing.pytest_plugin`` or ``pytest_plugins`` in a root conftest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from botoflowx.testing._activity import ActivityEnvironment
from botoflowx.testing._environment import WorkflowEnvironment

__all__ = ["activity_env", "botoflowx_env"]

MARKER = "botoflowx"


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker (``--strict-markers`` refuses undeclared ones)."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): keyword arguments for the botoflowx_env fixture's "
        "WorkflowEnvironment (time_skipping=False, domain=..., task_list=...)",
    )


@pytest.fixture
def botoflowx_env(request: pytest.FixtureRequest) -> Iterator[WorkflowEnvironment]:
    """A running :class:`~botoflowx.testing.WorkflowEnvironment` with time skipping, per test.

    Start workers with ``botoflowx_env.run_workers(...)``; everything stops at
    the end of the test. The nearest ``@pytest.mark.botoflowx(...)`` gives its
    options.
    """
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None and marker.args:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER} takes keyword arguments only "
            f"(WorkflowEnvironment options), got {marker.args!r}"
        )
    options = dict(marker.kwargs) if marker is not None else {}
    with WorkflowEnvironment(**options) as env:
        yield env


@pytest.fixture
def activity_env() -> ActivityEnvironment:
    """A fresh :class:`~botoflowx.testing.ActivityEnvironment` (no server needed)."""
    return ActivityEnvironment()
