"""SWF limits handled on our side: payload sizes, 100 decisions and 1 MB per response."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from typing import Any

import pytest

from botoflowx.activity import activities, activity
from botoflowx.exceptions import PayloadTooLargeError, WorkflowFailedError
from botoflowx.workflow import AllFuture, WorkflowDefinition, WorkflowExecution, execute, signal

from .conftest import ACTIVITY_TIMEOUTS, Scenario

pytestmark = pytest.mark.timeout(90)

BIG = "x" * 40_000


@activities(**ACTIVITY_TIMEOUTS)
class LimitActs:
    @activity(version="1.0")
    def square(self, x: int) -> int:
        return x * x

    @activity(version="1.0")
    def measure(self, text: str) -> int:
        return len(text)


class FanOut(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, n: int) -> Generator[Any, Any, Any]:
        squares = yield AllFuture(*[LimitActs.square(i) for i in range(n)])
        return sum(squares)


class HeavyFanOut(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, n: int, size: int) -> Generator[Any, Any, Any]:
        lengths = yield AllFuture(*[LimitActs.measure("y" * size) for _ in range(n)])
        return sum(lengths)


class Oversize(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, what: str) -> Generator[Any, Any, Any]:
        yield LimitActs.square(1)
        if what == "activity input":
            yield LimitActs.measure(BIG)
        elif what == "signal input":
            yield Oversize(WorkflowExecution("someone", None)).poke(BIG)
        elif what == "state":
            self.workflow_state = BIG
        return BIG if what == "result" else "small"

    @signal()
    def poke(self, text: str) -> None:
        del text


def decisions_per_task(scenario: Scenario, handle: Any) -> list[int]:
    """How many decisions each DecisionTaskCompleted carried (by the events it caused)."""
    counts: Counter[int] = Counter()
    for event in scenario.history(handle):
        for key, attrs in event.items():
            if key.endswith("EventAttributes") and "decisionTaskCompletedEventId" in attrs:
                counts[attrs["decisionTaskCompletedEventId"]] += 1
    return [counts[event_id] for event_id in sorted(counts)]


def test_more_than_100_decisions_are_split_across_tasks(scenario: Scenario) -> None:
    # cache_size=0: every task replays from the start, so the split must replay too.
    with scenario.workers([FanOut], [LimitActs()], activity_threads=8, cache_size=0):
        handle = scenario.start(lambda: FanOut.run(250))
        assert handle.result(timeout=60) == sum(i * i for i in range(250))
    per_task = decisions_per_task(scenario, handle)
    assert max(per_task) <= 100
    assert per_task[:3] == [100, 100, 52]  # 99 + timer, 99 + timer, the last 52
    timers = [attrs["timerId"] for attrs in scenario.events(handle, "TimerStarted")]
    assert timers == ["botoflowx.continue.1", "botoflowx.continue.2"]
    assert all(
        attrs["startToFireTimeout"] == "0" for attrs in scenario.events(handle, "TimerStarted")
    )
    scheduled = [attrs["activityId"] for attrs in scenario.events(handle, "ActivityTaskScheduled")]
    assert scheduled == [str(n) for n in range(1, 251)]  # in the order the code made them
    assert "DecisionTaskTimedOut" not in scenario.event_types(handle)


def test_responses_stay_under_one_megabyte(scenario: Scenario) -> None:
    with scenario.workers([HeavyFanOut], [LimitActs()], activity_threads=8):
        handle = scenario.start(lambda: HeavyFanOut.run(40, 30_000))
        assert handle.result(timeout=60) == 40 * 30_000
    per_task = decisions_per_task(scenario, handle)
    # About 30 KB per decision: a 900 KB batch holds 29 of them, plus the timer.
    assert per_task[0] == 30
    assert [attrs["timerId"] for attrs in scenario.events(handle, "TimerStarted")] == [
        "botoflowx.continue.1"
    ]
    assert len(scenario.events(handle, "ActivityTaskScheduled")) == 40


@pytest.mark.parametrize(
    ("what", "field"),
    [
        ("activity input", "input"),
        ("signal input", "input"),
        ("result", "result"),
        ("state", "workflow_state (executionContext)"),
    ],
)
def test_oversize_payload_in_a_workflow_fails_clearly(
    scenario: Scenario, what: str, field: str
) -> None:
    with scenario.workers([Oversize], [LimitActs()]):
        handle = scenario.start(lambda: Oversize.run(what))
        with pytest.raises(WorkflowFailedError) as caught:
            handle.result(timeout=20)
    assert "PayloadTooLargeError" in (caught.value.reason or "")
    cause = caught.value.cause
    # The error crosses the wire as converter output; it decodes as a ValueError (its
    # allow-listed base) that keeps the message naming the field and both sizes.
    assert isinstance(cause, ValueError)
    assert f"the encoded {field}" in str(cause) and "limit of 32768" in str(cause)
    assert "ActivityTaskScheduled" in scenario.event_types(handle)  # the run got going first


def test_oversize_payloads_from_a_starter_raise_before_the_call(scenario: Scenario) -> None:
    with pytest.raises(PayloadTooLargeError, match="the encoded input of workflow Oversize"):
        scenario.start(lambda: Oversize.run(BIG))
    with scenario.workers([Oversize], [LimitActs()]):
        handle = scenario.start(lambda: Oversize.run("nothing"))
        with pytest.raises(PayloadTooLargeError, match="signal 'poke'") as caught:
            handle.poke(BIG)
        assert caught.value.size > 40_000
        assert handle.result(timeout=20) == "small"
    assert "WorkflowExecutionSignaled" not in scenario.event_types(handle)
