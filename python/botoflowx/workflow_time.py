"""Time inside workflow code: the replayed clock, durable timers and the replay flag.

Each function delegates to the runtime of the running workflow; outside workflow code
they raise NotInWorkflowError.
"""

from __future__ import annotations

from botoflowx.workflow._context import current_runtime
from botoflowx.workflow._futures import Future

__all__ = [
    "DEFAULT_CONTINUE_AS_NEW_EVENTS",
    "continue_as_new_suggested",
    "history_length",
    "is_replaying",
    "sleep",
    "time",
]

# Well below SWF's hard limit of 25,000 events per run, leaving room to wind down.
DEFAULT_CONTINUE_AS_NEW_EVENTS = 10_000


def time() -> float:
    """Return the workflow clock as epoch seconds (a float).

    It is the start time of the decision task being processed, so it is the same on every
    replay. botoflow returned whole seconds; use ``int(workflow_time.time())`` for that.

    Raises:
        NotInWorkflowError: called outside workflow code.
    """
    return current_runtime("workflow_time.time()").now()


def sleep(seconds: float) -> Future[None]:
    """Start a durable timer and return a Future that completes with None when it fires.

    SWF timers count whole seconds, so the duration is rounded up. Cancelling the future
    cancels the timer (CancelTimer). If SWF refuses the timer, waiting on the future raises
    StartTimerFailedError.

    Raises:
        NotInWorkflowError: called outside workflow code.
        TypeError, ValueError: ``seconds`` is not a non-negative number.
    """
    return current_runtime("workflow_time.sleep()").sleep(seconds)


def is_replaying() -> bool:
    """Return True while the code re-runs decisions already recorded in the history.

    Use it to skip side effects such as logging on replay.

    Raises:
        NotInWorkflowError: called outside workflow code.
    """
    return current_runtime("workflow_time.is_replaying()").is_replaying()


def history_length() -> int:
    """Return the number of events in the run's history up to the current decision task.

    The value is read from the history, so it is the same on every replay.

    Raises:
        NotInWorkflowError: called outside workflow code.
    """
    return current_runtime("workflow_time.history_length()").history_length()


def continue_as_new_suggested(max_events: int = DEFAULT_CONTINUE_AS_NEW_EVENTS) -> bool:
    """Return True once the run's history has reached ``max_events`` events.

    SWF closes a run whose history reaches 25,000 events, and long histories make every
    replay slower. A long-running workflow checks this at a convenient point and then
    continues as new (calls its own @execute method) with the state it needs::

        if workflow_time.continue_as_new_suggested():
            self.run(state)   # continue as new
            return

    Args:
        max_events: the history size (events) from which continuing is suggested.

    Raises:
        NotInWorkflowError: called outside workflow code.
        ValueError: ``max_events`` is not positive.
    """
    if max_events <= 0:
        raise ValueError(f"max_events must be positive, got {max_events!r}")
    runtime = current_runtime("workflow_time.continue_as_new_suggested()")
    return runtime.history_length() >= max_events
