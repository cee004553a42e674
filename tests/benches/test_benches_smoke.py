"""Each benchmark runs once at a tiny size and reports a correct result (never a timing check)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "benches"

pytestmark = pytest.mark.timeout(240)


def run_bench(script: str, tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / "result.json"
    completed = subprocess.run(
        [sys.executable, str(BENCH_DIR / script), "--quick", "--json", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=220,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["correct"] is True
    return result


def test_historygen_pages_match_the_swf_output_shape() -> None:
    sys.path.insert(0, str(BENCH_DIR))
    try:
        import historygen
    finally:
        sys.path.remove(str(BENCH_DIR))
    for flavor in historygen.FLAVORS:
        history = historygen.generate(170, flavor=flavor)  # 1,023 events: two pages
        assert history.events == 6 * 170 + 3
        assert len(history.pages) == 2
        assert historygen.validate_pages(history.pages) == []
        first = json.loads(history.pages[0])
        assert "nextPageToken" in first and "nextPageToken" not in json.loads(history.pages[1])
        assert [e["eventId"] for e in first["events"]] == list(range(1, 1001))


def test_cold_decision(tmp_path: Path) -> None:
    # --no-baseline: CI has no botoflow venv; the comparison itself is not what is tested.
    result = run_bench("bench_cold_decision.py", tmp_path, "--no-baseline")
    assert [row["size"] for row in result["rows"]] == ["~100", "~1000"]
    assert all(row["botoflowx_correct"] for row in result["rows"])


def test_warm_decision(tmp_path: Path) -> None:
    result = run_bench("bench_warm_decision.py", tmp_path)
    assert all(row["tasks"] == 5 for row in result["rows"])


def test_lifetime(tmp_path: Path) -> None:
    result = run_bench("bench_lifetime.py", tmp_path)
    assert all(row["status"] == "CLOSED" for row in result["rows"])
    assert all(row["decision_tasks"] >= 11 for row in result["rows"])


def test_throughput(tmp_path: Path) -> None:
    result = run_bench("bench_throughput.py", tmp_path)
    assert result["completed"] == result["correct_results"] == 20
    assert {report["role"] for report in result["cpu"]} >= {"server", "decider", "activity"}


def test_memory(tmp_path: Path) -> None:
    result = run_bench("bench_memory.py", tmp_path)
    assert result["runs"] == 50


def test_server_cpu(tmp_path: Path) -> None:
    result = run_bench("bench_server_cpu.py", tmp_path)
    (run,) = result["runs"]
    assert run["completed"] == 40
    assert run["server_cpu_s"] > 0


def test_loopback(tmp_path: Path) -> None:
    result = run_bench("bench_loopback.py", tmp_path)
    if "rows" in result:  # machines with fewer than two CPUs skip the probe
        assert [row["placement"] for row in result["rows"]] == ["same", "split", "unpinned"]
        assert all(row["exchanges"] == 50 for row in result["rows"])


def test_lifetime_pins_its_processes_when_asked(tmp_path: Path) -> None:
    if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs Linux and two CPUs")
    result = run_bench("bench_lifetime.py", tmp_path, "--pin", "split")
    assert result["config"]["pin"] == "split"
    assert all(row["status"] == "CLOSED" for row in result["rows"])


def test_run_all_runs_the_selected_benchmarks(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            str(BENCH_DIR / "run_all.py"),
            "--quick",
            "--only",
            "memory",
            "--only",
            "warm_decision",
            "--results",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=220,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["memory.json", "warm_decision.json"]
