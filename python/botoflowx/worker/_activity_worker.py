"""The activity worker: polls activity tasks, runs the activity code and answers SWF."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botoflowx.activity._context import ActivityContext, ActivityTask, installed_context
from botoflowx.activity._meta import collect_activities
from botoflowx.client._errors import is_unknown_resource
from botoflowx.client._swf import SessionLike, transport_for_target
from botoflowx.client._transport import RawActivityClient
from botoflowx.constants import MAX_DATA_SIZE, MAX_REASON_SIZE
from botoflowx.exceptions import (
    CancellationError,
    CancelledError,
    PayloadTooLargeError,
    UnknownActivityTypeError,
)
from botoflowx.worker._base import BaseWorker
from botoflowx.worker._registration import TypeKey, register_missing
from botoflowx.workflow._context import WorkflowExecution
from botoflowx.workflow._retry import HEARTBEAT_DETAILS_KWARG

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HostedActivity:
    """One activity type this worker can run.

    Attributes:
        meta: The activity's ``ActivityMeta``.
        function: The method bound to the activities object.
        converter: The data converter for its input, result and errors.
    """

    meta: Any
    function: Callable[..., Any]
    converter: Any


class ActivityWorker(BaseWorker):
    """Polls one task list for activity tasks and runs them.

    Construction makes no network call; the domain (if asked) and the activity
    types are registered on the first :meth:`run_once` or executor start.

    The worker pickles as its constructor call (for ``MultiprocessingActivityExecutor``
    under any start method), so the activity objects must be picklable instances of
    importable classes.

    Args:
        session: A ``boto3.Session``, a ``botocore.session.Session`` or None.
        aws_region: The AWS region.
        domain: The SWF domain.
        task_list: The task list to poll.
        *activity_objects: Instances (or classes) whose ``@activity`` methods
            this worker runs.
        endpoint_url: The SWF endpoint (default ``$BOTOFLOWX_ENDPOINT_URL``, then AWS).
        register_domain: Register ``domain`` if it does not exist.
        identity: The poller identity recorded by SWF.

    Raises:
        ValueError: No activities were given, or two objects declare the same
            activity name and version.
    """

    def __init__(
        self,
        session: SessionLike,
        aws_region: str | None,
        domain: str,
        task_list: str,
        *activity_objects: Any,
        endpoint_url: str | None = None,
        register_domain: bool = False,
        identity: str | None = None,
    ) -> None:
        super().__init__(
            session,
            aws_region,
            domain,
            task_list,
            endpoint_url=endpoint_url,
            register_domain=register_domain,
            identity=identity,
        )
        self._activities = _host(activity_objects)
        # Issue 5 (the hot path): polls, answers and heartbeats go through the
        # raw transport (client/_transport.py, boto3-shaped) instead of botocore's
        # serializer and parser; registration stays on the boto3 client.
        self._activity_client: RawActivityClient | None = None

    @property
    def activity_client(self) -> RawActivityClient:
        """The per-task SWF calls (poll, answers, heartbeats) over the raw transport."""
        target = self.target
        with self._lock:
            if self._activity_client is None:
                self._activity_client = RawActivityClient(transport_for_target(target))
            return self._activity_client

    def prepare(self) -> None:
        """Build the raw transport now (see :meth:`BaseWorker.prepare`)."""
        _ = self.activity_client

    def close(self) -> None:
        """Close the worker's HTTP connections."""
        super().close()
        with self._lock:
            raw, self._activity_client = self._activity_client, None
        if raw is not None:
            raw.transport.close()

    @property
    def activity_types(self) -> list[TypeKey]:
        """The ``(name, version)`` of every activity this worker runs, sorted."""
        return sorted(self._activities)

    def _register_types(self) -> None:
        register_missing(
            self.client,
            self.domain,
            "activity",
            [hosted.meta for hosted in self._activities.values()],
            self.task_list,
        )

    # -- polling ----------------------------------------------------------------------------

    def poll(self) -> ActivityTask | None:
        """Long-poll for one activity task.

        Returns:
            The task, or None when the poll came back empty.
        """
        response = self.activity_client.poll_for_activity_task(
            domain=self.domain, taskList={"name": self.task_list}, identity=self.identity
        )
        # An empty poll has no token (moto, our server) or an empty one (docs).
        token = response.get("taskToken")
        if not token:
            return None
        execution = response.get("workflowExecution") or {}
        activity_type = response["activityType"]
        return ActivityTask(
            activity_id=response["activityId"],
            name=activity_type["name"],
            version=activity_type["version"],
            input=response.get("input"),
            token=token,
            started_event_id=int(response.get("startedEventId", 0)),
            workflow_execution=WorkflowExecution(
                execution.get("workflowId"), execution.get("runId")
            ),
        )

    # -- running ------------------------------------------------------------------------------

    def handle(self, task: ActivityTask) -> None:
        """Run one task and answer SWF: completed, failed or canceled.

        Never raises for errors of the activity code; SWF errors on answering
        are logged (an ``UnknownResourceFault`` means the task is gone).
        """
        hosted = self._activities.get((task.name, task.version))
        if hosted is None:
            hosts = ", ".join(f"{n} {v}" for n, v in self.activity_types)
            reason = (
                f"unknown activity type {task.name} version {task.version}: this worker on task "
                f"list {self.task_list} hosts {hosts}"
            )
            log.error("activity task %s: %s", task.activity_id, reason)
            error = UnknownActivityTypeError(task.name, task.version, reason)
            self._respond_failed(task, reason, _encode_error(_default_converter(), error))
            return
        converter = hosted.converter
        try:
            args, kwargs = _decode_input(converter, task.input)
        except Exception as exc:
            self._respond_failed(
                task, f"could not decode the input of activity {task.name}: {exc}", None
            )
            return
        # A retry carries the previous attempt's last heartbeat in a reserved keyword;
        # it belongs to the context, not to the activity's arguments.
        details = kwargs.pop(HEARTBEAT_DETAILS_KWARG, None)
        if details is not None:
            task = dataclasses.replace(task, heartbeat_details=str(details))
        context = ActivityContext(
            task,
            self.activity_client,
            worker=self,
            heartbeat_timeout=_seconds(getattr(hosted.meta, "heartbeat_timeout", None)),
            encode_details=converter.dumps,
            decode_details=converter.loads,
        )
        try:
            with installed_context(context):
                result = hosted.function(*args, **kwargs)
        except (CancellationError, CancelledError) as exc:
            self._respond_canceled(task, str(exc) or None)
            return
        except Exception as exc:
            log.info("activity %s (id %s) raised %s", task.name, task.activity_id, _reason(exc))
            self._respond_failed(task, _reason(exc), _encode_error(converter, exc))
            return
        finally:
            context.close()
        if getattr(hosted.meta, "manual", False):
            # Completed later through the task token by other code.
            return
        self._respond_completed(task, converter, result)

    def _respond_completed(self, task: ActivityTask, converter: Any, result: Any) -> None:
        try:
            payload = converter.dumps(result)
        except Exception as exc:
            self._respond_failed(
                task,
                _reason(exc, f"result of activity {task.name} cannot be encoded"),
                _encode_error(converter, exc),
            )
            return
        if len(payload) > MAX_DATA_SIZE:
            error = PayloadTooLargeError(
                "result", len(payload), MAX_DATA_SIZE, f"activity {task.name}"
            )
            self._respond_failed(task, _reason(error), _encode_error(converter, error))
            return
        self._respond("respond_activity_task_completed", task, result=payload)

    def _respond_failed(self, task: ActivityTask, reason: str, details: str | None) -> None:
        kwargs: dict[str, Any] = {"reason": reason[:MAX_REASON_SIZE]}
        if details is not None:
            kwargs["details"] = details
        self._respond("respond_activity_task_failed", task, **kwargs)

    def _respond_canceled(self, task: ActivityTask, details: str | None) -> None:
        kwargs: dict[str, Any] = {}
        if details is not None:
            kwargs["details"] = details[:MAX_DATA_SIZE]
        self._respond("respond_activity_task_canceled", task, **kwargs)

    def _respond(self, method: str, task: ActivityTask, **kwargs: Any) -> None:
        try:
            getattr(self.activity_client, method)(taskToken=task.token, **kwargs)
        except Exception as exc:
            if is_unknown_resource(exc):
                log.info(
                    "activity task %s (%s) is gone (timed out, canceled or its workflow closed); "
                    "%s not recorded: %s",
                    task.activity_id,
                    task.name,
                    method,
                    exc,
                )
                return
            log.error(
                "could not answer activity task %s (%s) with %s: %s; it will time out",
                task.activity_id,
                task.name,
                method,
                exc,
            )


