"""Decider helpers that need no server: batch limits and unknown workflow types."""

from __future__ import annotations

import logging

import pytest

from botoflowx.converter import default_converter
from botoflowx.exceptions import UnknownWorkflowTypeError
from botoflowx.worker._decider import MAX_DECISIONS, fit_decisions, unknown_type_decisions


def timer(n: int) -> dict[str, object]:
    return {
        "decisionType": "StartTimer",
        "startTimerDecisionAttributes": {"timerId": str(n), "startToFireTimeout": "1"},
    }


def test_batches_within_limits_pass_unchanged() -> None:
    decisions = [timer(n) for n in range(MAX_DECISIONS)]
    assert fit_decisions(decisions, workflow_id="w", run_id="r") == decisions


def test_more_than_100_decisions_are_reported_never_cut(caplog: pytest.LogCaptureFixture) -> None:
    # The engine splits its output across tasks; a cut here would break the next replay.
    decisions = [timer(n) for n in range(150)]
    with caplog.at_level(logging.ERROR, logger="botoflowx.worker"):
        kept = fit_decisions(decisions, workflow_id="w", run_id="r")
    assert kept == decisions
    assert "150 decisions" in caplog.text


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
