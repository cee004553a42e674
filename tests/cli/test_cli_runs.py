"""start, signal, cancel, terminate, describe, list, history and replay against a real worker."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from cli_support import CLI_DIR, WorkerProcess, fields, run_cli


@pytest.fixture(scope="module")
def cli(endpoint: str, cli_domain: str, worker: WorkerProcess) -> Any:
    """Run a command in the module's domain, with the worker running."""

    def run(*args: str, **kwargs: Any) -> Any:
        return run_cli(*args, "--domain", cli_domain, endpoint_url=endpoint, **kwargs)

    return run


def new_id() -> str:
    return f"w-{uuid.uuid4().hex[:8]}"


def test_start_wait_prints_the_result(cli: Any) -> None:
    workflow_id = new_id()
    result = cli(
        "start",
        "GreetingWorkflow",
        "--input",
        '["CLI", "?"]',
        "--workflow-id",
        workflow_id,
        "--wait",
    )
    assert result.returncode == 0, result.stderr
    shown = fields(result.stdout)
    assert shown["workflow id"] == workflow_id
    assert shown["status"] == "COMPLETED"
    assert shown["result"] == '"Hello CLI?"'
    # Not a terminal: no progress line on stderr.
    assert result.stderr == ""


def test_start_input_object_is_keyword_arguments_and_json_output(cli: Any) -> None:
    result = cli(
        "start",
        "GreetingWorkflow",
        "--version",
        "1.0",
        "--input",
        '{"name": "kw", "punctuation": "."}',
        "--wait",
        "--output",
        "json",
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "COMPLETED"
    assert answer["result"] == "Hello kw."
    assert answer["workflowId"] and answer["runId"]


def test_start_without_wait_prints_the_ids(cli: Any) -> None:
    result = cli("start", "GreetingWorkflow", "--input", '"solo"', "--output", "json")
    assert result.returncode == 0, result.stderr
    ids = json.loads(result.stdout)
    assert set(ids) == {"workflowId", "runId"}


def test_a_failed_workflow_exits_1_with_its_reason(cli: Any) -> None:
    result = cli("start", "FailingWorkflow", "--input", '["bad input"]', "--wait")
    assert result.returncode == 1
    assert "the workflow did not complete" in result.stdout
    assert "ValueError: bad input" in result.stdout
    assert "Traceback" not in result.stderr
    as_json = cli("start", "FailingWorkflow", "--input", '["worse"]', "--wait", "--output", "json")
    assert as_json.returncode == 1
    answer = json.loads(as_json.stdout)
    assert answer["status"] == "FAILED" and "ValueError: worse" in answer["error"]


def test_an_unregistered_type_says_how_to_register_it(cli: Any) -> None:
    result = cli("start", "NoSuchWorkflow")
    assert result.returncode == 1
    assert "the workflow type 'NoSuchWorkflow' is not registered" in result.stderr
    assert "botoflowx worker MODULE" in result.stderr


def test_wait_timeout_exits_1_and_says_how_to_follow(cli: Any) -> None:
    workflow_id = new_id()
    result = cli("start", "Mailbox", "--workflow-id", workflow_id, "--wait", "--timeout", "1")
    assert result.returncode == 1
    assert "still open after" in result.stderr
    assert f"botoflowx describe {workflow_id}" in result.stderr
    cli("terminate", workflow_id)


def test_signal_describe_and_list_an_open_run(cli: Any) -> None:
    workflow_id = new_id()
    started = cli("start", "Mailbox", "--workflow-id", workflow_id, "--tag", "mail")
    assert started.returncode == 0, started.stderr

    described = cli("describe", workflow_id)
    assert described.returncode == 0, described.stderr
    shown = fields(described.stdout)
    assert shown["status"] == "OPEN"
    assert shown["type"] == "Mailbox 1.0"
    assert shown["tags"] == "mail"
    assert shown["task list"] == "cli"

    listed = cli("list", "--tag", "mail", "--output", "json")
    assert [i["execution"]["workflowId"] for i in json.loads(listed.stdout)] == [workflow_id]
    table = cli("list", "--type", "Mailbox")
    assert table.stdout.splitlines()[0].split()[:3] == ["WORKFLOW", "ID", "RUN"]
    assert workflow_id in table.stdout

    signalled = cli("signal", workflow_id, "release", "--input", '["signalled"]')
    assert signalled.returncode == 0, signalled.stderr
    assert f"sent signal 'release' to workflow {workflow_id}" in signalled.stdout
    history = _history(cli, workflow_id)
    assert history["events"][-1]["eventType"] == "WorkflowExecutionCompleted"
    closed = cli("list", "--closed", "--workflow-id", workflow_id, "--output", "json")
    [info] = json.loads(closed.stdout)
    assert info["closeStatus"] == "COMPLETED"


def _history(cli: Any, workflow_id: str, attempts: int = 40) -> dict[str, Any]:
    """The run's history once it closed (the worker needs a moment)."""
    import time

    for _ in range(attempts):
        result = cli("history", workflow_id, "--json")
        assert result.returncode == 0, result.stderr
        document: dict[str, Any] = json.loads(result.stdout)
        if document["events"][-1]["eventType"].startswith("WorkflowExecution") and document[
            "events"
        ][-1]["eventType"] not in ("WorkflowExecutionStarted", "WorkflowExecutionSignaled"):
            return document
        time.sleep(0.25)
    raise AssertionError(f"{workflow_id} did not close")


def test_cancel_and_terminate(cli: Any) -> None:
    cancelled, terminated = new_id(), new_id()
    for workflow_id in (cancelled, terminated):
        assert cli("start", "Mailbox", "--workflow-id", workflow_id).returncode == 0
    result = cli("cancel", cancelled)
    assert result.returncode == 0, result.stderr
    assert f"requested cancellation of workflow {cancelled}" in result.stdout
    types = [e["eventType"] for e in _history(cli, cancelled)["events"]]
    assert "WorkflowExecutionCancelRequested" in types

    result = cli("terminate", terminated, "--reason", "test over")
    assert result.returncode == 0, result.stderr
    status = fields(cli("describe", terminated).stdout)["status"]
    assert status == "CLOSED (TERMINATED)"
    again = cli("terminate", terminated)
    assert again.returncode == 1
    assert f"no open run of workflow {terminated!r}" in again.stderr


def test_list_filters(cli: Any) -> None:
    failed = cli("list", "--status", "failed", "--output", "json")
    assert failed.returncode == 0, failed.stderr
    statuses = {info["closeStatus"] for info in json.loads(failed.stdout)}
    assert statuses == {"FAILED"}
    nothing = cli("list", "--closed", "--since", "2099-01-01T00:00:00Z")
    assert nothing.returncode == 0
    assert nothing.stdout.strip() == "no closed runs match"
    recent = cli("list", "--closed", "--since", "1h", "--type", "GreetingWorkflow", "--limit", "1")
    assert len(recent.stdout.splitlines()) == 2  # header and one run
    bad_time = cli("list", "--since", "last tuesday")
    assert bad_time.returncode == 2
    assert "not a time: 'last tuesday'" in bad_time.stderr


def test_history_timeline_decodes_payloads_and_shows_durations(cli: Any) -> None:
    workflow_id = new_id()
    assert (
        cli(
            "start",
            "GreetingWorkflow",
            "--input",
            '["timeline"]',
            "--workflow-id",
            workflow_id,
            "--wait",
        ).returncode
        == 0
    )
    result = cli("history", workflow_id)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"workflow {workflow_id}  run ")
    assert lines[1] == "type     GreetingWorkflow 1.0"
    header = next(i for i, line in enumerate(lines) if line.startswith("ID "))
    rows = lines[header + 1 :]
    assert [row.split()[0] for row in rows] == [str(n) for n in range(1, len(rows) + 1)]
    by_type = {row.split()[2]: row for row in rows}
    assert 'input ("timeline")' in by_type["WorkflowExecutionStarted"]
    assert 'Greeter.greet 1.0, id 1, input ("timeline", "!")' in by_type["ActivityTaskScheduled"]
    assert 'result "Hello timeline!"' in by_type["ActivityTaskCompleted"]
    assert ", ran " in by_type["ActivityTaskCompleted"]
    assert by_type["ActivityTaskStarted"].split()[3] == "waited"
    assert "run took" in by_type["WorkflowExecutionCompleted"]
    assert all(row.split()[1].startswith("+") for row in rows)


