"""Read side: history pages, DescribeWorkflowExecution, List/Count executions and pending tasks."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from botoflowx.server._engine_runs import (
    DT_SCHEDULED,
    DT_STARTED,
    attrs_key,
    execution_of,
    type_of,
)
from botoflowx.server._faults import UnknownResourceFault, ValidationException
from botoflowx.server._limits import page_size
from botoflowx.server._registry import require_domain
from botoflowx.server._store import Tx
from botoflowx.server._tokens import PageTokens, fingerprint

__all__ = ["Visibility", "find_run", "history_page", "render_event"]


# attrs_key of each event type seen so far (a few dozen types; saves building the name).
_ATTRS_KEYS: dict[str, str] = {}

# The columns render_event reads, in the order it unpacks them.
_EVENT_COLUMNS = "event_id, ts, type, attrs"


def render_event(row: sqlite3.Row) -> dict[str, Any]:
    """Return a stored event (the columns ``_EVENT_COLUMNS``) as the ``HistoryEvent``."""
    event_id, ts, event_type, attrs = row
    key = _ATTRS_KEYS.get(event_type)
    if key is None:
        key = _ATTRS_KEYS[event_type] = attrs_key(event_type)
    return {
        "eventTimestamp": ts,
        "eventType": event_type,
        "eventId": event_id,
        key: orjson.loads(attrs),
    }


def unknown_execution(workflow_id: str, run_id: str | None) -> UnknownResourceFault:
    """Return the fault SWF answers for an execution it does not know (or that is closed)."""
    return UnknownResourceFault(
        f"Unknown execution: WorkflowExecution=[workflowId={workflow_id}, runId={run_id}]"
    )


def find_run(
    tx: Tx, region: str, domain: str, workflow_id: str, run_id: str | None, *, open_only: bool
) -> sqlite3.Row:
    """Return the run named by a request (the open run of ``workflow_id`` if no ``run_id``).

    Raises:
        UnknownResourceFault: if the domain or run is unknown, or ``open_only`` and it is closed.
    """
    require_domain(tx, region, domain)
    if run_id:
        row = tx.one(
            "SELECT * FROM runs WHERE run_id = ? AND region = ? AND domain = ? AND workflow_id = ?",
            (run_id, region, domain, workflow_id),
        )
    else:
        row = tx.one(
            "SELECT * FROM runs WHERE region = ? AND domain = ? AND workflow_id = ? AND open = 1",
            (region, domain, workflow_id),
        )
    if row is None or (open_only and not row["open"]):
        raise unknown_execution(workflow_id, run_id)
    return row


def history_page(
    tx: Tx,
    tokens: PageTokens,
    pk: int,
    *,
    kind: str,
    bound: str,
    reverse: bool,
    size: int,
    next_token: str | None,
    low: int = 1,
    carry: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], str | None, dict[str, Any]]:
    """Read one page of a run's history with an indexed range query.

    Args:
        kind: the token family (poll pages and history pages do not mix).
        bound: fingerprint of the call's arguments; a token only works for the same call.
        next_token: the ``nextPageToken`` of the request, if paging.
        low: the smallest event id to return (``startAtPreviousStartedEvent``).
        carry: extra cursor members to carry through the token (the decision task).

    Returns:
        ``(events, nextPageToken or None, cursor)``; ``cursor`` is the decoded token
        (or ``carry``) so the caller can recover what it carried.
    """
    cursor = carry or {}
    if next_token:
        cursor = tokens.check(next_token, kind, bound, tx.now)
        if cursor.get("r", pk) != pk:
            raise ValidationException("Invalid nextPageToken: it belongs to another execution")
        start = cursor["n"]
        low = cursor.get("lo", low)
    else:
        start = low
        if reverse:
            start = tx.scalar("SELECT MAX(event_id) FROM events WHERE run_pk = ?", (pk,)) or 0
    if reverse:
        rows = tx.all(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE run_pk = ? AND event_id <= ?"
            " AND event_id >= ? ORDER BY event_id DESC LIMIT ?",
            (pk, start, low, size + 1),
        )
    else:
        rows = tx.all(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE run_pk = ? AND event_id >= ?"
            " ORDER BY event_id LIMIT ?",
            (pk, start, size + 1),
        )
    token = None
    if len(rows) > size:
        following = {k: v for k, v in cursor.items() if k not in ("k", "b", "x")}
        following.update(r=pk, n=rows[size]["event_id"], lo=low)
        token = tokens.issue(kind, bound, following, tx.now)
    return [render_event(r) for r in rows[:size]], token, cursor


class Visibility:
    """The visibility operations."""

    def __init__(self, tokens: PageTokens) -> None:
        self._tokens = tokens

    def get_history(self, tx: Tx, params: dict[str, Any], region: str) -> dict[str, Any]:
        """GetWorkflowExecutionHistory."""
        execution = params["execution"]
        run = find_run(
            tx,
            region,
            params["domain"],
            execution["workflowId"],
            execution["runId"],
            open_only=False,
        )
        reverse = bool(params.get("reverseOrder"))
        size = page_size(params)
        bound = fingerprint("History", region, params["domain"], run["run_id"], reverse, size)
        events, token, _ = history_page(
            tx,
            self._tokens,
            run["pk"],
            kind="history",
            bound=bound,
            reverse=reverse,
            size=size,
            next_token=params.get("nextPageToken"),
        )
        result: dict[str, Any] = {"events": events}
        if token:
            result["nextPageToken"] = token
        return result

    def _execution_info(self, tx: Tx, run: sqlite3.Row) -> dict[str, Any]:
        info: dict[str, Any] = {
            "execution": execution_of(run),
            "workflowType": type_of(run),
            "startTimestamp": run["start_ts"],
        }
        if not run["open"]:
            info["closeTimestamp"] = run["close_ts"]
        info["executionStatus"] = "OPEN" if run["open"] else "CLOSED"
        if not run["open"]:
            info["closeStatus"] = run["close_status"]
        if run["parent_pk"] is not None:
            parent = tx.one(
                "SELECT workflow_id, run_id FROM runs WHERE pk = ?", (run["parent_pk"],)
            )
            if parent is not None:
                info["parent"] = execution_of(parent)
        tags = orjson.loads(run["tags"])
        if tags:
            info["tagList"] = tags
        info["cancelRequested"] = bool(run["cancel_requested"])
        return info

    def describe_execution(self, tx: Tx, params: dict[str, Any], region: str) -> dict[str, Any]:
        """DescribeWorkflowExecution."""
        execution = params["execution"]
        run = find_run(
            tx,
            region,
            params["domain"],
            execution["workflowId"],
            execution["runId"],
            open_only=False,
        )
        pk = run["pk"]
        config: dict[str, Any] = {
            "taskStartToCloseTimeout": run["task_timeout"],
            "executionStartToCloseTimeout": run["exec_timeout"],
            "taskList": {"name": run["task_list"]},
            "taskPriority": run["task_priority"],
            "childPolicy": run["child_policy"],
        }
        if run["lambda_role"] is not None:
            config["lambdaRole"] = run["lambda_role"]
        result: dict[str, Any] = {
            "executionInfo": self._execution_info(tx, run),
            "executionConfiguration": config,
            "openCounts": {
                "openActivityTasks": tx.scalar(
                    "SELECT COUNT(*) FROM activities WHERE run_pk = ?", (pk,)
                ),
                "openDecisionTasks": int(run["dt_state"] in (DT_SCHEDULED, DT_STARTED)),
                "openTimers": tx.scalar("SELECT COUNT(*) FROM timers WHERE run_pk = ?", (pk,)),
                "openChildWorkflowExecutions": tx.scalar(
                    "SELECT COUNT(*) FROM children WHERE parent_pk = ?", (pk,)
                ),
                "openLambdaFunctions": 0,
            },
        }
        if run["latest_activity_ts"] is not None:
            result["latestActivityTaskTimestamp"] = run["latest_activity_ts"]
        if run["latest_context"] is not None:
            result["latestExecutionContext"] = run["latest_context"]
        return result

    # -- list / count ----------------------------------------------------------------

    @staticmethod
    def _filters(params: dict[str, Any], region: str, is_open: bool) -> tuple[str, list[Any], str]:
        """Return the WHERE clause, its arguments and the time column the call sorts by."""
        exclusive = ["executionFilter", "typeFilter", "tagFilter"]
        if not is_open:
            exclusive.append("closeStatusFilter")
        given = [name for name in exclusive if params.get(name) is not None]
        if len(given) > 1:
            raise ValidationException(
                f"Only one of {', '.join(exclusive)} can be specified (got {', '.join(given)})"
            )
        start_filter = params.get("startTimeFilter")
        close_filter = None if is_open else params.get("closeTimeFilter")
        if is_open and start_filter is None:
            raise ValidationException(
                "1 validation error detected: Value null at 'startTimeFilter' failed to satisfy"
                " constraint: Member must not be null"
            )
        if not is_open and (start_filter is None) == (close_filter is None):
            raise ValidationException(
                "Exactly one of startTimeFilter or closeTimeFilter must be specified"
            )
        sql = "region = ? AND domain = ? AND open = ?"
        args: list[Any] = [region, params["domain"], int(is_open)]
        column = "start_ts" if start_filter is not None else "close_ts"
        time_filter = start_filter if start_filter is not None else close_filter
        assert time_filter is not None
        sql += f" AND {column} >= ?"
        args.append(float(time_filter["oldestDate"]))
        if time_filter.get("latestDate") is not None:
            sql += f" AND {column} <= ?"
            args.append(float(time_filter["latestDate"]))
        if params.get("executionFilter") is not None:
            sql += " AND workflow_id = ?"
            args.append(params["executionFilter"]["workflowId"])
        if params.get("typeFilter") is not None:
            sql += " AND type_name = ?"
            args.append(params["typeFilter"]["name"])
            if params["typeFilter"].get("version"):
                sql += " AND type_version = ?"
                args.append(params["typeFilter"]["version"])
        if params.get("tagFilter") is not None:
            sql += " AND pk IN (SELECT run_pk FROM run_tags WHERE tag = ?)"
            args.append(params["tagFilter"]["tag"])
        if not is_open and params.get("closeStatusFilter") is not None:
            sql += " AND close_status = ?"
            args.append(params["closeStatusFilter"]["status"])
        return sql, args, column

    def list_executions(
        self, tx: Tx, params: dict[str, Any], region: str, *, is_open: bool
    ) -> dict[str, Any]:
        """ListOpen/ClosedWorkflowExecutions: newest first unless ``reverseOrder``."""
        require_domain(tx, region, params["domain"])
        where, args, column = self._filters(params, region, is_open)
        reverse = bool(params.get("reverseOrder"))
        size = page_size(params)
        bound_args = {k: v for k, v in params.items() if k != "nextPageToken"}
        bound = fingerprint("ListExecutions", region, is_open, bound_args)
        op, order = (">", "ASC") if reverse else ("<", "DESC")
        if params.get("nextPageToken"):
            cursor = self._tokens.check(params["nextPageToken"], "executions", bound, tx.now)
            where += f" AND ({column}, pk) {op} (?, ?)"
            args += [cursor["t"], cursor["p"]]
        rows = tx.all(
            f"SELECT * FROM runs WHERE {where} ORDER BY {column} {order}, pk {order} LIMIT ?",
            [*args, size + 1],
        )
        result: dict[str, Any] = {
            "executionInfos": [self._execution_info(tx, r) for r in rows[:size]]
        }
        if len(rows) > size:
            last = rows[size - 1]
            result["nextPageToken"] = self._tokens.issue(
                "executions", bound, {"t": last[column], "p": last["pk"]}, tx.now
            )
        return result

    def count_executions(
        self, tx: Tx, params: dict[str, Any], region: str, *, is_open: bool
    ) -> dict[str, Any]:
        """CountOpen/ClosedWorkflowExecutions (exact, never truncated)."""
        require_domain(tx, region, params["domain"])
        where, args, _ = self._filters(params, region, is_open)
        count = tx.scalar(f"SELECT COUNT(*) FROM runs WHERE {where}", args)
        return {"count": count, "truncated": False}

    def count_pending(
        self, tx: Tx, params: dict[str, Any], region: str, *, decisions: bool
    ) -> dict[str, Any]:
        """CountPendingDecisionTasks / CountPendingActivityTasks (scheduled, not started)."""
        require_domain(tx, region, params["domain"])
        key = (region, params["domain"], params["taskList"]["name"])
        if decisions:
            sql = (
                "SELECT COUNT(*) FROM runs WHERE region = ? AND domain = ? AND dt_list = ?"
                " AND dt_state = 1"
            )
        else:
            sql = (
                "SELECT COUNT(*) FROM activities WHERE region = ? AND domain = ?"
                " AND task_list = ? AND state = 1"
            )
        return {"count": tx.scalar(sql, key), "truncated": False}
