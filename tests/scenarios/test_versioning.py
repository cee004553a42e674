"""Versioning in code: patched() markers keep old runs on the old branch; deprecate_patch()."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from botoflowx.activity import activities, activity
from botoflowx.workflow import (
    Future,
    WorkflowDefinition,
    activity_options,
    deprecate_patch,
    execute,
    patched,
    signal,
    workflow,
)

from .conftest import ACTIVITY_TIMEOUTS, Scenario

pytestmark = pytest.mark.timeout(90)

MARKER = "botoflowx.patch.use-new-way"


@activities(**ACTIVITY_TIMEOUTS)
class VersionActs:
    @activity(version="1.0")
    def first(self) -> str:
        return "first"

    @activity(version="1.0")
    def old_way(self) -> str:
        return "the old way"

    @activity(version="1.0")
    def new_way(self) -> str:
        return "the new way"


class Finishable(WorkflowDefinition):
    """A ``finish`` signal that opens ``self.finished``."""

    def _finished(self) -> Future[Any]:
        if getattr(self, "finished", None) is None:
            self.finished: Future[Any] = Future()
        return self.finished

    @signal()
    def finish(self) -> None:
        self._finished().set_result(None)


@workflow(name="Versioned")
class OldCode(Finishable):
    """Version 1 of the code: the second step is ``old_way`` on a separate task list."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, later: str) -> Generator[Any, Any, Any]:
        yield VersionActs.first()
        with activity_options(task_list=later):
            result = yield VersionActs.old_way()
        yield self._finished()
        return ["old", result]


@workflow(name="Versioned")
class PatchedCode(Finishable):
    """Version 2: new runs take ``new_way``; runs that already chose keep ``old_way``."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, later: str) -> Generator[Any, Any, Any]:
        yield VersionActs.first()
        if patched("use-new-way"):
            branch = "new"
            result = yield VersionActs.new_way()
        else:
            branch = "old"
            with activity_options(task_list=later):
                result = yield VersionActs.old_way()
        yield self._finished()
        return [branch, result]


@workflow(name="Versioned")
class DeprecatedCode(Finishable):
    """Version 3: every run without the marker is closed; the old branch is gone."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, later: str) -> Generator[Any, Any, Any]:
        yield VersionActs.first()
        deprecate_patch("use-new-way")
        result = yield VersionActs.new_way()
        yield self._finished()
        return ["new", result]


def markers(scenario: Scenario, handle: Any) -> list[str]:
    return [attrs["markerName"] for attrs in scenario.events(handle, "MarkerRecorded")]


# No sticky cache: a run's next decision task must not wait on the task list of a
# worker this test already stopped, and every task replays the run from the start.
NO_CACHE = {"cache_size": 0}


def test_patched_keeps_old_runs_on_the_old_branch(scenario: Scenario) -> None:
    later = f"{scenario.task_list}-later"
    acts = VersionActs()
    # 1. The old code runs the first step and schedules old_way, which nobody polls yet.
    with scenario.workers([OldCode], [acts], **NO_CACHE):
        old_run = scenario.start(lambda: OldCode.run(later))
        scenario.wait_for_event(old_run, "ActivityTaskScheduled", 2)

    # 2. The patched code takes over: the old run replays its choice and finishes on it;
    #    a new run records the marker and takes the new branch.
    with (
        scenario.workers([PatchedCode], [acts], **NO_CACHE),
        scenario.workers([], [acts], task_list=later),
    ):
        scenario.wait_for_event(old_run, "ActivityTaskCompleted", 2)
        new_run = scenario.start(lambda: PatchedCode.run(later))
        scenario.wait_for_event(new_run, "ActivityTaskCompleted", 2)
        old_run.finish()
        assert old_run.result(timeout=20) == ["old", "the old way"]
    assert markers(scenario, old_run) == []
    assert markers(scenario, new_run) == [MARKER]
    (marker,) = scenario.events(new_run, "MarkerRecorded")
    assert marker["details"] == "use-new-way"
    scheduled = [
        attrs["activityType"]["name"] for attrs in scenario.events(new_run, "ActivityTaskScheduled")
    ]
    assert scheduled == ["VersionActs.first", "VersionActs.new_way"]

    # 3. With the patch deprecated, the run that recorded the marker replays from the
    #    start on a fresh worker and finishes; a brand new run also takes the new way.
    with scenario.workers([DeprecatedCode], [acts], **NO_CACHE):
        new_run.finish()
        assert new_run.result(timeout=20) == ["new", "the new way"]
        newest = scenario.start(lambda: DeprecatedCode.run(later))
        scenario.wait_for_event(newest, "ActivityTaskCompleted", 2)
        newest.finish()
        assert newest.result(timeout=20) == ["new", "the new way"]
    assert markers(scenario, newest) == [MARKER]
    assert "DecisionTaskTimedOut" not in scenario.event_types(newest)