def test_replay_live_file_and_bulk(cli: Any, tmp_path: Path) -> None:
    workflow_id = new_id()
    assert (
        cli(
            "start",
            "GreetingWorkflow",
            "--input",
            '["replay"]',
            "--workflow-id",
            workflow_id,
            "--wait",
        ).returncode
        == 0
    )
    live = cli("replay", "cli_flows", "--workflow-id", workflow_id)
    assert live.returncode == 0, live.stderr
    assert live.stdout.startswith(f"OK: GreetingWorkflow 1.0 {workflow_id} run ")

    saved = tmp_path / "history.json"
    saved.write_text(cli("history", workflow_id, "--json").stdout)
    from_file = run_cli("replay", "cli_flows:GreetingWorkflow", "--file", str(saved))
    assert from_file.returncode == 0, from_file.stderr
    assert "replayed events 1..11 of 11" in from_file.stdout

    up_to = run_cli("replay", "cli_flows", "--file", str(saved), "--up-to", "4")
    assert up_to.returncode == 0
    assert "replayed events 1..5 of 11" in up_to.stdout

    edited_line = next(
        n
        for n, line in enumerate((CLI_DIR / "cli_flows_changed.py").read_text().splitlines(), 1)
        if "# edited:" in line
    )
    mismatch = run_cli("replay", "cli_flows_changed", "--file", str(saved))
    assert mismatch.returncode == 1
    assert "MISMATCH: GreetingWorkflow 1.0" in mismatch.stdout
    assert "non determinism at event 5" in mismatch.stdout
    assert f"code: cli_flows_changed.py:{edited_line} in greet" in mismatch.stdout

    bulk = cli("replay", "cli_flows", "--all-closed", "GreetingWorkflow")
    assert bulk.returncode == 0, bulk.stderr
    assert "did not" in bulk.stdout and " 0 did not" in bulk.stdout
    bulk_json = cli("replay", "cli_flows", "--all-closed", "GreetingWorkflow", "--output", "json")
    outcomes = json.loads(bulk_json.stdout)
    assert len(outcomes) >= 3 and all(o["ok"] for o in outcomes)
    broken = cli("replay", "cli_flows_changed", "--all-closed", "GreetingWorkflow")
    assert broken.returncode == 1
    assert f"0 matched, {len(outcomes)} did not" in broken.stdout


