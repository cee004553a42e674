"""Constants shared by workflow and activity definitions: durations, child policies, sentinels."""

from __future__ import annotations

from typing import Final

__all__ = [
    "CHILD_ABANDON",
    "CHILD_REQUEST_CANCEL",
    "CHILD_TERMINATE",
    "DAYS",
    "HOURS",
    "MAX_DATA_SIZE",
    "MAX_DESCRIPTION_SIZE",
    "MAX_REASON_SIZE",
    "MINUTES",
    "SECONDS",
    "USE_WORKER_TASK_LIST",
    "WEEKS",
]

# Durations are expressed in seconds, SWF's unit, so ``2 * MINUTES`` reads naturally.
SECONDS: Final = 1
MINUTES: Final = 60 * SECONDS
HOURS: Final = 60 * MINUTES
DAYS: Final = 24 * HOURS
WEEKS: Final = 7 * DAYS

# What happens to a workflow's open children when it closes; the values are SWF's strings.
CHILD_TERMINATE: Final = "TERMINATE"
CHILD_REQUEST_CANCEL: Final = "REQUEST_CANCEL"
CHILD_ABANDON: Final = "ABANDON"

# SWF's limits on the fields the engine fills in (characters).
MAX_DATA_SIZE: Final = 32_768
MAX_REASON_SIZE: Final = 256
MAX_DESCRIPTION_SIZE: Final = 1024


class _UseWorkerTaskList:
    """Sentinel type: "the task list of the worker that registers or schedules this type"."""

    _instance: _UseWorkerTaskList | None = None

    def __new__(cls) -> _UseWorkerTaskList:
        # A singleton, so identity checks work even after copy/pickle round trips.
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "USE_WORKER_TASK_LIST"

    def __reduce__(self) -> str:
        return "USE_WORKER_TASK_LIST"


USE_WORKER_TASK_LIST: Final = _UseWorkerTaskList()
