"""The server benchmark's CI smoke run: it completes, and reports a correct result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_bench_server_quick(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "benches/bench_server.py", "--quick", "--json", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(out.read_text())
    assert report["correct"] is True
    throughput = report["throughput"]
    assert throughput["workflows"] == 10
    assert throughput["requests"] == 70  # 7 requests per workflow, no empty polls counted
    assert set(throughput["operations"]) == {
        "StartWorkflowExecution",
        "PollForDecisionTask",
        "RespondDecisionTaskCompleted",
        "PollForActivityTask",
        "RespondActivityTaskCompleted",
    }
    assert report["wakeup"]["samples"] == 10
    assert "requests/s" in result.stdout or "req/s" in result.stdout