def test_worker_logs_are_json_lines(worker: WorkerProcess) -> None:
    records = [json.loads(line) for line in worker.lines() if line.strip()]
    ready = [r for r in records if r["msg"].startswith("worker ready")]
    assert len(ready) == 1
    assert {"ts", "level", "logger", "msg", "pid", "thread"} <= set(ready[0])
    assert ready[0]["task_list"] == "cli"


def test_waiting_shows_progress_on_a_terminal_only(
    endpoint: str, cli_domain: str, worker: WorkerProcess
) -> None:
    import os
    import pty
    import subprocess
    import sys

    from cli_support import cli_env

    workflow_id = new_id()
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "botoflowx",
                "start",
                "Mailbox",
                "--workflow-id",
                workflow_id,
                "--wait",
                "--timeout",
                "1.5",
                "--domain",
                cli_domain,
            ],
            stdout=subprocess.PIPE,
            stderr=secondary,
            stdin=subprocess.DEVNULL,
            cwd=CLI_DIR,
            env=cli_env(endpoint),
            timeout=60,
            check=False,
        )
        os.close(secondary)
        secondary = -1
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(primary)
        if secondary >= 0:
            os.close(secondary)
    terminal = b"".join(chunks).decode()
    assert proc.returncode == 1
    assert f"\rwaiting for {workflow_id} ... " in terminal
    assert "still open after" in terminal
    run_cli("terminate", workflow_id, "--domain", cli_domain, endpoint_url=endpoint)
