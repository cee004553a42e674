"""Installing a context in the thread's shared slot (``botoflowx.workflow._context``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from botoflowx.exceptions import NotInWorkflowError
from botoflowx.workflow._context import get_context, set_context

ContextT = TypeVar("ContextT")


@contextmanager
def installed_context(context: ContextT) -> Iterator[ContextT]:
    """Make ``context`` this thread's ``get_context()`` for the block, then restore the old one.

    The slot is shared with workflow code, so a starter block opened inside
    an activity, or an activity run inside a test's context, gets back what
    was there before.
    """
    try:
        previous = get_context()
    except NotInWorkflowError:
        previous = None
    set_context(context)
    try:
        yield context
    finally:
        set_context(previous)
