"""The engine's time-skipping primitives: work snapshot, waiting pollers, skip_to_next_due."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from botoflowx.server import EmbeddedServer
from helpers.swf import (
    SWFDomain,
    complete_workflow,
    event_types,
    make_client,
    new_domain,
    schedule_activity,
    start_timer,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(database=":memory:", long_poll_seconds=2, test_clock=True) as srv:
        yield srv


@pytest.fixture
def domain(server: EmbeddedServer) -> SWFDomain:
    return new_domain(make_client(server.endpoint_url))


def test_an_empty_server_is_idle_with_nothing_due(server: EmbeddedServer) -> None:
    snapshot = server.engine.work_snapshot()
    assert snapshot.idle
    assert snapshot.next_due is None
    assert server.engine.skip_to_next_due() is None


def test_a_scheduled_decision_task_is_outstanding(
    server: EmbeddedServer, domain: SWFDomain
) -> None:
    domain.start()
    snapshot = server.engine.work_snapshot()
    assert snapshot.decision_tasks == 1
    assert not snapshot.idle
    # Due: the decision task's schedule-to-start is NONE, but the run's own timeout is set.
    assert snapshot.next_due is not None
    before = server.engine.now()
    assert server.engine.skip_to_next_due() is None
    assert server.engine.now() - before < 60  # no jump


def test_a_started_decision_task_is_outstanding(server: EmbeddedServer, domain: SWFDomain) -> None:
    domain.start()
    task = domain.expect_decision()
    assert server.engine.work_snapshot().decision_tasks == 1
    assert server.engine.skip_to_next_due() is None
    domain.decide(task, [start_timer("t1", 3600)])
    assert server.engine.work_snapshot().idle


def test_scheduled_and_started_activity_tasks_are_outstanding(
    server: EmbeddedServer, domain: SWFDomain
) -> None:
    domain.start()
    domain.decide(domain.expect_decision(), [schedule_activity(domain.activity_type, "a1")])
    snapshot = server.engine.work_snapshot()
    assert (snapshot.decision_tasks, snapshot.activity_tasks) == (0, 1)
    assert server.engine.skip_to_next_due() is None
    activity = domain.expect_activity()
    assert server.engine.work_snapshot().activity_tasks == 1  # started, not completed
    assert server.engine.skip_to_next_due() is None
    domain.client.respond_activity_task_completed(taskToken=activity["taskToken"])
    snapshot = server.engine.work_snapshot()
    assert (snapshot.decision_tasks, snapshot.activity_tasks) == (1, 0)


def test_skip_jumps_to_the_timer_and_fires_it(server: EmbeddedServer, domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide([start_timer("t1", 3600)])
    snapshot = server.engine.work_snapshot()
    assert snapshot.idle
    assert snapshot.next_due is not None
    assert 3590 <= snapshot.next_due - snapshot.now <= 3600

    now = server.engine.skip_to_next_due(snapshot.version)

    assert now is not None and now >= snapshot.next_due
    types = event_types(domain.history(execution))
    assert types[-2:] == ["TimerFired", "DecisionTaskScheduled"]
    assert not server.engine.work_snapshot().idle  # the fired timer asks for a decision


def test_skip_refuses_when_anything_changed_since_the_snapshot(
    server: EmbeddedServer, domain: SWFDomain
) -> None:
    execution, _ = domain.start_and_decide([start_timer("t1", 3600)])
    snapshot = server.engine.work_snapshot()
    domain.client.signal_workflow_execution(
        domain=domain.name, workflowId=execution["workflowId"], signalName="poke"
    )
    # The signal scheduled a decision task: busy, and the version moved anyway.
    assert server.engine.skip_to_next_due(snapshot.version) is None
    domain.decide(domain.expect_decision(), [])
    stale = snapshot.version
    fresh = server.engine.work_snapshot()
    assert fresh.idle and fresh.version != stale
    assert server.engine.skip_to_next_due(stale) is None
    assert "TimerFired" not in event_types(domain.history(execution))
    assert server.engine.skip_to_next_due(fresh.version) is not None
    assert "TimerFired" in event_types(domain.history(execution))


def test_read_only_calls_do_not_move_the_version(server: EmbeddedServer, domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide([start_timer("t1", 3600)])
    before = server.engine.work_snapshot().version
    domain.describe(execution)
    domain.history(execution)
    assert domain.poll_decision() is None  # an empty poll (2 s)
    assert server.engine.work_snapshot().version == before


def test_closed_runs_leave_nothing_to_skip_to(server: EmbeddedServer, domain: SWFDomain) -> None:
    domain.start_and_decide([complete_workflow("done")])
    snapshot = server.engine.work_snapshot()
    # The retention purge of the closed run is pending, but it is no reason to jump.
    assert snapshot.idle
    assert snapshot.next_due is None
    assert server.engine.skip_to_next_due() is None


def test_waiting_pollers_counts_polls_in_their_wait(
    server: EmbeddedServer, domain: SWFDomain
) -> None:
    engine = server.engine
    assert engine.waiting_pollers("decision", domain.name) == 0
    results: list[Any] = []
    poller = threading.Thread(target=lambda: results.append(domain.poll_decision()))
    poller.start()
    deadline = time.monotonic() + 10
    while engine.waiting_pollers("decision", domain.name, domain.task_list) != 1:
        assert time.monotonic() < deadline, "the poll never waited"
        time.sleep(0.01)
    assert engine.waiting_pollers("decision", domain.name) == 1  # any list of the domain
    assert engine.waiting_pollers("activity", domain.name) == 0
    assert engine.waiting_pollers("decision", "another-domain") == 0
    poller.join(10)
    assert results == [None]
    assert engine.waiting_pollers("decision", domain.name) == 0


def test_skipping_needs_a_test_clock() -> None:
    with EmbeddedServer(database=":memory:", long_poll_seconds=1) as srv:
        with pytest.raises(TypeError, match="TestClock"):
            srv.engine.skip_to_next_due()
