"""Replay-safe logging: a filter that drops records made while workflow code replays."""

from __future__ import annotations

import logging

from botoflowx.workflow._context import current_runtime_or_none

__all__ = ["BotoflowFilter", "ReplayFilter", "get_logger", "logger"]


class ReplayFilter(logging.Filter):
    """Drop log records emitted by workflow code while it replays history.

    Workflow code re-runs from the start on every decision task, so a plain
    ``log.info`` in it repeats once per task. With this filter on a logger or a
    handler, a record is kept only when it is made live (or outside workflow code,
    e.g. by activities and workers, which never replay).

    Args:
        name: as for ``logging.Filter``: only records of this logger (and its
            children) are considered; other records pass through unchanged.
        filter_replaying: False turns the filter off (botoflow's parameter).
    """

    def __init__(self, name: str = "", filter_replaying: bool = True) -> None:
        super().__init__(name)
        self.filter_replaying = filter_replaying

    def filter(self, record: logging.LogRecord) -> bool:
        """Return False for a record made by replaying workflow code, else True."""
        if not self.filter_replaying or not super().filter(record):
            return True
        runtime = current_runtime_or_none()
        return runtime is None or not runtime.is_replaying()


# botoflow's name for the same filter (it never filtered there; it does here).
BotoflowFilter = ReplayFilter

_REPLAY_FILTER = ReplayFilter()


def get_logger(name: str) -> logging.Logger:
    """Return ``logging.getLogger(name)`` with a :class:`ReplayFilter` attached.

    Use it for loggers called from workflow code: their records appear once, when the
    code runs live, not again on each replay.
    """
    result = logging.getLogger(name)
    if not any(isinstance(existing, ReplayFilter) for existing in result.filters):
        result.addFilter(_REPLAY_FILTER)
    return result


logger = get_logger("botoflowx.workflow.user")
"""A ready replay-safe logger for workflow code (``botoflowx.workflow.logger``)."""
