"""workflow_time and other in-workflow calls made outside a workflow say where they belong."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from botoflowx.exceptions import NotInWorkflowError
from botoflowx.workflow import WorkflowDefinition, get_context, workflow_time


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (workflow_time.time, "workflow_time.time()"),
        (lambda: workflow_time.sleep(1), "workflow_time.sleep()"),
        (workflow_time.is_replaying, "workflow_time.is_replaying()"),
        (lambda: WorkflowDefinition().cancel(), "WorkflowDefinition.cancel()"),
    ],
)
def test_outside_a_workflow_the_error_names_the_call_and_its_place(
    call: Callable[[], object], name: str
) -> None:
    with pytest.raises(NotInWorkflowError) as info:
        call()
    assert name in str(info.value) and "workflow code" in str(info.value)
    assert isinstance(info.value, RuntimeError)


def test_get_context_outside_everything() -> None:
    with pytest.raises(NotInWorkflowError, match="no botoflowx context"):
        get_context()
