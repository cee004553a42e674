"""Hello World, botoflow's first program: the definitions ``botoflowx demo`` and the example run.

Host them with ``botoflowx worker botoflowx._demo --domain D --task-list T``
and start one with ``botoflowx start HelloWorldWorkflow --domain D --wait``.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from typing import Any

from botoflowx.activity import activity
from botoflowx.constants import MINUTES
from botoflowx.workflow import WorkflowDefinition, execute

__all__ = ["HelloWorldActivities", "HelloWorldWorkflow"]


class HelloWorldActivities:
    """The two activities of Hello World.

    Args:
        interactive: Ask for the name on the terminal. Off by default so a
            worker never blocks on a prompt nobody sees.
    """

    def __init__(self, interactive: bool = False) -> None:
        self.interactive = interactive

    @activity(version="1.0", start_to_close_timeout=60)
    def get_name(self) -> str:
        """The name to greet: asked for when interactive, else "World"."""
        if self.interactive and sys.stdin.isatty():
            return input("What is your name? ").strip() or "World"
        return "World"

    @activity(version="1.0", start_to_close_timeout=60)
    def print_greeting(self, name: str) -> str:
        """Print the greeting where the activity runs and return it."""
        greeting = f"Hello {name}!"
        print(greeting, flush=True)
        return greeting


class HelloWorldWorkflow(WorkflowDefinition):
    """Ask for a name, then greet it: two activities in sequence."""

    @execute(version="1.0", execution_start_to_close_timeout=1 * MINUTES)
    def hello_world(self) -> Generator[Any, Any, str]:
        """Run Hello World; the result is the greeting."""
        name = yield HelloWorldActivities.get_name()
        greeting = yield HelloWorldActivities.print_greeting(name)
        return str(greeting)
