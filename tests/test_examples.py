"""The examples in examples/ that no scenario suite runs: each must run and exit 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.mark.timeout(120)
def test_hello_world_prints_the_greeting() -> None:
    result = run_example("hello_world.py")
    assert result.returncode == 0, result.stderr
    assert "Hello World!" in result.stdout.splitlines()
    assert "workflow completed" in result.stdout


@pytest.mark.timeout(120)
def test_raw_boto3_walks_one_workflow_through_the_api() -> None:
    result = run_example("raw_boto3.py")
    assert result.returncode == 0, result.stderr
    assert "closed with COMPLETED: Hello World!" in result.stdout
    assert "WorkflowExecutionCompleted" in result.stdout
