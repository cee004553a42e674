"""Durability: every acknowledged call survives ``kill -9`` of the server process.

The server runs on a SQLite file; the test builds several executions in different states,
kills the process without warning, restarts it on the same file and finishes them all.
The test clock's offset lives in memory, so the clock is never advanced before the kill:
real-time timers are short, and long ones are reached by advancing the clock afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from helpers.server import ServerProcess
from helpers.swf import (
    SWFDomain,
    attrs,
    complete_workflow,
    event_types,
    events_of,
    make_client,
    new_domain,
    only,
    schedule_activity,
    start_timer,
)

SHORT_TIMER_SECONDS = 4
SHORT_HEARTBEAT_SECONDS = 4
# The never-started activity waits on its own list so it cannot satisfy the other polls.
QUEUED_LIST = "queued-activities"


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(database=tmp_path / "swf.sqlite3", long_poll_seconds=1, test_clock=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _rebind(domain: SWFDomain, server: ServerProcess) -> SWFDomain:
    """The same domain, through a client for the restarted server's endpoint."""
    return SWFDomain(
        client=make_client(server.endpoint_url),
        name=domain.name,
        workflow_type=domain.workflow_type,
        activity_type=domain.activity_type,
        task_list=domain.task_list,
        activity_task_list=domain.activity_task_list,
    )


def _task_for(domain: SWFDomain, execution: dict[str, str]) -> Any:
    task = domain.expect_decision()
    assert task.execution == execution, "decision tasks come back one run at a time here"
    return task


def _wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_kill_9_loses_nothing_acknowledged(file_server: ServerProcess) -> None:
    domain = new_domain(make_client(file_server.endpoint_url))
    act = domain.activity_type
    runs: dict[str, dict[str, str]] = {}

    # 1. An activity never started, plus a long timer.
    runs["pending"] = domain.start(workflow_id="pending")
    domain.decide(
        _task_for(domain, runs["pending"]),
        [
            schedule_activity(act, "queued", input="q-in", taskList={"name": QUEUED_LIST}),
            start_timer("long", 3600),
        ],
    )
    # 2. A started activity that heartbeats.
    runs["heartbeat"] = domain.start(workflow_id="heartbeat")
    domain.decide(
        _task_for(domain, runs["heartbeat"]),
        [schedule_activity(act, "beating", heartbeatTimeout="600")],
    )
    beating = domain.expect_activity()
    assert beating["activityId"] == "beating"
    domain.client.record_activity_task_heartbeat(taskToken=beating["taskToken"], details="hb-1")
    # 3. A started activity whose heartbeat timeout must fire after the restart.
    runs["silent"] = domain.start(workflow_id="silent")
    domain.decide(
        _task_for(domain, runs["silent"]),
        [schedule_activity(act, "silent", heartbeatTimeout=str(SHORT_HEARTBEAT_SECONDS))],
    )
    silent = domain.expect_activity()
    assert silent["activityId"] == "silent"
    domain.client.record_activity_task_heartbeat(
        taskToken=silent["taskToken"], details="last-words"
    )
    # 4. A short real-time timer that falls due while the server is down or just back.
    runs["short"] = domain.start(workflow_id="short")
    domain.decide(_task_for(domain, runs["short"]), [start_timer("short", SHORT_TIMER_SECONDS)])
    # 5. A decision task handed out and not yet answered.
    runs["deciding"] = domain.start(workflow_id="deciding")
    deciding_task = _task_for(domain, runs["deciding"])
    # 6. A signal acknowledged immediately before the kill.
    runs["signaled"] = domain.start(workflow_id="signaled")
    domain.decide(_task_for(domain, runs["signaled"]), [])

    before = {name: domain.history(execution) for name, execution in runs.items()}
    domain.client.signal_workflow_execution(
        domain=domain.name, **runs["signaled"], signalName="last-call", input="just-before-kill"
    )
    file_server.kill()
    assert not file_server.running

    file_server.start()
    domain = _rebind(domain, file_server)

    # Everything read before the kill is still there, unchanged.
    after = {name: domain.history(execution) for name, execution in runs.items()}
    for name in ("pending", "heartbeat", "deciding"):
        assert after[name] == before[name], f"history of {name!r} changed across the restart"
    for name in ("silent", "short", "signaled"):
        assert after[name][: len(before[name])] == before[name], (
            f"history of {name!r} was rewritten"
        )
    signaled = only(after["signaled"], "WorkflowExecutionSignaled")
    assert attrs(signaled) == {"signalName": "last-call", "input": "just-before-kill"}

    # The answered-before-kill decision task is still the open one and still answers.
    domain.decide(deciding_task, [complete_workflow("decided-after-restart")])

    # The started activity keeps heartbeating and completes with its old token.
    status = domain.client.record_activity_task_heartbeat(taskToken=beating["taskToken"])
    assert status["cancelRequested"] is False
    domain.client.respond_activity_task_completed(taskToken=beating["taskToken"], result="b")

    # The queued activity can still be polled.
    queued = domain.expect_activity(QUEUED_LIST)
    assert (queued["activityId"], queued["input"]) == ("queued", "q-in")
    assert queued["workflowExecution"] == runs["pending"]
    domain.client.respond_activity_task_completed(taskToken=queued["taskToken"], result="q")

    # Real-time deadlines recovered from the file fire by themselves, with no clock help.
    def fired() -> bool:
        short = event_types(domain.history(runs["short"]))
        silent_events = event_types(domain.history(runs["silent"]))
        return "TimerFired" in short and "ActivityTaskTimedOut" in silent_events

    assert _wait_for(fired, timeout=SHORT_TIMER_SECONDS + 15), "recovered deadlines never fired"
    short_events = domain.history(runs["short"])
    started_at = only(short_events, "TimerStarted")["eventTimestamp"]
    fired_at = only(short_events, "TimerFired")["eventTimestamp"]
    assert (fired_at - started_at).total_seconds() >= SHORT_TIMER_SECONDS - 0.01
    timed_out = only(domain.history(runs["silent"]), "ActivityTaskTimedOut")
    assert attrs(timed_out)["timeoutType"] == "HEARTBEAT"
    assert attrs(timed_out)["details"] == "last-words"

    # The long timer fires when the (new) test clock reaches it.
    assert "TimerFired" not in event_types(domain.history(runs["pending"]))
    file_server.advance_clock(3601)
    assert "TimerFired" in event_types(domain.history(runs["pending"]))

    # Every open execution can be finished.
    open_runs = {n: e for n, e in runs.items() if n != "deciding"}
    while open_runs:
        task = domain.expect_decision()
        name = next(n for n, e in open_runs.items() if e == task.execution)
        domain.decide(task, [complete_workflow(name)])
        del open_runs[name]
    for name, execution in runs.items():
        info = domain.describe(execution)["executionInfo"]
        assert info["closeStatus"] == "COMPLETED", name
    assert len(events_of(domain.history(runs["pending"]), "ActivityTaskCompleted")) == 1