def _host(activity_objects: tuple[Any, ...]) -> dict[TypeKey, HostedActivity]:
    hosted: dict[TypeKey, HostedActivity] = {}
    for obj in activity_objects:
        for key, meta in collect_activities(obj).items():
            if key in hosted:
                raise ValueError(
                    f"activity {key[0]!r} version {key[1]!r} is declared twice "
                    f"(by {obj!r} and an earlier object): give one a new name or version"
                )
            hosted[key] = HostedActivity(meta, meta.bind(obj), _converter_of(meta))
    if not hosted:
        raise ValueError(
            "ActivityWorker needs at least one object with @activity methods, got "
            f"{activity_objects!r}"
        )
    return hosted


def _converter_of(meta: Any) -> Any:
    converter = getattr(meta, "data_converter", None)
    return converter if converter is not None else _default_converter()


def _default_converter() -> Any:
    from botoflowx.converter import default_converter

    return default_converter()


def _decode_input(converter: Any, payload: str | None) -> tuple[list[Any], dict[str, Any]]:
    if not payload:
        return [], {}
    decoded = converter.loads(payload)
    if (
        not isinstance(decoded, (list, tuple))
        or len(decoded) != 2
        or not isinstance(decoded[1], dict)
    ):
        raise ValueError(f"expected [args, kwargs], got {type(decoded).__name__}")
    args, kwargs = decoded
    return list(args), dict(kwargs)


def _reason(exc: BaseException, prefix: str = "") -> str:
    text = f"{type(exc).__name__}: {exc}"
    if prefix:
        text = f"{prefix}: {text}"
    return text[:MAX_REASON_SIZE]


def _encode_error(converter: Any, exc: BaseException) -> str | None:
    """``converter.dumps(exc)`` within SWF's size limit, degrading rather than failing.

    A huge traceback is dropped first (the type and message are what the
    workflow needs); if even that does not fit, a short stand-in is sent.
    """
    try:
        details = converter.dumps(exc)
        if len(details) <= MAX_DATA_SIZE:
            return str(details)
        details = converter.dumps(exc.with_traceback(None))
        if len(details) <= MAX_DATA_SIZE:
            return str(details)
    except Exception:
        log.warning("could not encode %s as failure details", type(exc).__name__, exc_info=True)
    try:
        return str(converter.dumps(RuntimeError(_reason(exc))))
    except Exception:
        return None


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        # "NONE" or another non-number means no heartbeat timeout.
        return None
