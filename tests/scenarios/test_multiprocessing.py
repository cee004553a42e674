"""Multiprocessing executors under ``spawn``: deciders and activities in child processes."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from botoflowx.worker import (
    ActivityWorker,
    GenericWorkflowWorker,
    MultiprocessingActivityExecutor,
    MultiprocessingWorkflowExecutor,
    WorkflowWorker,
)

from .conftest import REGION, Scenario
from .mp_defs import BrokenInChild, FanOut, LookedUp, ProcessActs, find_workflow

# Spawned children import botoflowx and boto3 from scratch: allow for a slow machine.
pytestmark = pytest.mark.timeout(120)


def _kwargs(scenario: Scenario) -> dict[str, Any]:
    return {"endpoint_url": scenario.endpoint_url, "register_domain": True}


@contextmanager
def running(*executors: Any, **start: Any) -> Iterator[None]:
    try:
        yield
    finally:
        for executor in executors:
            executor.stop()
        stopped = [executor.join(timeout=60) for executor in executors]
        for executor in executors:
            if executor.is_running:
                executor.terminate()
                executor.join(timeout=10)
        assert all(stopped), "a child process did not stop within 60 s"


def test_workers_pickle_without_their_connections(scenario: Scenario) -> None:
    worker = ActivityWorker(
        None, REGION, scenario.domain, scenario.task_list, ProcessActs("a"), **_kwargs(scenario)
    )
    worker.ensure_registered()  # builds a client and marks the worker registered
    copy = pickle.loads(pickle.dumps(worker))
    assert copy.activity_types == worker.activity_types
    assert copy.domain == worker.domain and copy.task_list == worker.task_list
    assert copy._client is None  # rebuilt lazily in the process that unpickled it
    worker.close()


def test_spawned_processes_decide_and_run_activities(scenario: Scenario) -> None:
    deciders = MultiprocessingWorkflowExecutor(
        WorkflowWorker(
            None, REGION, scenario.domain, scenario.task_list, FanOut, **_kwargs(scenario)
        )
    )
    runners = MultiprocessingActivityExecutor(
        ActivityWorker(
            None,
            REGION,
            scenario.domain,
            scenario.task_list,
            ProcessActs("mp"),
            **_kwargs(scenario),
        )
    )
    assert deciders.start_method == "spawn"
    deciders.start(pollers=2)
    runners.start(pollers=2, workers=4)
    with running(runners, deciders):
        assert len(deciders.pids) == 2 and len(runners.pids) == 2
        handles = [scenario.start(lambda n=n: FanOut.run(n)) for n in (3, 4, 5)]
        results = [handle.result(timeout=90) for handle in handles]
    children = set(deciders.pids) | set(runners.pids)
    for n, (activity_results, decider_pid) in zip((3, 4, 5), results, strict=True):
        assert [r[1] for r in activity_results] == [i * i for i in range(n)]
        assert {r[0] for r in activity_results} == {"mp"}  # the object's state travelled
        # Decisions and activities ran in the children, never in this process.
        assert decider_pid in deciders.pids
        assert {r[2] for r in activity_results} <= set(runners.pids)
        assert os.getpid() not in children
    assert not deciders.is_running and not runners.is_running


def test_generic_workflow_worker_in_spawned_processes(scenario: Scenario) -> None:
    deciders = MultiprocessingWorkflowExecutor(
        GenericWorkflowWorker(
            None,
            REGION,
            scenario.domain,
            scenario.task_list,
            find_workflow,
            register=[LookedUp],
            **_kwargs(scenario),
        )
    )
    runners = MultiprocessingActivityExecutor(
        ActivityWorker(
            None, REGION, scenario.domain, scenario.task_list, ProcessActs("g"), **_kwargs(scenario)
        )
    )
    deciders.start()
    runners.start()
    with running(runners, deciders):
        handle = scenario.start(lambda: LookedUp.go(7))
        label, square, pid = handle.result(timeout=90)
    assert (label, square) == ("looked up", 49)
    assert pid in deciders.pids


def test_a_definition_that_cannot_be_imported_fails_at_start(scenario: Scenario) -> None:
    from botoflowx.workflow import WorkflowDefinition, execute

    class Local(WorkflowDefinition):  # defined in a function: a spawned child cannot import it
        @execute(version="1.0", execution_start_to_close_timeout=60)
        def run(self) -> None:
            return None

    executor = MultiprocessingWorkflowExecutor(
        WorkflowWorker(
            None, REGION, scenario.domain, scenario.task_list, Local, **_kwargs(scenario)
        )
    )
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        executor.start()
    assert not executor.is_running


def test_a_child_that_dies_on_start_up_fails_start(scenario: Scenario) -> None:
    executor = MultiprocessingActivityExecutor(
        ActivityWorker(
            None, REGION, scenario.domain, scenario.task_list, BrokenInChild(), **_kwargs(scenario)
        )
    )
    with pytest.raises(ChildProcessError, match="before it was polling"):
        executor.start(pollers=2)
    assert not executor.is_running
