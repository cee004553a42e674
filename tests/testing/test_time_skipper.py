"""TimeSkipper's rules, round by round, against a scripted engine."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from botoflowx.server._engine import WorkSnapshot
from botoflowx.server._faults import InternalFailure
from botoflowx.testing._time_skipping import TimeSkipper

pytestmark = pytest.mark.timeout(30)


@dataclass
class ScriptedEngine:
    """Answers work_snapshot() from ``snapshot`` and records skip requests."""

    snapshot: WorkSnapshot
    skips: list[int | None] = field(default_factory=list)
    jump_to: float = 5000.0
    fail_with: BaseException | None = None

    def work_snapshot(self) -> WorkSnapshot:
        if self.fail_with is not None:
            raise self.fail_with
        return self.snapshot

    def skip_to_next_due(self, expected_version: int | None = None) -> float | None:
        self.skips.append(expected_version)
        return self.jump_to


def idle(version: int = 1, next_due: float | None = 4000.0) -> WorkSnapshot:
    return WorkSnapshot(
        version=version, decision_tasks=0, activity_tasks=0, next_due=next_due, now=1000.0
    )


def busy(version: int = 1) -> WorkSnapshot:
    return WorkSnapshot(
        version=version, decision_tasks=0, activity_tasks=1, next_due=4000.0, now=1000.0
    )


def test_nothing_is_skipped_while_no_test_waits() -> None:
    engine = ScriptedEngine(idle())
    skipper = TimeSkipper(engine, lambda: True)
    confirmed = None
    for _ in range(5):
        confirmed = skipper._round(confirmed)
    assert engine.skips == []


def test_two_idle_rounds_with_one_version_make_a_jump() -> None:
    engine = ScriptedEngine(idle(version=7))
    skipper = TimeSkipper(engine, lambda: True)
    with skipper.unlocked():
        confirmed = skipper._round(None)
        assert confirmed == 7 and engine.skips == []  # one look is not enough
        assert skipper._round(confirmed) is None
    assert engine.skips == [7]  # the engine re-checks this version under its lock
    assert skipper.skips == 1
    assert skipper.skipped_seconds == pytest.approx(4000.0)


def test_a_change_between_rounds_starts_over() -> None:
    engine = ScriptedEngine(idle(version=1))
    skipper = TimeSkipper(engine, lambda: True)
    with skipper.unlocked():
        confirmed = skipper._round(None)
        engine.snapshot = idle(version=2)
        confirmed = skipper._round(confirmed)
        assert engine.skips == []
        skipper._round(confirmed)
    assert engine.skips == [2]


def test_busy_servers_busy_workers_and_nothing_due_prevent_jumps() -> None:
    ready = True
    engine = ScriptedEngine(busy())
    skipper = TimeSkipper(engine, lambda: ready)
    with skipper.unlocked():
        assert skipper._round(skipper._round(None)) is None
        engine.snapshot = idle(next_due=None)
        assert skipper._round(skipper._round(None)) is None
        engine.snapshot = idle()
        ready = False
        assert skipper._round(skipper._round(None)) is None
    assert engine.skips == []


def test_pausing_wins_over_waiting() -> None:
    engine = ScriptedEngine(idle())
    skipper = TimeSkipper(engine, lambda: True)
    with skipper.unlocked():
        confirmed = skipper._round(None)
        with skipper.paused():
            assert skipper._round(confirmed) is None
            assert skipper._round(skipper._round(None)) is None
        assert engine.skips == []
        skipper._round(skipper._round(None))
    assert len(engine.skips) == 1


def test_the_thread_jumps_while_unlocked_and_ends_when_the_engine_closes() -> None:
    engine = ScriptedEngine(idle())
    skipper = TimeSkipper(engine, lambda: True, interval=0.001)
    skipper.start()
    try:
        with skipper.unlocked():
            deadline = time.monotonic() + 10
            while skipper.skips == 0:
                assert time.monotonic() < deadline, "no jump while unlocked and idle"
                time.sleep(0.005)
            engine.fail_with = InternalFailure("The server is shutting down")
            while skipper.running:
                assert time.monotonic() < deadline, "the thread outlived the engine"
                time.sleep(0.005)
    finally:
        skipper.stop()


def test_an_unexpected_error_is_logged_and_the_thread_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = ScriptedEngine(idle(), fail_with=RuntimeError("boom"))
    skipper = TimeSkipper(engine, lambda: True, interval=0.001)
    skipper.start()
    try:
        with skipper.unlocked():
            deadline = time.monotonic() + 10
            while not any("time skipping round failed" in r.getMessage() for r in caplog.records):
                assert time.monotonic() < deadline, "the error was not logged"
                time.sleep(0.005)
            engine.fail_with = None
            while skipper.skips == 0:
                assert time.monotonic() < deadline, "the thread stopped after an error"
                time.sleep(0.005)
    finally:
        skipper.stop()
    assert not skipper.running


def test_start_twice_is_refused_and_stop_is_idempotent() -> None:
    skipper = TimeSkipper(ScriptedEngine(idle()), lambda: True)
    skipper.start()
    with pytest.raises(RuntimeError, match="already running"):
        skipper.start()
    skipper.stop()
    skipper.stop()
    with pytest.raises(ValueError):
        TimeSkipper(ScriptedEngine(idle()), lambda: True, interval=0)


def test_unlock_and_pause_nest_across_threads() -> None:
    engine = ScriptedEngine(idle())
    skipper = TimeSkipper(engine, lambda: True)
    entered = threading.Event()
    leave = threading.Event()

    def hold() -> None:
        with skipper.unlocked():
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert entered.wait(10)
    with skipper.unlocked():
        pass  # the other thread still waits: skipping stays unlocked
    skipper._round(skipper._round(None))
    leave.set()
    thread.join(10)
    skipper._round(skipper._round(None))
    assert len(engine.skips) == 1
