"""The life of one workflow run: its history, decision-task scheduling, start and close."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

import orjson

from botoflowx.server._limits import EVENT_LIMIT
from botoflowx.server._store import Tx
from botoflowx.server._tokens import new_run_id

__all__ = [
    "CLOSE_EVENT_TYPES",
    "DT_COMPLETING",
    "DT_NONE",
    "DT_SCHEDULED",
    "DT_STARTED",
    "WORKFLOW_CONFIG_FIELDS",
    "add_timeout",
    "append_event",
    "attrs_key",
    "close_run",
    "execution_of",
    "get_run",
    "open_run_by_workflow_id",
    "purge_run",
    "request_cancel_run",
    "request_decision",
    "resolve_workflow_config",
    "schedule_decision_task",
    "signal_run",
    "start_run",
    "terminate_run",
    "type_of",
]

# Decision-task states of a run (runs.dt_state). DT_COMPLETING covers the window in
# which RespondDecisionTaskCompleted applies its decisions: events that need a
# decision then only set dt_pending, exactly as while the task is started.
DT_NONE = 0
DT_SCHEDULED = 1
DT_STARTED = 2
DT_COMPLETING = 3

CLOSE_EVENT_TYPES = frozenset(
    {
        "WorkflowExecutionCompleted",
        "WorkflowExecutionFailed",
        "WorkflowExecutionCanceled",
        "WorkflowExecutionTimedOut",
        "WorkflowExecutionTerminated",
        "WorkflowExecutionContinuedAsNew",
    }
)

# The parent's notification event for each way a child can close.
_CHILD_CLOSE_EVENTS = {
    "COMPLETED": "ChildWorkflowExecutionCompleted",
    "FAILED": "ChildWorkflowExecutionFailed",
    "CANCELED": "ChildWorkflowExecutionCanceled",
    "TIMED_OUT": "ChildWorkflowExecutionTimedOut",
    "TERMINATED": "ChildWorkflowExecutionTerminated",
}

# (request member, type default member, DEFAULT_*_UNDEFINED suffix or None if optional)
WORKFLOW_CONFIG_FIELDS = (
    ("taskList", "defaultTaskList", "TASK_LIST"),
    (
        "executionStartToCloseTimeout",
        "defaultExecutionStartToCloseTimeout",
        "EXECUTION_START_TO_CLOSE_TIMEOUT",
    ),
    ("taskStartToCloseTimeout", "defaultTaskStartToCloseTimeout", "TASK_START_TO_CLOSE_TIMEOUT"),
    ("childPolicy", "defaultChildPolicy", "CHILD_POLICY"),
    ("taskPriority", "defaultTaskPriority", None),
    ("lambdaRole", "defaultLambdaRole", None),
)


# The columns schedule_decision_task reads.
_SCHEDULE_COLUMNS = (
    "region, domain, task_list, task_priority, task_timeout, override_list, override_s2s"
)


def attrs_key(event_type: str) -> str:
    """Return the attributes member of an event type, e.g. ``timerFiredEventAttributes``."""
    return event_type[0].lower() + event_type[1:] + "EventAttributes"


def get_run(tx: Tx, pk: int) -> sqlite3.Row:
    """Return the run row with primary key ``pk`` (it must exist)."""
    row = tx.one("SELECT * FROM runs WHERE pk = ?", (pk,))
    assert row is not None, f"run {pk} vanished"
    return row


def open_run_by_workflow_id(
    tx: Tx, region: str, domain: str, workflow_id: str
) -> sqlite3.Row | None:
    """Return the open run of ``workflow_id`` in a domain, if any."""
    return tx.one(
        "SELECT * FROM runs WHERE region = ? AND domain = ? AND workflow_id = ? AND open = 1",
        (region, domain, workflow_id),
    )


def execution_of(run: sqlite3.Row) -> dict[str, str]:
    """Return the ``WorkflowExecution`` structure of a run."""
    return {"workflowId": run["workflow_id"], "runId": run["run_id"]}


def type_of(run: sqlite3.Row) -> dict[str, str]:
    """Return the ``WorkflowType`` structure of a run."""
    return {"name": run["type_name"], "version": run["type_version"]}


def resolve_workflow_config(
    given: dict[str, Any], defaults: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """Merge a start request's options with the workflow type's defaults.

    Args:
        given: the request members (``taskList``, timeouts, ``childPolicy``, ...).
        defaults: the type's configuration (``defaultTaskList``, ...).

    Returns:
        ``(config, missing)``: the effective configuration, and the suffix of the first
        required option that neither supplied (e.g. ``"TASK_LIST"``), or None.
    """
    config: dict[str, Any] = {}
    for member, default_member, undefined in WORKFLOW_CONFIG_FIELDS:
        value = given.get(member)
        if value is None:
            value = defaults.get(default_member)
        if value is None and undefined is not None:
            return config, undefined
        if value is not None:
            config[member] = value
    config.setdefault("taskPriority", "0")
    return config, None


def append_event(tx: Tx, pk: int, event_type: str, attrs: dict[str, Any]) -> int:
    """Append one event to a run's history and return its id.

    When the history reaches the event limit the run is terminated with
    ``EVENT_LIMIT_EXCEEDED`` (its last event is the termination). Then 0 is returned,
    for this append and any later one in the transaction (those are dropped), so
    callers skip the side effects (task rows, timeouts) of an event on a closed run.
    """
    if pk in tx.limit_closed:
        return 0
    last = tx.last_event.get(pk)
    if last is None:
        last = tx.known_last_event.get(pk)
    if last is None:
        last = tx.scalar("SELECT MAX(event_id) FROM events WHERE run_pk = ?", (pk,)) or 0
    event_id = last + 1
    tx.last_event[pk] = event_id
    tx.run(
        "INSERT INTO events (run_pk, event_id, ts, type, attrs) VALUES (?, ?, ?, ?, ?)",
        (pk, event_id, tx.now, event_type, orjson.dumps(attrs)),
    )
    # Keep one slot for the termination event so the history never exceeds the limit.
    if event_id >= EVENT_LIMIT - 1 and event_type not in CLOSE_EVENT_TYPES:
        run = get_run(tx, pk)
        if run["open"]:
            terminate_run(tx, pk, cause="EVENT_LIMIT_EXCEEDED")
            tx.limit_closed.add(pk)
            return 0
    return event_id


def add_timeout(tx: Tx, pk: int, kind: str, ref: str, gen: int, due: float) -> None:
    """Arm (or re-arm) a timeout of ``kind`` for ``ref`` in a run, due at epoch ``due``."""
    tx.run(
        "INSERT OR REPLACE INTO timeouts (run_pk, kind, ref, gen, due) VALUES (?, ?, ?, ?, ?)",
        (pk, kind, ref, gen, due),
    )
    tx.timeout_added(due)


def drop_timeout(tx: Tx, pk: int, kind: str, ref: str = "") -> None:
    """Disarm one timeout (no-op if it is not armed)."""
    tx.run("DELETE FROM timeouts WHERE run_pk = ? AND kind = ? AND ref = ?", (pk, kind, ref))


def request_decision(tx: Tx, pk: int) -> None:
    """Record that something happened in a run that its decider must see.

    At most one decision task is outstanding per run: with none, one is scheduled now;
    with one scheduled, that task will carry the new event; with one started (or being
    completed), a follow-up is scheduled when it completes or times out.
    """
    row = tx.one(f"SELECT open, dt_state, {_SCHEDULE_COLUMNS} FROM runs WHERE pk = ?", (pk,))
    if row is None or not row["open"]:
        return
    if row["dt_state"] == DT_NONE:
        schedule_decision_task(tx, pk, row)
    elif row["dt_state"] in (DT_STARTED, DT_COMPLETING):
        tx.run("UPDATE runs SET dt_pending = 1 WHERE pk = ?", (pk,))


def schedule_decision_task(
    tx: Tx, pk: int, run: sqlite3.Row | Mapping[str, Any] | None = None
) -> None:
    """Write DecisionTaskScheduled and queue the task (on the override list if one is set).

    Args:
        run: the run's current values of the columns in ``_SCHEDULE_COLUMNS``, if the
            caller has them.
    """
    if run is None:
        run = tx.one(f"SELECT {_SCHEDULE_COLUMNS} FROM runs WHERE pk = ?", (pk,))
        assert run is not None, f"run {pk} vanished"
    on_override = run["override_list"] is not None
    task_list = run["override_list"] if on_override else run["task_list"]
    s2s = (run["override_s2s"] or "NONE") if on_override else "NONE"
    event_id = append_event(
        tx,
        pk,
        "DecisionTaskScheduled",
        {
            "taskList": {"name": task_list},
            "taskPriority": run["task_priority"],
            "startToCloseTimeout": run["task_timeout"],
            "scheduleToStartTimeout": s2s,
        },
    )
    if not event_id:
        return
    tx.run(
        "UPDATE runs SET dt_state = ?, dt_pending = 0, dt_scheduled = ?, dt_started = 0,"
        " dt_token = NULL, dt_list = ?, dt_priority = ?, dt_seq = ?, dt_on_override = ?"
        " WHERE pk = ?",
        (
            DT_SCHEDULED,
            event_id,
            task_list,
            int(run["task_priority"]),
            tx.next_seq(),
            int(on_override),
            pk,
        ),
    )
    if on_override and s2s != "NONE":
        add_timeout(tx, pk, "DT_S2S", "", event_id, tx.now + int(s2s))
    tx.wake_pollers("decision", run["region"], run["domain"], task_list)


def start_run(
    tx: Tx,
    *,
    region: str,
    domain: str,
    workflow_id: str,
    workflow_type: dict[str, str],
    config: dict[str, Any],
    input: str | None,
    tags: list[str],
    parent: sqlite3.Row | None = None,
    parent_initiated: int = 0,
    continued_from: str | None = None,
    run_id: str | None = None,
) -> tuple[int, str]:
    """Create an open run, write WorkflowExecutionStarted and its first decision task.

    Args:
        config: the resolved configuration (see :func:`resolve_workflow_config`).
        parent: the parent run of a child workflow.
        parent_initiated: the parent's StartChildWorkflowExecutionInitiated event id.
        continued_from: the run id this run continues (continue-as-new).
        run_id: a pre-generated run id (continue-as-new names the new run first).

    Returns:
        ``(pk, run_id)`` of the new run.
    """
    run_id = run_id or new_run_id()
    pk = tx.insert(
        "INSERT INTO runs (region, domain, workflow_id, run_id, type_name, type_version, open,"
        " start_ts, task_list, task_priority, exec_timeout, task_timeout, child_policy,"
        " lambda_role, tags, parent_pk, parent_initiated)"
        " VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            region,
            domain,
            workflow_id,
            run_id,
            workflow_type["name"],
            workflow_type["version"],
            tx.now,
            config["taskList"]["name"],
            config["taskPriority"],
            config["executionStartToCloseTimeout"],
            config["taskStartToCloseTimeout"],
            config["childPolicy"],
            config.get("lambdaRole"),
            orjson.dumps(tags),
            parent["pk"] if parent is not None else None,
            parent_initiated,
        ),
    )
    # A new run has no events (a reused pk's were purged with its run).
    tx.last_event[pk] = 0
    tx.run(
        "UPDATE domains SET open_runs = open_runs + 1 WHERE region = ? AND name = ?",
        (region, domain),
    )
    for tag in dict.fromkeys(tags):
        tx.run("INSERT INTO run_tags (run_pk, tag) VALUES (?, ?)", (pk, tag))
    attrs: dict[str, Any] = {}
    if input is not None:
        attrs["input"] = input
    attrs.update(
        executionStartToCloseTimeout=config["executionStartToCloseTimeout"],
        taskStartToCloseTimeout=config["taskStartToCloseTimeout"],
        childPolicy=config["childPolicy"],
        taskList=dict(config["taskList"]),
        taskPriority=config["taskPriority"],
        workflowType=dict(workflow_type),
    )
    if tags:
        attrs["tagList"] = list(tags)
    if continued_from is not None:
        attrs["continuedExecutionRunId"] = continued_from
    if parent is not None:
        attrs["parentWorkflowExecution"] = execution_of(parent)
    attrs["parentInitiatedEventId"] = parent_initiated
    if config.get("lambdaRole") is not None:
        attrs["lambdaRole"] = config["lambdaRole"]
    append_event(tx, pk, "WorkflowExecutionStarted", attrs)
    add_timeout(tx, pk, "WF", "", 1, tx.now + int(config["executionStartToCloseTimeout"]))
    schedule_decision_task(
        tx,
        pk,
        {
            "region": region,
            "domain": domain,
            "task_list": config["taskList"]["name"],
            "task_priority": config["taskPriority"],
            "task_timeout": config["taskStartToCloseTimeout"],
            "override_list": None,
            "override_s2s": None,
        },
    )
    return pk, run_id


def close_run(
    tx: Tx,
    pk: int,
    close_status: str,
    event_type: str,
    attrs: dict[str, Any],
    *,
    outcome: dict[str, Any] | None = None,
    child_policy: str | None = None,
    run: sqlite3.Row | None = None,
) -> int:
    """Close a run: write its close event, retire its tasks, timers and timeouts.

    Args:
        close_status: the run's ``CloseStatus``.
        event_type: the close event to write, with ``attrs``.
        outcome: members for the parent's ``ChildWorkflowExecution*`` event (result,
            reason/details, timeoutType); the parent is not notified on continue-as-new
            because the child lives on in the new run.
        child_policy: the policy to apply to the run's open children (terminate and
            time-out apply it; the other closes leave children running).
        run: the run's row if the caller has it (only its identity columns are read:
            region, domain, ids, type and parent).

    Returns:
        The id of the close event.
    """
    if run is None:
        run = get_run(tx, pk)
    event_id = append_event(tx, pk, event_type, attrs)
    tx.closed.add(pk)
    tx.run(
        "UPDATE runs SET open = 0, close_status = ?, close_ts = ?, dt_state = 0, dt_pending = 0,"
        " dt_token = NULL WHERE pk = ?",
        (close_status, tx.now, pk),
    )
    # The domain's retention period decides when the closed run and its history go;
    # "NONE" and "0" mean right away (the scheduler purges it in its next round).
    retention = tx.scalar(
        "UPDATE domains SET open_runs = open_runs - 1 WHERE region = ? AND name = ?"
        " RETURNING retention",
        (run["region"], run["domain"]),
    )
    # Closing makes every open task unusable: tokens stop resolving, timers never fire.
    tx.run("DELETE FROM activities WHERE run_pk = ?", (pk,))
    tx.run("DELETE FROM timers WHERE run_pk = ?", (pk,))
    tx.run("DELETE FROM timeouts WHERE run_pk = ?", (pk,))
    days = 0 if retention in (None, "NONE") else int(retention)
    add_timeout(tx, pk, "PURGE", "", 0, tx.now + days * 86400)
    children = tx.all("SELECT child_pk FROM children WHERE parent_pk = ?", (pk,))
    if children:
        tx.run("DELETE FROM children WHERE parent_pk = ?", (pk,))
    if child_policy in ("TERMINATE", "REQUEST_CANCEL"):
        for child in children:
            child_run = get_run(tx, child["child_pk"])
            if not child_run["open"]:
                continue
            if child_policy == "TERMINATE":
                terminate_run(tx, child_run["pk"], cause="CHILD_POLICY_APPLIED")
            else:
                request_cancel_run(tx, child_run["pk"], cause="CHILD_POLICY_APPLIED")
    if close_status != "CONTINUED_AS_NEW":
        _notify_parent(tx, run, close_status, outcome or {})
    return event_id


def _notify_parent(tx: Tx, run: sqlite3.Row, close_status: str, outcome: dict[str, Any]) -> None:
    if run["parent_pk"] is None:
        return
    link = tx.one(
        "SELECT started_id FROM children WHERE parent_pk = ? AND initiated_id = ?",
        (run["parent_pk"], run["parent_initiated"]),
    )
    if link is None:  # the parent closed (or abandoned us) meanwhile
        return
    attrs = {
        "workflowExecution": execution_of(run),
        "workflowType": type_of(run),
        **outcome,
        "initiatedEventId": run["parent_initiated"],
        "startedEventId": link["started_id"],
    }
    append_event(tx, run["parent_pk"], _CHILD_CLOSE_EVENTS[close_status], attrs)
    tx.run(
        "DELETE FROM children WHERE parent_pk = ? AND initiated_id = ?",
        (run["parent_pk"], run["parent_initiated"]),
    )
    request_decision(tx, run["parent_pk"])


def purge_run(tx: Tx, pk: int) -> None:
    """Delete a closed run and its history once its retention period is over."""
    tx.closed.add(pk)  # its pk may be reused, so no cached event id may outlive it
    tx.run("DELETE FROM events WHERE run_pk = ?", (pk,))
    tx.run("DELETE FROM run_tags WHERE run_pk = ?", (pk,))
    tx.run("DELETE FROM children WHERE child_pk = ?", (pk,))
    tx.run("DELETE FROM timeouts WHERE run_pk = ?", (pk,))
    tx.run("DELETE FROM runs WHERE pk = ? AND open = 0", (pk,))


def terminate_run(
    tx: Tx,
    pk: int,
    *,
    reason: str | None = None,
    details: str | None = None,
    child_policy: str | None = None,
    cause: str | None = None,
) -> None:
    """Close a run with WorkflowExecutionTerminated and apply the child policy."""
    run = get_run(tx, pk)
    policy = child_policy or run["child_policy"]
    attrs: dict[str, Any] = {}
    if reason is not None:
        attrs["reason"] = reason
    if details is not None:
        attrs["details"] = details
    attrs["childPolicy"] = policy
    if cause is not None:
        attrs["cause"] = cause
    close_run(
        tx, pk, "TERMINATED", "WorkflowExecutionTerminated", attrs, child_policy=policy, run=run
    )


def request_cancel_run(
    tx: Tx,
    pk: int,
    *,
    external: sqlite3.Row | None = None,
    external_initiated: int = 0,
    cause: str | None = None,
) -> None:
    """Write WorkflowExecutionCancelRequested to an open run and ask its decider to act."""
    attrs: dict[str, Any] = {}
    if external is not None:
        attrs["externalWorkflowExecution"] = execution_of(external)
        attrs["externalInitiatedEventId"] = external_initiated
    if cause is not None:
        attrs["cause"] = cause
    append_event(tx, pk, "WorkflowExecutionCancelRequested", attrs)
    tx.run("UPDATE runs SET cancel_requested = 1 WHERE pk = ?", (pk,))
    request_decision(tx, pk)


def signal_run(
    tx: Tx,
    pk: int,
    signal_name: str,
    input: str | None,
    *,
    external: sqlite3.Row | None = None,
    external_initiated: int = 0,
) -> None:
    """Write WorkflowExecutionSignaled to an open run and ask its decider to act."""
    attrs: dict[str, Any] = {"signalName": signal_name}
    if input is not None:
        attrs["input"] = input
    if external is not None:
        attrs["externalWorkflowExecution"] = execution_of(external)
        attrs["externalInitiatedEventId"] = external_initiated
    append_event(tx, pk, "WorkflowExecutionSignaled", attrs)
    request_decision(tx, pk)
