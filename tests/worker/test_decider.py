"""Decider helpers that need no server: batch limits and unknown workflow types."""

from __future__ import annotations

import logging

import orjson
import pytest

from botoflowx.converter import default_converter
from botoflowx.exceptions import UnknownWorkflowTypeError
from botoflowx.worker._decider import (
    MAX_DECISIONS,
    MAX_REQUEST_BYTES,
    encode_answer,
    unknown_type_decisions,
)


def timer(n: int) -> dict[str, object]:
    return {
        "decisionType": "StartTimer",
        "startTimerDecisionAttributes": {"timerId": str(n), "startToFireTimeout": "1"},
    }


def answer(decisions: list[dict[str, object]]) -> dict[str, object]:
    return {"taskToken": "t", "decisions": decisions, "executionContext": "ctx"}


def test_answers_within_limits_are_encoded_as_they_are(caplog: pytest.LogCaptureFixture) -> None:
    members = answer([timer(n) for n in range(MAX_DECISIONS)])
    with caplog.at_level(logging.ERROR, logger="botoflowx.worker"):
        body = encode_answer(members, workflow_id="w", run_id="r")
    assert orjson.loads(body) == members
    assert not caplog.records


def test_more_than_100_decisions_are_reported_never_cut(caplog: pytest.LogCaptureFixture) -> None:
    # The engine splits its output across tasks; a cut here would break the next replay.
    members = answer([timer(n) for n in range(150)])
    with caplog.at_level(logging.ERROR, logger="botoflowx.worker"):
        body = encode_answer(members, workflow_id="w", run_id="r")
    assert len(orjson.loads(body)["decisions"]) == 150
    assert "150 decisions" in caplog.text


def test_an_answer_over_1_mb_is_reported_never_cut(caplog: pytest.LogCaptureFixture) -> None:
    big = {
        "decisionType": "RecordMarker",
        "recordMarkerDecisionAttributes": {"markerName": "m", "details": "x" * MAX_REQUEST_BYTES},
    }
    with caplog.at_level(logging.ERROR, logger="botoflowx.worker"):
        body = encode_answer(answer([big]), workflow_id="w", run_id="r")
    assert len(body) > MAX_REQUEST_BYTES
    assert "over SWF's 1 MB request limit" in caplog.text
    assert f"{len(body)} bytes" in caplog.text


def test_unknown_type_fails_the_run_with_a_clear_reason_and_encoded_error() -> None:
    result = unknown_type_decisions("Billing", "2.0", [("Orders", "1.0"), ("Billing", "1.0")])
    (decision,) = result.decisions
    assert decision["decisionType"] == "FailWorkflowExecution"
    attributes = decision["failWorkflowExecutionDecisionAttributes"]
    assert attributes["reason"] == (
        "unknown workflow type Billing version 2.0: this worker hosts Billing 1.0, Orders 1.0"
    )
    cause = default_converter().loads(attributes["details"])
    assert isinstance(cause, Exception)
    assert "unknown workflow type Billing version 2.0" in str(cause)
    assert result.execution_context is None
    assert UnknownWorkflowTypeError.__name__ in attributes["details"]
