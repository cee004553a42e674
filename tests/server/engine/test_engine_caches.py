"""The engine's in-memory copies of stored rows (type rows, last event ids) stay exact."""

from __future__ import annotations

import pytest
from engine_support import Driver, attrs, last, schedule_activity

from botoflowx.server._engine import Engine
from botoflowx.server._faults import TypeDeprecatedFault, UnknownResourceFault
from botoflowx.server._registry import get_type
from botoflowx.server._store import Store


def test_a_type_used_once_is_read_again_after_it_is_deprecated(swf: Driver) -> None:
    swf.start()  # the workflow type is now cached
    swf.op("DeprecateWorkflowType", workflowType={"name": "wf", "version": "1"})
    with pytest.raises(TypeDeprecatedFault):
        swf.start()
    swf.op("UndeprecateWorkflowType", workflowType={"name": "wf", "version": "1"})
    swf.start()
    swf.op("DeprecateWorkflowType", workflowType={"name": "wf", "version": "1"})
    swf.op("DeleteWorkflowType", workflowType={"name": "wf", "version": "1"})
    with pytest.raises(UnknownResourceFault, match="Unknown type"):
        swf.start()


def test_deprecating_the_domain_reaches_cached_activity_types(swf: Driver) -> None:
    execution = swf.start()
    swf.decide(swf.poll_decision(), schedule_activity("1"))  # the activity type is cached
    swf("RespondActivityTaskCompleted", taskToken=swf.poll_activity()["taskToken"])
    swf("DeprecateDomain", name="dom")
    swf.decide(swf.poll_decision(), schedule_activity("2"))
    failed = last(swf.history(execution), "ScheduleActivityTaskFailed")
    assert attrs(failed)["cause"] == "ACTIVITY_TYPE_DEPRECATED"


def test_an_unknown_type_registered_later_is_found(swf: Driver) -> None:
    with pytest.raises(UnknownResourceFault):
        swf.start(name="later")  # "not registered" is cached too
    swf.register_workflow(name="later")
    swf.start(name="later")


def test_a_rolled_back_type_row_is_not_served_from_the_cache() -> None:
    store = Store(":memory:")
    key = ("us-east-1", "dom", "activity", "act", "1")
    with pytest.raises(RuntimeError), store.transaction(0.0) as tx:
        tx.run(
            "INSERT INTO types (region, domain, kind, name, version, status, created, config)"
            " VALUES (?, ?, ?, ?, ?, 'REGISTERED', 0, '{}')",
            key,
        )
        assert get_type(tx, *key) is not None
        raise RuntimeError("roll back")
    with store.transaction(0.0) as tx:
        assert get_type(tx, *key) is None
    store.close()


def test_event_ids_restart_at_one_in_a_run_that_reuses_a_purged_pk(engine: Engine) -> None:
    swf = Driver(engine, "dom")
    swf("RegisterDomain", name="dom", workflowExecutionRetentionPeriodInDays="0")
    swf.register_workflow()
    first = swf.start("same")
    swf.op("TerminateWorkflowExecution", workflowId="same")
    swf.advance(1)  # retention 0: the closed run is purged, so its pk is free again
    with pytest.raises(UnknownResourceFault):
        swf.history(first)
    second = swf.start("same")
    events = swf.history(second)
    assert [e["eventId"] for e in events] == [1, 2]
    task = swf.poll_decision()
    assert task["startedEventId"] == 3
