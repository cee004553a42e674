"""Conformance: SWF's size limits, name rules and page-size bounds, enforced by the server.

botocore checks most of these client-side, so the over-the-limit calls go through a client
with ``parameter_validation=False``: the server must refuse them on its own.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.server import ServerProcess
from helpers.swf import (
    SWFDomain,
    attrs,
    complete_workflow,
    error_code,
    make_client,
    schedule_activity,
    unique,
)

DATA_MAX = 32_768
HEARTBEAT_MAX = 2_048


@pytest.fixture(scope="module")
def raw(swf_server: ServerProcess) -> Any:
    """A client that sends whatever it is given, so the server's validation is what we see."""
    return make_client(swf_server.endpoint_url, parameter_validation=False)


def _validation_error(err: pytest.ExceptionInfo[ClientError], field: str) -> None:
    assert error_code(err.value) == "ValidationException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert field in err.value.response["Error"]["Message"], "the message names the field"


def test_workflow_input_limit(raw: Any, domain: SWFDomain) -> None:
    execution = domain.start(input="x" * DATA_MAX)
    assert len(attrs(domain.history(execution)[0])["input"]) == DATA_MAX
    with pytest.raises(ClientError) as err:
        raw.start_workflow_execution(
            domain=domain.name,
            workflowId=unique("big"),
            workflowType=domain.workflow_type,
            input="x" * (DATA_MAX + 1),
        )
    _validation_error(err, "input")


def test_signal_input_limit(raw: Any, domain: SWFDomain) -> None:
    execution = domain.start()
    domain.client.signal_workflow_execution(
        domain=domain.name, **execution, signalName="s", input="y" * DATA_MAX
    )
    with pytest.raises(ClientError) as err:
        raw.signal_workflow_execution(
            domain=domain.name, **execution, signalName="s", input="y" * (DATA_MAX + 1)
        )
    _validation_error(err, "input")


def test_decision_payload_limits(raw: Any, domain: SWFDomain) -> None:
    execution = domain.start()
    task = domain.expect_decision()
    with pytest.raises(ClientError) as err:
        raw.respond_decision_task_completed(
            taskToken=task.token, decisions=[complete_workflow("r" * (DATA_MAX + 1))]
        )
    _validation_error(err, "result")
    with pytest.raises(ClientError) as err:
        raw.respond_decision_task_completed(
            taskToken=task.token, decisions=[], executionContext="c" * (DATA_MAX + 1)
        )
    _validation_error(err, "executionContext")
    domain.decide(
        task,
        [schedule_activity(domain.activity_type, "a", input="i" * DATA_MAX)],
        executionContext="c" * DATA_MAX,
    )
    assert domain.describe(execution)["latestExecutionContext"] == "c" * DATA_MAX


def test_activity_result_and_heartbeat_limits(raw: Any, domain: SWFDomain) -> None:
    domain.start_and_decide([schedule_activity(domain.activity_type, "a")])
    task = domain.expect_activity()
    token = task["taskToken"]
    domain.client.record_activity_task_heartbeat(taskToken=token, details="h" * HEARTBEAT_MAX)
    with pytest.raises(ClientError) as err:
        raw.record_activity_task_heartbeat(taskToken=token, details="h" * (HEARTBEAT_MAX + 1))
    _validation_error(err, "details")
    with pytest.raises(ClientError) as err:
        raw.respond_activity_task_completed(taskToken=token, result="r" * (DATA_MAX + 1))
    _validation_error(err, "result")
    with pytest.raises(ClientError) as err:
        raw.respond_activity_task_failed(taskToken=token, reason="r" * 257)
    _validation_error(err, "reason")
    domain.client.respond_activity_task_completed(taskToken=token, result="r" * DATA_MAX)


def test_at_most_five_tags(raw: Any, domain: SWFDomain) -> None:
    execution = domain.start(tagList=[f"t{i}" for i in range(5)])
    assert len(domain.describe(execution)["executionInfo"]["tagList"]) == 5
    with pytest.raises(ClientError) as err:
        raw.start_workflow_execution(
            domain=domain.name,
            workflowId=unique("tags"),
            workflowType=domain.workflow_type,
            tagList=[f"t{i}" for i in range(6)],
        )
    _validation_error(err, "tagList")


