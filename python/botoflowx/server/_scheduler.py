"""The timeout scheduler: fires timers and every SWF timeout at its due time."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from botoflowx.server._clock import Clock
from botoflowx.server._engine_runs import (
    DT_NONE,
    DT_SCHEDULED,
    DT_STARTED,
    append_event,
    close_run,
    purge_run,
    request_decision,
    schedule_decision_task,
)
from botoflowx.server._store import Tx

__all__ = ["TimeoutScheduler", "fire_timeout"]

_log = logging.getLogger(__name__)

# Longest single sleep. Due times are absolute wall times, so re-checking now and then
# keeps the scheduler right if the system clock is stepped while it sleeps.
_MAX_SLEEP = 30.0

_ACTIVITY_TIMEOUTS = {
    "AT_S2S": ("SCHEDULE_TO_START", (1,)),
    "AT_S2C": ("SCHEDULE_TO_CLOSE", (1, 2)),
    "AT_STC": ("START_TO_CLOSE", (2,)),
    "AT_HB": ("HEARTBEAT", (2,)),
}


def fire_timeout(tx: Tx, row: sqlite3.Row) -> None:
    """Apply one due timeout row (already removed from the table) to its run.

    Rows whose target moved on (the task completed, a heartbeat re-armed, the run
    closed) are stale and ignored: ``gen`` names the event the timeout was armed for.
    """
    pk, kind, ref, gen = row["run_pk"], row["kind"], row["ref"], row["gen"]
    run = tx.one("SELECT * FROM runs WHERE pk = ?", (pk,))
    if run is None:
        return
    if kind == "PURGE":
        if not run["open"]:
            purge_run(tx, pk)
        return
    if not run["open"]:
        return
    if kind == "WF":
        close_run(
            tx,
            pk,
            "TIMED_OUT",
            "WorkflowExecutionTimedOut",
            {"timeoutType": "START_TO_CLOSE", "childPolicy": run["child_policy"]},
            outcome={"timeoutType": "START_TO_CLOSE"},
            child_policy=run["child_policy"],
            run=run,
        )
    elif kind in ("DT_S2C", "DT_S2S"):
        _decision_timeout(tx, run, kind, gen)
    elif kind in _ACTIVITY_TIMEOUTS:
        _activity_timeout(tx, pk, kind, ref, gen)
    elif kind == "TIMER":
        timer = tx.one("SELECT started_id FROM timers WHERE run_pk = ? AND timer_id = ?", (pk, ref))
        if timer is None or timer["started_id"] != gen:
            return
        append_event(tx, pk, "TimerFired", {"timerId": ref, "startedEventId": gen})
        tx.run("DELETE FROM timers WHERE run_pk = ? AND timer_id = ?", (pk, ref))
        request_decision(tx, pk)
    else:  # pragma: no cover - the engine writes only the kinds above
        _log.error("unknown timeout kind %r for run %s", kind, pk)


def _decision_timeout(tx: Tx, run: sqlite3.Row, kind: str, gen: int) -> None:
    expected = DT_STARTED if kind == "DT_S2C" else DT_SCHEDULED
    if run["dt_state"] != expected or run["dt_scheduled"] != gen:
        return
    pk = run["pk"]
    append_event(
        tx,
        pk,
        "DecisionTaskTimedOut",
        {
            "timeoutType": "START_TO_CLOSE" if kind == "DT_S2C" else "SCHEDULE_TO_START",
            "scheduledEventId": run["dt_scheduled"],
            "startedEventId": run["dt_started"],
        },
    )
    tx.run("UPDATE runs SET dt_state = ?, dt_token = NULL WHERE pk = ?", (DT_NONE, pk))
    tx.run("DELETE FROM timeouts WHERE run_pk = ? AND kind IN ('DT_S2C', 'DT_S2S')", (pk,))
    # A temporary override that failed (not started in time, or its task not finished
    # in time) reverts to the original list; a permanent override stays.
    if run["dt_on_override"] and run["override_s2s"] is not None:
        tx.run("UPDATE runs SET override_list = NULL, override_s2s = NULL WHERE pk = ?", (pk,))
    schedule_decision_task(tx, pk)


def _activity_timeout(tx: Tx, pk: int, kind: str, ref: str, gen: int) -> None:
    activity = tx.one("SELECT * FROM activities WHERE run_pk = ? AND activity_id = ?", (pk, ref))
    timeout_type, states = _ACTIVITY_TIMEOUTS[kind]
    if activity is None or activity["scheduled_id"] != gen or activity["state"] not in states:
        return
    attrs: dict[str, Any] = {
        "timeoutType": timeout_type,
        "scheduledEventId": activity["scheduled_id"],
        "startedEventId": activity["started_id"],
    }
    if activity["details"] is not None:
        attrs["details"] = activity["details"]
    append_event(tx, pk, "ActivityTaskTimedOut", attrs)
    tx.run("DELETE FROM activities WHERE run_pk = ? AND activity_id = ?", (pk, ref))
    tx.run("DELETE FROM timeouts WHERE run_pk = ? AND ref = ? AND kind LIKE 'AT_%'", (pk, ref))
    request_decision(tx, pk)


class TimeoutScheduler:
    """A thread that sleeps until the earliest due time and then fires what is due.

    ``fire_due`` does the work (fire everything due now, return the next due time or
    None); the scheduler only decides when to call it. :meth:`wake` is called after a
    transaction armed a timeout, :meth:`poke` after the test clock moved.
    """

    def __init__(self, fire_due: Callable[[], float | None], clock: Clock) -> None:
        self._fire_due = fire_due
        self._clock = clock
        self._cond = threading.Condition()
        self._next_due: float | None = None
        self._dirty = False
        self._stopped = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread; its first round fires whatever fell due while we were down."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name="botoflowx-swf-timeouts", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wake(self, due: float) -> None:
        """Tell the scheduler a timeout due at ``due`` was armed."""
        with self._cond:
            if self._next_due is None or due < self._next_due:
                self._next_due = due
                self._dirty = True
                self._cond.notify_all()

    def poke(self) -> None:
        """Make the scheduler re-check now (the clock moved)."""
        with self._cond:
            self._dirty = True
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopped:
                    return
                self._dirty = False
            try:
                next_due = self._fire_due()
            except Exception:
                # Keep the scheduler alive; the row stays and is retried next round.
                _log.exception("firing due timeouts failed")
                next_due = self._clock.now() + 1.0
            with self._cond:
                if self._stopped:
                    return
                if self._dirty:
                    continue
                self._next_due = next_due
                delay = _MAX_SLEEP if next_due is None else next_due - self._clock.now()
                if delay > 0:
                    self._cond.wait(min(delay, _MAX_SLEEP))
