"""RespondDecisionTaskCompleted: validate a decision batch as a whole, then apply it in order."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from botoflowx.server._engine_runs import (
    DT_COMPLETING,
    DT_NONE,
    DT_STARTED,
    add_timeout,
    append_event,
    close_run,
    drop_timeout,
    execution_of,
    get_run,
    open_run_by_workflow_id,
    request_cancel_run,
    request_decision,
    resolve_workflow_config,
    schedule_decision_task,
    signal_run,
    start_run,
)
from botoflowx.server._faults import UnknownResourceFault, ValidationException
from botoflowx.server._limits import (
    MAX_EXECUTION_SECONDS,
    OPEN_ACTIVITIES_LIMIT,
    OPEN_CHILDREN_LIMIT,
    OPEN_EXECUTIONS_PER_DOMAIN,
    OPEN_TIMERS_LIMIT,
    FieldErrors,
)
from botoflowx.server._registry import get_type, type_config
from botoflowx.server._store import Tx
from botoflowx.server._tokens import new_run_id

__all__ = ["CLOSE_DECISIONS", "respond_decision_task_completed", "validate_decisions"]

CLOSE_DECISIONS = frozenset(
    {
        "CompleteWorkflowExecution",
        "FailWorkflowExecution",
        "CancelWorkflowExecution",
        "ContinueAsNewWorkflowExecution",
    }
)

# Members each decision's attributes must carry (the model marks them required, but
# only inside an attributes structure that is itself optional, so check them here).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "ScheduleActivityTask": ("activityType", "activityId"),
    "RequestCancelActivityTask": ("activityId",),
    "CompleteWorkflowExecution": (),
    "FailWorkflowExecution": (),
    "CancelWorkflowExecution": (),
    "ContinueAsNewWorkflowExecution": (),
    "RecordMarker": ("markerName",),
    "StartTimer": ("timerId", "startToFireTimeout"),
    "CancelTimer": ("timerId",),
    "SignalExternalWorkflowExecution": ("workflowId", "signalName"),
    "RequestCancelExternalWorkflowExecution": ("workflowId",),
    "StartChildWorkflowExecution": ("workflowType", "workflowId"),
    "ScheduleLambdaFunction": ("id", "name"),
}

# (member, NONE allowed, maximum seconds)
_DURATIONS: dict[str, tuple[tuple[str, bool, int | None], ...]] = {
    "ScheduleActivityTask": (
        ("scheduleToCloseTimeout", True, None),
        ("scheduleToStartTimeout", True, None),
        ("startToCloseTimeout", True, None),
        ("heartbeatTimeout", True, None),
    ),
    "StartTimer": (("startToFireTimeout", False, MAX_EXECUTION_SECONDS),),
    "StartChildWorkflowExecution": (
        ("executionStartToCloseTimeout", False, MAX_EXECUTION_SECONDS),
        ("taskStartToCloseTimeout", True, None),
    ),
    "ContinueAsNewWorkflowExecution": (
        ("executionStartToCloseTimeout", False, MAX_EXECUTION_SECONDS),
        ("taskStartToCloseTimeout", True, None),
    ),
    "ScheduleLambdaFunction": (("startToCloseTimeout", False, 900),),
}
_WITH_PRIORITY = frozenset(
    {"ScheduleActivityTask", "StartChildWorkflowExecution", "ContinueAsNewWorkflowExecution"}
)

# ScheduleActivityTask: (decision member, type default, DEFAULT_*_UNDEFINED cause)
_ACTIVITY_RESOLVED = (
    ("taskList", "defaultTaskList", "DEFAULT_TASK_LIST_UNDEFINED"),
    (
        "scheduleToCloseTimeout",
        "defaultTaskScheduleToCloseTimeout",
        "DEFAULT_SCHEDULE_TO_CLOSE_TIMEOUT_UNDEFINED",
    ),
    (
        "scheduleToStartTimeout",
        "defaultTaskScheduleToStartTimeout",
        "DEFAULT_SCHEDULE_TO_START_TIMEOUT_UNDEFINED",
    ),
    (
        "startToCloseTimeout",
        "defaultTaskStartToCloseTimeout",
        "DEFAULT_START_TO_CLOSE_TIMEOUT_UNDEFINED",
    ),
    ("heartbeatTimeout", "defaultTaskHeartbeatTimeout", "DEFAULT_HEARTBEAT_TIMEOUT_UNDEFINED"),
)


# What a completion and its applier read of the run: the task's state and the run's
# identity (a 30-column sqlite3.Row costs twice as much to build).
_COMPLETION_COLUMNS = (
    "pk, open, dt_state, dt_scheduled, dt_started, dt_pending, region, domain, workflow_id,"
    " run_id, type_name, type_version, parent_pk, parent_initiated"
)


def attrs_member(decision_type: str) -> str:
    """Return the attributes member of a decision type."""
    return decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"


def validate_decisions(decisions: list[dict[str, Any]]) -> None:
    """Check a whole decision batch before any of it is applied.

    Raises:
        ValidationException: naming every malformed field, or
            ``"Close must be last decision in list"``.
    """
    errors = FieldErrors()
    for index, decision in enumerate(decisions, start=1):
        decision_type = decision.get("decisionType")
        base = f"decisions.{index}.member"
        if decision_type not in _REQUIRED:
            errors.add(
                decision_type,
                f"{base}.decisionType",
                "Member must satisfy enum value set: " + ", ".join(_REQUIRED),
            )
            continue
        member = attrs_member(decision_type)
        attrs = decision.get(member)
        if attrs is None:
            # The close decisions have no required member, so SWF lets their attributes be
            # omitted altogether.
            if _REQUIRED[decision_type]:
                errors.add(None, f"{base}.{member}", "Member must not be null")
            continue
        for field in _REQUIRED[decision_type]:
            if attrs.get(field) is None:
                errors.add(None, f"{base}.{member}.{field}", "Member must not be null")
        for field, allow_none, maximum in _DURATIONS.get(decision_type, ()):
            if attrs.get(field) is not None:
                errors.duration(
                    attrs[field], f"{base}.{member}.{field}", allow_none=allow_none, maximum=maximum
                )
        if decision_type in _WITH_PRIORITY and attrs.get("taskPriority") is not None:
            errors.priority(attrs["taskPriority"], f"{base}.{member}.taskPriority")
    errors.raise_if_any()
    for index, decision in enumerate(decisions, start=1):
        if decision["decisionType"] in CLOSE_DECISIONS and index != len(decisions):
            raise ValidationException("Close must be last decision in list")


def respond_decision_task_completed(tx: Tx, params: dict[str, Any]) -> None:
    """RespondDecisionTaskCompleted.

    Writes DecisionTaskCompleted, applies the decisions in order (semantic failures
    become ``*Failed`` events) and then, if anything happened that the decider has not
    seen, schedules the next decision task. That follow-up DecisionTaskScheduled is
    written after the batch's own events, so a run never shows two outstanding tasks.

    Raises:
        UnknownResourceFault: the token is unknown, already used, or timed out, or
            the run closed.
        ValidationException: the batch is malformed (nothing is applied and the task
            stays started, so the decider may retry with the same token).
    """
    run = tx.one(
        f"SELECT {_COMPLETION_COLUMNS} FROM runs WHERE dt_token = ?", (params["taskToken"],)
    )
    if run is None or not run["open"] or run["dt_state"] != DT_STARTED:
        raise UnknownResourceFault("Unknown decision task token (completed, timed out or closed)")
    decisions = params.get("decisions") or []
    validate_decisions(decisions)
    override = params.get("taskList")
    override_s2s = params.get("taskListScheduleToStartTimeout")
    if override_s2s is not None:
        errors = FieldErrors()
        errors.duration(override_s2s, "taskListScheduleToStartTimeout")
        errors.raise_if_any()
        if override_s2s == "NONE":
            override_s2s = None

    pk = run["pk"]
    attrs: dict[str, Any] = {}
    if params.get("executionContext") is not None:
        attrs["executionContext"] = params["executionContext"]
    attrs["scheduledEventId"] = run["dt_scheduled"]
    attrs["startedEventId"] = run["dt_started"]
    if override is not None:
        attrs["taskList"] = {"name": override["name"]}
        if params.get("taskListScheduleToStartTimeout") is not None:
            attrs["taskListScheduleToStartTimeout"] = params["taskListScheduleToStartTimeout"]
    completed_id = append_event(tx, pk, "DecisionTaskCompleted", attrs)
    if not completed_id:  # the event limit terminated the run instead
        return
    tx.run(
        "UPDATE runs SET dt_state = ?, dt_token = NULL, prev_started = dt_started,"
        " latest_context = COALESCE(?, latest_context) WHERE pk = ?",
        (DT_COMPLETING, params.get("executionContext"), pk),
    )
    drop_timeout(tx, pk, "DT_S2C")
    if override is not None:
        # An override stays until a later completion names another list or, when
        # temporary, until one of its tasks times out (then it reverts).
        tx.run(
            "UPDATE runs SET override_list = ?, override_s2s = ? WHERE pk = ?",
            (override["name"], override_s2s, pk),
        )

    # The applier reads only the run's identity (region, domain, ids, type, parent),
    # which the updates above leave as they were.
    applier = _Applier(tx, run, completed_id, unhandled=bool(run["dt_pending"]))
    for decision in decisions:
        if pk in tx.closed:  # every close goes through close_run, which notes it
            break
        applier.apply(decision)

    scheduled_at = applier.activity_scheduled_at
    if pk in tx.closed:
        if scheduled_at is not None:
            tx.run("UPDATE runs SET latest_activity_ts = ? WHERE pk = ?", (scheduled_at, pk))
    else:
        pending = tx.scalar(
            "UPDATE runs SET dt_state = ?, latest_activity_ts = COALESCE(?, latest_activity_ts)"
            " WHERE pk = ? RETURNING dt_pending",
            (DT_NONE, scheduled_at, pk),
        )
        if pending:
            schedule_decision_task(tx, pk)


class _Applier:
    """Applies the decisions of one completed decision task to its run."""

    def __init__(self, tx: Tx, run: sqlite3.Row, completed_id: int, *, unhandled: bool) -> None:
        self.tx = tx
        self.run = run
        self.pk: int = run["pk"]
        self.completed_id = completed_id
        # Events that need a decision arrived while the decider worked: a close
        # decision would lose them, so it fails with UNHANDLED_DECISION.
        self.unhandled = unhandled
        # When an activity was scheduled (the run's latest_activity_ts), written with
        # the completion's last update rather than by an update of its own.
        self.activity_scheduled_at: float | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "ScheduleActivityTask": self.schedule_activity_task,
            "RequestCancelActivityTask": self.request_cancel_activity_task,
            "CompleteWorkflowExecution": self.complete_workflow_execution,
            "FailWorkflowExecution": self.fail_workflow_execution,
            "CancelWorkflowExecution": self.cancel_workflow_execution,
            "ContinueAsNewWorkflowExecution": self.continue_as_new,
            "RecordMarker": self.record_marker,
            "StartTimer": self.start_timer,
            "CancelTimer": self.cancel_timer,
            "SignalExternalWorkflowExecution": self.signal_external,
            "RequestCancelExternalWorkflowExecution": self.request_cancel_external,
            "StartChildWorkflowExecution": self.start_child,
            "ScheduleLambdaFunction": self.schedule_lambda_function,
        }

    def apply(self, decision: dict[str, Any]) -> None:
        decision_type = decision["decisionType"]
        attrs = decision.get(attrs_member(decision_type)) or {}
        self._handlers[decision_type](attrs)

    def _event(self, event_type: str, attrs: dict[str, Any]) -> int:
        return append_event(self.tx, self.pk, event_type, attrs)

    def _failed(self, event_type: str, attrs: dict[str, Any], cause: str) -> None:
        """Write a ``*Failed`` event; every failure earns the decider a new decision task."""
        self._event(
            event_type, {**attrs, "cause": cause, "decisionTaskCompletedEventId": self.completed_id}
        )
        request_decision(self.tx, self.pk)

    @staticmethod
    def _optional(attrs: dict[str, Any], *names: str) -> dict[str, Any]:
        return {name: attrs[name] for name in names if attrs.get(name) is not None}

    # -- activities ------------------------------------------------------------------

    def schedule_activity_task(self, attrs: dict[str, Any]) -> None:
        tx, run = self.tx, self.run
        activity_type = {
            "name": attrs["activityType"]["name"],
            "version": attrs["activityType"]["version"],
        }
        activity_id = attrs["activityId"]
        ident = {"activityType": activity_type, "activityId": activity_id}
        failed = "ScheduleActivityTaskFailed"
        type_row = get_type(
            tx,
            run["region"],
            run["domain"],
            "activity",
            activity_type["name"],
            activity_type["version"],
        )
        if type_row is None:
            return self._failed(failed, ident, "ACTIVITY_TYPE_DOES_NOT_EXIST")
        if type_row["status"] == "DEPRECATED":
            return self._failed(failed, ident, "ACTIVITY_TYPE_DEPRECATED")
        open_activities = tx.one(
            "SELECT COUNT(*) AS n, COALESCE(MAX(activity_id = ?), 0) AS in_use"
            " FROM activities WHERE run_pk = ?",
            (activity_id, self.pk),
        )
        assert open_activities is not None
        if open_activities["in_use"]:
            return self._failed(failed, ident, "ACTIVITY_ID_ALREADY_IN_USE")
        if open_activities["n"] >= OPEN_ACTIVITIES_LIMIT:
            return self._failed(failed, ident, "OPEN_ACTIVITIES_LIMIT_EXCEEDED")
        defaults = type_config(type_row)
        resolved: dict[str, Any] = {}
        for member, default_member, cause in _ACTIVITY_RESOLVED:
            value = attrs.get(member)
            if value is None:
                value = defaults.get(default_member)
            if value is None:
                return self._failed(failed, ident, cause)
            resolved[member] = value
        priority = attrs.get("taskPriority") or defaults.get("defaultTaskPriority") or "0"
        task_list = resolved["taskList"]["name"]
        event = {
            **ident,
            **self._optional(attrs, "input", "control"),
            "scheduleToStartTimeout": resolved["scheduleToStartTimeout"],
            "scheduleToCloseTimeout": resolved["scheduleToCloseTimeout"],
            "startToCloseTimeout": resolved["startToCloseTimeout"],
            "taskList": {"name": task_list},
            "taskPriority": priority,
            "decisionTaskCompletedEventId": self.completed_id,
            "heartbeatTimeout": resolved["heartbeatTimeout"],
        }
        scheduled_id = self._event("ActivityTaskScheduled", event)
        if not scheduled_id:
            return None
        tx.run(
            "INSERT INTO activities (run_pk, activity_id, scheduled_id, state, region, domain,"
            " task_list, priority, seq, type_name, type_version, input, start_to_close,"
            " heartbeat_timeout) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.pk,
                activity_id,
                scheduled_id,
                run["region"],
                run["domain"],
                task_list,
                int(priority),
                tx.next_seq(),
                activity_type["name"],
                activity_type["version"],
                attrs.get("input"),
                resolved["startToCloseTimeout"],
                resolved["heartbeatTimeout"],
            ),
        )
        self.activity_scheduled_at = tx.now
        for kind, member in (
            ("AT_S2S", "scheduleToStartTimeout"),
            ("AT_S2C", "scheduleToCloseTimeout"),
        ):
            if resolved[member] != "NONE":
                add_timeout(
                    tx, self.pk, kind, activity_id, scheduled_id, tx.now + int(resolved[member])
                )
        tx.wake_pollers("activity", run["region"], run["domain"], task_list)
        return None

    def request_cancel_activity_task(self, attrs: dict[str, Any]) -> None:
        tx = self.tx
        activity_id = attrs["activityId"]
        row = tx.one(
            "SELECT * FROM activities WHERE run_pk = ? AND activity_id = ?", (self.pk, activity_id)
        )
        if row is None:
            return self._failed(
                "RequestCancelActivityTaskFailed",
                {"activityId": activity_id},
                "ACTIVITY_ID_UNKNOWN",
            )
        requested = self._event(
            "ActivityTaskCancelRequested",
            {"decisionTaskCompletedEventId": self.completed_id, "activityId": activity_id},
        )
        if row["state"] == 1:
            # Nobody holds the task yet, so it is canceled right away.
            self._event(
                "ActivityTaskCanceled",
                {
                    "scheduledEventId": row["scheduled_id"],
                    "startedEventId": 0,
                    "latestCancelRequestedEventId": requested,
                },
            )
            tx.run(
                "DELETE FROM activities WHERE run_pk = ? AND activity_id = ?",
                (self.pk, activity_id),
            )
            tx.run(
                "DELETE FROM timeouts WHERE run_pk = ? AND ref = ? AND kind LIKE 'AT_%'",
                (self.pk, activity_id),
            )
            request_decision(tx, self.pk)
        else:
            tx.run(
                "UPDATE activities SET cancel_requested = 1, cancel_event = ?"
                " WHERE run_pk = ? AND activity_id = ?",
                (requested, self.pk, activity_id),
            )
        return None

    # -- closing the run -------------------------------------------------------------

    def _close(
        self,
        attrs: dict[str, Any],
        failed: str,
        status: str,
        event_type: str,
        members: tuple[str, ...],
    ) -> None:
        if self.unhandled:
            return self._failed(failed, {}, "UNHANDLED_DECISION")
        outcome = self._optional(attrs, *members)
        close_run(
            self.tx,
            self.pk,
            status,
            event_type,
            {**outcome, "decisionTaskCompletedEventId": self.completed_id},
            outcome=outcome,
            run=self.run,
        )
        return None

    def complete_workflow_execution(self, attrs: dict[str, Any]) -> None:
        self._close(
            attrs,
            "CompleteWorkflowExecutionFailed",
            "COMPLETED",
            "WorkflowExecutionCompleted",
            ("result",),
        )

    def fail_workflow_execution(self, attrs: dict[str, Any]) -> None:
        self._close(
            attrs,
            "FailWorkflowExecutionFailed",
            "FAILED",
            "WorkflowExecutionFailed",
            ("reason", "details"),
        )

    def cancel_workflow_execution(self, attrs: dict[str, Any]) -> None:
        self._close(
            attrs,
            "CancelWorkflowExecutionFailed",
            "CANCELED",
            "WorkflowExecutionCanceled",
            ("details",),
        )

    def continue_as_new(self, attrs: dict[str, Any]) -> None:
        tx, run = self.tx, self.run
        failed = "ContinueAsNewWorkflowExecutionFailed"
        if self.unhandled:
            return self._failed(failed, {}, "UNHANDLED_DECISION")
        version = attrs.get("workflowTypeVersion") or run["type_version"]
        type_row = get_type(tx, run["region"], run["domain"], "workflow", run["type_name"], version)
        if type_row is None:
            return self._failed(failed, {}, "WORKFLOW_TYPE_DOES_NOT_EXIST")
        if type_row["status"] == "DEPRECATED":
            return self._failed(failed, {}, "WORKFLOW_TYPE_DEPRECATED")
        # As SWF documents for this decision, an option not given comes from the (new
        # version of the) workflow type's defaults, not from the closing run.
        config, missing = resolve_workflow_config(attrs, type_config(type_row))
        if missing is not None:
            return self._failed(failed, {}, f"DEFAULT_{missing}_UNDEFINED")
        config.setdefault("lambdaRole", None)
        tags = list(attrs.get("tagList") or [])
        workflow_type = {"name": run["type_name"], "version": version}
        new_id = new_run_id()
        event: dict[str, Any] = {
            **self._optional(attrs, "input"),
            "decisionTaskCompletedEventId": self.completed_id,
            "newExecutionRunId": new_id,
            "executionStartToCloseTimeout": config["executionStartToCloseTimeout"],
            "taskList": {"name": config["taskList"]["name"]},
            "taskPriority": config["taskPriority"],
            "taskStartToCloseTimeout": config["taskStartToCloseTimeout"],
            "childPolicy": config["childPolicy"],
        }
        if tags:
            event["tagList"] = tags
        event["workflowType"] = workflow_type
        if config["lambdaRole"] is not None:
            event["lambdaRole"] = config["lambdaRole"]
        close_run(
            tx, self.pk, "CONTINUED_AS_NEW", "WorkflowExecutionContinuedAsNew", event, run=run
        )
        parent = get_run(tx, run["parent_pk"]) if run["parent_pk"] is not None else None
        new_pk, _ = start_run(
            tx,
            region=run["region"],
            domain=run["domain"],
            workflow_id=run["workflow_id"],
            workflow_type=workflow_type,
            config=config,
            input=attrs.get("input"),
            tags=tags,
            parent=parent,
            parent_initiated=run["parent_initiated"],
            continued_from=run["run_id"],
            run_id=new_id,
        )
        if parent is not None:
            # The parent follows the chain: its child is now the new run.
            tx.run(
                "UPDATE children SET child_pk = ? WHERE parent_pk = ? AND initiated_id = ?",
                (new_pk, parent["pk"], run["parent_initiated"]),
            )
        return None

    # -- markers and timers ----------------------------------------------------------

    def record_marker(self, attrs: dict[str, Any]) -> None:
        self._event(
            "MarkerRecorded",
            {
                "markerName": attrs["markerName"],
                **self._optional(attrs, "details"),
                "decisionTaskCompletedEventId": self.completed_id,
            },
        )

    def start_timer(self, attrs: dict[str, Any]) -> None:
        tx = self.tx
        timer_id = attrs["timerId"]
        if tx.one("SELECT 1 FROM timers WHERE run_pk = ? AND timer_id = ?", (self.pk, timer_id)):
            return self._failed(
                "StartTimerFailed", {"timerId": timer_id}, "TIMER_ID_ALREADY_IN_USE"
            )
        if (
            tx.scalar("SELECT COUNT(*) FROM timers WHERE run_pk = ?", (self.pk,))
            >= OPEN_TIMERS_LIMIT
        ):
            return self._failed(
                "StartTimerFailed", {"timerId": timer_id}, "OPEN_TIMERS_LIMIT_EXCEEDED"
            )
        started = self._event(
            "TimerStarted",
            {
                "timerId": timer_id,
                **self._optional(attrs, "control"),
                "startToFireTimeout": attrs["startToFireTimeout"],
                "decisionTaskCompletedEventId": self.completed_id,
            },
        )
        if not started:
            return None
        tx.run(
            "INSERT INTO timers (run_pk, timer_id, started_id) VALUES (?, ?, ?)",
            (self.pk, timer_id, started),
        )
        add_timeout(
            tx, self.pk, "TIMER", timer_id, started, tx.now + int(attrs["startToFireTimeout"])
        )
        return None

    def cancel_timer(self, attrs: dict[str, Any]) -> None:
        tx = self.tx
        timer_id = attrs["timerId"]
        row = tx.one(
            "SELECT started_id FROM timers WHERE run_pk = ? AND timer_id = ?", (self.pk, timer_id)
        )
        if row is None:
            return self._failed("CancelTimerFailed", {"timerId": timer_id}, "TIMER_ID_UNKNOWN")
        self._event(
            "TimerCanceled",
            {
                "timerId": timer_id,
                "startedEventId": row["started_id"],
                "decisionTaskCompletedEventId": self.completed_id,
            },
        )
        tx.run("DELETE FROM timers WHERE run_pk = ? AND timer_id = ?", (self.pk, timer_id))
        drop_timeout(tx, self.pk, "TIMER", timer_id)
        return None

    # -- other executions ------------------------------------------------------------

    def _target(self, attrs: dict[str, Any]) -> sqlite3.Row | None:
        target = open_run_by_workflow_id(
            self.tx, self.run["region"], self.run["domain"], attrs["workflowId"]
        )
        if target is not None and attrs.get("runId") and target["run_id"] != attrs["runId"]:
            return None
        return target

    def signal_external(self, attrs: dict[str, Any]) -> None:
        ident = {"workflowId": attrs["workflowId"], **self._optional(attrs, "runId")}
        initiated = self._event(
            "SignalExternalWorkflowExecutionInitiated",
            {
                **ident,
                "signalName": attrs["signalName"],
                **self._optional(attrs, "input"),
                "decisionTaskCompletedEventId": self.completed_id,
                **self._optional(attrs, "control"),
            },
        )
        if not initiated:
            return None
        target = self._target(attrs)
        if target is None:
            return self._failed(
                "SignalExternalWorkflowExecutionFailed",
                {**ident, "initiatedEventId": initiated, **self._optional(attrs, "control")},
                "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
            )
        signal_run(
            self.tx,
            target["pk"],
            attrs["signalName"],
            attrs.get("input"),
            external=self.run,
            external_initiated=initiated,
        )
        self._event(
            "ExternalWorkflowExecutionSignaled",
            {"workflowExecution": execution_of(target), "initiatedEventId": initiated},
        )
        request_decision(self.tx, self.pk)
        return None

    def request_cancel_external(self, attrs: dict[str, Any]) -> None:
        ident = {"workflowId": attrs["workflowId"], **self._optional(attrs, "runId")}
        initiated = self._event(
            "RequestCancelExternalWorkflowExecutionInitiated",
            {
                **ident,
                "decisionTaskCompletedEventId": self.completed_id,
                **self._optional(attrs, "control"),
            },
        )
        if not initiated:
            return None
        target = self._target(attrs)
        if target is None:
            return self._failed(
                "RequestCancelExternalWorkflowExecutionFailed",
                {**ident, "initiatedEventId": initiated, **self._optional(attrs, "control")},
                "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
            )
        request_cancel_run(self.tx, target["pk"], external=self.run, external_initiated=initiated)
        self._event(
            "ExternalWorkflowExecutionCancelRequested",
            {"workflowExecution": execution_of(target), "initiatedEventId": initiated},
        )
        request_decision(self.tx, self.pk)
        return None

    def start_child(self, attrs: dict[str, Any]) -> None:
        tx, run = self.tx, self.run
        workflow_type = {
            "name": attrs["workflowType"]["name"],
            "version": attrs["workflowType"]["version"],
        }
        workflow_id = attrs["workflowId"]
        failed = "StartChildWorkflowExecutionFailed"

        def fail(cause: str, initiated: int) -> None:
            self._failed(
                failed,
                {
                    "workflowType": workflow_type,
                    "workflowId": workflow_id,
                    "initiatedEventId": initiated,
                    **self._optional(attrs, "control"),
                },
                cause,
            )

        # Problems with the decision itself fail it before anything is initiated.
        type_row = get_type(
            tx,
            run["region"],
            run["domain"],
            "workflow",
            workflow_type["name"],
            workflow_type["version"],
        )
        if type_row is None:
            return fail("WORKFLOW_TYPE_DOES_NOT_EXIST", 0)
        if type_row["status"] == "DEPRECATED":
            return fail("WORKFLOW_TYPE_DEPRECATED", 0)
        config, missing = resolve_workflow_config(attrs, type_config(type_row))
        if missing is not None:
            return fail(f"DEFAULT_{missing}_UNDEFINED", 0)
        if (
            tx.scalar("SELECT COUNT(*) FROM children WHERE parent_pk = ?", (self.pk,))
            >= OPEN_CHILDREN_LIMIT
        ):
            return fail("OPEN_CHILDREN_LIMIT_EXCEEDED", 0)
        tags = list(attrs.get("tagList") or [])
        event: dict[str, Any] = {
            "workflowId": workflow_id,
            "workflowType": workflow_type,
            **self._optional(attrs, "control", "input"),
            "executionStartToCloseTimeout": config["executionStartToCloseTimeout"],
            "taskList": {"name": config["taskList"]["name"]},
            "taskPriority": config["taskPriority"],
            "decisionTaskCompletedEventId": self.completed_id,
            "childPolicy": config["childPolicy"],
            "taskStartToCloseTimeout": config["taskStartToCloseTimeout"],
        }
        if tags:
            event["tagList"] = tags
        if config.get("lambdaRole") is not None:
            event["lambdaRole"] = config["lambdaRole"]
        initiated = self._event("StartChildWorkflowExecutionInitiated", event)
        if not initiated:
            return None
        # Problems found when starting the child fail it after initiation.
        if open_run_by_workflow_id(tx, run["region"], run["domain"], workflow_id) is not None:
            return fail("WORKFLOW_ALREADY_RUNNING", initiated)
        open_runs = tx.scalar(
            "SELECT open_runs FROM domains WHERE region = ? AND name = ?",
            (run["region"], run["domain"]),
        )
        if open_runs >= OPEN_EXECUTIONS_PER_DOMAIN:
            return fail("OPEN_WORKFLOWS_LIMIT_EXCEEDED", initiated)
        child_pk, child_run_id = start_run(
            tx,
            region=run["region"],
            domain=run["domain"],
            workflow_id=workflow_id,
            workflow_type=workflow_type,
            config=config,
            input=attrs.get("input"),
            tags=tags,
            parent=run,
            parent_initiated=initiated,
        )
        started = self._event(
            "ChildWorkflowExecutionStarted",
            {
                "workflowExecution": {"workflowId": workflow_id, "runId": child_run_id},
                "workflowType": workflow_type,
                "initiatedEventId": initiated,
            },
        )
        tx.run(
            "INSERT INTO children (parent_pk, initiated_id, child_pk, started_id)"
            " VALUES (?, ?, ?, ?)",
            (self.pk, initiated, child_pk, started),
        )
        request_decision(tx, self.pk)
        return None

    def schedule_lambda_function(self, attrs: dict[str, Any]) -> None:
        # The embedded server has no Lambda; SWF answers this way in regions without it.
        self._failed(
            "ScheduleLambdaFunctionFailed",
            {"id": attrs["id"], "name": attrs["name"]},
            "LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION",
        )
