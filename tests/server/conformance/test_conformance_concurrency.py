"""Conformance: real long polls, and exactly-once delivery to 50 racing pollers."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from helpers.server import ServerProcess
from helpers.swf import SWFDomain, make_client, new_domain, schedule_activity

POLLERS = 50
HOLD_SECONDS = 20.0


@pytest.fixture(scope="module")
def long_poll_server() -> Iterator[ServerProcess]:
    """A server whose long polls hold long enough to tell "held" from "answered"."""
    with ServerProcess(long_poll_seconds=HOLD_SECONDS, test_clock=True) as server:
        yield server


def _race(
    clients: list[Any], poll: Callable[[Any], dict[str, Any]], expected: int, deadline: float
) -> list[dict[str, Any]]:
    """Run one polling loop per client until ``expected`` tasks were received in total."""
    received: list[dict[str, Any]] = []
    lock = threading.Lock()
    done = threading.Event()

    def worker(client: Any) -> None:
        while not done.is_set() and time.monotonic() < deadline:
            task = poll(client)
            if task.get("taskToken"):
                with lock:
                    received.append(task)
                    if len(received) >= expected:
                        done.set()

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        for future in [pool.submit(worker, c) for c in clients]:
            future.result()
    return received


def test_empty_poll_is_held_for_the_long_poll_limit(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    began = time.monotonic()
    assert domain.poll_decision() is None
    held = time.monotonic() - began
    assert held >= 0.8 * swf_server.long_poll_seconds, f"poll returned after {held:.2f} s"
    assert held < swf_server.long_poll_seconds + 5


def test_waiting_poll_returns_as_soon_as_a_task_is_scheduled(
    long_poll_server: ServerProcess,
) -> None:
    client = make_client(long_poll_server.endpoint_url)
    domain = new_domain(client)
    # The same domain through a second client, so the blocked poll owns its connection.
    poller = dataclasses.replace(domain, client=make_client(long_poll_server.endpoint_url))
    result: dict[str, Any] = {}

    def wait_for_task() -> None:
        result["task"] = poller.poll_decision()
        result["returned_at"] = time.monotonic()

    thread = threading.Thread(target=wait_for_task)
    thread.start()
    time.sleep(0.5)  # let the poll reach the server and block
    scheduled_at = time.monotonic()
    execution = domain.start()
    thread.join(HOLD_SECONDS + 10)
    assert not thread.is_alive()
    assert result["task"] is not None and result["task"].execution == execution
    latency = result["returned_at"] - scheduled_at
    assert latency < 3.0, f"the waiting poll took {latency:.2f} s to see the task"


def test_waiting_activity_poll_returns_when_the_task_is_scheduled(
    long_poll_server: ServerProcess,
) -> None:
    client = make_client(long_poll_server.endpoint_url)
    domain = new_domain(client)
    worker_client = make_client(long_poll_server.endpoint_url)
    result: dict[str, Any] = {}

    def wait_for_task() -> None:
        result["task"] = worker_client.poll_for_activity_task(
            domain=domain.name, taskList={"name": domain.activity_task_list}
        )
        result["returned_at"] = time.monotonic()

    domain.start()
    decision_task = domain.expect_decision()
    thread = threading.Thread(target=wait_for_task)
    thread.start()
    time.sleep(0.5)
    scheduled_at = time.monotonic()
    domain.decide(decision_task, [schedule_activity(domain.activity_type, "a1")])
    thread.join(HOLD_SECONDS + 10)
    assert result["task"].get("activityId") == "a1"
    assert result["returned_at"] - scheduled_at < 3.0


def test_fifty_pollers_share_decision_tasks_exactly_once(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    executions = [domain.start() for _ in range(30)]
    clients = [make_client(swf_server.endpoint_url) for _ in range(POLLERS)]
    received = _race(
        clients,
        lambda c: c.poll_for_decision_task(
            domain=domain.name, taskList={"name": domain.task_list}, identity="racer"
        ),
        expected=len(executions),
        deadline=time.monotonic() + 60,
    )
    run_ids = [t["workflowExecution"]["runId"] for t in received]
    assert len(run_ids) == len(set(run_ids)), "a decision task was delivered twice"
    assert sorted(run_ids) == sorted(e["runId"] for e in executions), "a decision task was lost"
    assert len({t["taskToken"] for t in received}) == len(received)
    assert domain.poll_decision() is None
    for task in received:
        domain.decide(task["taskToken"], [])


def test_fifty_pollers_share_activity_tasks_exactly_once(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    count = 40
    execution, _ = domain.start_and_decide(
        [schedule_activity(domain.activity_type, f"a{i}") for i in range(count)]
    )
    clients = [make_client(swf_server.endpoint_url) for _ in range(POLLERS)]
    received = _race(
        clients,
        lambda c: c.poll_for_activity_task(
            domain=domain.name, taskList={"name": domain.activity_task_list}, identity="racer"
        ),
        expected=count,
        deadline=time.monotonic() + 60,
    )
    ids = [t["activityId"] for t in received]
    assert len(ids) == len(set(ids)), "an activity task was delivered twice"
    assert sorted(ids) == sorted(f"a{i}" for i in range(count)), "an activity task was lost"
    started = [e for e in domain.history(execution) if e["eventType"] == "ActivityTaskStarted"]
    assert len(started) == count
    assert {t["startedEventId"] for t in received} == {e["eventId"] for e in started}


def test_fifty_waiting_pollers_get_tasks_scheduled_while_they_wait(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    count = 30
    clients = [make_client(swf_server.endpoint_url) for _ in range(POLLERS)]
    outcome: dict[str, Any] = {}

    def race() -> None:
        outcome["received"] = _race(
            clients,
            lambda c: c.poll_for_decision_task(
                domain=domain.name, taskList={"name": domain.task_list}, identity="waiter"
            ),
            expected=count,
            deadline=time.monotonic() + 60,
        )
        outcome["finished_at"] = time.monotonic()

    racer = threading.Thread(target=race)
    racer.start()
    time.sleep(0.3)  # the pollers are now blocked in their long polls
    executions = [domain.start() for _ in range(count)]
    last_scheduled_at = time.monotonic()
    racer.join(90)
    assert not racer.is_alive()
    run_ids = [t["workflowExecution"]["runId"] for t in outcome["received"]]
    assert len(run_ids) == len(set(run_ids)), "a decision task was delivered twice"
    assert sorted(run_ids) == sorted(e["runId"] for e in executions), "a decision task was lost"
    # Waiting pollers are woken, not left to their next round: well under the 60 s deadline.
    assert outcome["finished_at"] - last_scheduled_at < 2 * swf_server.long_poll_seconds + 3
