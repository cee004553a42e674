"""Conformance: starting, signalling, cancelling and terminating executions."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.server import ServerProcess
from helpers.swf import (
    SWFDomain,
    attrs,
    complete_workflow,
    decision,
    error_code,
    event_types,
    only,
    register_domain,
    unique,
)


def test_start_records_resolved_type_defaults(domain: SWFDomain) -> None:
    execution = domain.start(input="hello", tagList=["a", "b"])
    assert 1 <= len(execution["runId"]) <= 64
    events = domain.history(execution)
    assert event_types(events) == ["WorkflowExecutionStarted", "DecisionTaskScheduled"]
    assert [e["eventId"] for e in events] == [1, 2]
    started = attrs(events[0])
    assert started["workflowType"] == domain.workflow_type
    assert started["taskList"] == {"name": domain.task_list}
    assert started["executionStartToCloseTimeout"] == "86400"
    assert started["taskStartToCloseTimeout"] == "3600"
    assert started["childPolicy"] == "TERMINATE"
    assert started["input"] == "hello"
    assert started["tagList"] == ["a", "b"]
    assert "parentWorkflowExecution" not in started
    scheduled = attrs(events[1])
    assert scheduled["taskList"] == {"name": domain.task_list}
    assert scheduled["startToCloseTimeout"] == "3600"


def test_start_arguments_override_type_defaults(domain: SWFDomain) -> None:
    execution = domain.start(
        taskList={"name": "elsewhere"},
        executionStartToCloseTimeout="500",
        taskStartToCloseTimeout="50",
        childPolicy="ABANDON",
        taskPriority="5",
    )
    started = attrs(domain.history(execution)[0])
    assert started["taskList"] == {"name": "elsewhere"}
    assert started["executionStartToCloseTimeout"] == "500"
    assert started["taskStartToCloseTimeout"] == "50"
    assert started["childPolicy"] == "ABANDON"
    assert started["taskPriority"] == "5"
    task = domain.expect_decision("elsewhere")
    assert task.execution == execution


@pytest.mark.parametrize(
    "missing",
    ["taskList", "executionStartToCloseTimeout", "taskStartToCloseTimeout", "childPolicy"],
)
def test_start_without_value_or_default_is_default_undefined(
    domain: SWFDomain, missing: str
) -> None:
    bare = domain.register_workflow_type()
    kwargs: dict[str, Any] = {
        "taskList": {"name": "tl"},
        "executionStartToCloseTimeout": "600",
        "taskStartToCloseTimeout": "60",
        "childPolicy": "TERMINATE",
    }
    del kwargs[missing]
    with pytest.raises(ClientError) as err:
        domain.start(workflow_type=bare, **kwargs)
    assert error_code(err.value) == "DefaultUndefinedFault"


def test_start_unknown_type_or_domain_is_unknown_resource(domain: SWFDomain) -> None:
    with pytest.raises(ClientError) as err:
        domain.start(workflow_type={"name": "nope", "version": "1"})
    assert error_code(err.value) == "UnknownResourceFault"
    with pytest.raises(ClientError) as err:
        domain.client.start_workflow_execution(
            domain=unique("missing"), workflowId="w", workflowType=domain.workflow_type
        )
    assert error_code(err.value) == "UnknownResourceFault"


def test_execution_start_to_close_none_is_refused_at_start(domain: SWFDomain) -> None:
    with pytest.raises(ClientError) as err:
        domain.start(executionStartToCloseTimeout="NONE")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_workflow_id_is_unique_among_open_executions_only(domain: SWFDomain) -> None:
    first = domain.start(workflow_id="same-id")
    with pytest.raises(ClientError) as err:
        domain.start(workflow_id="same-id")
    assert error_code(err.value) == "WorkflowExecutionAlreadyStartedFault"
    domain.client.terminate_workflow_execution(domain=domain.name, workflowId="same-id")
    second = domain.start(workflow_id="same-id")
    assert second["runId"] != first["runId"]


def test_signal_records_event_and_schedules_one_decision_task(domain: SWFDomain) -> None:
    execution = domain.start()
    swf = domain.client
    swf.signal_workflow_execution(
        domain=domain.name, workflowId=execution["workflowId"], signalName="go", input="payload"
    )
    # No runId: the signal goes to the current open run; input is optional.
    swf.signal_workflow_execution(
        domain=domain.name, workflowId=execution["workflowId"], signalName="bare"
    )
    events = domain.history(execution)
    signals = [attrs(e) for e in events if e["eventType"] == "WorkflowExecutionSignaled"]
    assert signals[0] == {"signalName": "go", "input": "payload"}
    assert signals[1]["signalName"] == "bare"
    assert "input" not in signals[1]
    assert event_types(events).count("DecisionTaskScheduled") == 1


def test_signal_unknown_or_closed_execution_is_unknown_resource(domain: SWFDomain) -> None:
    swf = domain.client
    with pytest.raises(ClientError) as err:
        swf.signal_workflow_execution(domain=domain.name, workflowId="nobody", signalName="s")
    assert error_code(err.value) == "UnknownResourceFault"
    execution = domain.start()
    swf.terminate_workflow_execution(domain=domain.name, **execution)
    with pytest.raises(ClientError) as err:
        swf.signal_workflow_execution(domain=domain.name, **execution, signalName="s")
    assert error_code(err.value) == "UnknownResourceFault"


def test_request_cancel_records_cancel_requested(domain: SWFDomain) -> None:
    execution = domain.start()
    task = domain.expect_decision()
    domain.decide(task, [])
    domain.client.request_cancel_workflow_execution(domain=domain.name, **execution)
    events = domain.history(execution)
    assert event_types(events)[-2:] == ["WorkflowExecutionCancelRequested", "DecisionTaskScheduled"]
    info = domain.describe(execution)["executionInfo"]
    assert info["cancelRequested"] is True
    assert info["executionStatus"] == "OPEN"

    task = domain.expect_decision()
    domain.decide(task, [decision("CancelWorkflowExecution", details="bye")])
    events = domain.history(execution)
    assert attrs(events[-1]) == {
        "details": "bye",
        "decisionTaskCompletedEventId": events[-2]["eventId"],
    }
    assert events[-1]["eventType"] == "WorkflowExecutionCanceled"
    assert domain.describe(execution)["executionInfo"]["closeStatus"] == "CANCELED"


def test_request_cancel_unknown_or_closed_is_unknown_resource(domain: SWFDomain) -> None:
    swf = domain.client
    with pytest.raises(ClientError) as err:
        swf.request_cancel_workflow_execution(domain=domain.name, workflowId="nobody")
    assert error_code(err.value) == "UnknownResourceFault"
    execution = domain.start()
    swf.terminate_workflow_execution(domain=domain.name, **execution)
    with pytest.raises(ClientError) as err:
        swf.request_cancel_workflow_execution(domain=domain.name, **execution)
    assert error_code(err.value) == "UnknownResourceFault"


def test_terminate_closes_at_once(domain: SWFDomain) -> None:
    execution = domain.start()
    swf = domain.client
    swf.terminate_workflow_execution(
        domain=domain.name,
        workflowId=execution["workflowId"],
        reason="operator",
        details="details",
        childPolicy="ABANDON",
    )
    events = domain.history(execution)
    terminated = only(events, "WorkflowExecutionTerminated")
    assert events[-1] == terminated
    assert attrs(terminated)["reason"] == "operator"
    assert attrs(terminated)["details"] == "details"
    assert attrs(terminated)["childPolicy"] == "ABANDON"
    info = domain.describe(execution)["executionInfo"]
    assert info["executionStatus"] == "CLOSED"
    assert info["closeStatus"] == "TERMINATED"
    assert info["closeTimestamp"] >= info["startTimestamp"]
    # The scheduled decision task died with the run.
    assert domain.poll_decision() is None
    with pytest.raises(ClientError) as err:
        swf.terminate_workflow_execution(domain=domain.name, **execution)
    assert error_code(err.value) == "UnknownResourceFault"


def test_describe_and_history_of_unknown_execution(domain: SWFDomain) -> None:
    ghost = {"workflowId": "ghost", "runId": "ghost-run"}
    with pytest.raises(ClientError) as err:
        domain.describe(ghost)
    assert error_code(err.value) == "UnknownResourceFault"
    with pytest.raises(ClientError) as err:
        domain.history(ghost)
    assert error_code(err.value) == "UnknownResourceFault"


def test_schedule_lambda_function_fails_lambda_not_available(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide(
        [decision("ScheduleLambdaFunction", id="fn-1", name="my-function", input="{}")]
    )
    events = domain.history(execution)
    failed = only(events, "ScheduleLambdaFunctionFailed")
    completed = only(events, "DecisionTaskCompleted")
    assert attrs(failed) == {
        "id": "fn-1",
        "name": "my-function",
        "cause": "LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION",
        "decisionTaskCompletedEventId": completed["eventId"],
    }
    assert "LambdaFunctionScheduled" not in event_types(events)
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    assert domain.expect_decision().execution == execution


def test_closed_executions_leave_visibility_after_the_retention_period(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    # The per-test domain keeps closed executions for 1 day.
    execution, _ = domain.start_and_decide([complete_workflow("kept for a day")])
    window = {"oldestDate": datetime(2000, 1, 1, tzinfo=timezone.utc)}

    def listed() -> list[str]:
        infos = domain.client.list_closed_workflow_executions(
            domain=domain.name, startTimeFilter=window
        )["executionInfos"]
        return [i["execution"]["runId"] for i in infos]

    swf_server.advance_clock(12 * 3600)
    assert listed() == [execution["runId"]]
    swf_server.advance_clock(13 * 3600)
    assert listed() == [], "still listed after the domain's retention period"


def test_zero_retention_deletes_the_record_at_close(swf: Any) -> None:
    name = register_domain(swf, retention_days="0")
    swf.register_workflow_type(
        domain=name,
        name="w",
        version="1",
        defaultTaskList={"name": "zero"},
        defaultTaskStartToCloseTimeout="60",
        defaultExecutionStartToCloseTimeout="600",
        defaultChildPolicy="TERMINATE",
    )
    run = swf.start_workflow_execution(
        domain=name, workflowId="ephemeral", workflowType={"name": "w", "version": "1"}
    )
    execution = {"workflowId": "ephemeral", "runId": run["runId"]}
    swf.terminate_workflow_execution(domain=name, **execution)
    with pytest.raises(ClientError) as err:
        swf.describe_workflow_execution(domain=name, execution=execution)
    assert error_code(err.value) == "UnknownResourceFault"
