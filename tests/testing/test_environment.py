"""WorkflowEnvironment: server, domain, workers, starts, handles and teardown."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from kit_workflows import (
    BaseGreeter,
    CountingWorkflow,
    DerivedGreeter,
    Greeter,
    KitActivities,
    SleepForADay,
)

import botoflowx.testing
from botoflowx import DAYS, WorkflowExecutionHandle, workflow_options
from botoflowx.activity import activities, activity
from botoflowx.testing import RunningWorkers, TestWorkflowHandle, WorkflowEnvironment
from botoflowx.workflow._definition import WorkflowDefinition, execute

pytestmark = pytest.mark.timeout(120)


def port_is_open(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port))) == 0


def test_workflows_and_activities_given_to_the_constructor_run() -> None:
    with WorkflowEnvironment(Greeter, KitActivities()) as env:
        handle = env.start_workflow(Greeter.hello, "World")
        assert handle.result(timeout=30) == "Hello World!"
        # A second @execute version of the same class, with keyword input.
        twice = env.start_workflow(Greeter.hello_twice, "Ada", times=3)
        assert twice.result(timeout=30) == ["Hello Ada!"] * 3


def test_the_environment_registers_its_domain_and_exposes_a_client() -> None:
    with WorkflowEnvironment(domain="my-domain", task_list="my-list") as env:
        assert env.endpoint_url.startswith("http://127.0.0.1:")
        described = env.client.describe_domain(name="my-domain")
        assert described["domainInfo"]["status"] == "REGISTERED"
        # A long retention: jumping days ahead must not delete the histories a test reads.
        assert described["configuration"]["workflowExecutionRetentionPeriodInDays"] == "90"
        env.run_workers(Greeter, KitActivities())
        types = env.client.list_workflow_types(domain="my-domain", registrationStatus="REGISTERED")
        greeter = next(t for t in types["typeInfos"] if t["workflowType"]["name"] == "Greeter")
        assert greeter["workflowType"]["version"] in {"1.0", "2.0"}
        handle = env.start_workflow(Greeter.hello, "list")
        assert handle.result(timeout=30) == "Hello list!"
        started = env.history(handle)[0]["workflowExecutionStartedEventAttributes"]
        assert started["taskList"] == {"name": "my-list"}


def test_runs_started_in_a_starter_block_get_test_handles() -> None:
    with WorkflowEnvironment(Greeter, KitActivities()) as env:
        with env.starter():
            handle = Greeter.hello("block")
            with workflow_options(workflow_id="chosen-id"):
                chosen = Greeter.hello("options")
        assert isinstance(handle, TestWorkflowHandle)
        assert isinstance(handle, WorkflowExecutionHandle)
        assert handle.result(timeout=30) == "Hello block!"
        assert chosen.workflow_id == "chosen-id"
        assert chosen.result(timeout=30) == "Hello options!"


def test_workers_on_their_own_task_list_stop_with_their_block() -> None:
    with WorkflowEnvironment() as env:
        with env.run_workers(Greeter, KitActivities(), task_list="side") as workers:
            assert isinstance(workers, RunningWorkers)
            assert workers.workflow_executor is not None
            assert workers.activity_executor is not None
            with env.starter(task_list="side"):
                handle = Greeter.hello("side")
            assert handle.result(timeout=30) == "Hello side!"
        assert workers.stopped
        assert not workers.workflow_executor.is_running
        assert not workers.activity_executor.is_running
        # Nobody polls "side" any more: a new run waits.
        with env.starter(task_list="side"):
            waiting = Greeter.hello("nobody")
        with pytest.raises(TimeoutError):
            waiting.result(timeout=1)


def test_only_activities_or_only_workflows_can_run() -> None:
    with WorkflowEnvironment() as env:
        deciders = env.run_workers(CountingWorkflow)
        runners = env.run_workers(KitActivities(), activity_threads=2)
        assert deciders.activity_executor is None
        assert runners.workflow_executor is None
        assert env.start_workflow(CountingWorkflow.run, 5).result(timeout=30) == 5


def test_stop_tears_everything_down() -> None:
    env = WorkflowEnvironment()
    env.start()
    url = env.endpoint_url
    assert port_is_open(url)
    workers = env.run_workers(SleepForADay, KitActivities())
    env.stop()
    env.stop()  # a second stop does nothing
    assert not port_is_open(url)
    assert workers.stopped
    assert not any(executor.is_running for executor in workers.executors)
    with pytest.raises(RuntimeError, match="not running"):
        env.client  # noqa: B018
    with pytest.raises(RuntimeError, match="not running"):
        env.run_workers(Greeter)


def test_an_environment_starts_once_at_a_time() -> None:
    with WorkflowEnvironment() as env:
        with pytest.raises(RuntimeError, match="already running"):
            env.start()


def test_bad_arguments_are_refused_early() -> None:
    with pytest.raises(ValueError, match="retention_days"):
        WorkflowEnvironment(retention_days=365)
    with WorkflowEnvironment() as env:
        with pytest.raises(ValueError, match="needs WorkflowDefinition subclasses"):
            env.run_workers()
        with pytest.raises(ValueError, match="pollers must be >= 1"):
            env.run_workers(Greeter, decider_pollers=0)


def not_a_workflow(name: str) -> str:
    return name


def test_start_workflow_explains_what_it_needs() -> None:
    with WorkflowEnvironment() as env:
        with pytest.raises(TypeError, match="not an @execute method"):
            env.start_workflow(not_a_workflow, "x")
        # DerivedGreeter inherits hello: the function alone does not say which class.
        with pytest.raises(TypeError, match="BaseGreeter, DerivedGreeter"):
            env.start_workflow(BaseGreeter.hello, "x")
        with env.starter():
            started = Greeter.hello
            with pytest.raises(TypeError, match="the method itself"):
                env.start_workflow(started, "x")


def test_an_inherited_workflow_starts_through_an_instance_or_a_block() -> None:
    with WorkflowEnvironment(DerivedGreeter, KitActivities()) as env:
        handle = env.start_workflow(DerivedGreeter().hello, "derived")
        assert handle.result(timeout=30) == "Hello derived!"
        started = env.history(handle)[0]["workflowExecutionStartedEventAttributes"]
        assert started["workflowType"]["name"] == "DerivedGreeter"


def test_the_clock_is_the_servers() -> None:
    with WorkflowEnvironment(time_skipping=False) as env:
        before = env.now()
        assert env.advance_clock(DAYS) - before >= DAYS
        assert env.now() - before >= DAYS
        assert env.skipped_seconds == 0


def test_an_error_in_the_block_wins_over_teardown() -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with WorkflowEnvironment(Greeter, KitActivities()):
            raise Boom


def test_loose_workers_are_driven_by_hand() -> None:
    with WorkflowEnvironment() as env:
        decider = env.workflow_worker(Greeter)
        runner = env.activity_worker(KitActivities())
        decider.ensure_registered()
        runner.ensure_registered()
        handle = env.start_workflow(Greeter.hello, "step")
        assert decider.run_once()
        assert runner.run_once()
        assert decider.run_once()
        assert handle.result(timeout=10) == "Hello step!"


def test_history_lists_every_event_of_a_run() -> None:
    with WorkflowEnvironment(Greeter, KitActivities()) as env:
        handle = env.start_workflow(Greeter.hello, "h")
        handle.result(timeout=30)
        types = [event["eventType"] for event in env.history(handle)]
    assert types[0] == "WorkflowExecutionStarted"
    assert types[-1] == "WorkflowExecutionCompleted"


def test_a_worker_that_does_not_stop_is_reported() -> None:
    release = threading.Event()

    @activities(schedule_to_start_timeout=60, start_to_close_timeout=60)
    class Stuck:
        @activity(version="1.0")
        def hang(self) -> None:
            release.wait(30)

    class HangWorkflow(WorkflowDefinition):
        @execute(version="1.0", execution_start_to_close_timeout=600)
        def run(self) -> Any:
            yield Stuck.hang()

    env = WorkflowEnvironment(HangWorkflow, Stuck(), shutdown_timeout=0.5)
    env.start()
    try:
        env.start_workflow(HangWorkflow.run)
        wait_for_started_activity(env)
        with pytest.raises(RuntimeError, match=r"did not stop within 0\.5 s"):
            env.stop()
    finally:
        release.set()
        env.stop()


def wait_for_started_activity(env: WorkflowEnvironment) -> None:
    deadline = time.monotonic() + 20
    while True:
        runs = env.client.list_open_workflow_executions(
            domain=env.domain, startTimeFilter={"oldestDate": 0}
        )["executionInfos"]
        if runs:
            execution = runs[0]["execution"]
            events = env.client.get_workflow_execution_history(
                domain=env.domain, execution=execution
            )["events"]
            if any(e["eventType"] == "ActivityTaskStarted" for e in events):
                return
        assert time.monotonic() < deadline, "the activity never started"
        time.sleep(0.02)


def test_the_public_names_are_pinned() -> None:
    assert botoflowx.testing.__all__ == [
        "ActivityEnvironment",
        "EnvironmentStarter",
        "RunningWorkers",
        "TestActivityContext",
        "TestWorkflowHandle",
        "WorkflowEnvironment",
    ]
    assert all(hasattr(botoflowx.testing, name) for name in botoflowx.testing.__all__)


def test_a_failed_start_leaves_nothing_running() -> None:
    env = WorkflowEnvironment(object())  # no @activity methods: the worker refuses it
    with pytest.raises(ValueError, match="at least one object with @activity methods"):
        env.start()
    with pytest.raises(RuntimeError, match="not running"):
        env.server  # noqa: B018
