"""Workflows and activities the command-line tests host with ``botoflowx worker cli_flows``."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from botoflowx import Future, WorkflowDefinition, WorkflowExecution, activity, execute, signal


class Greeter:
    """Activities of the command-line tests."""

    @activity(version="1.0", start_to_close_timeout=60)
    def greet(self, name: str, punctuation: str = "!") -> str:
        return f"Hello {name}{punctuation}"

    @activity(version="1.0", start_to_close_timeout=60)
    def shout(self, name: str) -> str:
        return f"HELLO {name.upper()}!"


class GreetingWorkflow(WorkflowDefinition):
    """Greets its input through one activity."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def greet(self, name: str, punctuation: str = "!") -> Generator[Any, Any, str]:
        greeting = yield Greeter.greet(name, punctuation)
        return str(greeting)


class FailingWorkflow(WorkflowDefinition):
    """Fails at once with a ValueError."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def fail(self, message: str) -> Generator[Any, Any, None]:
        if message:
            raise ValueError(message)
        yield Greeter.greet("never")


class Mailbox(WorkflowDefinition):
    """Stays open until the ``release`` signal; returns the signal's value."""

    def __init__(self, workflow_execution: WorkflowExecution | None = None) -> None:
        super().__init__(workflow_execution)
        self.released: Future[Any] | None = None

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def wait(self) -> Generator[Any, Any, Any]:
        self.released = self.released or Future()
        self.workflow_state = "waiting"
        value = yield self.released
        return value

    @signal()
    def release(self, value: Any) -> None:
        self.released = self.released or Future()
        self.released.set_result(value)
