"""The engine's SQLite store: schema, the single guarded connection and short transactions."""

from __future__ import annotations

import itertools
import math
import secrets
import sqlite3
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from botoflowx.server._faults import InternalFailure

__all__ = ["SCHEMA_VERSION", "Store", "Transaction", "Tx"]

SCHEMA_VERSION = 1

# One table per kind of state. Events are append-only; everything a call needs to
# decide (decision-task state, open activities/timers/children, due timeouts) lives
# in small indexed tables so no call has to scan a history.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);

CREATE TABLE IF NOT EXISTS domains (
    region TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, description TEXT,
    retention TEXT NOT NULL, created REAL NOT NULL, open_runs INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (region, name)
);
CREATE TABLE IF NOT EXISTS domain_tags (
    region TEXT NOT NULL, domain TEXT NOT NULL, key TEXT NOT NULL, value TEXT,
    PRIMARY KEY (region, domain, key)
);
CREATE TABLE IF NOT EXISTS types (
    region TEXT NOT NULL, domain TEXT NOT NULL, kind TEXT NOT NULL,
    name TEXT NOT NULL, version TEXT NOT NULL, status TEXT NOT NULL, description TEXT,
    created REAL NOT NULL, deprecated REAL, config BLOB NOT NULL,
    PRIMARY KEY (region, domain, kind, name, version)
);

