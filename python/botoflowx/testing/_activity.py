"""ActivityEnvironment: run activity code directly, under a context that records heartbeats."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from botoflowx.activity._context import ActivityContext, ActivityTask, installed_context
from botoflowx.activity._meta import ActivityMeta, ActivityMethod
from botoflowx.exceptions import CancellationError
from botoflowx.workflow._context import WorkflowExecution

__all__ = ["ActivityEnvironment", "TestActivityContext"]

DEFAULT_WORKFLOW_EXECUTION = WorkflowExecution("test-workflow-id", "test-run-id")


class TestActivityContext(ActivityContext):
    """The :class:`~botoflowx.activity.ActivityContext` an :class:`ActivityEnvironment` installs.

    It has the real context's interface (``task``, ``workflow_execution``,
    ``cancel_requested``, ``heartbeat``, ``close``) and checks heartbeat details
    the same way (encoded with the data converter, at most 2,048 characters),
    but talks to no server: every heartbeat is recorded, none is throttled, and
    cancellation comes from :meth:`ActivityEnvironment.cancel`.
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(
        self,
        environment: ActivityEnvironment,
        task: ActivityTask,
        *,
        heartbeat_timeout: float | None,
        encode_details: Callable[[Any], str] | None,
    ) -> None:
        super().__init__(
            task, None, heartbeat_timeout=heartbeat_timeout, encode_details=encode_details
        )
        self._environment = environment
        self._cancel_delivered = False

    @property
    def cancel_requested(self) -> bool:
        """True once a heartbeat has told the activity about a cancellation.

        As with SWF, the activity learns of :meth:`ActivityEnvironment.cancel`
        through its next heartbeat.
        """
        return self._cancel_delivered

    def heartbeat(self, details: Any = None) -> None:
        """Record a heartbeat; raise CancellationError once the environment was canceled.

        The heartbeat that discovers the cancellation is recorded (SWF received it
        and answered ``cancelRequested``); later ones raise before being sent, as
        the real context does.

        Raises:
            CancellationError: :meth:`ActivityEnvironment.cancel` was called.
            ValueError: the encoded details are longer than 2,048 characters.
        """
        self._encode_details(details)  # the real context's checks, same errors
        if self._cancel_delivered:
            raise _cancellation(self.task)
        self._environment._record_heartbeat(details)
        if self._environment.cancel_requested:
            self._cancel_delivered = True
            raise _cancellation(self.task)


class ActivityEnvironment:
    """Run an activity's code directly, as a worker would, without a server.

    The code runs on the calling thread with a :class:`TestActivityContext`
    installed where ``botoflowx.get_context()`` finds it, so ``heartbeat()``
    and ``task`` work as in a worker. Like Temporal's ``ActivityEnvironment``.

    Example::

        env = ActivityEnvironment()
        assert env.run(FileActivities().copy, "a", "b") == 2
        assert env.heartbeats == ["copied a", "copied b"]

        env = ActivityEnvironment(on_heartbeat=lambda details: env.cancel())
        with pytest.raises(CancellationError):
            env.run(FileActivities().copy, "a", "b")

    Args:
        activity_id: the ``activity_id`` of the task the code sees.
        workflow_execution: the ``(workflow_id, run_id)`` the task belongs to.
        task_token: the task token (default: a fresh random one), for manual
            activities that hand their token to someone else.
        data_converter: encodes non-string heartbeat details, as the activity's
            converter would (default: the activity's own, else the default one).
        on_heartbeat: called with the details of each heartbeat, on the
            activity's thread, after it was recorded; it may call :meth:`cancel`.

    Attributes:
        heartbeats: the details of every heartbeat so far, oldest first, as the
            activity passed them (not encoded).
    """

    def __init__(
        self,
        *,
        activity_id: str = "1",
        workflow_execution: WorkflowExecution = DEFAULT_WORKFLOW_EXECUTION,
        task_token: str | None = None,
        data_converter: Any = None,
        on_heartbeat: Callable[[Any], None] | None = None,
    ) -> None:
        self.activity_id = activity_id
        self.workflow_execution = workflow_execution
        self.task_token = task_token or f"test-task-token-{uuid.uuid4().hex}"
        self.data_converter = data_converter
        self.on_heartbeat = on_heartbeat
        self.heartbeats: list[Any] = []
        self._canceled = threading.Event()
        self._lock = threading.Lock()
        self._context: TestActivityContext | None = None

    @property
    def cancel_requested(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._canceled.is_set()

    @property
    def context(self) -> TestActivityContext | None:
        """The context of the latest :meth:`run` (None before the first)."""
        return self._context

    def cancel(self) -> None:
        """Request cancellation: the activity's next heartbeat raises CancellationError.

        Safe to call from any thread, before or during :meth:`run`.
        """
        self._canceled.set()

    def run(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Call ``function(*args, **kwargs)`` as activity code and return its result.

        ``function`` is usually an ``@activity`` method of an activities object
        (``Acts().square``; outside a workflow that is the plain method); its
        declared name, version, heartbeat timeout and data converter then shape
        the task and context. Any other callable works too. The arguments are
        passed as they are (not through the converter); ``task.input`` holds
        their encoding when the converter can encode them, else None.

        Returns:
            What the function returned.

        Raises:
            Exception: whatever the function raised, unchanged (a canceled
                activity raises CancellationError, which a worker would report
                as ``RespondActivityTaskCanceled``).
        """
        meta = _activity_meta(function)
        converter = self.data_converter
        if converter is None and meta is not None:
            converter = meta.data_converter
        if converter is None:
            from botoflowx.converter import default_converter

            converter = default_converter()
        name = meta.name if meta is not None else _callable_name(function)
        task = ActivityTask(
            activity_id=self.activity_id,
            name=name,
            version=meta.version if meta is not None else "test",
            input=_encode_input(converter, args, kwargs),
            token=self.task_token,
            started_event_id=0,
            workflow_execution=self.workflow_execution,
        )
        context = TestActivityContext(
            self,
            task,
            heartbeat_timeout=None if meta is None else _seconds(meta.heartbeat_timeout),
            encode_details=converter.dumps,
        )
        self._context = context
        try:
            with installed_context(context):
                return function(*args, **kwargs)
        finally:
            context.close()

    def _record_heartbeat(self, details: Any) -> None:
        with self._lock:
            self.heartbeats.append(details)
        if self.on_heartbeat is not None:
            self.on_heartbeat(details)


def _activity_meta(function: Callable[..., Any]) -> ActivityMeta | None:
    """Find the ``@activity`` declaration behind a bound method, if there is one."""
    owner = getattr(function, "__self__", None)
    name = getattr(function, "__name__", None)
    if owner is None or name is None:
        return None
    cls = owner if isinstance(owner, type) else type(owner)
    for klass in cls.__mro__:
        attribute = vars(klass).get(name)
        if isinstance(attribute, ActivityMethod):
            return attribute.meta_for(cls)
    return None


def _encode_input(converter: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    # Only for code that reads ``task.input``: unit tests often pass fakes the
    # converter cannot encode, and the call itself gets the objects as they are.
    try:
        return str(converter.dumps([list(args), dict(kwargs)]))
    except Exception:
        return None


def _callable_name(function: Callable[..., Any]) -> str:
    return str(getattr(function, "__qualname__", None) or getattr(function, "__name__", "activity"))


def _seconds(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _cancellation(task: ActivityTask) -> CancellationError:
    return CancellationError(
        f"activity {task.name!r} (id {task.activity_id}) was asked to stop: "
        "ActivityEnvironment.cancel() was called"
    )
