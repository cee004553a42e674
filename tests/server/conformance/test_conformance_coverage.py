"""Conformance: the suite itself exercises every SWF operation and every decision type."""

from __future__ import annotations

import re
from pathlib import Path

import botocore.session
import pytest

HERE = Path(__file__).parent


def _suite_text() -> str:
    # The tests plus the helpers they call (``domain.describe`` is DescribeWorkflowExecution).
    sources = [
        p for p in sorted(HERE.glob("test_conformance_*.py")) if p.name != Path(__file__).name
    ]
    sources.append(HERE.parents[1] / "helpers" / "swf.py")
    return "\n".join(p.read_text() for p in sources)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _model() -> object:
    return botocore.session.get_session().get_service_model("swf")


def test_service_model_has_39_operations_and_13_decision_types() -> None:
    model = _model()
    assert len(model.operation_names) == 39  # type: ignore[attr-defined]
    decision_types = model.shape_for("DecisionType").enum  # type: ignore[attr-defined]
    assert len(decision_types) == 13


@pytest.mark.parametrize("operation", sorted(_model().operation_names))  # type: ignore[attr-defined]
def test_every_operation_is_called_by_the_suite(operation: str) -> None:
    text = _suite_text()
    # boto3 method name, or the raw X-Amz-Target used by the wire tests.
    assert f".{_snake(operation)}" in text or f'"{operation}"' in text, (
        f"no conformance test calls {operation}"
    )


@pytest.mark.parametrize("decision_type", sorted(_model().shape_for("DecisionType").enum))  # type: ignore[attr-defined]
def test_every_decision_type_is_sent_by_the_suite(decision_type: str) -> None:
    text = _suite_text()
    helper = {
        "ScheduleActivityTask": "schedule_activity(",
        "StartTimer": "start_timer(",
        "CompleteWorkflowExecution": "complete_workflow(",
    }.get(decision_type)
    assert f'"{decision_type}"' in text or (helper is not None and helper in text), (
        f"no conformance test sends a {decision_type} decision"
    )
