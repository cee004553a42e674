"""The signals-approval and child fan-out examples run end to end and exit 0."""

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
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_signals_approval_example() -> None:
    out = run_example("signals_approval.py")
    assert "status: awaiting approval" in out
    assert "workflow completed: paid $120 to sam (approved by alice)" in out


def test_child_fanout_example() -> None:
    out = run_example("child_fanout.py")
    assert "total: 855" in out
    assert "  emea: 245" in out
    assert "missing: mars (child sales-2026-q4-mars: ActivityTaskFailedError" in out
