"""``GreetingWorkflow`` after an incompatible edit, for ``botoflowx replay`` mismatch tests."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from cli_flows import Greeter

from botoflowx import WorkflowDefinition, execute, workflow


@workflow(name="GreetingWorkflow")
class GreetingWorkflowEdited(WorkflowDefinition):
    """Shouts instead of greeting: the first decision schedules another activity type."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def greet(self, name: str, punctuation: str = "!") -> Generator[Any, Any, str]:
        greeting = yield Greeter.shout(name)  # edited: was Greeter.greet(name, punctuation)
        return str(greeting)
