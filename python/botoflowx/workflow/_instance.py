"""WorkflowInstance: runs one workflow run's code, one activation in, its commands out."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from types import MethodType
from typing import Any, Protocol

import orjson

from botoflowx._replay import plain_call_json
from botoflowx.constants import MAX_DATA_SIZE, MAX_REASON_SIZE
from botoflowx.converter import _ESCAPE_NEEDLE, _TAG_NEEDLE
from botoflowx.exceptions import (
    ActivityTaskCanceledError,
    ActivityTaskFailedError,
    ActivityTaskTimedOutError,
    CancelledError,
    ChildWorkflowCanceledError,
    ChildWorkflowFailedError,
    ChildWorkflowTerminatedError,
    ChildWorkflowTimedOutError,
    NonDeterminismError,
    PayloadTooLargeError,
    RequestCancelExternalWorkflowExecutionFailedError,
    ScheduleActivityTaskFailedError,
    SignalExternalWorkflowExecutionFailedError,
    StartChildWorkflowExecutionFailedError,
    StartTimerFailedError,
)
from botoflowx.workflow import _convert
from botoflowx.workflow._commands import (
    Command,
    DeferredCommand,
    caller_location,
    function_location,
    make_command,
)
from botoflowx.workflow._context import (
    DecisionContext,
    WorkflowExecution,
    WorkflowRuntime,
    _peek_context,
    set_context,
)
from botoflowx.workflow._coroutines import Task, start_coroutine
from botoflowx.workflow._definition import ExecuteMeta, WorkflowDefinition
from botoflowx.workflow._futures import _FINISHED, _PENDING, Future
from botoflowx.workflow._handles import ActivityFuture, ChildWorkflowFuture, TimerFuture
from botoflowx.workflow._loop import WorkflowLoop
from botoflowx.workflow._options import (
    activity_options_stack,
    current_activity_options,
    current_workflow_options,
)
from botoflowx.workflow._outbox import Outbox, is_continue_timer
from botoflowx.workflow._start_attributes import carried_over_attributes, child_attributes
from botoflowx.workflow._swf import (
    check_payload,
    format_duration,
    truncate,
)
from botoflowx.workflow._versioning import patch_marker_name

__all__ = ["Command", "WorkflowInstance"]

log = logging.getLogger("botoflowx.workflow")


class _Job(Protocol):
    kind: str
    event_id: int
    key: str
    name: str | None
    payload: str | None
    reason: str | None
    details: str | None
    cause: str | None
    workflow_id: str | None
    run_id: str | None


class _Activation(Protocol):
    time: float
    is_replaying: bool
    # The id of the boundary's DecisionTaskStarted event: the history size.
    started_event_id: int

    # Read-only, so the replay core's tuples and a test double's lists both fit.
    @property
    def jobs(self) -> Sequence[Any]: ...
    @property
    def recorded_markers(self) -> Sequence[tuple[str, str | None]]: ...


_NO_MARKERS: frozenset[str] = frozenset()
_TASK_WAKEUP = Task._wakeup
# The job kinds that may be about the outbox's continue timers.
_TIMER_KINDS = frozenset({"timer_fired", "start_timer_failed"})
_HANDLER_PREFIX = "_apply_"
# Per WorkflowInstance class: job kind -> its ``_apply_<kind>`` method.
_HANDLERS: dict[type, dict[str, Callable[[Any, Any], None]]] = {}


def _job_handlers(cls: type) -> dict[str, Callable[[Any, Any], None]]:
    # A table instead of getattr(self, f"_apply_{kind}") per job: a full replay
    # dispatches thousands of jobs.
    handlers = _HANDLERS.get(cls)
    if handlers is None:
        handlers = _HANDLERS[cls] = {
            name[len(_HANDLER_PREFIX) :]: getattr(cls, name)
            for name in dir(cls)
            if name.startswith(_HANDLER_PREFIX)
        }
    return handlers


class WorkflowInstance(WorkflowRuntime):
    """The engine of one workflow run: a definition object and its deterministic loop.

    ``activate`` applies one activation's jobs in order, runs the workflow code until
    every coroutine waits, and returns the commands produced, in order. Nothing here reads
    the wall clock, starts a thread or draws randomness, so replaying the same activations
    produces the same commands.
    """

    def __init__(
        self,
        definition_cls: type[WorkflowDefinition],
        execute_meta: ExecuteMeta,
        *,
        workflow_id: str,
        run_id: str,
        started: Any,
    ) -> None:
        """Prepare the run; the definition object is created by the workflow_started job.

        Args:
            definition_cls: the WorkflowDefinition subclass.
            execute_meta: the ExecuteMeta of the @execute method to run.
            workflow_id: the run's workflow id.
            run_id: the run's run id.
            started: the run's ``WorkflowStarted`` attributes (from the replay core).
        """
        self._cls = definition_cls
        self._meta = execute_meta
        self._execution = WorkflowExecution(workflow_id, run_id)
        self._started = started
        self._loop = WorkflowLoop()
        self._decision_context = DecisionContext(self)
        self._time = float(getattr(started, "timestamp", 0.0) or 0.0)
        self._replaying = False
        self._counter = 0
        self._outbox = Outbox(lambda: function_location(self._meta.func))
        self._emit_ordinary = self._outbox.emit_ordinary
        self._history_length = 0
        # change id -> the answer patched() gave; one answer per run, as on first call.
        self._patches: dict[str, bool] = {}
        self._recorded_markers: frozenset[str] = frozenset()
        self._definition: WorkflowDefinition | None = None
        self._main: Future[Any] | None = None
        self._activities: dict[str, ActivityFuture] = {}
        self._timers: dict[str, TimerFuture] = {}
        self._cancelled_timers: set[str] = set()
        self._children: dict[str, ChildWorkflowFuture] = {}
        self._external: dict[str, tuple[Future[None], str, str | None]] = {}
        self._signals_out: dict[str, tuple[Future[None], str, str | None]] = {}
        self._cancel_details: str | None = None
        self._self_cancelled = False
        self._continue_as_new: dict[str, Any] | None = None
        self._close: Command | None = None
        self._close_queued = False
        self.closed = False
        self._handlers = _job_handlers(type(self))

    # -- the decider's interface ---------------------------------------------------------

    @property
    def execution_context(self) -> str | None:
        """The workflow's ``workflow_state`` (sent as executionContext), None when unset."""
        return self._definition.workflow_state if self._definition is not None else None

    def activate(self, activation: _Activation) -> list[Command]:
        """Apply ``activation`` and return the commands the workflow code produced.

        Errors raised by workflow code never escape: they fail the workflow
        (FailWorkflowExecution) or are delivered to the code that waits for them.

        At most 99 commands (and about 900 KB of decisions) come out of one activation;
        the rest are held back behind a zero-second timer with a reserved id and come
        out first in the activation where it fires (see ``_outbox``).

        Raises:
            NonDeterminismError: a job names an activity, timer or child this run never
                started (the history does not belong to this code).
            ValueError: a job has a kind the engine does not know (a replay-core bug).
        """
        with self.running():
            return self.apply(activation)

    def running(self) -> _Running:
        """Make this run's context and loop current on this thread for the ``with`` block.

        Inside it, :meth:`apply` does what :meth:`activate` does. The decider enters it
        once per decision task rather than once per activation: a full replay goes
        through thousands of activations, and each thread-local set costs about as much
        as a Python call.
        """
        return _Running(self)

    def apply(self, activation: _Activation) -> list[Command]:
        """:meth:`activate`, inside ``with`` :meth:`running`."""
        self._time = activation.time
        self._replaying = activation.is_replaying
        self._history_length = activation.started_event_id
        markers = activation.recorded_markers
        self._recorded_markers = frozenset(name for name, _ in markers) if markers else _NO_MARKERS
        loop = self._loop
        handlers = self._handlers
        for job in activation.jobs:
            # The dispatch of each job, inline: a full replay goes through thousands.
            kind = job.kind
            handler = handlers.get(kind)
            if handler is None:
                raise ValueError(
                    f"unrecognized activation job kind {kind!r} (event {job.event_id})"
                )
            if kind in _TIMER_KINDS and is_continue_timer(job.key):
                self._apply_continue_timer(job)
            elif self._close is not None and kind != "close_failed":
                # The run's outcome is decided; events that raced with the close
                # decision are answered by re-sending the close when SWF reports it
                # failed.
                log.debug("workflow %s is closing; ignoring %s", self._execution, kind)
            else:
                handler(self, job)
            # Run the loop until idle after each job. Its queue is read directly, as
            # _apply_activity_completed does: a job usually leaves it empty.
            if loop._ready:
                loop.run_ready()
        close = self._close
        if close is not None:
            if not self._close_queued:
                # The close decision goes last: SWF rejects a response with decisions
                # after it.
                self._outbox.emit(close)
                self._close_queued = True
            commands = self._outbox.take_batch()
            if any(command is close for command in commands):
                self.closed = True
        else:
            commands = self._outbox.take_batch()
        if self.closed:
            # The outcome is decided: close the coroutines still waiting now, inside the
            # workflow context, rather than leave them to the garbage collector.
            self.close()
        return commands

    def close(self) -> None:
        """Discard the run's unfinished coroutines; call it when dropping the instance.

        Their ``finally`` blocks run with the workflow context set, so activity calls in
        them only produce commands, which are dropped; the code of an activity never runs
        in the decider. Safe to call more than once; the instance must not be activated
        afterwards unless it already closed (close_failed re-sends the close decision).
        """
        try:
            with self.running():
                for task in self._loop.tasks():
                    task.discard()
            # Callbacks of the futures the discarded tasks completed must not run later.
            self._loop.clear()
        finally:
            self._outbox.clear()

    # -- WorkflowRuntime ------------------------------------------------------------------

    @property
    def workflow_execution(self) -> WorkflowExecution:
        """The run's ``(workflow_id, run_id)``."""
        return self._execution

    @property
    def workflow_instance(self) -> WorkflowDefinition:
        """The running WorkflowDefinition object."""
        if self._definition is None:
            raise RuntimeError("the workflow object is created by the workflow_started job")
        return self._definition

    def now(self) -> float:
        """The workflow clock: epoch seconds of the current decision task's start."""
        return self._time

    def is_replaying(self) -> bool:
        """True while the decisions being produced are already in the history."""
        return self._replaying

    def sleep(self, seconds: float) -> TimerFuture:
        """Start a timer of ``ceil(seconds)`` seconds; see ``workflow_time.sleep``."""
        duration = format_duration(seconds, "workflow_time.sleep(seconds)")
        if duration is None or duration == "NONE":
            raise TypeError(f"workflow_time.sleep() needs a number of seconds, got {seconds!r}")
        timer_id = self._next_id()
        command = make_command(
            "StartTimer",
            {"timerId": timer_id, "startToFireTimeout": duration},
            key=timer_id,
            location=caller_location(),
        )
        self._emit(command)
        future = TimerFuture(self, timer_id, command)
        self._timers[timer_id] = future
        return future

    def schedule_activity(
        self,
        meta: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        location: str | None = None,
    ) -> ActivityFuture:
        """Emit ScheduleActivityTask for ``meta`` (with activity_options applied)."""
        if activity_options_stack.get():
            meta = meta.with_overrides(current_activity_options())
        plan = meta.schedule_plan
        # _convert.dumps() with the plan's converter, inlined; an input of JSON
        # scalars is written in one call when the converter is the default one.
        payload = plain_call_json(args, kwargs) if plan.default_json else None
        if payload is None:
            converter = plan.converter
            if plan.takes_context:
                payload = converter.dumps([[*args], {**kwargs}], context=plan.input_context)
            else:
                payload = converter.dumps([[*args], {**kwargs}])
        if len(payload) > MAX_DATA_SIZE:
            check_payload(payload, "input", plan.what)
        # _next_id() and check_options(), inlined (once per activity call of a replay).
        self._counter += 1
        activity_id = str(self._counter)
        if plan.options is None:
            plan.check_options()
        # The decision is made only if it is sent: a replay matches most commands and
        # drops them.
        if location is None:
            location = caller_location()
        command = DeferredCommand(
            "ScheduleActivityTask", activity_id, meta.name, location, plan, payload
        )
        self._emit_ordinary(command)
        future = ActivityFuture(self, activity_id, meta, plan, command)
        self._activities[activity_id] = future
        return future

    def call_execute(
        self,
        definition_cls: type[WorkflowDefinition],
        target: WorkflowDefinition | None,
        meta: ExecuteMeta,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Continue as new (own @execute) or start a child (another definition's)."""
        if target is self._definition or (target is None and definition_cls is self._cls):
            self._request_continue_as_new(meta, args, kwargs)
            return None
        return self._start_child(definition_cls, meta, args, kwargs)

    def cancel_workflow(self, target: WorkflowDefinition, details: str) -> Future[None] | None:
        """Cancel this run, or request cancellation of another one (e.g. a child's handle).

        For the running object it returns None; for another run it emits
        RequestCancelExternalWorkflowExecution and returns a Future that completes when
        SWF delivered the request (or fails with
        RequestCancelExternalWorkflowExecutionFailedError).
        """
        if target is self._definition:
            if details:
                check_payload(details, "details", "WorkflowDefinition.cancel()")
            self._cancel_details = details or None
            # The run closes as canceled once the @execute method ends, even when it
            # returns right after this call (botoflow's semantics), unless it fails.
            self._self_cancelled = True
            if self._main is not None:
                self._main.cancel()
            return None
        workflow_id, run_id = target.workflow_execution
        if not workflow_id:
            raise ValueError(
                f"{target!r} has no workflow id: only the running workflow and handles of "
                "started runs (e.g. a child) can be cancelled"
            )
        control = self._next_id()
        self._emit(
            make_command(
                "RequestCancelExternalWorkflowExecution",
                {"workflowId": workflow_id, "runId": run_id, "control": control},
                key=control,
                location=caller_location(),
            )
        )
        future: Future[None] = Future(loop=self._loop)
        self._external[control] = (future, workflow_id, run_id)
        return future

    def signal_external(
        self,
        execution: WorkflowExecution,
        signal_name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        data_converter: Any = None,
    ) -> Future[None]:
        """Emit SignalExternalWorkflowExecution to ``execution``.

        Returns:
            A Future that completes with None once SWF delivered the signal, or fails
            with SignalExternalWorkflowExecutionFailedError (e.g. the run is closed or
            unknown).

        Raises:
            ValueError: ``execution`` has no workflow id.
            PayloadTooLargeError: the encoded input is over 32,768 characters.
        """
        workflow_id, run_id = execution
        if not workflow_id:
            raise ValueError(
                f"cannot signal {signal_name!r}: the target has no workflow id (build the "
                "handle from a WorkflowExecution, or use a started child's handle)"
            )
        converter = _convert.resolve_converter(data_converter or self._meta.data_converter)
        what = f"signal {signal_name!r} to workflow {workflow_id}"
        payload = _convert.dumps(converter, [list(args), dict(kwargs)], f"input of {what}")
        check_payload(payload, "input", what)
        control = self._next_id()
        self._emit(
            make_command(
                "SignalExternalWorkflowExecution",
                {
                    "workflowId": workflow_id,
                    "runId": run_id,
                    "signalName": signal_name,
                    "input": payload,
                    "control": control,
                },
                key=control,
                name=signal_name,
                location=caller_location(),
            )
        )
        future: Future[None] = Future(loop=self._loop)
        self._signals_out[control] = (future, workflow_id, run_id)
        return future

    def patched(self, change_id: str) -> bool:
        """Answer whether this run takes the new branch of ``change_id``; see ``patched()``.

        A run deciding live records a marker and takes the new branch; a replay takes
        the new branch only when the marker was recorded at the same point. The first
        answer is kept for the rest of the run.
        """
        marker = patch_marker_name(change_id)
        answer = self._patches.get(change_id)
        if answer is not None:
            return answer
        answer = marker in self._recorded_markers if self._replaying else True
        self._patches[change_id] = answer
        if answer:
            self._emit_patch_marker(marker, change_id)
        return answer

    def deprecate_patch(self, change_id: str) -> None:
        """Keep runs that recorded ``change_id``'s marker replaying; see ``deprecate_patch()``.

        The marker is recorded when deciding live and matched when the history has it,
        so runs started before and after the deprecation both replay.
        """
        marker = patch_marker_name(change_id)
        if change_id in self._patches:
            return
        self._patches[change_id] = True
        if not self._replaying or marker in self._recorded_markers:
            self._emit_patch_marker(marker, change_id)

    def history_length(self) -> int:
        """The id of the current decision task's DecisionTaskStarted event."""
        return self._history_length

    def _emit_patch_marker(self, marker: str, change_id: str) -> None:
        # Urgent: recorded at this very boundary even when other commands are held back,
        # since a replay looks for it among this boundary's markers.
        self._outbox.emit(
            make_command(
                "RecordMarker",
                {"markerName": marker, "details": change_id},
                key=marker,
                location=caller_location(),
            ),
            urgent=True,
        )

    # -- ids and command bookkeeping -------------------------------------------------------

    def _next_id(self) -> str:
        self._counter += 1
        return str(self._counter)

    def _emit(self, command: Command) -> None:
        self._outbox.emit(command)

    def _withdraw(self, command: Command) -> bool:
        # A command still in the outbox has not been sent (or matched) yet.
        return self._outbox.withdraw(command)

    def _apply_continue_timer(self, job: _Job) -> None:
        if not self._outbox.release(job.key):
            raise self._unknown(job, "continue timer")
        if job.kind == "start_timer_failed":
            # Still a new decision task: the held-back commands go out in it regardless.
            log.warning(
                "workflow %s: continue timer %s failed (%s); releasing held commands anyway",
                self._execution,
                job.key,
                job.cause,
            )

    def _forget_activity(self, activity_id: str) -> None:
        self._activities.pop(activity_id, None)

    def _forget_timer(self, timer_id: str) -> None:
        self._timers.pop(timer_id, None)
        self._cancelled_timers.add(timer_id)

    def _unknown(self, job: _Job, what: str) -> BaseException:
        message = (
            f"history event {job.event_id} ({job.kind}) is about {what} {job.key!r}, which this "
            f"workflow code never started: the code of {self._meta.name} {self._meta.version} "
            "no longer matches the history of this run"
        )
        error = NonDeterminismError(message)
        try:
            error.event_id = job.event_id  # type: ignore[attr-defined]
            error.location = ""  # type: ignore[attr-defined]
        except AttributeError:  # the replay core's class may not allow it
            pass
        return error

    # -- jobs: the run ---------------------------------------------------------------------

    def _apply_workflow_started(self, job: _Job) -> None:
        converter = _convert.resolve_converter(self._meta.data_converter)
        try:
            args, kwargs = self._decode_input(converter, job.payload)
            self._definition = self._cls(self._execution)
        except Exception as exc:
            self._fail(exc, function_location(self._meta.func))
            return
        assert self._meta.func is not None
        body = functools.partial(self._meta.func, self._definition)
        functools.update_wrapper(body, self._meta.func)
        self._main = start_coroutine(body, tuple(args), kwargs)
        self._main.add_done_callback(self._on_main_done)

    def _decode_input(
        self, converter: Any, payload: str | None
    ) -> tuple[list[Any], dict[str, Any]]:
        what = f"input of workflow {self._meta.name} {self._meta.version}"
        if payload is None or payload == "":
            return [], {}
        value = _convert.loads(converter, payload, what)
        # botoflow accepted a bare dict as keyword arguments (starters in other languages).
        if isinstance(value, dict):
            return [], value
        if (
            isinstance(value, (list, tuple))
            and len(value) == 2
            and isinstance(value[0], (list, tuple))
            and isinstance(value[1], dict)
        ):
            return list(value[0]), dict(value[1])
        raise TypeError(
            f"the {what} must be [args, kwargs] (or a dict of keyword arguments), got "
            f"{type(value).__name__}"
        )

    def _apply_cancel_requested(self, job: _Job) -> None:
        if self._main is not None and not self._main.done():
            self._main.cancel(f"cancellation of workflow {self._execution.workflow_id} requested")

    def _apply_signaled(self, job: _Job) -> None:
        assert self._definition is not None
        signal_meta = self._cls.__signals__.get(job.name or "")
        if signal_meta is None:
            # Not a poison pill: an unknown signal is logged and dropped, the run goes on.
            log.warning(
                "workflow %s received signal %r (event %d) but %s has no @signal handler "
                "for it; it is ignored (known signals: %s)",
                self._execution,
                job.name,
                job.event_id,
                self._cls.__qualname__,
                sorted(self._cls.__signals__) or "none",
            )
            return
        converter = _convert.resolve_converter(self._meta.data_converter)
        handler = getattr(self._definition, signal_meta.method_name)
        try:
            args, kwargs = self._decode_input(converter, job.payload)
        except Exception as exc:
            self._fail(exc, function_location(handler))
            return
        future = start_coroutine(handler, tuple(args), kwargs)
        future.add_done_callback(functools.partial(self._on_signal_done, handler))

    def _on_signal_done(self, handler: Any, future: Future[Any]) -> None:
        error = future._exception
        future._mark_retrieved()
        if error is not None and not future.cancelled():
            # A signal the code cannot handle is a workflow bug: fail visibly rather than
            # drop the signal or poison the decision task.
            self._fail(error, function_location(handler))

    def _apply_close_failed(self, job: _Job) -> None:
        if self._close is None:
            raise self._unknown(job, "a close decision")
        log.info(
            "workflow %s: %s failed (%s); sending it again",
            self._execution,
            job.name,
            job.cause,
        )
        self._emit(self._close)

    # -- jobs: activities ----------------------------------------------------------------

    def _activity(self, job: _Job) -> ActivityFuture:
        future = self._activities.pop(job.key, None)
        if future is None:
            raise self._unknown(job, "activity")
        return future

    def _apply_activity_completed(self, job: _Job) -> None:
        # _activity() and done(), inlined: one job per activity of a replayed history.
        future = self._activities.pop(job.key, None)
        if future is None:
            raise self._unknown(job, "activity")
        if future._state != _PENDING:
            return
        payload = job.payload
        try:
            if payload is None:
                value = None
            else:
                # _convert.loads() with the plan's converter (the future's), inlined;
                # and the default converter's fast path too (JSONDataConverter.loads'
                # own test for a payload orjson reads exactly, its needles).
                plan = future._plan
                converter: Any = plan.converter
                if (
                    plan.default_json
                    and _TAG_NEEDLE not in payload
                    and _ESCAPE_NEEDLE not in payload
                ):
                    try:
                        value = orjson.loads(payload)
                    except orjson.JSONDecodeError:
                        # The converter says what is wrong with it.
                        value = converter.loads(payload, context=plan.result_context)
                elif plan.takes_context:
                    value = converter.loads(payload, context=plan.result_context)
                else:
                    value = converter.loads(payload)
        except Exception as exc:
            future.set_exception(exc)
            return
        callbacks = future._callbacks
        loop = self._loop
        if len(callbacks) != 1 or loop._ready:
            future.set_result(value)
            return
        # The usual case: one waiter (a task's wakeup) and nothing else ready. apply()
        # applies a job with the ready queue empty and runs it right after, so
        # set_result's call_soon would make this callback the next thing run: running it
        # here, as run_ready would, skips a round trip through the queue per activity of
        # a replay.
        future._result = value
        future._state = _FINISHED
        future._callbacks = []
        callback = callbacks[0]
        try:
            if type(callback) is MethodType and callback.__func__ is _TASK_WAKEUP:
                # Task._wakeup of a result, inlined: one call less per activity.
                task: Task = callback.__self__  # type: ignore[assignment]
                task._waiting_on = None
                task._step(value, None)
            else:
                callback(future)
        except Exception:
            log.exception("a workflow loop callback %r raised", callback)

    def _apply_activity_failed(self, job: _Job) -> None:
        future = self._activity(job)
        if future.done():
            return
        cause: BaseException | None = None
        if job.details:
            try:
                decoded = _convert.loads(
                    future.converter, job.details, f"failure details of activity {future.meta.name}"
                )
            except Exception:
                log.debug("details of failed activity %s are not converter output", job.key)
            else:
                cause = decoded if isinstance(decoded, BaseException) else None
        future.set_exception(
            ActivityTaskFailedError(
                cause,
                reason=job.reason,
                details=job.details,
                remote_traceback=_convert.remote_traceback(cause) if cause is not None else None,
                activity_type=future.meta.name,
                activity_id=job.key,
                event_id=job.event_id,
            )
        )

    def _apply_activity_timed_out(self, job: _Job) -> None:
        future = self._activity(job)
        if not future.done():
            future.set_exception(
                ActivityTaskTimedOutError(
                    job.cause,
                    job.details,
                    activity_type=future.meta.name,
                    activity_id=job.key,
                    event_id=job.event_id,
                )
            )

    def _apply_activity_canceled(self, job: _Job) -> None:
        future = self._activity(job)
        if not future.done():
            future._set_cancelled(
                ActivityTaskCanceledError(
                    job.details,
                    activity_type=future.meta.name,
                    activity_id=job.key,
                    event_id=job.event_id,
                )
            )

    def _apply_schedule_activity_failed(self, job: _Job) -> None:
        future = self._activity(job)
        if not future.done():
            future.set_exception(
                ScheduleActivityTaskFailedError(
                    job.cause,
                    activity_type=future.meta.name,
                    activity_id=job.key,
                    event_id=job.event_id,
                )
            )

    def _apply_request_cancel_activity_failed(self, job: _Job) -> None:
        # Usually ACTIVITY_ID_UNKNOWN: the activity ended before the request arrived, and
        # its outcome reaches the future through its own event.
        log.info(
            "workflow %s: cancel request for activity %s failed: %s",
            self._execution,
            job.key,
            job.cause,
        )

    # -- jobs: timers ------------------------------------------------------------------------

    def _timer(self, job: _Job) -> TimerFuture | None:
        future = self._timers.pop(job.key, None)
        if future is None and job.key not in self._cancelled_timers:
            raise self._unknown(job, "timer")
        return future

    def _apply_timer_fired(self, job: _Job) -> None:
        future = self._timer(job)
        if future is not None and not future.done():
            future.set_result(None)

    def _apply_start_timer_failed(self, job: _Job) -> None:
        future = self._timer(job)
        if future is not None and not future.done():
            future.set_exception(
                StartTimerFailedError(job.cause, timer_id=job.key, event_id=job.event_id)
            )

    def _apply_cancel_timer_failed(self, job: _Job) -> None:
        # The timer fired before the cancel arrived; the future was already cancelled.
        log.debug("workflow %s: CancelTimer %s failed: %s", self._execution, job.key, job.cause)

    # -- jobs: children ------------------------------------------------------------------------

    def _child(self, job: _Job) -> ChildWorkflowFuture:
        future = self._children.get(job.key)
        if future is None:
            raise self._unknown(job, "child workflow")
        return future

    def _apply_child_started(self, job: _Job) -> None:
        future = self._child(job)
        try:
            handle = future.definition_cls(WorkflowExecution(job.key, job.run_id))
        except Exception as exc:
            future.set_exception(exc)
            return
        handle._workflow_result = future.result_future
        future.handle = handle
        if future.cancelled():
            # The code gave up on the child while its start was in flight: now that it
            # runs, ask it to cancel (its outcome still reaches result_future).
            self.cancel_workflow(handle, "")
            return
        future.set_result(handle)

    def _apply_start_child_failed(self, job: _Job) -> None:
        future = self._children.pop(job.key, None)
        if future is None:
            raise self._unknown(job, "child workflow")
        error = StartChildWorkflowExecutionFailedError(
            workflow_id=job.key,
            workflow_type=job.name or "",
            reason=job.cause,
            cause=job.cause,
            event_id=job.event_id,
        )
        if not future.done():
            future.set_exception(error)
        if not future.result_future.done():
            future.result_future.set_exception(error)
            future.result_future._mark_retrieved()

    def _child_result(self, job: _Job) -> ChildWorkflowFuture | None:
        future = self._children.pop(job.key, None)
        if future is None:
            raise self._unknown(job, "child workflow")
        if future.result_future.done():
            # The code cancelled its wait for the result; the outcome has no one to go to.
            log.debug("workflow %s: child %s closed (%s)", self._execution, job.key, job.kind)
            return None
        return future

    @staticmethod
    def _child_error_kwargs(future: ChildWorkflowFuture, job: _Job) -> dict[str, Any]:
        return {
            "workflow_id": job.key,
            "run_id": job.run_id,
            "workflow_type": future.workflow_type,
            "event_id": job.event_id,
        }

    def _apply_child_completed(self, job: _Job) -> None:
        future = self._child_result(job)
        if future is None:
            return
        try:
            value = (
                None
                if job.payload is None
                else _convert.loads(future.converter, job.payload, f"result of child {job.key}")
            )
        except Exception as exc:
            future.result_future.set_exception(exc)
        else:
            future.result_future.set_result(value)

    def _apply_child_failed(self, job: _Job) -> None:
        future = self._child_result(job)
        if future is None:
            return
        cause: BaseException | None = None
        if job.details:
            try:
                decoded = _convert.loads(
                    future.converter, job.details, f"failure of child {job.key}"
                )
            except Exception:
                decoded = None
            cause = decoded if isinstance(decoded, BaseException) else None
        future.result_future.set_exception(
            ChildWorkflowFailedError(
                reason=job.reason,
                details=job.details,
                cause=cause,
                **self._child_error_kwargs(future, job),
            )
        )

    def _apply_child_timed_out(self, job: _Job) -> None:
        future = self._child_result(job)
        if future is None:
            return
        future.result_future.set_exception(
            ChildWorkflowTimedOutError(
                timeout_type=job.cause, **self._child_error_kwargs(future, job)
            )
        )

    def _apply_child_canceled(self, job: _Job) -> None:
        future = self._child_result(job)
        if future is None:
            return
        future.result_future._set_cancelled(
            ChildWorkflowCanceledError(details=job.details, **self._child_error_kwargs(future, job))
        )

    def _apply_child_terminated(self, job: _Job) -> None:
        future = self._child_result(job)
        if future is None:
            return
        future.result_future.set_exception(
            ChildWorkflowTerminatedError(**self._child_error_kwargs(future, job))
        )

    # -- jobs: requests to other runs ---------------------------------------------------------

    def _external_request(self, job: _Job) -> tuple[Future[None], str, str | None]:
        entry = self._external.pop(job.key, None)
        if entry is None:
            raise self._unknown(job, "external workflow request")
        return entry

    def _apply_external_signaled(self, job: _Job) -> None:
        entry = self._signals_out.pop(job.key, None)
        if entry is None:
            raise self._unknown(job, "external signal")
        if not entry[0].done():
            entry[0].set_result(None)

    def _apply_signal_external_failed(self, job: _Job) -> None:
        entry = self._signals_out.pop(job.key, None)
        if entry is None:
            raise self._unknown(job, "external signal")
        future, workflow_id, run_id = entry
        if not future.done():
            future.set_exception(
                SignalExternalWorkflowExecutionFailedError(
                    workflow_id=job.workflow_id or workflow_id,
                    run_id=job.run_id or run_id,
                    cause=job.cause,
                    event_id=job.event_id,
                )
            )

    def _apply_record_marker_failed(self, job: _Job) -> None:
        # Only patch markers are recorded by the engine; SWF refusing one leaves the
        # branch already taken, and the next replay answers from the (absent) marker, so
        # say it loudly.
        log.error(
            "workflow %s: RecordMarker %s failed (%s); a replay of this run may take the "
            "other branch of the patch",
            self._execution,
            job.key,
            job.cause,
        )

    def _apply_external_cancel_requested(self, job: _Job) -> None:
        future, _, _ = self._external_request(job)
        if not future.done():
            future.set_result(None)

    def _apply_cancel_external_failed(self, job: _Job) -> None:
        future, workflow_id, run_id = self._external_request(job)
        if not future.done():
            future.set_exception(
                RequestCancelExternalWorkflowExecutionFailedError(
                    workflow_id=job.workflow_id or workflow_id,
                    run_id=job.run_id or run_id,
                    cause=job.cause,
                    event_id=job.event_id,
                )
            )

    # -- children and continue-as-new ----------------------------------------------------------

    def _request_continue_as_new(
        self, meta: ExecuteMeta, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        options = current_workflow_options()
        converter = _convert.resolve_converter(options.get("data_converter", meta.data_converter))
        what = f"workflow {meta.name} {meta.version} (continue-as-new)"
        payload = _convert.dumps(converter, [list(args), dict(kwargs)], f"input of {what}")
        check_payload(payload, "input", what)
        attributes = carried_over_attributes(meta, options, self._started)
        attributes["input"] = payload
        attributes["workflowTypeVersion"] = options.get("version", meta.version)
        attributes["lambdaRole"] = getattr(self._started, "lambda_role", None)
        self._continue_as_new = {"attributes": attributes, "location": caller_location()}

    def _default_child_id(self, number: str) -> str:
        # botoflow used "<run id>:<n>", but SWF ids may not contain ':' '/' or '|' and a
        # run id is base64 (with '/'): "<run id, '/' as '_'>.<n>" stays unique per run
        # (base64 has no '_') and valid.
        run_id = (self._execution.run_id or self._execution.workflow_id or "").replace("/", "_")
        return f"{run_id}.{number}"

    def _start_child(
        self,
        definition_cls: type[WorkflowDefinition],
        meta: ExecuteMeta,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> ChildWorkflowFuture:
        options = current_workflow_options()
        converter = _convert.resolve_converter(options.get("data_converter", meta.data_converter))
        name = options.get("name", meta.name)
        version = options.get("version", meta.version)
        what = f"child workflow {name} {version}"
        payload = _convert.dumps(converter, [list(args), dict(kwargs)], f"input of {what}")
        check_payload(payload, "input", what)
        number = self._next_id()
        workflow_id = options.get("workflow_id") or self._default_child_id(number)
        attributes = child_attributes(meta, options)
        attributes.update(
            {
                "workflowType": {"name": name, "version": version},
                "workflowId": workflow_id,
                "input": payload,
            }
        )
        command = make_command(
            "StartChildWorkflowExecution",
            attributes,
            key=workflow_id,
            name=name,
            location=caller_location(),
        )
        self._emit(command)
        future = ChildWorkflowFuture(self, workflow_id, definition_cls, converter, command)
        self._children[workflow_id] = future
        return future

    # -- closing -----------------------------------------------------------------------------

    def _on_main_done(self, main: Future[Any]) -> None:
        location = function_location(self._meta.func)
        error = main._exception
        main._mark_retrieved()
        if self._close is not None:
            return
        if (
            main.cancelled()
            or isinstance(error, CancelledError)
            or (self._self_cancelled and error is None)
        ):
            self._start_cancellation()
        elif error is not None:
            self._fail(error, location)
        elif self._continue_as_new is not None:
            self._set_close(
                make_command(
                    "ContinueAsNewWorkflowExecution",
                    self._continue_as_new["attributes"],
                    location=self._continue_as_new["location"],
                )
            )
        else:
            converter = _convert.resolve_converter(self._meta.data_converter)
            what = f"workflow {self._meta.name} {self._meta.version}"
            try:
                result = _convert.dumps(converter, main._result, f"result of {what}")
                check_payload(result, "result", what)
            except Exception as exc:
                self._fail(exc, location)
                return
            self._set_close(
                make_command("CompleteWorkflowExecution", {"result": result}, location=location)
            )

    def _start_cancellation(self) -> None:
        assert self._definition is not None
        handler = self._definition.cancellation_handler
        future = start_coroutine(handler, (), {})
        future.add_done_callback(self._on_cancellation_handler_done)

    def _on_cancellation_handler_done(self, future: Future[Any]) -> None:
        error = future._exception
        future._mark_retrieved()
        if error is not None and not future.cancelled():
            handler = getattr(self._definition, "cancellation_handler", None)
            self._fail(error, function_location(handler))
            return
        location = function_location(self._meta.func)
        for activity in list(self._activities.values()):
            if self._withdraw(activity._command):
                # Scheduled in this very activation: simply never send it.
                self._forget_activity(activity.activity_id)
                activity._set_cancelled(CancelledError("the workflow was canceled"))
            else:
                activity.request_cancel(location)
        details = self._cancel_details
        if details is not None:
            try:
                check_payload(details, "details", "CancelWorkflowExecution")
            except PayloadTooLargeError:
                details = truncate(details, MAX_DATA_SIZE)
        self._set_close(
            make_command("CancelWorkflowExecution", {"details": details}, location=location)
        )

    def _fail(self, error: BaseException, location: str) -> None:
        if self._close is not None:
            return
        reason = truncate(f"{type(error).__name__}: {error}", MAX_REASON_SIZE)
        converter = _convert.resolve_converter(self._meta.data_converter)
        what = f"failure of workflow {self._meta.name} {self._meta.version}"
        details: str | None
        try:
            details = check_payload(_convert.dumps(converter, error, what), "details", what)
        except Exception as encode_error:
            # The failure itself must always get out; fall back to a plain error that says
            # what was lost.
            log.warning(
                "workflow %s: could not encode its failure: %s", self._execution, encode_error
            )
            fallback = RuntimeError(f"{reason} (the full error could not be sent: {encode_error})")
            try:
                details = check_payload(_convert.dumps(converter, fallback, what), "details")
            except Exception:
                details = None
        self._set_close(
            make_command(
                "FailWorkflowExecution",
                {"reason": reason, "details": details},
                location=location,
            )
        )

    def _set_close(self, command: Command) -> None:
        if self._close is None:
            self._close = command

    def __repr__(self) -> str:
        return f"<WorkflowInstance {self._meta.name} {self._meta.version} {self._execution}>"


class _Running:
    """The context manager of :meth:`WorkflowInstance.running`.

    A plain class, like the loop's ``_Active``: a sticky hit enters it once per
    decision task, and a generator-based one costs several times more.
    """

    __slots__ = ("_active", "_context", "_previous")

    def __init__(self, instance: WorkflowInstance) -> None:
        self._context = instance._decision_context
        self._active = instance._loop.active()
        self._previous: Any = None

    def __enter__(self) -> None:
        self._previous = _peek_context()
        set_context(self._context)
        self._active.__enter__()

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._active.__exit__(*exc_info)
        finally:
            set_context(self._previous)
