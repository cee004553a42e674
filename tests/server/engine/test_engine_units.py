"""Unit tests of the engine's small parts: clocks, page tokens, field checks."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from botoflowx.server._clock import Clock, SystemClock, TestClock
from botoflowx.server._engine import Engine
from botoflowx.server._faults import ValidationException
from botoflowx.server._limits import FieldErrors
from botoflowx.server._tokens import PageTokens, new_run_id, new_task_token


def test_test_clock_moves_forward_only() -> None:
    clock = TestClock(start=1_000_000.0)
    assert isinstance(clock, Clock) and isinstance(SystemClock(), Clock)
    first = clock.now()
    assert 1_000_000.0 <= first < 1_000_001.0
    assert clock.advance(3600) >= first + 3600
    assert clock.now() >= first + 3600
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_advance_clock_needs_a_test_clock() -> None:
    engine = Engine(":memory:")
    try:
        with pytest.raises(TypeError):
            engine.advance_clock(1)
    finally:
        engine.close()


def test_page_tokens_are_bound_signed_and_expire() -> None:
    tokens = PageTokens(b"secret", lifetime=60)
    now = time.time()
    token = tokens.issue("history", "bound-1", {"n": 42}, now)
    assert tokens.check(token, "history", "bound-1", now)["n"] == 42
    for kind, bound in (("decision", "bound-1"), ("history", "bound-2")):
        with pytest.raises(ValidationException, match="different request"):
            tokens.check(token, kind, bound, now)
    body, _, sig = token.partition(".")
    with pytest.raises(ValidationException, match="Invalid nextPageToken"):
        tokens.check(
            body[:-1] + ("A" if body[-1] != "A" else "B") + "." + sig, "history", "bound-1", now
        )
    with pytest.raises(ValidationException, match="Invalid nextPageToken"):
        PageTokens(b"other", 60).check(token, "history", "bound-1", now)
    with pytest.raises(ValidationException, match="maximum lifetime"):
        tokens.check(token, "history", "bound-1", now + 61)


def test_ids_are_random_and_shaped_like_swf() -> None:
    run_ids = {new_run_id() for _ in range(100)}
    assert len(run_ids) == 100
    assert all(len(r) == 44 and len(r) <= 64 for r in run_ids)
    token = new_task_token("a")
    assert token.startswith("a") and len(token) == 33


def test_field_errors_report_every_field() -> None:
    errors = FieldErrors()
    assert errors.duration("NONE", "a") is None
    assert errors.duration("12", "b") == 12
    assert not errors
    errors.duration("NONE", "c", allow_none=False)
    errors.duration("-1", "d")
    assert errors.priority("2147483648", "e") == 0
    assert errors.priority("-7", "f") == -7
    with pytest.raises(ValidationException) as info:
        errors.raise_if_any()
    message = info.value.message
    assert message.startswith("3 validation errors detected: Value 'NONE' at 'c'")
    assert "Value '-1' at 'd'" in message and "Value '2147483648' at 'e'" in message


def test_a_database_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    database = str(tmp_path / "old.sqlite3")
    Engine(database).close()
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    conn.close()
    with pytest.raises(RuntimeError, match="schema version 0"):
        Engine(database)
