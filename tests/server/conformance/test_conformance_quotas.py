"""Conformance: SWF's per-execution and per-account quotas (open tasks, events, domains)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.server import ServerProcess
from helpers.swf import (
    SWFDomain,
    attrs,
    decision,
    error_code,
    events_of,
    make_client,
    register_domain,
    schedule_activity,
    start_timer,
    unique,
)

OPEN_LIMIT = 1_000
EVENT_LIMIT = 25_000


def _failure_causes(events: list[dict[str, Any]], event_type: str) -> list[str]:
    return [attrs(e)["cause"] for e in events_of(events, event_type)]


def test_open_activities_limit(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide(
        [schedule_activity(domain.activity_type, f"a{i}") for i in range(OPEN_LIMIT + 1)]
    )
    events = domain.history(execution)
    assert len(events_of(events, "ActivityTaskScheduled")) == OPEN_LIMIT
    assert _failure_causes(events, "ScheduleActivityTaskFailed") == [
        "OPEN_ACTIVITIES_LIMIT_EXCEEDED"
    ]
    assert domain.describe(execution)["openCounts"]["openActivityTasks"] == OPEN_LIMIT


def test_open_timers_limit(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide(
        [start_timer(f"t{i}", 1000) for i in range(OPEN_LIMIT + 1)]
    )
    events = domain.history(execution)
    assert len(events_of(events, "TimerStarted")) == OPEN_LIMIT
    assert _failure_causes(events, "StartTimerFailed") == ["OPEN_TIMERS_LIMIT_EXCEEDED"]
    assert domain.describe(execution)["openCounts"]["openTimers"] == OPEN_LIMIT


@pytest.mark.slow
def test_history_event_limit_terminates_the_run(domain: SWFDomain) -> None:
    execution = domain.start()
    batch = 8_000  # markers of ~60 bytes each stay well under the 1 MB request limit
    for _ in range(EVENT_LIMIT // batch + 2):
        task = domain.poll_decision()
        if task is None:
            break
        domain.decide(task, [decision("RecordMarker", markerName="m") for _ in range(batch)])
        if domain.describe(execution)["executionInfo"]["executionStatus"] == "CLOSED":
            break
        domain.client.signal_workflow_execution(domain=domain.name, **execution, signalName="more")
    info = domain.describe(execution)["executionInfo"]
    assert info["executionStatus"] == "CLOSED"
    assert info["closeStatus"] == "TERMINATED"
    last = domain.client.get_workflow_execution_history(
        domain=domain.name, execution=execution, reverseOrder=True, maximumPageSize=1
    )["events"][0]
    assert last["eventType"] == "WorkflowExecutionTerminated"
    assert attrs(last)["cause"] == "EVENT_LIMIT_EXCEEDED"
    assert last["eventId"] <= EVENT_LIMIT + 1


def test_registered_domain_quota() -> None:
    # A server of its own, so using up the quota cannot disturb any other test.
    with ServerProcess() as server:
        swf = make_client(server.endpoint_url)
        for _ in range(100):
            register_domain(swf)
        with pytest.raises(ClientError) as err:
            swf.register_domain(name=unique("dom"), workflowExecutionRetentionPeriodInDays="1")
        assert error_code(err.value) == "LimitExceededFault"
        # Deprecated domains still count against the quota.
        swf.deprecate_domain(
            name=swf.list_domains(registrationStatus="REGISTERED")["domainInfos"][0]["name"]
        )
        with pytest.raises(ClientError) as err:
            swf.register_domain(name=unique("dom"), workflowExecutionRetentionPeriodInDays="1")
        assert error_code(err.value) == "LimitExceededFault"
