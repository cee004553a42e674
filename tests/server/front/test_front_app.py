"""EmbeddedServer with the real engine, driven over HTTP by plain boto3."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

import botoflowx.server
from botoflowx.server import EmbeddedServer, default_database_path
from botoflowx.server._app import _user_data_dir, is_loopback_host

WORKFLOW = {"name": "wf", "version": "1"}
ACTIVITY = {"name": "act", "version": "1"}


def client(endpoint_url: str, **keys: str) -> Any:
    return boto3.client(
        "swf",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=keys.get("akid", "x"),
        aws_secret_access_key=keys.get("secret", "x"),
        config=Config(read_timeout=70, retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def register(swf: Any, domain: str) -> None:
    swf.register_domain(name=domain, workflowExecutionRetentionPeriodInDays="1")
    swf.register_workflow_type(
        domain=domain,
        **WORKFLOW,
        defaultTaskList={"name": "decisions"},
        defaultTaskStartToCloseTimeout="30",
        defaultExecutionStartToCloseTimeout="600",
        defaultChildPolicy="TERMINATE",
    )
    swf.register_activity_type(
        domain=domain,
        **ACTIVITY,
        defaultTaskList={"name": "activities"},
        defaultTaskScheduleToStartTimeout="NONE",
        defaultTaskScheduleToCloseTimeout="NONE",
        defaultTaskStartToCloseTimeout="30",
        defaultTaskHeartbeatTimeout="NONE",
    )


def test_public_names() -> None:
    assert botoflowx.server.__all__ == sorted(botoflowx.server.__all__)
    assert set(botoflowx.server.__all__) == {"EmbeddedServer", "default_database_path"}


def test_full_workflow_cycle_with_boto3() -> None:
    with EmbeddedServer(database=":memory:", long_poll_seconds=5) as server:
        assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
        swf = client(server.endpoint_url)
        register(swf, "d")
        run = swf.start_workflow_execution(
            domain="d", workflowId="w1", workflowType=WORKFLOW, input="in"
        )
        task = swf.poll_for_decision_task(domain="d", taskList={"name": "decisions"})
        assert task["taskToken"]
        assert task["workflowExecution"] == {"workflowId": "w1", "runId": run["runId"]}
        swf.respond_decision_task_completed(
            taskToken=task["taskToken"],
            decisions=[
                {
                    "decisionType": "ScheduleActivityTask",
                    "scheduleActivityTaskDecisionAttributes": {
                        "activityType": ACTIVITY,
                        "activityId": "1",
                        "input": "a",
                    },
                }
            ],
        )
        activity = swf.poll_for_activity_task(domain="d", taskList={"name": "activities"})
        assert activity["input"] == "a"
        swf.respond_activity_task_completed(taskToken=activity["taskToken"], result="r")
        task = swf.poll_for_decision_task(domain="d", taskList={"name": "decisions"})
        swf.respond_decision_task_completed(
            taskToken=task["taskToken"],
            decisions=[
                {
                    "decisionType": "CompleteWorkflowExecution",
                    "completeWorkflowExecutionDecisionAttributes": {"result": "done"},
                }
            ],
        )
        info = swf.describe_workflow_execution(
            domain="d", execution={"workflowId": "w1", "runId": run["runId"]}
        )
        assert info["executionInfo"]["closeStatus"] == "COMPLETED"
    assert not server.running


def test_validation_and_faults_reach_boto3() -> None:
    with EmbeddedServer(database=":memory:", long_poll_seconds=1) as server:
        swf = client(server.endpoint_url)
        with pytest.raises(swf.exceptions.UnknownResourceFault):
            swf.describe_domain(name="missing")
        raw = boto3.client(
            "swf",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
        )
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            raw.register_domain(name="a:b", workflowExecutionRetentionPeriodInDays="1")
        error = excinfo.value.response["Error"]
        assert error["Code"] == "ValidationException"
        assert "at 'name'" in error["Message"]


def test_a_waiting_poll_returns_the_moment_a_task_is_scheduled() -> None:
    with EmbeddedServer(database=":memory:", long_poll_seconds=30) as server:
        swf = client(server.endpoint_url)
        register(swf, "d")
        poller = client(server.endpoint_url)
        got: list[tuple[float, dict[str, Any]]] = []

        def poll() -> None:
            task = poller.poll_for_decision_task(domain="d", taskList={"name": "decisions"})
            got.append((time.monotonic(), task))

        thread = threading.Thread(target=poll)
        thread.start()
        time.sleep(0.2)
        swf.start_workflow_execution(domain="d", workflowId="w", workflowType=WORKFLOW)
        returned = time.monotonic()
        thread.join(10)
        assert got and got[0][1]["taskToken"]
        assert got[0][0] - returned < 1.0


def test_stop_wakes_waiting_polls_promptly() -> None:
    server = EmbeddedServer(database=":memory:", long_poll_seconds=60).start()
    swf = client(server.endpoint_url)
    register(swf, "d")
    outcome: list[Any] = []

    def poll() -> None:
        try:
            outcome.append(swf.poll_for_activity_task(domain="d", taskList={"name": "x"}))
        except Exception as exc:  # the connection may be closed under it
            outcome.append(exc)

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    server.stop()
    thread.join(10)
    assert time.monotonic() - started < 6.0
    assert outcome and not thread.is_alive()
    server.stop()  # idempotent


def test_advance_clock_in_process_and_over_http() -> None:
    with EmbeddedServer(database=":memory:", long_poll_seconds=1, test_clock=True) as server:
        before = time.time()
        now = server.advance_clock(3600)
        assert now >= before + 3600
        request = urllib.request.Request(
            server.endpoint_url + "/",
            data=json.dumps({"seconds": 60}).encode(),
            headers={"X-Amz-Target": "BotoflowxAdmin.AdvanceClock"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["now"] >= now + 60


def test_advance_clock_needs_the_test_clock() -> None:
    with EmbeddedServer(database=":memory:", long_poll_seconds=1) as server:
        with pytest.raises(RuntimeError, match="test_clock=True"):
            server.advance_clock(1)
        request = urllib.request.Request(
            server.endpoint_url + "/",
            data=b'{"seconds": 1}',
            headers={"X-Amz-Target": "BotoflowxAdmin.AdvanceClock"},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request, timeout=10)
        assert excinfo.value.code == 400
        assert excinfo.value.headers["X-Amzn-ErrorType"] == "UnknownOperationException"


def test_credentials_enable_signature_checks() -> None:
    with EmbeddedServer(database=":memory:", credentials={"AKID1": "s3cret"}) as server:
        good = client(server.endpoint_url, akid="AKID1", secret="s3cret")
        good.register_domain(name="d", workflowExecutionRetentionPeriodInDays="1")
        bad = client(server.endpoint_url, akid="AKID1", secret="guess")
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            bad.describe_domain(name="d")
        assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_database_file_is_durable_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "state.sqlite3"
    with EmbeddedServer(database=path) as server:
        client(server.endpoint_url).register_domain(
            name="kept", workflowExecutionRetentionPeriodInDays="1"
        )
    assert path.exists()
    with EmbeddedServer(database=str(path)) as server:
        info = client(server.endpoint_url).describe_domain(name="kept")
        assert info["domainInfo"]["status"] == "REGISTERED"


def test_default_database_is_created_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if sys.platform in ("win32", "darwin"):
        pytest.skip("XDG_DATA_HOME applies to Linux and other Unix systems")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_database_path() == tmp_path / "data" / "botoflowx" / "server.sqlite3"
    with EmbeddedServer(long_poll_seconds=1):
        pass
    assert (tmp_path / "data" / "botoflowx" / "server.sqlite3").exists()


def test_user_data_dir_per_platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert _user_data_dir() == Path.home() / ".local" / "share"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert _user_data_dir() == Path.home() / ".local" / "share"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert _user_data_dir() == Path.home() / "Library" / "Application Support"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path))
    assert _user_data_dir() == tmp_path


def test_port_in_use_raises_before_the_database_is_opened(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        database = tmp_path / "never.sqlite3"
        with pytest.raises(OSError):
            EmbeddedServer(port=port, database=database).start()
        assert not database.exists()


def test_lifecycle_errors() -> None:
    server = EmbeddedServer(database=":memory:")
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.endpoint_url
    with pytest.raises(ValueError):
        EmbeddedServer(port=70000)
    with pytest.raises(ValueError):
        EmbeddedServer(long_poll_seconds=-1)
    with server:
        with pytest.raises(RuntimeError, match="already running"):
            server.start()


def test_is_loopback_host() -> None:
    assert is_loopback_host("127.0.0.1")
    assert is_loopback_host("127.1.2.3")
    assert is_loopback_host("::1")
    assert is_loopback_host("localhost")
    assert not is_loopback_host("0.0.0.0")
    assert not is_loopback_host("::")
    assert not is_loopback_host("192.168.1.10")
    assert not is_loopback_host("example.com")


def test_region_namespaces_domains() -> None:
    # Domains are per region; the front passes the signing region to the engine.
    with EmbeddedServer(database=":memory:") as server:
        name = f"d-{uuid.uuid4().hex[:6]}"
        east = client(server.endpoint_url)
        east.register_domain(name=name, workflowExecutionRetentionPeriodInDays="1")
        west = boto3.client(
            "swf",
            endpoint_url=server.endpoint_url,
            region_name="eu-west-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        west.register_domain(name=name, workflowExecutionRetentionPeriodInDays="1")
        with pytest.raises(east.exceptions.DomainAlreadyExistsFault):
            east.register_domain(name=name, workflowExecutionRetentionPeriodInDays="1")
