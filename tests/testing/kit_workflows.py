"""Workflows and activities the test-kit tests run."""

from __future__ import annotations

import threading
import time
from typing import Any

from botoflowx import DAYS, HOURS, AnyFuture, Future, get_context, signal, workflow_time
from botoflowx.activity import activities, activity, manual_activity
from botoflowx.exceptions import ActivityTaskTimedOutError
from botoflowx.workflow._definition import WorkflowDefinition, execute


@activities(schedule_to_start_timeout=60, start_to_close_timeout=60)
class KitActivities:
    """Activities with real work in them; state is per instance."""

    def __init__(self) -> None:
        self.runs: list[tuple[float, float]] = []  # (start, end) monotonic times of `busy`
        self.started = threading.Event()
        self.tokens: list[str] = []

    @activity(version="1.0")
    def greet(self, name: str) -> str:
        return f"Hello {name}!"

    @activity(version="1.0", start_to_close_timeout=10)
    def busy(self, seconds: float) -> str:
        """Work for ``seconds`` of real time; the start-to-close timeout is 10 s."""
        start = time.monotonic()
        self.started.set()
        time.sleep(seconds)
        self.runs.append((start, time.monotonic()))
        return "done"

    @activity(version="1.0", heartbeat_timeout=30)
    def count(self, n: int) -> int:
        context = get_context()
        for i in range(n):
            context.heartbeat(i)
        return n

    @manual_activity(version="1.0")
    def approve(self) -> None:
        self.tokens.append(get_context().task.token)


class SleepForADay(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3 * DAYS)
    def run(self, name: str) -> Any:
        before = workflow_time.time()
        yield workflow_time.sleep(DAYS)
        greeting = yield KitActivities.greet(name)
        return [greeting, workflow_time.time() - before]


class TimerAroundBusyActivity(WorkflowDefinition):
    """A one-hour timer runs while a 10 s start-to-close activity really works."""

    @execute(version="1.0", execution_start_to_close_timeout=2 * DAYS)
    def run(self, seconds: float) -> Any:
        before = workflow_time.time()
        timer = workflow_time.sleep(HOURS)
        try:
            outcome = yield KitActivities.busy(seconds)
        except ActivityTaskTimedOutError as err:
            outcome = f"timed out: {err}"
        after_activity = workflow_time.time() - before
        yield timer
        return [outcome, after_activity, workflow_time.time() - before]


class WaitForSignal(WorkflowDefinition):
    """Waits up to an hour (a timer) for the ``approve`` signal; reports who came first."""

    def __init__(self, workflow_execution: Any = None) -> None:
        super().__init__(workflow_execution)
        self.approval: Future[str] = Future()

    @execute(version="1.0", execution_start_to_close_timeout=2 * DAYS)
    def run(self) -> Any:
        timer = workflow_time.sleep(HOURS)
        yield AnyFuture(timer, self.approval)
        return self.approval.result() if self.approval.done() else "timer"

    @signal()
    def approve(self, who: str) -> None:
        if not self.approval.done():
            self.approval.set_result(who)


class Greeter(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def hello(self, name: str) -> Any:
        greeting = yield KitActivities.greet(name)
        return greeting

    @execute(version="2.0", execution_start_to_close_timeout=600)
    def hello_twice(self, name: str, times: int = 2) -> Any:
        greetings = []
        for _ in range(times):
            greetings.append((yield KitActivities.greet(name)))
        return greetings


class CountingWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, n: int) -> Any:
        total = yield KitActivities.count(n)
        return total


class ManualApproval(WorkflowDefinition):
    """Waits for a manual activity for up to a day."""

    @execute(version="1.0", execution_start_to_close_timeout=3 * DAYS)
    def run(self) -> Any:
        timer = workflow_time.sleep(DAYS)
        answer = yield KitActivities.approve()
        return [answer, timer.done()]


class BaseGreeter(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def hello(self, name: str) -> Any:
        greeting = yield KitActivities.greet(name)
        return greeting


class DerivedGreeter(BaseGreeter):
    """Inherits ``hello``: the plain function no longer names one class."""
