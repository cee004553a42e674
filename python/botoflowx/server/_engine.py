"""The embedded SWF server's engine: every SWF operation over the SQLite store.

Module map: ``_store`` (schema, the one guarded connection), ``_engine_runs`` (history
appends, decision-task scheduling, start/close/child policy), ``_decisions`` (batch
validation and application), ``_scheduler`` (due timeouts), ``_registry`` (domains,
types, tags), ``_visibility`` (history pages, describe, list, count), ``_tokens`` and
``_limits``.

Choices where SWF's documentation is silent (see ``shared/reference/swf.md`` section 11):

* A DecisionTaskScheduled queued while a task is started is written when that task
  completes (after DecisionTaskCompleted and the batch's events) or times out, so a
  history never shows two outstanding decision tasks.
* ``previousStartedEventId`` is the started event of the last *completed* decision task.
* ``startAtPreviousStartedEvent`` starts the page at that same event.
* UNHANDLED_DECISION: a close decision fails when an event that needs a decision
  arrived while the task was started.
* A task-list override stays in force for later tasks until another completion names
  a list or a temporary override's task times out (schedule-to-start, or start-to-close
  of a task on the override list); the revert goes to the run's start task list.
* ContinueAsNewWorkflowExecution takes what it does not give from the workflow type's
  defaults (as the API reference documents, with DEFAULT_*_UNDEFINED otherwise), not
  from the closing run; tags are not carried over.
* Activity and timer ids must be unique among the run's *open* activities and timers.
* ChildWorkflowExecutionStarted schedules a decision task; the child policy applies
  when a run is terminated or times out (not on complete, fail, cancel).
* StartChildWorkflowExecution problems with the decision itself (type, defaults, open
  children limit) fail it with ``initiatedEventId`` 0; problems starting the child
  (WORKFLOW_ALREADY_RUNNING) fail it after StartChildWorkflowExecutionInitiated.
* Closed runs are deleted when the domain's retention period ends ("NONE"/"0": at once).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from botoflowx.server._clock import Clock, SystemClock, TestClock
from botoflowx.server._decisions import respond_decision_task_completed
from botoflowx.server._engine_runs import (
    DT_SCHEDULED,
    add_timeout,
    append_event,
    drop_timeout,
    execution_of,
    open_run_by_workflow_id,
    request_cancel_run,
    request_decision,
    resolve_workflow_config,
    signal_run,
    start_run,
    terminate_run,
    type_of,
)
from botoflowx.server._faults import (
    DefaultUndefinedFault,
    DomainDeprecatedFault,
    InternalFailure,
    LimitExceededFault,
    TypeDeprecatedFault,
    UnknownOperationException,
    UnknownResourceFault,
    WorkflowExecutionAlreadyStartedFault,
)
from botoflowx.server._limits import (
    DATA_LIMIT,
    HEARTBEAT_DETAILS_LIMIT,
    MAX_EXECUTION_SECONDS,
    MAX_EXECUTION_TAGS,
    MAX_POLLERS_PER_TASK_LIST,
    OPEN_EXECUTIONS_PER_DOMAIN,
    PAGE_TOKEN_LIFETIME,
    REASON_LIMIT,
    FieldErrors,
    page_size,
)
from botoflowx.server._registry import Registry, get_type, require_domain, type_config, type_label
from botoflowx.server._scheduler import TimeoutScheduler, fire_timeout
from botoflowx.server._store import Store, Transaction, Tx
from botoflowx.server._tokens import PageTokens, fingerprint, new_task_token
from botoflowx.server._visibility import Visibility, find_run, history_page

__all__ = ["Engine", "WorkSnapshot"]

# (tx, params, region) -> response; registry handlers also take kind= (bound by partial).
_Handler = Callable[..., Any]
_PollKey = tuple[str, str, str, str]


class _Room:
    """The waiting room of one task list: a generation counter and its condition."""

    __slots__ = ("cond", "generation", "waiting")

    def __init__(self, mutex: threading.Lock) -> None:
        self.generation = 0
        self.waiting = 0
        self.cond = threading.Condition(mutex)


class _PollWaits:
    """Long-poll waiting rooms, one per (kind, region, domain, task list).

    A poller notes the list's generation before it tries to claim a task and waits
    only if no task was announced since, so a task committed between its failed
    claim and its wait is never missed. A room is small and kept for the engine's
    lifetime (one per task list ever polled).
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._rooms: dict[_PollKey, _Room] = {}
        self._closed = False

    def _room(self, key: _PollKey) -> _Room:
        room = self._rooms.get(key)
        if room is None:
            room = self._rooms[key] = _Room(self._mutex)
        return room

    def generation(self, key: _PollKey) -> int:
        """Return the number of announcements made on a list so far."""
        with self._mutex:
            return self._room(key).generation

    def wait(self, key: _PollKey, generation: int, timeout: float) -> None:
        """Wait up to ``timeout`` seconds unless a task was announced since ``generation``."""
        with self._mutex:
            room = self._room(key)
            if self._closed or room.generation != generation:
                return
            if room.waiting >= MAX_POLLERS_PER_TASK_LIST:
                raise LimitExceededFault(
                    "Limit on maximum concurrent poll requests per task list reached"
                )
            room.waiting += 1
            try:
                room.cond.wait(timeout)
            finally:
                room.waiting -= 1

    def notify(self, key: _PollKey, count: int) -> None:
        """Announce ``count`` new tasks on a list: wake that many waiting pollers."""
        with self._mutex:
            room = self._rooms.get(key)
            if room is None:
                return
            room.generation += 1
            room.cond.notify(count)

    def waiting(self, kind: str, region: str, domain: str, task_list: str | None) -> int:
        """Return how many pollers are waiting on a list (None: on any list of the domain)."""
        with self._mutex:
            if task_list is not None:
                room = self._rooms.get((kind, region, domain, task_list))
                return 0 if room is None else room.waiting
            return sum(
                room.waiting
                for (k, r, d, _), room in self._rooms.items()
                if (k, r, d) == (kind, region, domain)
            )

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Release every waiting poller; later waits return at once."""
        with self._mutex:
            self._closed = True
            for room in self._rooms.values():
                room.cond.notify_all()


@dataclass(frozen=True)
class WorkSnapshot:
    """What the whole server has in hand at one instant (see :meth:`Engine.work_snapshot`).

    Attributes:
        version: a counter that moves whenever any stored row changes; equal
            versions mean nothing happened in between.
        decision_tasks: decision tasks scheduled, started or being completed.
        activity_tasks: activity tasks scheduled or started.
        next_due: the earliest due time of a timer or timeout of an open run
            (epoch seconds), or None; the deletion of closed runs is left out.
        now: the engine clock's time when the snapshot was taken.
    """

    version: int
    decision_tasks: int
    activity_tasks: int
    next_due: float | None
    now: float

    @property
    def idle(self) -> bool:
        """True when no decision or activity task is outstanding anywhere."""
        return self.decision_tasks == 0 and self.activity_tasks == 0


# A skip lands this far past the due time: float rounding of "now + gap" must not
# leave the clock a hair short of a due time stored in whole milliseconds.
_SKIP_MARGIN = 0.001


# What starting a decision task reads of the run it claims.
_CLAIM_COLUMNS = (
    "pk, dt_scheduled, dt_on_override, task_timeout, prev_started, workflow_id, run_id,"
    " type_name, type_version"
)

# Payload limits, re-checked here (the HTTP front's model validation checks them first)
# so an in-process caller cannot store what SWF would refuse.
_SIZE_LIMITS: dict[str, dict[str, int]] = {
    "StartWorkflowExecution": {"input": DATA_LIMIT},
    "SignalWorkflowExecution": {"input": DATA_LIMIT},
    "TerminateWorkflowExecution": {"details": DATA_LIMIT, "reason": REASON_LIMIT},
    "RespondDecisionTaskCompleted": {"executionContext": DATA_LIMIT},
    "RespondActivityTaskCompleted": {"result": DATA_LIMIT},
    "RespondActivityTaskFailed": {"details": DATA_LIMIT, "reason": REASON_LIMIT},
    "RespondActivityTaskCanceled": {"details": DATA_LIMIT},
    "RecordActivityTaskHeartbeat": {"details": HEARTBEAT_DETAILS_LIMIT},
}


class Engine:
    """The SWF service behind the embedded server's HTTP front.

    ``handle`` is safe to call from many threads at once. Every call runs in one short
    SQLite transaction; polls wait for tasks outside any transaction or lock.
    """

    def __init__(
        self,
        database: str,
        *,
        clock: Clock | None = None,
        long_poll_seconds: float = 60.0,
    ) -> None:
        """Open the engine on a database file (or ``":memory:"``).

        Args:
            database: the SQLite database path; created if missing.
            clock: the time source; a :class:`TestClock` enables :meth:`advance_clock`.
            long_poll_seconds: how long an empty poll waits for a task.
        """
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._long_poll_seconds = long_poll_seconds
        self._store = Store(database)
        self._tokens = PageTokens(self._store.secret, PAGE_TOKEN_LIFETIME)
        self._registry = Registry(self._tokens)
        self._visibility = Visibility(self._tokens)
        self._waits = _PollWaits()
        self._scheduler = TimeoutScheduler(self._fire_due, self._clock)
        self._closed = False
        self._ops: dict[str, _Handler] = self._operation_table()

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start the timeout scheduler (which first fires what fell due while stopped)."""
        self._scheduler.start()

    def close(self) -> None:
        """Stop the scheduler, release every waiting poll (empty answer), close the DB."""
        if self._closed:
            return
        self._closed = True
        self._waits.close()
        self._scheduler.stop()
        self._store.close()

    def advance_clock(self, seconds: float) -> float:
        """Move a :class:`TestClock` forward and fire everything that became due.

        Returns:
            The new current time (epoch seconds).

        Raises:
            TypeError: if the engine does not run on a TestClock.
        """
        if not isinstance(self._clock, TestClock):
            raise TypeError("advance_clock needs an engine created with clock=TestClock()")
        self._clock.advance(seconds)
        self._fire_due()
        self._scheduler.poke()
        return self._clock.now()

    # -- time skipping (used by botoflowx.testing) --------------------------------------

    def now(self) -> float:
        """Return the engine clock's current time (epoch seconds)."""
        return self._clock.now()

    def work_snapshot(self) -> WorkSnapshot:
        """Return the outstanding tasks and the next due time, read atomically.

        Raises:
            InternalFailure: the engine is closed.
        """
        with self._store.lock:
            if self._closed:
                raise InternalFailure("The server is shutting down")
            return self._work_snapshot_locked()

    def _work_snapshot_locked(self) -> WorkSnapshot:
        reader = self._store.read()
        # Closed runs have dt_state 0 and no activity rows, so these count open work only.
        decisions = reader.scalar("SELECT COUNT(*) FROM runs WHERE dt_state != 0")
        activities = reader.scalar("SELECT COUNT(*) FROM activities")
        # PURGE rows only delete closed runs after retention: skipping to them would
        # throw away the histories a test is about to read, for no workflow's sake.
        next_due = reader.scalar("SELECT MIN(due) FROM timeouts WHERE kind != 'PURGE'")
        return WorkSnapshot(
            version=reader.conn.total_changes,
            decision_tasks=int(decisions or 0),
            activity_tasks=int(activities or 0),
            next_due=None if next_due is None else float(next_due),
            now=self._clock.now(),
        )

    def waiting_pollers(
        self, kind: str, domain: str, task_list: str | None = None, region: str = "us-east-1"
    ) -> int:
        """Return how many long polls are waiting for a task right now.

        Args:
            kind: ``"decision"`` or ``"activity"``.
            domain: the domain polled.
            task_list: the task list polled; None counts every list of the domain.
            region: the region the polls were signed for.
        """
        return self._waits.waiting(kind, region, domain, task_list)

    def skip_to_next_due(self, expected_version: int | None = None) -> float | None:
        """Jump the test clock to the next due timer or timeout, if the server is idle.

        Idle means no decision or activity task is scheduled or started anywhere
        (an activity running in a worker is started, so its timeouts are never
        skipped to). The check, the jump and the firing of what became due happen
        under the store's lock, so no call can slip in between them.

        Args:
            expected_version: skip only if nothing changed since the snapshot with
                this :attr:`WorkSnapshot.version` (None: do not compare).

        Returns:
            The clock's new time, or None when nothing was skipped (busy, changed,
            nothing due, or closed).

        Raises:
            TypeError: the engine does not run on a TestClock.
        """
        clock = self._clock
        if not isinstance(clock, TestClock):
            raise TypeError("skip_to_next_due needs an engine created with clock=TestClock()")
        with self._store.lock:
            if self._closed:
                return None
            snapshot = self._work_snapshot_locked()
            if not snapshot.idle or snapshot.next_due is None:
                return None
            if expected_version is not None and snapshot.version != expected_version:
                return None
            gap = snapshot.next_due - snapshot.now
            if gap > 0:
                clock.advance(gap + _SKIP_MARGIN)
            self._fire_due()
        self._scheduler.poke()
        return clock.now()

    def handle(
        self, operation: str, params: dict[str, Any], region: str = "us-east-1"
    ) -> dict[str, Any] | None:
        """Run one SWF operation.

        Args:
            operation: the operation name (``"StartWorkflowExecution"``).
            params: the request, already validated against the service model.
            region: the region the request was signed for (domains are per region).

        Returns:
            The response structure, or None for operations without output.

        Raises:
            SWFFault: the SWF error to answer with.
        """
        if operation == "PollForDecisionTask":
            if self._closed:
                return {"previousStartedEventId": 0, "startedEventId": 0}
            return self._poll_for_decision_task(params, region)
        if operation == "PollForActivityTask":
            if self._closed:
                return {"startedEventId": 0}
            return self._poll_for_activity_task(params, region)
        handler = self._ops.get(operation)
        if handler is None:
            raise UnknownOperationException(f"Unknown operation: {operation}")
        if self._closed:
            raise InternalFailure("The server is shutting down")
        limits = _SIZE_LIMITS.get(operation)
        if limits:
            errors = FieldErrors()
            for field, limit in limits.items():
                errors.max_length(params.get(field), field, limit)
            errors.raise_if_any()
        with self._tx() as tx:
            return handler(tx, params, region)

    def _tx(self) -> Transaction:
        return self._store.transaction(self._clock.now(), self._committed)

    def _committed(self, tx: Tx) -> None:
        # Now the new tasks and due times are visible to other threads.
        for key, count in tx.wake.items():
            self._waits.notify(key, count)
        if tx.earliest_due is not None:
            self._scheduler.wake(tx.earliest_due)

    def _operation_table(self) -> dict[str, _Handler]:
        reg, vis = self._registry, self._visibility
        ops: dict[str, _Handler] = {
            "RegisterDomain": reg.register_domain,
            "DescribeDomain": reg.describe_domain,
            "ListDomains": reg.list_domains,
            "DeprecateDomain": reg.deprecate_domain,
            "UndeprecateDomain": reg.undeprecate_domain,
            "TagResource": reg.tag_resource,
            "UntagResource": reg.untag_resource,
            "ListTagsForResource": reg.list_tags,
            "StartWorkflowExecution": self._start_workflow_execution,
            "SignalWorkflowExecution": self._signal_workflow_execution,
            "RequestCancelWorkflowExecution": self._request_cancel_workflow_execution,
            "TerminateWorkflowExecution": self._terminate_workflow_execution,
            "RespondDecisionTaskCompleted": lambda tx, p, r: respond_decision_task_completed(tx, p),
            "RespondActivityTaskCompleted": partial(self._respond_activity, "Completed"),
            "RespondActivityTaskFailed": partial(self._respond_activity, "Failed"),
            "RespondActivityTaskCanceled": partial(self._respond_activity, "Canceled"),
            "RecordActivityTaskHeartbeat": self._record_heartbeat,
            "DescribeWorkflowExecution": vis.describe_execution,
            "GetWorkflowExecutionHistory": vis.get_history,
            "ListOpenWorkflowExecutions": partial(vis.list_executions, is_open=True),
            "ListClosedWorkflowExecutions": partial(vis.list_executions, is_open=False),
            "CountOpenWorkflowExecutions": partial(vis.count_executions, is_open=True),
            "CountClosedWorkflowExecutions": partial(vis.count_executions, is_open=False),
            "CountPendingDecisionTasks": partial(vis.count_pending, decisions=True),
            "CountPendingActivityTasks": partial(vis.count_pending, decisions=False),
        }
        for kind, noun in (("workflow", "WorkflowType"), ("activity", "ActivityType")):
            ops[f"Register{noun}"] = partial(reg.register_type, kind=kind)
            ops[f"Describe{noun}"] = partial(reg.describe_type, kind=kind)
            ops[f"List{noun}s"] = partial(reg.list_types, kind=kind)
            ops[f"Deprecate{noun}"] = partial(reg.deprecate_type, kind=kind)
            ops[f"Undeprecate{noun}"] = partial(reg.undeprecate_type, kind=kind)
            ops[f"Delete{noun}"] = partial(reg.delete_type, kind=kind)
        return ops

    # -- timeouts --------------------------------------------------------------------

    def _fire_due(self) -> float | None:
        """Fire every timeout due now, each in its own transaction; return the next due."""
        while True:
            with self._store.lock:
                if self._closed:
                    return None
                now = self._clock.now()
                rows = self._store.read().all(
                    "SELECT * FROM timeouts WHERE due <= ? ORDER BY due LIMIT 100", (now,)
                )
                if not rows:
                    due: float | None = self._store.read().scalar("SELECT MIN(due) FROM timeouts")
                    return due
            # One short transaction per timeout, so API calls interleave with a burst.
            for row in rows:
                with self._store.lock:
                    if self._closed:
                        return None
                    with self._tx() as tx:
                        # Another thread (advance_clock vs the scheduler) may have fired it,
                        # or a heartbeat re-armed it: then the row no longer matches.
                        if tx.run(
                            "DELETE FROM timeouts WHERE run_pk = ? AND kind = ? AND ref = ?"
                            " AND gen = ? AND due = ?",
                            (row["run_pk"], row["kind"], row["ref"], row["gen"], row["due"]),
                        ):
                            fire_timeout(tx, row)

    # -- executions ------------------------------------------------------------------

    def _start_workflow_execution(
        self, tx: Tx, params: dict[str, Any], region: str
    ) -> dict[str, Any]:
        domain = require_domain(tx, region, params["domain"])
        errors = FieldErrors()
        if params.get("executionStartToCloseTimeout") is not None:
            errors.duration(
                params["executionStartToCloseTimeout"],
                "executionStartToCloseTimeout",
                allow_none=False,
                maximum=MAX_EXECUTION_SECONDS,
            )
        if params.get("taskStartToCloseTimeout") is not None:
            errors.duration(params["taskStartToCloseTimeout"], "taskStartToCloseTimeout")
        if params.get("taskPriority") is not None:
            errors.priority(params["taskPriority"], "taskPriority")
        tags = list(params.get("tagList") or [])
        if len(tags) > MAX_EXECUTION_TAGS:
            errors.add(
                tags,
                "tagList",
                f"Member must have length less than or equal to {MAX_EXECUTION_TAGS}",
            )
        errors.raise_if_any()
        if domain["status"] == "DEPRECATED":
            raise DomainDeprecatedFault(f"Domain is deprecated: {domain['name']}")
        ref = params["workflowType"]
        type_row = get_type(tx, region, domain["name"], "workflow", ref["name"], ref["version"])
        label = type_label("workflow", ref["name"], ref["version"])
        if type_row is None:
            raise UnknownResourceFault(f"Unknown type: {label}")
        if type_row["status"] == "DEPRECATED":
            raise TypeDeprecatedFault(label)
        config, missing = resolve_workflow_config(params, type_config(type_row))
        if missing is not None:
            raise DefaultUndefinedFault(
                f"No default {missing.lower().replace('_', ' ')} was registered for {label}"
                " and none was given in the request"
            )
        workflow_id = params["workflowId"]
        if open_run_by_workflow_id(tx, region, domain["name"], workflow_id) is not None:
            raise WorkflowExecutionAlreadyStartedFault(
                f"WorkflowExecution is already running: workflowId={workflow_id}"
            )
        if domain["open_runs"] >= OPEN_EXECUTIONS_PER_DOMAIN:
            raise LimitExceededFault(
                f"Limit of {OPEN_EXECUTIONS_PER_DOMAIN} open workflow executions reached"
                f" in domain {domain['name']}"
            )
        _, run_id = start_run(
            tx,
            region=region,
            domain=domain["name"],
            workflow_id=workflow_id,
            workflow_type={"name": ref["name"], "version": ref["version"]},
            config=config,
            input=params.get("input"),
            tags=tags,
        )
        return {"runId": run_id}

    def _signal_workflow_execution(self, tx: Tx, params: dict[str, Any], region: str) -> None:
        run = find_run(
            tx, region, params["domain"], params["workflowId"], params.get("runId"), open_only=True
        )
        signal_run(tx, run["pk"], params["signalName"], params.get("input"))

    def _request_cancel_workflow_execution(
        self, tx: Tx, params: dict[str, Any], region: str
    ) -> None:
        run = find_run(
            tx, region, params["domain"], params["workflowId"], params.get("runId"), open_only=True
        )
        request_cancel_run(tx, run["pk"])

    def _terminate_workflow_execution(self, tx: Tx, params: dict[str, Any], region: str) -> None:
        run = find_run(
            tx, region, params["domain"], params["workflowId"], params.get("runId"), open_only=True
        )
        # No cause: the model documents ``cause`` only for automatic terminations.
        terminate_run(
            tx,
            run["pk"],
            reason=params.get("reason"),
            details=params.get("details"),
            child_policy=params.get("childPolicy"),
        )

    # -- polls -----------------------------------------------------------------------

    def _long_poll(
        self, key: _PollKey, claim: Callable[[], dict[str, Any] | None], empty: dict[str, Any]
    ) -> dict[str, Any]:
        deadline = time.monotonic() + self._long_poll_seconds
        while True:
            generation = self._waits.generation(key)
            if self._waits.closed:
                return dict(empty)
            try:
                task = claim()
            except InternalFailure:
                if self._closed:  # the engine closed under us: answer like any empty poll
                    return dict(empty)
                raise
            if task is not None:
                return task
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._waits.closed:
                return dict(empty)
            self._waits.wait(key, generation, remaining)

    def _poll_for_decision_task(self, params: dict[str, Any], region: str) -> dict[str, Any]:
        domain, task_list = params["domain"], params["taskList"]["name"]
        reverse = bool(params.get("reverseOrder"))
        size = page_size(params)
        at_previous = bool(params.get("startAtPreviousStartedEvent"))
        bound = fingerprint(
            "PollForDecisionTask", region, domain, task_list, reverse, size, at_previous
        )
        if params.get("nextPageToken"):
            # A page call continues the task it was issued for and never claims another.
            with self._tx() as tx:
                require_domain(tx, region, domain)
                return self._decision_page(
                    tx, None, bound, reverse, size, 1, params["nextPageToken"]
                )

        def claim() -> dict[str, Any] | None:
            with self._tx() as tx:
                # dt_state is a literal so that the partial index runs_decision_queue
                # applies (with a bound parameter SQLite scans every run).
                row = tx.one(
                    f"SELECT {_CLAIM_COLUMNS} FROM runs WHERE region = ? AND domain = ?"
                    f" AND dt_list = ? AND dt_state = {DT_SCHEDULED}"
                    " ORDER BY dt_priority DESC, dt_seq LIMIT 1",
                    (region, domain, task_list),
                )
                if row is None:
                    # Only an empty list can hide an unknown domain; check it then.
                    require_domain(tx, region, domain)
                    return None
                return self._start_decision_task(tx, row, params, bound, reverse, size, at_previous)

        return self._long_poll(
            ("decision", region, domain, task_list),
            claim,
            {"previousStartedEventId": 0, "startedEventId": 0},
        )

    def _start_decision_task(
        self,
        tx: Tx,
        run: sqlite3.Row,
        params: dict[str, Any],
        bound: str,
        reverse: bool,
        size: int,
        at_previous: bool,
    ) -> dict[str, Any] | None:
        pk = run["pk"]
        attrs: dict[str, Any] = {}
        if params.get("identity") is not None:
            attrs["identity"] = params["identity"]
        attrs["scheduledEventId"] = run["dt_scheduled"]
        started = append_event(tx, pk, "DecisionTaskStarted", attrs)
        if not started:
            return None
        token = new_task_token("d")
        tx.run(
            "UPDATE runs SET dt_state = 2, dt_started = ?, dt_token = ? WHERE pk = ?",
            (started, token, pk),
        )
        if run["dt_on_override"]:  # only a task on an override list has one armed
            drop_timeout(tx, pk, "DT_S2S")
        if run["task_timeout"] != "NONE":
            add_timeout(
                tx, pk, "DT_S2C", "", run["dt_scheduled"], tx.now + int(run["task_timeout"])
            )
        low = run["prev_started"] if at_previous and run["prev_started"] else 1
        carry = {
            "r": pk,
            "t": token,
            "s": started,
            "p": run["prev_started"],
            "e": execution_of(run),
            "w": type_of(run),
        }
        return self._decision_page(tx, carry, bound, reverse, size, low, None)

    def _decision_page(
        self,
        tx: Tx,
        carry: dict[str, Any] | None,
        bound: str,
        reverse: bool,
        size: int,
        low: int,
        next_token: str | None,
    ) -> dict[str, Any]:
        pk = carry["r"] if carry is not None else 0
        if next_token is not None:
            # The run comes from the signed token; history_page checks it again.
            pk = self._tokens.check(next_token, "decision", bound, tx.now)["r"]
        events, token, cursor = history_page(
            tx,
            self._tokens,
            pk,
            kind="decision",
            bound=bound,
            reverse=reverse,
            size=size,
            next_token=next_token,
            low=low,
            carry=carry,
        )
        result: dict[str, Any] = {
            "taskToken": cursor["t"],
            "startedEventId": cursor["s"],
            "workflowExecution": cursor["e"],
            "workflowType": cursor["w"],
            "events": events,
        }
        if token:
            result["nextPageToken"] = token
        result["previousStartedEventId"] = cursor["p"]
        return result

    def _poll_for_activity_task(self, params: dict[str, Any], region: str) -> dict[str, Any]:
        domain, task_list = params["domain"], params["taskList"]["name"]

        def claim() -> dict[str, Any] | None:
            with self._tx() as tx:
                # With the run's ids, which the task names (one statement less).
                row = tx.one(
                    "SELECT a.*, r.workflow_id, r.run_id FROM activities AS a"
                    " JOIN runs AS r ON r.pk = a.run_pk"
                    " WHERE a.region = ? AND a.domain = ? AND a.task_list = ? AND a.state = 1"
                    " ORDER BY a.priority DESC, a.seq LIMIT 1",
                    (region, domain, task_list),
                )
                if row is None:
                    require_domain(tx, region, domain)
                    return None
                return self._start_activity_task(tx, row, params.get("identity"))

        return self._long_poll(
            ("activity", region, domain, task_list), claim, {"startedEventId": 0}
        )

    def _start_activity_task(
        self, tx: Tx, row: sqlite3.Row, identity: str | None
    ) -> dict[str, Any] | None:
        """Start a claimed activity task; ``row`` also holds its run's workflow_id and run_id."""
        pk, activity_id = row["run_pk"], row["activity_id"]
        attrs: dict[str, Any] = {}
        if identity is not None:
            attrs["identity"] = identity
        attrs["scheduledEventId"] = row["scheduled_id"]
        started = append_event(tx, pk, "ActivityTaskStarted", attrs)
        if not started:
            return None
        token = new_task_token("a")
        tx.run(
            "UPDATE activities SET state = 2, started_id = ?, token = ?"
            " WHERE run_pk = ? AND activity_id = ?",
            (started, token, pk, activity_id),
        )
        drop_timeout(tx, pk, "AT_S2S", activity_id)
        # The start-to-close and heartbeat clocks both start now, when a worker has it.
        if row["start_to_close"] != "NONE":
            add_timeout(
                tx,
                pk,
                "AT_STC",
                activity_id,
                row["scheduled_id"],
                tx.now + int(row["start_to_close"]),
            )
        if row["heartbeat_timeout"] != "NONE":
            add_timeout(
                tx,
                pk,
                "AT_HB",
                activity_id,
                row["scheduled_id"],
                tx.now + int(row["heartbeat_timeout"]),
            )
        task: dict[str, Any] = {
            "taskToken": token,
            "activityId": activity_id,
            "startedEventId": started,
            "workflowExecution": execution_of(row),
            "activityType": {"name": row["type_name"], "version": row["type_version"]},
        }
        if row["input"] is not None:
            task["input"] = row["input"]
        return task

    # -- activity responses ----------------------------------------------------------

    @staticmethod
    def _started_activity(tx: Tx, token: str) -> sqlite3.Row:
        row = tx.one("SELECT * FROM activities WHERE token = ? AND state = 2", (token,))
        if row is None:
            # Completed, timed out, canceled, its run closed, or never issued.
            raise UnknownResourceFault("Unknown activity task token")
        return row

    def _respond_activity(self, outcome: str, tx: Tx, params: dict[str, Any], region: str) -> None:
        # Deleted up front (one statement instead of a read and a delete): the task is
        # over whatever happens next, and a fault rolls the deletion back.
        row = tx.one(
            "DELETE FROM activities WHERE token = ? AND state = 2 RETURNING *",
            (params["taskToken"],),
        )
        if row is None:
            # Completed, timed out, canceled, its run closed, or never issued.
            raise UnknownResourceFault("Unknown activity task token")
        pk = row["run_pk"]
        attrs: dict[str, Any] = {}
        members = {
            "Completed": ("result",),
            "Failed": ("reason", "details"),
            "Canceled": ("details",),
        }[outcome]
        for member in members:
            if params.get(member) is not None:
                attrs[member] = params[member]
        attrs["scheduledEventId"] = row["scheduled_id"]
        attrs["startedEventId"] = row["started_id"]
        if outcome == "Canceled" and row["cancel_event"]:
            attrs["latestCancelRequestedEventId"] = row["cancel_event"]
        append_event(tx, pk, f"ActivityTask{outcome}", attrs)
        tx.run(
            "DELETE FROM timeouts WHERE run_pk = ? AND ref = ? AND kind LIKE 'AT_%'",
            (pk, row["activity_id"]),
        )
        request_decision(tx, pk)

    def _record_heartbeat(self, tx: Tx, params: dict[str, Any], region: str) -> dict[str, Any]:
        row = self._started_activity(tx, params["taskToken"])
        details = params.get("details")
        if details is not None:
            tx.run(
                "UPDATE activities SET details = ? WHERE run_pk = ? AND activity_id = ?",
                (details, row["run_pk"], row["activity_id"]),
            )
        if row["heartbeat_timeout"] != "NONE":
            add_timeout(
                tx,
                row["run_pk"],
                "AT_HB",
                row["activity_id"],
                row["scheduled_id"],
                tx.now + int(row["heartbeat_timeout"]),
            )
        return {"cancelRequested": bool(row["cancel_requested"])}
