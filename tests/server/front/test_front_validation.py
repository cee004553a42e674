"""Model-driven request validation: every constraint kind, SWF's message format, name rules."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.loaders import Loader

from botoflowx.server._faults import ValidationException
from botoflowx.server._validation import RequestValidator, default_validator, format_errors

V = default_validator()

POLL = {"domain": "d", "taskList": {"name": "tl"}, "identity": "me"}
WORKFLOW_TYPE = {"name": "wf", "version": "1"}


def errors(operation: str, params: dict[str, Any]) -> list[str]:
    return V.errors(operation, params)


def test_every_swf_operation_is_compiled() -> None:
    model = Loader().load_service_model("swf", "service-2")
    assert V.operations == frozenset(model["operations"])
    assert len(V.operations) == 39
    assert V.has_output("PollForDecisionTask")
    assert not V.has_output("RespondDecisionTaskCompleted")


def test_valid_request_passes() -> None:
    V.validate("PollForDecisionTask", POLL)
    V.validate(
        "StartWorkflowExecution",
        {
            "domain": "d",
            "workflowId": "order-42",
            "workflowType": WORKFLOW_TYPE,
            "tagList": ["a", "b"],
            "input": "x" * 32768,
            "executionStartToCloseTimeout": "3600",
        },
    )


def test_missing_required_member_message_format() -> None:
    with pytest.raises(ValidationException) as excinfo:
        V.validate("PollForDecisionTask", {"domain": "d"})
    assert excinfo.value.message == (
        "1 validation error detected: Value null at 'taskList' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_explicit_null_counts_as_missing_and_optional_null_is_ignored() -> None:
    assert errors("PollForDecisionTask", {"domain": "d", "taskList": None}) == [
        "Value null at 'taskList' failed to satisfy constraint: Member must not be null"
    ]
    assert errors("PollForDecisionTask", {**POLL, "identity": None, "nextPageToken": None}) == []


def test_several_errors_are_joined_with_count() -> None:
    with pytest.raises(ValidationException) as excinfo:
        V.validate("PollForDecisionTask", {"maximumPageSize": 1001})
    message = excinfo.value.message
    assert message.startswith("3 validation errors detected: ")
    assert "Value null at 'domain'" in message
    assert "Value null at 'taskList'" in message
    assert (
        "Value '1001' at 'maximumPageSize' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000"
    ) in message
    assert message.count("; ") == 2


def test_format_errors_singular_and_plural() -> None:
    assert format_errors(["a"]) == "1 validation error detected: a"
    assert format_errors(["a", "b"]) == "2 validation errors detected: a; b"


def test_nested_decision_attribute_path() -> None:
    params = {
        "taskToken": "t",
        "decisions": [
            {"decisionType": "CompleteWorkflowExecution"},
            {
                "decisionType": "StartTimer",
                "startTimerDecisionAttributes": {"startToFireTimeout": "5"},
            },
        ],
    }
    assert errors("RespondDecisionTaskCompleted", params) == [
        "Value null at 'decisions.2.member.startTimerDecisionAttributes.timerId' "
        "failed to satisfy constraint: Member must not be null"
    ]


def test_deeply_nested_structure_in_list() -> None:
    params = {
        "taskToken": "t",
        "decisions": [
            {
                "decisionType": "ScheduleActivityTask",
                "scheduleActivityTaskDecisionAttributes": {
                    "activityId": "1",
                    "activityType": {"name": "a", "version": "v" * 65},
                },
            }
        ],
    }
    assert errors("RespondDecisionTaskCompleted", params) == [
        f"Value '{'v' * 65}' at 'decisions.1.member.scheduleActivityTaskDecisionAttributes"
        ".activityType.version' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    ]


def test_string_min_and_max_length() -> None:
    assert errors("PollForDecisionTask", {**POLL, "domain": ""}) == [
        "Value '' at 'domain' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    ]
    too_long = "d" * 257
    (message,) = errors("PollForDecisionTask", {**POLL, "domain": too_long})
    assert "Member must have length less than or equal to 256" in message


def test_long_values_are_truncated_in_messages() -> None:
    (message,) = errors(
        "SignalWorkflowExecution",
        {
            "domain": "d",
            "workflowId": "w",
            "signalName": "s",
            "input": "x" * 40000,
        },
    )
    assert "at 'input'" in message
    assert "Member must have length less than or equal to 32768" in message
    assert len(message) < 1000


def test_enum() -> None:
    (message,) = errors("ListDomains", {"registrationStatus": "ACTIVE"})
    assert message == (
        "Value 'ACTIVE' at 'registrationStatus' failed to satisfy constraint: "
        "Member must satisfy enum value set: [REGISTERED, DEPRECATED]"
    )


def test_integer_bounds_and_type() -> None:
    assert errors("ListDomains", {"registrationStatus": "REGISTERED", "maximumPageSize": -1}) == [
        "Value '-1' at 'maximumPageSize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 0"
    ]
    (message,) = errors("ListDomains", {"registrationStatus": "REGISTERED", "maximumPageSize": "5"})
    assert "Member must be an integer" in message
    (message,) = errors("ListDomains", {"registrationStatus": "REGISTERED", "maximumPageSize": 5.0})
    assert "Member must be an integer" in message
    (message,) = errors(
        "ListDomains", {"registrationStatus": "REGISTERED", "maximumPageSize": True}
    )
    assert "Member must be an integer" in message


def test_boolean_type() -> None:
    assert errors("PollForDecisionTask", {**POLL, "reverseOrder": True}) == []
    (message,) = errors("PollForDecisionTask", {**POLL, "reverseOrder": "true"})
    assert message == (
        "Value 'true' at 'reverseOrder' failed to satisfy constraint: Member must be a boolean"
    )


def test_long_type_bounds() -> None:
    # No SWF input carries a long today (EventId appears only in outputs), so use a tiny model.
    model = {
        "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}},
        "shapes": {
            "In": {"type": "structure", "members": {"n": {"shape": "L"}}},
            "L": {"type": "long"},
        },
    }
    validator = RequestValidator(model)
    assert validator.errors("Op", {"n": 2**40}) == []
    (message,) = validator.errors("Op", {"n": 2**63})
    assert "Member must have value less than or equal to 9223372036854775807" in message
    (message,) = validator.errors("Op", {"n": "1"})
    assert "Member must be an integer" in message


def test_timestamp_accepts_int_and_float_epoch_seconds() -> None:
    base = {"domain": "d"}
    assert (
        errors(
            "ListOpenWorkflowExecutions", {**base, "startTimeFilter": {"oldestDate": 1704067200}}
        )
        == []
    )
    assert (
        errors("ListOpenWorkflowExecutions", {**base, "startTimeFilter": {"oldestDate": 1.5e9}})
        == []
    )
    (message,) = errors(
        "ListOpenWorkflowExecutions", {**base, "startTimeFilter": {"oldestDate": "2024-01-01"}}
    )
    assert "at 'startTimeFilter.oldestDate'" in message
    assert "timestamp" in message


def test_list_max_and_item_paths() -> None:
    params = {"domain": "d", "workflowId": "w", "workflowType": WORKFLOW_TYPE}
    (message,) = errors("StartWorkflowExecution", {**params, "tagList": ["t"] * 6})
    assert message == (
        "Value '[t, t, t, t, t, t]' at 'tagList' failed to satisfy constraint: "
        "Member must have length less than or equal to 5"
    )
    (message,) = errors("StartWorkflowExecution", {**params, "tagList": ["ok", "x" * 257]})
    assert "at 'tagList.2.member'" in message
    (message,) = errors("StartWorkflowExecution", {**params, "tagList": ["ok", None]})
    assert message == (
        "Value null at 'tagList.2.member' failed to satisfy constraint: Member must not be null"
    )


def test_wrong_container_types() -> None:
    (message,) = errors("PollForDecisionTask", {**POLL, "taskList": "tl"})
    assert "at 'taskList'" in message and "structure" in message
    (message,) = errors("RespondDecisionTaskCompleted", {"taskToken": "t", "decisions": {}})
    assert "at 'decisions'" in message and "list" in message
    (message,) = errors("PollForDecisionTask", {**POLL, "domain": 7})
    assert "Member must be a string" in message


def test_unknown_members_are_ignored() -> None:
    assert errors("PollForDecisionTask", {**POLL, "somethingNew": {"x": 1}}) == []
    assert errors("PollForDecisionTask", {**POLL, "taskList": {"name": "t", "extra": 1}}) == []


@pytest.mark.parametrize(
    "bad",
    ["a:b", "a/b", "a|b", "a\u0000b", "a\u001fb", "a\u007fb", "a\u009fb", "arn"],
)
def test_name_rule_on_identifiers(bad: str) -> None:
    (message,) = errors("RegisterWorkflowType", {"domain": "d", "name": bad, "version": "1"})
    assert "at 'name'" in message
    (message,) = errors(
        "StartWorkflowExecution",
        {
            "domain": "d",
            "workflowId": bad,
            "workflowType": WORKFLOW_TYPE,
        },
    )
    assert "at 'workflowId'" in message


def test_name_rule_allows_ordinary_names() -> None:
    for name in ("order-42", "a.b_c", "Arn", "arnold", "名前", "a b"):
        assert (
            errors(
                "RegisterDomain",
                {
                    "name": name,
                    "workflowExecutionRetentionPeriodInDays": "1",
                },
            )
            == []
        ), name


def test_name_rule_reaches_task_list_name_and_decision_attributes() -> None:
    (message,) = errors("PollForActivityTask", {"domain": "d", "taskList": {"name": "a|b"}})
    assert message == (
        "Value 'a|b' at 'taskList.name' failed to satisfy constraint: "
        "Member must not contain ':', '/', '|' or control characters"
    )
    params = {
        "taskToken": "t",
        "decisions": [
            {
                "decisionType": "StartTimer",
                "startTimerDecisionAttributes": {"timerId": "a:1", "startToFireTimeout": "5"},
            },
            {
                "decisionType": "ScheduleActivityTask",
                "scheduleActivityTaskDecisionAttributes": {
                    "activityId": "arn",
                    "activityType": {"name": "a", "version": "1"},
                    "taskList": {"name": "x/y"},
                },
            },
        ],
    }
    found = errors("RespondDecisionTaskCompleted", params)
    paths = sorted(m.split(" at '")[1].split("'")[0] for m in found)
    assert paths == [
        "decisions.1.member.startTimerDecisionAttributes.timerId",
        "decisions.2.member.scheduleActivityTaskDecisionAttributes.activityId",
        "decisions.2.member.scheduleActivityTaskDecisionAttributes.taskList.name",
    ]


def test_name_rule_not_applied_where_swf_does_not_document_it() -> None:
    # Descriptions and payloads may contain anything.
    assert (
        errors(
            "RegisterDomain",
            {
                "name": "d",
                "workflowExecutionRetentionPeriodInDays": "1",
                "description": "a:b/c|arn",
            },
        )
        == []
    )
    assert (
        errors(
            "SignalWorkflowExecution",
            {
                "domain": "d",
                "workflowId": "w",
                "signalName": "s",
                "input": "a:b|c\u0000",
            },
        )
        == []
    )


def test_whitespace_rule_on_domain_registration_and_activity_task_list() -> None:
    (message,) = errors(
        "RegisterDomain",
        {
            "name": " d",
            "workflowExecutionRetentionPeriodInDays": "1",
        },
    )
    assert message == (
        "Value ' d' at 'name' failed to satisfy constraint: "
        "Member must not start or end with whitespace"
    )
    (message,) = errors("PollForActivityTask", {"domain": "d", "taskList": {"name": "t\u0020"}})
    assert "at 'taskList.name'" in message and "whitespace" in message


def test_validator_from_a_custom_model() -> None:
    model = {
        "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}},
        "shapes": {
            "In": {
                "type": "structure",
                "required": ["a"],
                "members": {"a": {"shape": "S"}, "self": {"shape": "In"}},
            },
            "S": {"type": "string", "min": 2},
        },
    }
    validator = RequestValidator(model)
    assert validator.operations == frozenset({"Op"})
    assert not validator.has_output("Op")
    assert validator.errors("Op", {"a": "xy", "self": {"a": "xy"}}) == []
    (message,) = validator.errors("Op", {"a": "xy", "self": {"a": "x"}})
    assert "at 'self.a'" in message
