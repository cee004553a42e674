"""Time inside workflow code: the replayed clock, durable timers and the replay flag.

Each function delegates to the runtime of the running workflow; outside workflow code
they raise NotInWorkflowError.
"""

from __future__ import annotations

from botoflowx.workflow._context import current_runtime
from botoflowx.workflow._futures import Future

__all__ = ["is_replaying", "sleep", "time"]


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
