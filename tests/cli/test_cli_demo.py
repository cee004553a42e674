"""``botoflowx demo``: Hello World with nothing running, in this venv and from a fresh one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import run_cli

REPO_ROOT = Path(__file__).resolve().parents[2]


def check_demo_output(stdout: str) -> None:
    """What the demo promises: the greeting, the result, the history and the next commands."""
    assert "Hello World!\n" in stdout
    assert 'result: "Hello World!"' in stdout
    for event in (
        "WorkflowExecutionStarted",
        "ActivityTaskScheduled",
        "ActivityTaskCompleted",
        "WorkflowExecutionCompleted",
    ):
        assert event in stdout
    assert "HelloWorldActivities.get_name 1.0, id 1" in stdout
    assert "replayed against the code: matches" in stdout
    assert "botoflowx server" in stdout
    assert "botoflowx worker botoflowx._demo --task-list hello" in stdout
    assert "botoflowx start HelloWorldWorkflow --wait" in stdout


def test_demo_runs_hello_world_and_prints_what_happened() -> None:
    result = run_cli("demo", timeout=90)
    assert result.returncode == 0, result.stderr
    check_demo_output(result.stdout)
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_demo_from_a_fresh_virtualenv_without_aws_configuration(tmp_path: Path) -> None:
    # The project as a user gets it: a wheel, installed with its dependencies into a
    # new virtualenv, run with no ~/.aws and no AWS_* variables from a directory
    # outside the checkout.
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(REPO_ROOT),
        ],
        check=True,
        timeout=180,
        capture_output=True,
    )
    [wheel] = wheels.glob("botoflowx-*.whl")
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60
    )
    python = venv / "bin" / "python"
    # This venv's pip installs into the fresh one (--python), from the shared cache.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
        check=True,
        timeout=180,
        capture_output=True,
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "BOTOFLOWX_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["HOME"] = str(home)
    workdir = tmp_path / "work"
    workdir.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import botoflowx; print(botoflowx.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
        timeout=60,
        check=True,
    )
    assert where.stdout.startswith(str(venv))
    result = subprocess.run(
        [str(venv / "bin" / "botoflowx"), "demo"],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    check_demo_output(result.stdout)
    assert "Traceback" not in result.stderr
    assert not (home / ".aws").exists()
