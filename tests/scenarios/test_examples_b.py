"""The retries-with-backoff and heartbeats examples run end to end and exit 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

pytestmark = pytest.mark.timeout(120)


def run_example(name: str) -> str:
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def test_retries_backoff_example() -> None:
    out = run_example("retries_backoff.py")
    assert "flaky gateway: paid with ch_4242_25; receipt for ch_4242_25 sent" in out
    assert "  wait 1 s (durable timer)\n" in out
    assert "  wait 2 s (durable timer)\n" in out
    assert "declined card: payment failed: card 4000000000000000 declined" in out
    # The declined card was charged once: CardDeclined is not retryable.
    assert out.count("charge 4000000000000000 $40: attempt") == 1


def test_heartbeats_example() -> None:
    out = run_example("heartbeats.py")
    assert "[attempt 1] stuck at chunk 8 (no more heartbeats)" in out
    assert "[attempt 2] resuming backup.tar at chunk 8" in out
    assert "workflow completed: {'copied': 12, 'resumed_at': 8, 'attempt': 2}" in out
    assert 'ActivityTaskTimedOut (HEARTBEAT), last heartbeat details {"done":8}' in out
