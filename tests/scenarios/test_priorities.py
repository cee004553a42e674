"""Task priorities: on a backlogged task list, higher-priority tasks are delivered first."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from botoflowx.activity import ActivityType, activities, activity
from botoflowx.worker import (
    ActivityWorker,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    WorkflowWorker,
)
from botoflowx.workflow import (
    AllFuture,
    WorkflowDefinition,
    activity_options,
    execute,
    workflow_time,
)

from .conftest import ACTIVITY_TIMEOUTS, REGION, Scenario

pytestmark = pytest.mark.timeout(60)


class Seen:
    lock = threading.Lock()
    order: list[str] = []

    @classmethod
    def add(cls, label: str) -> None:
        with cls.lock:
            cls.order.append(label)


@activities(**ACTIVITY_TIMEOUTS)
class Jobs:
    @activity(version="1.0")
    def job(self, label: str) -> str:
        Seen.add(label)
        return label

    @activity(version="1.0", task_priority=7)
    def urgent(self, label: str) -> str:
        Seen.add(label)
        return label


DYNAMIC_JOB = ActivityType("1.0", "Jobs.job", task_priority=-3, **ACTIVITY_TIMEOUTS)


class BatchWorkflow(WorkflowDefinition):
    """Schedules every job in one decision, each at its own priority."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self) -> Generator[Any, Any, Any]:
        futures = []
        for label, priority in (("p1", 1), ("p5", 5), ("default", None), ("p5-later", 5)):
            with activity_options(task_priority=priority):
                futures.append(Jobs.job(label))
        futures.append(Jobs.urgent("declared-7"))  # @activity(task_priority=7)
        futures.append(DYNAMIC_JOB("dynamic-minus-3"))  # ActivityType(task_priority=-3)
        with activity_options(task_priority=20):
            futures.append(Jobs.job("p20"))
        results = yield AllFuture(*futures)
        return list(results)


class Noted(WorkflowDefinition):
    """Notes, once per run, that its first decision task was handed out."""

    @execute(version="1.0", execution_start_to_close_timeout=3600, task_priority=3)
    def run(self, label: str) -> str:
        if not workflow_time.is_replaying():
            Seen.add(label)
        return label


@contextmanager
def one_at_a_time(executor: Any) -> Iterator[None]:
    # One slot: each poll happens only after the previous task finished, so the
    # order of execution is the order of delivery.
    executor.start(pollers=1, workers=1)
    try:
        yield
    finally:
        executor.stop()
        assert executor.join(timeout=30)
        executor.worker.close()


def test_activity_tasks_are_delivered_by_priority(scenario: Scenario) -> None:
    Seen.order.clear()
    worker = ActivityWorker(
        None,
        REGION,
        scenario.domain,
        scenario.task_list,
        Jobs(),
        endpoint_url=scenario.endpoint_url,
        register_domain=True,
    )
    worker.ensure_registered()  # the types exist, but nobody polls for them yet
    with scenario.workers([BatchWorkflow]):
        handle = scenario.start(lambda: BatchWorkflow.run())
        # No activity poller yet: the tasks pile up on the list.
        scenario.wait_for_event(handle, "ActivityTaskScheduled", 7)
        with one_at_a_time(ThreadedActivityExecutor(worker)):
            result = handle.result(timeout=30)
    assert result == ["p1", "p5", "default", "p5-later", "declared-7", "dynamic-minus-3", "p20"]
    # Highest first; equal priorities in scheduling order; unset means 0.
    assert Seen.order == ["p20", "declared-7", "p5", "p5-later", "p1", "default", "dynamic-minus-3"]
    priorities = {
        s["input"].split('"')[1]: s.get("taskPriority")
        for s in scenario.events(handle, "ActivityTaskScheduled")
    }
    assert priorities["p20"] == "20" and priorities["declared-7"] == "7"
    assert priorities["dynamic-minus-3"] == "-3"


def test_decision_tasks_are_delivered_by_workflow_priority(scenario: Scenario) -> None:
    Seen.order.clear()
    worker = WorkflowWorker(
        None,
        REGION,
        scenario.domain,
        scenario.task_list,
        Noted,
        endpoint_url=scenario.endpoint_url,
        register_domain=True,
    )
    worker.ensure_registered()  # the type exists, but no decider polls yet
    handles = [
        scenario.start(lambda: Noted.run("p-1"), task_priority=-1),
        scenario.start(lambda: Noted.run("declared-3")),  # @execute(task_priority=3)
        scenario.start(lambda: Noted.run("p9"), task_priority=9),
        scenario.start(lambda: Noted.run("p0"), task_priority=0),
    ]
    with one_at_a_time(ThreadedWorkflowExecutor(worker)):
        results = [handle.result(timeout=30) for handle in handles]
    assert results == ["p-1", "declared-3", "p9", "p0"]
    assert Seen.order == ["p9", "declared-3", "p0", "p-1"]
    started = scenario.events(handles[2], "WorkflowExecutionStarted")[0]
    assert started["taskPriority"] == "9"
