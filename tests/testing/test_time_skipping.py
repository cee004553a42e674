"""Time skipping in WorkflowEnvironment: days pass in moments, never under a running task."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from kit_workflows import (
    KitActivities,
    ManualApproval,
    SleepForADay,
    TimerAroundBusyActivity,
    WaitForSignal,
)

from botoflowx import DAYS, HOURS
from botoflowx.converter import default_converter
from botoflowx.testing import WorkflowEnvironment

pytestmark = pytest.mark.timeout(120)


def event_types(env: WorkflowEnvironment, handle: Any) -> list[str]:
    return [event["eventType"] for event in env.history(handle)]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def test_a_day_long_sleep_passes_a_day_of_workflow_time_in_seconds() -> None:
    with WorkflowEnvironment(SleepForADay, KitActivities()) as env:
        server_before = env.now()
        wall_before = time.monotonic()
        handle = env.start_workflow(SleepForADay.run, "World")
        greeting, workflow_elapsed = handle.result(timeout=60)
        wall_elapsed = time.monotonic() - wall_before
        server_elapsed = env.now() - server_before
        skipped = env.skipped_seconds
        events = env.history(handle)

    assert greeting == "Hello World!"
    # A day of workflow time (what the code saw, and what the server's clock did) ...
    assert workflow_elapsed >= DAYS
    assert server_elapsed >= DAYS
    assert skipped >= DAYS - 1
    # ... in a small number of wall seconds. Typically ~0.2 s; the bound is loose so a
    # loaded machine cannot fail it, and still 3,000 times shorter than a day.
    assert wall_elapsed < 30, f"a skipped day took {wall_elapsed:.1f} s of wall time"
    started = next(e for e in events if e["eventType"] == "TimerStarted")
    fired = next(e for e in events if e["eventType"] == "TimerFired")
    recorded = (fired["eventTimestamp"] - started["eventTimestamp"]).total_seconds()
    assert recorded >= DAYS  # the history shows the day too


def test_time_never_jumps_while_an_activity_is_running() -> None:
    # While `busy` works for 2 s of real time, an hour-long timer and the activity's
    # 10 s start-to-close timeout are both pending, and the test waits for the result
    # (which unlocks skipping). A jump during the run would fire
    # the timeout (the earliest due time) and the activity would come back timed out.
    acts = KitActivities()
    with WorkflowEnvironment(TimerAroundBusyActivity, acts) as env:
        handle = env.start_workflow(TimerAroundBusyActivity.run, 2.0)
        outcome, during_activity, total = handle.result(timeout=60)
        types = event_types(env, handle)

    assert outcome == "done"
    assert "ActivityTaskTimedOut" not in types
    [(start, end)] = acts.runs
    assert end - start >= 2.0  # it really ran in a worker thread
    # Workflow time moved at real speed while the activity ran ...
    assert during_activity < 60
    # ... and the timer was skipped to once nothing ran any more.
    assert total >= HOURS
    assert types.index("ActivityTaskCompleted") < types.index("TimerFired")


def test_a_started_manual_activity_holds_the_clock() -> None:
    # A manual activity stays started until someone completes it by token: the
    # server is not idle, so the day-long timer beside it must not be skipped to.
    acts = KitActivities()
    with WorkflowEnvironment(ManualApproval, acts) as env:
        handle = env.start_workflow(ManualApproval.run)
        wait_until(lambda: bool(acts.tokens), "the manual activity ran")
        with pytest.raises(TimeoutError):
            handle.result(timeout=0.5)  # waiting unlocks skipping: dozens of rounds
        assert env.skipped_seconds == 0
        assert "TimerFired" not in event_types(env, handle)
        env.client.respond_activity_task_completed(
            taskToken=acts.tokens[0], result=default_converter().dumps("approved")
        )
        answer, timer_done = handle.result(timeout=30)

    assert answer == "approved"
    assert timer_done is False


def test_without_time_skipping_the_clock_moves_only_when_told() -> None:
    with WorkflowEnvironment(SleepForADay, KitActivities(), time_skipping=False) as env:
        handle = env.start_workflow(SleepForADay.run, "Manual")
        wait_until(lambda: "TimerStarted" in event_types(env, handle), "the timer started")
        with pytest.raises(TimeoutError):
            handle.result(timeout=1.0)
        assert "TimerFired" not in event_types(env, handle)
        env.advance_clock(DAYS + 1)
        greeting, workflow_elapsed = handle.result(timeout=30)
        assert env.skipped_seconds == 0

    assert greeting == "Hello Manual!"
    assert workflow_elapsed >= DAYS


def test_time_stands_still_while_no_test_waits_for_a_result() -> None:
    # Start, then signal: the hour-long timer must not fire in between, however
    # long the test takes to send the signal.
    with WorkflowEnvironment(WaitForSignal) as env:
        handle = env.start_workflow(WaitForSignal.run)
        wait_until(lambda: "TimerStarted" in event_types(env, handle), "the timer started")
        time.sleep(0.3)  # idle all along, but nobody waits for the result
        assert "TimerFired" not in event_types(env, handle)
        assert env.skipped_seconds == 0
        handle.signal("approve", "bob")
        assert handle.result(timeout=30) == "bob"
        assert env.skipped_seconds == 0


def test_skipping_can_be_held_while_the_test_acts() -> None:
    with WorkflowEnvironment(WaitForSignal) as env:
        with env.auto_time_skipping_disabled():
            handle = env.start_workflow(WaitForSignal.run)
            wait_until(lambda: "TimerStarted" in event_types(env, handle), "the timer started")
            with pytest.raises(TimeoutError):
                handle.result(timeout=0.5)  # a wait, but skipping is held back
            assert "TimerFired" not in event_types(env, handle)
            handle.signal("approve", "alice")
            assert handle.result(timeout=30) == "alice"

        # Left alone, the same workflow's hour passes at once.
        second = env.start_workflow(WaitForSignal.run)
        assert second.result(timeout=30) == "timer"
        assert env.skipped_seconds >= HOURS - 1


def test_manual_advance_works_with_skipping_on() -> None:
    with WorkflowEnvironment(WaitForSignal) as env:
        with env.auto_time_skipping_disabled():
            handle = env.start_workflow(WaitForSignal.run)
            wait_until(lambda: "TimerStarted" in event_types(env, handle), "the timer started")
            before = env.now()
            after = env.advance_clock(HOURS)
            assert after - before >= HOURS
            assert handle.result(timeout=30) == "timer"
        assert env.skipped_seconds == 0