@pytest.mark.parametrize(
    "bad_name",
    ["has:colon", "has/slash", "has|bar", "ctrl\u0001char", "arn", "x" * 257, ""],
    ids=["colon", "slash", "bar", "control", "arn", "too-long", "empty"],
)
def test_domain_name_rules(raw: Any, bad_name: str) -> None:
    with pytest.raises(ClientError) as err:
        raw.register_domain(name=bad_name, workflowExecutionRetentionPeriodInDays="1")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_code(err.value) != "DomainAlreadyExistsFault"


@pytest.mark.parametrize(
    "bad_name", ["a:b", "a/b", "a|b", "arn"], ids=["colon", "slash", "bar", "arn"]
)
def test_type_and_workflow_id_name_rules(raw: Any, domain: SWFDomain, bad_name: str) -> None:
    with pytest.raises(ClientError) as err:
        raw.register_workflow_type(domain=domain.name, name=bad_name, version="1")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as err:
        raw.start_workflow_execution(
            domain=domain.name, workflowId=bad_name, workflowType=domain.workflow_type
        )
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_version_length_limit(raw: Any, domain: SWFDomain) -> None:
    domain.register_activity_type(version="v" * 64)
    with pytest.raises(ClientError) as err:
        raw.register_activity_type(domain=domain.name, name="long-version", version="v" * 65)
    _validation_error(err, "version")


def test_maximum_page_size_over_1000_is_rejected(raw: Any, domain: SWFDomain) -> None:
    execution = domain.start()
    assert domain.client.list_domains(registrationStatus="REGISTERED", maximumPageSize=1000)
    calls = [
        lambda: raw.list_domains(registrationStatus="REGISTERED", maximumPageSize=1001),
        lambda: raw.get_workflow_execution_history(
            domain=domain.name, execution=execution, maximumPageSize=1001
        ),
        lambda: raw.poll_for_decision_task(
            domain=domain.name, taskList={"name": domain.task_list}, maximumPageSize=1001
        ),
        lambda: raw.list_workflow_types(
            domain=domain.name, registrationStatus="REGISTERED", maximumPageSize=1001
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as err:
            call()
        _validation_error(err, "maximumPageSize")
    # The refused poll took no task.
    assert domain.expect_decision().execution == execution


def test_missing_required_member_names_the_field(raw: Any, domain: SWFDomain) -> None:
    with pytest.raises(ClientError) as err:
        raw.start_workflow_execution(domain=domain.name, workflowType=domain.workflow_type)
    _validation_error(err, "workflowId")
    with pytest.raises(ClientError) as err:
        raw.register_domain(name=unique("dom"))
    _validation_error(err, "workflowExecutionRetentionPeriodInDays")


def test_bad_enum_and_bad_duration_are_rejected(raw: Any, domain: SWFDomain) -> None:
    with pytest.raises(ClientError) as err:
        raw.start_workflow_execution(
            domain=domain.name,
            workflowId=unique("enum"),
            workflowType=domain.workflow_type,
            childPolicy="DESTROY",
        )
    _validation_error(err, "childPolicy")
    with pytest.raises(ClientError) as err:
        raw.list_domains(registrationStatus="MAYBE")
    _validation_error(err, "registrationStatus")
    with pytest.raises(ClientError) as err:
        raw.start_workflow_execution(
            domain=domain.name,
            workflowId=unique("dur"),
            workflowType=domain.workflow_type,
            taskStartToCloseTimeout="soon",
        )
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_nested_decision_attributes_are_validated(raw: Any, domain: SWFDomain) -> None:
    execution = domain.start()
    task = domain.expect_decision()
    bad_batches = [
        ([schedule_activity(domain.activity_type, "a" * 257)], "activityId"),
        (
            [schedule_activity(domain.activity_type, "ok", taskList={"name": "bad:list"})],
            "taskList",
        ),
        (
            # The attributes member does not match the decision type.
            [
                {
                    "decisionType": "StartTimer",
                    "recordMarkerDecisionAttributes": {"markerName": "m"},
                }
            ],
            "startTimerDecisionAttributes",
        ),
        ([{"decisionType": "RecordMarker", "recordMarkerDecisionAttributes": {}}], "markerName"),
    ]
    for decisions, field in bad_batches:
        with pytest.raises(ClientError) as err:
            raw.respond_decision_task_completed(taskToken=task.token, decisions=decisions)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        if field != "taskList":  # name rules may be reported without the member path
            _validation_error(err, field)
    assert [e["eventType"] for e in domain.history(execution)][-1] == "DecisionTaskStarted"
    domain.decide(task, [])
