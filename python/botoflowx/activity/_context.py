"""The activity runtime context: the running task and throttled heartbeats."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botoflowx.client._errors import is_unknown_resource
from botoflowx.client._slot import installed_context
from botoflowx.exceptions import CancellationError
from botoflowx.workflow._context import WorkflowExecution

__all__ = ["ActivityContext", "ActivityTask", "heartbeat_interval", "installed_context"]

log = logging.getLogger(__name__)

# SWF's limit on heartbeat details (characters).
MAX_HEARTBEAT_DETAILS = 2048

# Without a known heartbeat timeout the workflow may still have set one when
# scheduling the activity, so stay well below typical values.
DEFAULT_HEARTBEAT_INTERVAL = 10.0
# Beat at this fraction of the heartbeat timeout, leaving room for one slow call.
HEARTBEAT_FRACTION = 0.5
MAX_HEARTBEAT_INTERVAL = 30.0
MIN_HEARTBEAT_INTERVAL = 0.05


@dataclass(frozen=True)
class ActivityTask:
    """One activity task as SWF handed it out.

    Attributes:
        activity_id: The ``activityId`` the workflow gave the task.
        name: The activity type name.
        version: The activity type version.
        input: The raw input payload (``converter.dumps([args, kwargs])``), or None.
        token: The task token used to answer or heartbeat the task.
        started_event_id: The id of the ``ActivityTaskStarted`` event.
        workflow_execution: The ``(workflow_id, run_id)`` of the workflow run
            that scheduled the task.
        heartbeat_details: On a retry, the details of the last heartbeat an earlier
            attempt recorded before it timed out (exactly as SWF recorded them), else
            None. The retry loop carries them into this attempt's input.
    """

    activity_id: str
    name: str
    version: str
    input: str | None
    token: str
    started_event_id: int
    workflow_execution: WorkflowExecution
    heartbeat_details: str | None = None

    @property
    def last_heartbeat_details(self) -> str | None:
        """Alias of :attr:`heartbeat_details`."""
        return self.heartbeat_details

    # botoflow called the activity id ``id``; keep that spelling working.
    @property
    def id(self) -> str:
        """Alias of :attr:`activity_id` (botoflow's name)."""
        return self.activity_id


def heartbeat_interval(heartbeat_timeout: float | None) -> float:
    """How often at most to send heartbeats for a task with ``heartbeat_timeout`` seconds."""
    if heartbeat_timeout is None or heartbeat_timeout <= 0:
        return DEFAULT_HEARTBEAT_INTERVAL
    return max(
        MIN_HEARTBEAT_INTERVAL, min(MAX_HEARTBEAT_INTERVAL, heartbeat_timeout * HEARTBEAT_FRACTION)
    )


class ActivityContext:
    """What an activity can see of its task while it runs; ``get_context()`` returns it.

    Heartbeats are throttled: the first call is sent at once, later calls within
    the interval only record their details, and the latest details are sent
    when the interval ends. Code can therefore call :meth:`heartbeat` in a tight
    loop without flooding SWF, and the last reported progress still arrives.

    Args:
        task: The task being worked on.
        client: A boto3 SWF client for ``RecordActivityTaskHeartbeat``.
        worker: The worker running the task (botoflow exposed it; kept for ports).
        heartbeat_timeout: The task's heartbeat timeout in seconds, when known.
        encode_details: Turns non-string details into a string payload.
        decode_details: Turns a details payload back into a value (the converter's
            ``loads``), for :meth:`decode_heartbeat_details`.
        clock: Monotonic clock (tests inject one).
    """

    def __init__(
        self,
        task: ActivityTask,
        client: Any,
        *,
        worker: Any = None,
        heartbeat_timeout: float | None = None,
        encode_details: Callable[[Any], str] | None = None,
        decode_details: Callable[[str], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.task = task
        self._decode = decode_details
        self.worker = worker
        self.interval = heartbeat_interval(heartbeat_timeout)
        self._client = client
        self._encode = encode_details
        self._clock = clock
        self._lock = threading.Lock()
        self._last_sent: float | None = None
        self._pending: tuple[str | None] | None = None
        self._flush_timer: threading.Timer | None = None
        self._cancel_requested = False
        self._closed = False

    @property
    def workflow_execution(self) -> WorkflowExecution:
        """The ``(workflow_id, run_id)`` of the workflow run that scheduled this task."""
        return self.task.workflow_execution

    @property
    def heartbeat_details(self) -> str | None:
        """The last heartbeat details of an earlier attempt of this activity, or None.

        Set when the workflow retries the activity (``@retry_activity`` or a
        ``RetryPolicy``) after an attempt timed out having heartbeated: resume from the
        progress it reported. It is the raw string SWF recorded: a string passed to
        :meth:`heartbeat` as is, anything else as the converter encoded it (see
        :meth:`decode_heartbeat_details`).
        """
        return self.task.heartbeat_details

    def decode_heartbeat_details(self, default: Any = None) -> Any:
        """Return :attr:`heartbeat_details` decoded by the activity's data converter.

        Use it when the activity heartbeats non-string values (a dict of progress, a
        number): they were encoded with the converter. Details that are not converter
        output (a plain string heartbeat) come back unchanged.

        Args:
            default: What to return when there are no details.
        """
        details = self.task.heartbeat_details
        if details is None:
            return default
        if self._decode is None:
            return details
        try:
            return self._decode(details)
        except Exception:
            return details

    @property
    def cancel_requested(self) -> bool:
        """True once SWF answered a heartbeat with ``cancelRequested``."""
        return self._cancel_requested

    def heartbeat(self, details: Any = None) -> None:
        """Report progress to SWF (``RecordActivityTaskHeartbeat``), throttled.

        Args:
            details: Progress details: a string is sent as is, anything else is
                encoded with the activity's data converter. At most 2,048
                characters (SWF's limit).

        Raises:
            CancellationError: The workflow asked to cancel this activity (or
                the task is gone: timed out or already closed), so the activity
                should stop; raising it out of the activity reports the task as
                canceled.
            ValueError: ``details`` is longer than 2,048 characters.
        """
        payload = self._encode_details(details)
        with self._lock:
            if self._cancel_requested:
                raise _cancellation(self.task)
            now = self._clock()
            due = self._last_sent is None or now - self._last_sent >= self.interval
            if not due:
                self._pending = (payload,)
                self._schedule_flush_locked(now)
                return
            self._pending = None
            self._last_sent = now
        self._send(payload)
        if self._cancel_requested:
            raise _cancellation(self.task)

    def close(self) -> None:
        """Stop sending heartbeats: the task finished (pending details are dropped)."""
        with self._lock:
            self._closed = True
            self._pending = None
            if self._flush_timer is not None:
                self._flush_timer.cancel()
                self._flush_timer = None

    def _encode_details(self, details: Any) -> str | None:
        if details is None or isinstance(details, str):
            payload = details
        elif self._encode is not None:
            payload = self._encode(details)
        else:
            payload = str(details)
        if payload is not None and len(payload) > MAX_HEARTBEAT_DETAILS:
            raise ValueError(
                f"heartbeat details of activity {self.task.name!r} are {len(payload)} characters; "
                f"SWF accepts at most {MAX_HEARTBEAT_DETAILS}: report less progress data"
            )
        return payload

    def _schedule_flush_locked(self, now: float) -> None:
        if self._flush_timer is not None or self._closed:
            return
        assert self._last_sent is not None
        delay = max(0.0, self.interval - (now - self._last_sent))
        timer = threading.Timer(delay, self._flush)
        timer.daemon = True
        timer.name = f"botoflowx-heartbeat-{self.task.activity_id}"
        self._flush_timer = timer
        timer.start()

    def _flush(self) -> None:
        with self._lock:
            self._flush_timer = None
            if self._closed or self._pending is None:
                return
            (payload,) = self._pending
            self._pending = None
            self._last_sent = self._clock()
        self._send(payload)

    def _send(self, payload: str | None) -> None:
        kwargs: dict[str, Any] = {"taskToken": self.task.token}
        if payload is not None:
            kwargs["details"] = payload
        try:
            response = self._client.record_activity_task_heartbeat(**kwargs)
        except Exception as exc:
            if is_unknown_resource(exc):
                # The task timed out or was closed: nobody can complete it any
                # more, so the activity should stop as if canceled.
                log.info(
                    "heartbeat for activity %s (%s) found the task gone: %s",
                    self.task.activity_id,
                    self.task.name,
                    exc,
                )
                self._cancel_requested = True
                return
            # A failed heartbeat must not fail the activity: the next one may
            # get through before the heartbeat timeout.
            log.warning(
                "heartbeat for activity %s (%s) failed: %s",
                self.task.activity_id,
                self.task.name,
                exc,
            )
            return
        if response.get("cancelRequested"):
            self._cancel_requested = True


def _cancellation(task: ActivityTask) -> CancellationError:
    return CancellationError(
        f"activity {task.name!r} (id {task.activity_id}) was asked to stop: the workflow "
        "requested its cancellation or the task is no longer open"
    )
