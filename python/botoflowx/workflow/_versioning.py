"""Changing workflow code safely under running executions: patched() and deprecate_patch()."""

from __future__ import annotations

from botoflowx.workflow._context import current_runtime

__all__ = ["deprecate_patch", "patched"]


def patched(change_id: str) -> bool:
    """Return True when this run takes the new branch of the code change ``change_id``.

    Wrap a change that alters the decisions a workflow makes::

        if patched("charge-before-ship"):
            yield Billing.charge(order)      # new code
        yield Shipping.ship(order)

    A run deciding live records a marker named ``botoflowx.patch.<change_id>`` and
    gets True. A replay gets True only where that marker was recorded, so runs started
    before the change keep replaying their old branch and finish on it, while new runs
    take the new one. The first answer holds for the rest of the run.

    Once no run that lacks the marker is still open, replace the call with
    :func:`deprecate_patch` and delete the old branch.

    Raises:
        NotInWorkflowError: called outside workflow code.
        TypeError, ValueError: ``change_id`` is not a valid SWF marker name suffix (at
            most 240 characters, no ':', '/', '|' or control characters).
    """
    return current_runtime("patched()").patched(change_id)


def deprecate_patch(change_id: str) -> None:
    """Mark the change ``change_id`` as the only path; its old branch has been deleted.

    Runs that recorded the patch marker still replay (the marker is recorded again at
    the same point), and new runs record it too, so both replay against this code.
    Runs started before :func:`patched` was introduced must all be closed: they would
    replay the new code without their old branch.

    Raises:
        NotInWorkflowError: called outside workflow code.
        TypeError, ValueError: ``change_id`` is not a valid marker name suffix.
    """
    current_runtime("deprecate_patch()").deprecate_patch(change_id)