CREATE TABLE IF NOT EXISTS runs (
    pk INTEGER PRIMARY KEY,
    region TEXT NOT NULL, domain TEXT NOT NULL, workflow_id TEXT NOT NULL,
    run_id TEXT NOT NULL UNIQUE, type_name TEXT NOT NULL, type_version TEXT NOT NULL,
    open INTEGER NOT NULL, close_status TEXT, start_ts REAL NOT NULL, close_ts REAL,
    task_list TEXT NOT NULL, task_priority TEXT NOT NULL, exec_timeout TEXT NOT NULL,
    task_timeout TEXT NOT NULL, child_policy TEXT NOT NULL, lambda_role TEXT,
    tags BLOB NOT NULL, parent_pk INTEGER, parent_initiated INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    latest_activity_ts REAL, latest_context TEXT,
    -- decision task: 0 none, 1 scheduled, 2 started, 3 being completed
    dt_state INTEGER NOT NULL DEFAULT 0, dt_pending INTEGER NOT NULL DEFAULT 0,
    dt_scheduled INTEGER NOT NULL DEFAULT 0, dt_started INTEGER NOT NULL DEFAULT 0,
    dt_token TEXT, dt_list TEXT, dt_priority INTEGER NOT NULL DEFAULT 0,
    dt_seq INTEGER NOT NULL DEFAULT 0, dt_on_override INTEGER NOT NULL DEFAULT 0,
    prev_started INTEGER NOT NULL DEFAULT 0,
    override_list TEXT, override_s2s TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS runs_open_workflow_id
    ON runs (region, domain, workflow_id) WHERE open = 1;
CREATE INDEX IF NOT EXISTS runs_decision_queue
    ON runs (region, domain, dt_list, dt_priority DESC, dt_seq) WHERE dt_state = 1;
CREATE UNIQUE INDEX IF NOT EXISTS runs_decision_token ON runs (dt_token)
    WHERE dt_token IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (region, domain, open, start_ts);
CREATE INDEX IF NOT EXISTS runs_by_close ON runs (region, domain, open, close_ts);
CREATE INDEX IF NOT EXISTS runs_by_workflow_id ON runs (region, domain, workflow_id);

CREATE TABLE IF NOT EXISTS run_tags (
    run_pk INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (tag, run_pk)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS events (
    run_pk INTEGER NOT NULL, event_id INTEGER NOT NULL, ts REAL NOT NULL,
    type TEXT NOT NULL, attrs BLOB NOT NULL, PRIMARY KEY (run_pk, event_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS activities (
    run_pk INTEGER NOT NULL, activity_id TEXT NOT NULL,
    scheduled_id INTEGER NOT NULL, started_id INTEGER NOT NULL DEFAULT 0,
    state INTEGER NOT NULL, token TEXT UNIQUE,
    region TEXT NOT NULL, domain TEXT NOT NULL, task_list TEXT NOT NULL,
    priority INTEGER NOT NULL, seq INTEGER NOT NULL,
    type_name TEXT NOT NULL, type_version TEXT NOT NULL, input TEXT,
    start_to_close TEXT NOT NULL, heartbeat_timeout TEXT NOT NULL, details TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0, cancel_event INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_pk, activity_id)
);
CREATE INDEX IF NOT EXISTS activities_queue
    ON activities (region, domain, task_list, priority DESC, seq) WHERE state = 1;

CREATE TABLE IF NOT EXISTS timers (
    run_pk INTEGER NOT NULL, timer_id TEXT NOT NULL, started_id INTEGER NOT NULL,
    PRIMARY KEY (run_pk, timer_id)
);

CREATE TABLE IF NOT EXISTS children (
    parent_pk INTEGER NOT NULL, initiated_id INTEGER NOT NULL, child_pk INTEGER NOT NULL,
    started_id INTEGER NOT NULL, PRIMARY KEY (parent_pk, initiated_id)
);
CREATE INDEX IF NOT EXISTS children_by_child ON children (child_pk);

-- Absolute due times, so timers and timeouts survive a restart at the right wall time.
-- gen names the event the timeout belongs to; a stale row is dropped when it fires.
CREATE TABLE IF NOT EXISTS timeouts (
    run_pk INTEGER NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL, gen INTEGER NOT NULL,
    due REAL NOT NULL, PRIMARY KEY (run_pk, kind, ref)
);
CREATE INDEX IF NOT EXISTS timeouts_by_due ON timeouts (due);
"""


class Tx:
    """One open transaction: the connection, the time of the call and after-commit work.

    Wake-ups (a task became available on a list, a timeout was added) are collected
    here and delivered by the engine only after the transaction committed, so a woken
    poller always sees the new row.
    """

    __slots__ = (
        "_cursor",
        "_seq",
        "closed",
        "conn",
        "earliest_due",
        "known_last_event",
        "last_event",
        "limit_closed",
        "now",
        "type_cache",
        "wake",
    )

    def __init__(
        self,
        conn: sqlite3.Connection,
        now: float,
        seq: itertools.count[int] | None = None,
        *,
        known_last_event: dict[int, int] | None = None,
        type_cache: dict[tuple[str, ...], sqlite3.Row | None] | None = None,
        cursor: sqlite3.Cursor | None = None,
    ) -> None:
        self.conn = conn
        # One cursor for every statement: each result is consumed before the next
        # statement runs, and conn.execute would create a cursor per statement.
        self._cursor = cursor if cursor is not None else conn.cursor()
        self._seq = seq
        # Millisecond precision, as SWF reports timestamps. Truncated, never rounded up,
        # so a timeout armed "now + N" is due no later than N seconds from the real now.
        self.now = math.floor(now * 1000) / 1000
        self.wake: dict[tuple[str, str, str, str], int] = {}
        self.earliest_due: float | None = None
        # Runs closed by the event limit within this transaction; further appends to
        # them are dropped instead of growing the history past the limit.
        self.limit_closed: set[int] = set()
        # Last event id per run appended in this transaction (saves a MAX() per append).
        self.last_event: dict[int, int] = {}
        # The store's committed last event ids of open runs (read-only here; the store
        # merges last_event into it on commit and drops the runs in ``closed``).
        self.known_last_event: dict[int, int] = (
            known_last_event if known_last_event is not None else {}
        )
        # Runs closed (or purged) in this transaction.
        self.closed: set[int] = set()
        # The store's registered-type rows (see Store.type_cache).
        self.type_cache: dict[tuple[str, ...], sqlite3.Row | None] = (
            type_cache if type_cache is not None else {}
        )

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """Run a query and return its first row, or None."""
        row: sqlite3.Row | None = self._cursor.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a query and return all its rows."""
        return self._cursor.execute(sql, params).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement and return the number of rows it changed."""
        return self._cursor.execute(sql, params).rowcount

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT and return the new row id."""
        rowid = self._cursor.execute(sql, params).lastrowid
        assert rowid is not None
        return rowid

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run a query and return the first column of its first row (None if no row)."""
        row = self._cursor.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def next_seq(self) -> int:
        """Return the next queue sequence number (FIFO order among equal priorities)."""
        assert self._seq is not None, "read-only Tx"
        return next(self._seq)

    def wake_pollers(self, kind: str, region: str, domain: str, task_list: str) -> None:
        """Ask for one more poller of a task list to be woken after commit."""
        key = (kind, region, domain, task_list)
        self.wake[key] = self.wake.get(key, 0) + 1

    def timeout_added(self, due: float) -> None:
        """Note a new due time so the scheduler can be woken after commit if it is earlier."""
        if self.earliest_due is None or due < self.earliest_due:
            self.earliest_due = due


class Transaction:
    """The context manager of :meth:`Store.transaction` (a class: a generator-based
    one costs several microseconds per call, and every API call opens one)."""

    __slots__ = ("_now", "_on_commit", "_store", "_tx")

    def __init__(self, store: Store, now: float, on_commit: Callable[[Tx], None] | None) -> None:
        self._store = store
        self._now = now
        self._on_commit = on_commit

    def __enter__(self) -> Tx:
        self._tx = self._store._begin(self._now)
        return self._tx

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._store._end(self._tx, commit=exc_type is None)
        if exc_type is None and self._on_commit is not None:
            self._on_commit(self._tx)


class Store:
    """The SQLite database behind the engine.

    One connection is shared by every thread and guarded by one lock: SQLite has a
    single writer anyway, and the engine keeps each transaction to a few indexed
    statements, so the lock is held for microseconds. ``:memory:`` works because
    the one connection lives for the engine's lifetime.
    """

    def __init__(self, database: str) -> None:
        """Open (creating if needed) the database and its schema."""
        self.database = database
        self.lock = threading.RLock()
        self._closed = False
        # In-memory copies of committed rows, valid because this connection is the only
        # writer: the last event id of each open run (saves a MAX() per append), and
        # type rows by (region, domain, kind, name, version), None for "not registered".
        # last_event takes a transaction's ids when it commits; writes to the types
        # table and rollbacks clear the type cache.
        self.last_event: dict[int, int] = {}
        self.type_cache: dict[tuple[str, ...], sqlite3.Row | None] = {}
        self._conn = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        if database != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode loses nothing on a process crash (only on power loss).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute("PRAGMA cache_size=-32768")  # 32 MiB of page cache
        with self.lock:
            self._check_schema_version(database)
            self._conn.executescript(_SCHEMA)
            row = self._conn.execute("SELECT value FROM meta WHERE key='secret'").fetchone()
            if row is None:
                self.secret = secrets.token_bytes(32)
                self._conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('secret', ?), ('schema', ?)",
                    (self.secret, str(SCHEMA_VERSION)),
                )
            else:
                self.secret = bytes(row[0])
            self._cursor = self._conn.cursor()
            start = self._conn.execute(
                "SELECT MAX(m) FROM (SELECT MAX(dt_seq) AS m FROM runs"
                " UNION ALL SELECT MAX(seq) FROM activities)"
            ).fetchone()[0]
        self._seq = itertools.count((start or 0) + 1)

    def _check_schema_version(self, database: str) -> None:
        """Refuse a database written by another schema version rather than corrupt it."""
        has_meta = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        if not has_meta:
            return
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is not None and str(row[0]) != str(SCHEMA_VERSION):
            self._conn.close()
            raise RuntimeError(
                f"{database} holds botoflowx server state of schema version {row[0]}; this"
                f" server needs version {SCHEMA_VERSION}. Use another database file."
            )

    def transaction(self, now: float, on_commit: Callable[[Tx], None] | None = None) -> Transaction:
        """Return a context manager running its block in one write transaction.

        The block gets the :class:`Tx`; the transaction rolls back if the block raises.

        Args:
            now: the engine clock's time for this call (used for every event it writes).
            on_commit: called with the Tx after the commit, once the store's lock is
                released (to deliver wake-ups).
        """
        return Transaction(self, now, on_commit)

    def _begin(self, now: float) -> Tx:
        self.lock.acquire()
        try:
            if self._closed:
                raise InternalFailure("The server is shutting down")
            self._cursor.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return Tx(
            self._conn,
            now,
            self._seq,
            known_last_event=self.last_event,
            type_cache=self.type_cache,
            cursor=self._cursor,
        )

    def _end(self, tx: Tx, commit: bool) -> None:
        try:
            if not commit:
                self._cursor.execute("ROLLBACK")
                # The type cache may hold a row this transaction wrote and then read.
                self.type_cache.clear()
                return
            self._cursor.execute("COMMIT")
            self.last_event.update(tx.last_event)
            for pk in tx.closed:
                self.last_event.pop(pk, None)
        finally:
            self.lock.release()

    def read(self) -> Tx:
        """Return a Tx-like reader for autocommit queries; call it while holding ``lock``."""
        return Tx(self._conn, 0.0, cursor=self._cursor)

    def close(self) -> None:
        """Close the connection; later transactions raise InternalFailure."""
        with self.lock:
            self._closed = True
            self._conn.close()
