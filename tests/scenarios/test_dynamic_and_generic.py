"""Dynamic use: ActivityType for activities declared elsewhere, and GenericWorkflowWorker."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from botoflowx.activity import ActivityType, RetryPolicy, activities, activity
from botoflowx.exceptions import WorkflowFailedError
from botoflowx.worker import (
    ActivityWorker,
    GenericWorkflowWorker,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    get_workflow_entrypoint,
)
from botoflowx.workflow import WorkflowDefinition, execute, workflow

from .conftest import ACTIVITY_TIMEOUTS, REGION, Scenario

pytestmark = pytest.mark.timeout(60)

CALC_TASK_LIST = f"calc-{uuid.uuid4().hex[:8]}"


@activities(**ACTIVITY_TIMEOUTS)
class Calculator:
    """Hosted by a worker of its own; the workflows below never import its methods."""

    failures: dict[str, int] = {}

    @activity(version="1.1", name="Remote.sum")
    def add_numbers(self, a: int, b: int) -> int:
        return a + b

    @activity(version="1.0", name="Remote.flaky")
    def flaky(self, key: str) -> str:
        count = Calculator.failures[key] = Calculator.failures.get(key, 0) + 1
        if count < 3:
            raise ConnectionError(f"failure {count}")
        return f"ok after {count}"


# Declared by name only: the type, its version and where it runs.
REMOTE_SUM = ActivityType("1.1", "Remote.sum", task_list=CALC_TASK_LIST, **ACTIVITY_TIMEOUTS)
REMOTE_FLAKY = ActivityType(
    "1.0",
    "Remote.flaky",
    task_list=CALC_TASK_LIST,
    retry=RetryPolicy(1, maximum_attempts=5),
    **ACTIVITY_TIMEOUTS,
)


class DynamicWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, key: str) -> Generator[Any, Any, Any]:
        total = yield REMOTE_SUM(1, 2)
        flaky = yield REMOTE_FLAKY(key)
        return [total, flaky]


@contextmanager
def calculator(scenario: Scenario) -> Iterator[None]:
    executor = ThreadedActivityExecutor(
        ActivityWorker(
            None,
            REGION,
            scenario.domain,
            CALC_TASK_LIST,
            Calculator(),
            endpoint_url=scenario.endpoint_url,
            register_domain=True,
        )
    )
    executor.start(pollers=1, workers=2)
    try:
        yield
    finally:
        executor.stop()
        assert executor.join(timeout=30)
        executor.worker.close()


def test_activity_type_calls_an_activity_hosted_by_another_worker(scenario: Scenario) -> None:
    with calculator(scenario), scenario.workers([DynamicWorkflow]):
        handle = scenario.start(lambda: DynamicWorkflow.run("d1"))
        for count in (1, 2):  # RetryPolicy(1): one-second waits between attempts
            scenario.wait_for_event(handle, "TimerStarted", count)
            scenario.advance_clock(1)
        assert handle.result(timeout=30) == [3, "ok after 3"]
    scheduled = scenario.events(handle, "ActivityTaskScheduled")
    assert scheduled[0]["activityType"] == {"name": "Remote.sum", "version": "1.1"}
    assert scheduled[0]["taskList"] == {"name": CALC_TASK_LIST}
    assert [s["activityType"]["name"] for s in scheduled[1:]] == ["Remote.flaky"] * 3


# -- GenericWorkflowWorker ---------------------------------------------------------------


@activities(**ACTIVITY_TIMEOUTS)
class Greetings:
    @activity(version="1.0")
    def greet(self, name: str) -> str:
        return f"Hello {name}!"


@workflow("Greeter")
class GreeterV1(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def hello(self, name: str) -> Generator[Any, Any, Any]:
        text = yield Greetings.greet(name)
        return ["v1", text]


@workflow("Greeter")
class GreeterV2(GreeterV1):
    @execute(version="2.0", execution_start_to_close_timeout=3600)
    def hello_v2(self, name: str) -> Generator[Any, Any, Any]:
        text = yield Greetings.greet(name.upper())
        return ["v2", text]


class Legacy(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self) -> str:
        return "served by the botoflow-style triple"


class Unhosted(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self) -> str:
        return "never"


class Lookups:
    calls: list[tuple[str, str]] = []
    fail_once = threading.Event()


def find(name: str, version: str) -> Any:
    """The lookup: every form GenericWorkflowWorker accepts."""
    Lookups.calls.append((name, version))
    if Lookups.fail_once.is_set():
        Lookups.fail_once.clear()
        raise ConnectionError("the definition registry is down for a moment")
    if (name, version) == ("Greeter", "1.0"):
        return GreeterV1  # a class declaring the type
    if (name, version) == ("Greeter", "2.0"):
        return get_workflow_entrypoint(GreeterV2, name, version)  # (cls, meta, method)
    if (name, version) == ("Legacy", "1.0"):
        return (Legacy, object(), "run")  # botoflow's triple: the method name decides
    return None


@contextmanager
def generic_worker(scenario: Scenario) -> Iterator[GenericWorkflowWorker]:
    worker = GenericWorkflowWorker(
        None,
        REGION,
        scenario.domain,
        scenario.task_list,
        find,
        register=[GreeterV2, Legacy, Unhosted],
        endpoint_url=scenario.endpoint_url,
        register_domain=True,
    )
    deciders = ThreadedWorkflowExecutor(worker)
    runners = ThreadedActivityExecutor(
        ActivityWorker(
            None,
            REGION,
            scenario.domain,
            scenario.task_list,
            Greetings(),
            endpoint_url=scenario.endpoint_url,
        )
    )
    deciders.start()
    runners.start()
    try:
        yield worker
    finally:
        for executor in (runners, deciders):
            executor.stop()
        assert deciders.join(timeout=30) and runners.join(timeout=30)
        worker.close()
        runners.worker.close()


def test_generic_worker_finds_each_version_through_the_lookup(scenario: Scenario) -> None:
    Lookups.calls.clear()
    with generic_worker(scenario) as worker:
        v1 = scenario.start(lambda: GreeterV1.hello("ann"))
        v2 = scenario.start(lambda: GreeterV2.hello_v2("bob"))
        again = scenario.start(lambda: GreeterV1.hello("cy"))
        legacy = scenario.start(lambda: Legacy.run())
        assert v1.result(timeout=30) == ["v1", "Hello ann!"]
        assert v2.result(timeout=30) == ["v2", "Hello BOB!"]
        assert again.result(timeout=30) == ["v1", "Hello cy!"]
        assert legacy.result(timeout=30) == "served by the botoflow-style triple"
        assert sorted(worker.workflow_types) == [
            ("Greeter", "1.0"),
            ("Greeter", "2.0"),
            ("Legacy", "1.0"),
        ]
    # Found definitions are cached: one lookup per type, however many tasks it had.
    assert sorted(Lookups.calls) == [("Greeter", "1.0"), ("Greeter", "2.0"), ("Legacy", "1.0")]


def test_a_type_the_lookup_does_not_know_fails_the_run(scenario: Scenario) -> None:
    with generic_worker(scenario):
        handle = scenario.start(lambda: Unhosted.run())
        with pytest.raises(WorkflowFailedError) as info:
            handle.result(timeout=30)
    assert (info.value.reason or "").startswith("unknown workflow type Unhosted version 1.0")


def test_a_failing_lookup_leaves_the_task_to_be_retried(scenario: Scenario) -> None:
    Lookups.calls.clear()
    Lookups.fail_once.set()
    with generic_worker(scenario):
        handle = scenario.start(lambda: GreeterV1.hello("dee"))
        scenario.wait_until(lambda: not Lookups.fail_once.is_set(), "the failing lookup")
        scenario.wait_for_event(handle, "DecisionTaskStarted")
        scenario.advance_clock(31)  # the unanswered task times out and is handed out again
        assert handle.result(timeout=30) == ["v1", "Hello dee!"]
    assert "DecisionTaskTimedOut" in scenario.event_types(handle)
    assert Lookups.calls.count(("Greeter", "1.0")) == 2
