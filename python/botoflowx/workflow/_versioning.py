"""Changing workflow code safely under running executions: patched() and deprecate_patch()."""

from __future__ import annotations

from botoflowx.workflow._context import current_runtime

__all__ = ["PATCH_MARKER_PREFIX", "deprecate_patch", "patch_marker_name", "patched"]

# Prefix of the markers ``patched()`` records (SWF names may not contain ':' '/' '|').
PATCH_MARKER_PREFIX = "botoflowx.patch."
_NAME_LIMIT = 256
_FORBIDDEN_NAME_CHARS = (
    frozenset(":/|") | {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)}
)


def patch_marker_name(change_id: str) -> str:
    """Return the marker name recording change ``change_id``.

    Raises:
        TypeError: ``change_id`` is not a non-empty string.
        ValueError: the name would break SWF's rules for names (too long, or with ':',
            '/', '|' or control characters).
    """
    if not isinstance(change_id, str) or not change_id:
        raise TypeError(f"a patch change id must be a non-empty string, got {change_id!r}")
    marker = PATCH_MARKER_PREFIX + change_id
    if len(marker) > _NAME_LIMIT or any(char in _FORBIDDEN_NAME_CHARS for char in change_id):
        raise ValueError(
            f"patch change id {change_id!r} cannot name an SWF marker: it must be at most "
            f"{_NAME_LIMIT - len(PATCH_MARKER_PREFIX)} characters, without ':', '/', '|' "
            "or control characters"
        )
    return marker


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