def test_registrations_survive_kill_9(file_server: ServerProcess) -> None:
    client = make_client(file_server.endpoint_url)
    domain = new_domain(client)
    client.deprecate_activity_type(domain=domain.name, activityType=domain.activity_type)
    arn = client.describe_domain(name=domain.name)["domainInfo"]["arn"]
    client.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "v"}])
    file_server.kill()
    file_server.start()
    client = make_client(file_server.endpoint_url)
    assert client.describe_domain(name=domain.name)["domainInfo"]["status"] == "REGISTERED"
    wf = client.describe_workflow_type(domain=domain.name, workflowType=domain.workflow_type)
    assert wf["configuration"]["defaultTaskList"] == {"name": domain.task_list}
    act = client.describe_activity_type(domain=domain.name, activityType=domain.activity_type)
    assert act["typeInfo"]["status"] == "DEPRECATED"
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "k", "value": "v"}]


def test_clean_restart_keeps_open_executions(file_server: ServerProcess) -> None:
    domain = new_domain(make_client(file_server.endpoint_url))
    execution = domain.start()
    file_server.restart()  # SIGTERM, then start again on the same file
    domain = _rebind(domain, file_server)
    task = domain.expect_decision()
    assert task.execution == execution
    domain.decide(task, [complete_workflow()])
    assert domain.describe(execution)["executionInfo"]["closeStatus"] == "COMPLETED"


def test_acknowledged_calls_under_load_survive_kill_9(file_server: ServerProcess) -> None:
    domain = new_domain(make_client(file_server.endpoint_url))
    target = domain.start(workflow_id="load-target")
    acknowledged_signals: list[str] = []
    acknowledged_starts: list[dict[str, str]] = []
    stop = threading.Event()

    def signal_forever() -> None:
        client = make_client(file_server.endpoint_url, read_timeout=5)
        i = 0
        while not stop.is_set():
            try:
                client.signal_workflow_execution(
                    domain=domain.name, **target, signalName="tick", input=str(i)
                )
            except (BotoCoreError, ClientError):  # the server died: never acknowledged
                return
            acknowledged_signals.append(str(i))
            i += 1

    def start_forever() -> None:
        client = make_client(file_server.endpoint_url, read_timeout=5)
        i = 0
        while not stop.is_set():
            workflow_id = f"load-{i}"
            try:
                run = client.start_workflow_execution(
                    domain=domain.name, workflowId=workflow_id, workflowType=domain.workflow_type
                )
            except (BotoCoreError, ClientError):
                return
            acknowledged_starts.append({"workflowId": workflow_id, "runId": run["runId"]})
            i += 1

    threads = [threading.Thread(target=signal_forever), threading.Thread(target=start_forever)]
    for thread in threads:
        thread.start()
    assert _wait_for(lambda: len(acknowledged_signals) > 20 and len(acknowledged_starts) > 5, 30)
    file_server.kill()
    stop.set()
    for thread in threads:
        thread.join(30)
    file_server.start()
    domain = _rebind(domain, file_server)

    events = domain.history(target)
    assert [e["eventId"] for e in events] == list(range(1, len(events) + 1))
    recorded = [attrs(e)["input"] for e in events_of(events, "WorkflowExecutionSignaled")]
    assert recorded[: len(acknowledged_signals)] == acknowledged_signals, (
        "an answered signal was lost"
    )
    assert len(recorded) - len(acknowledged_signals) <= 1, "only the in-flight call may be extra"
    for execution in acknowledged_starts:
        info = domain.describe(execution)["executionInfo"]
        assert info["executionStatus"] == "OPEN", execution
    # The recovered server still schedules work for them.
    assert domain.expect_decision() is not None
