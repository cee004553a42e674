"""The ``botoflowx server`` command: endpoint line, signals, exit codes, option errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from botoflowx.cli import main, server_main

PREFIX = "botoflowx server listening: endpoint_url="
REPO_ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def server_process(*args: str, module: str = "botoflowx.server") -> Iterator[subprocess.Popen[str]]:
    argv = [sys.executable, "-m", module]
    if module == "botoflowx":
        argv.append("server")
    argv += ["--port", "0", "--database", ":memory:", "--long-poll-seconds", "1", *args]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def endpoint_of(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith(PREFIX), line
    return line[len(PREFIX) :]


def swf_client(endpoint_url: str) -> Any:
    return boto3.client(
        "swf",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


@pytest.mark.parametrize(
    ("module", "stop"),
    [("botoflowx.server", signal.SIGTERM), ("botoflowx", signal.SIGINT)],
)
def test_serves_and_stops_cleanly_on_signal(module: str, stop: signal.Signals) -> None:
    with server_process(module=module) as proc:
        url = endpoint_of(proc)
        assert url.startswith("http://127.0.0.1:")
        assert proc.stdout is not None
        hint = proc.stdout.readline()
        assert f'boto3.client("swf", endpoint_url="{url}"' in hint
        swf = swf_client(url)
        swf.register_domain(name="d", workflowExecutionRetentionPeriodInDays="1")
        assert swf.describe_domain(name="d")["domainInfo"]["name"] == "d"
        proc.send_signal(stop)
        assert proc.wait(15) == 0
        _, stderr = proc.communicate(timeout=10)
        assert "Traceback" not in stderr


def test_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "botoflowx.server",
                "--port",
                str(port),
                "--database",
                ":memory:",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO_ROOT,
        )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "already in use" in lines[0] and str(port) in lines[0]


def test_non_loopback_host_warns() -> None:
    with server_process("--host", "0.0.0.0") as proc:
        url = endpoint_of(proc)
        assert url.startswith("http://127.0.0.1:")  # the URL a local client can use
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        _, stderr = proc.communicate(timeout=10)
        assert "warning" in stderr and "NOT authenticated" in stderr


def test_auth_keys_file(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"AKIDCLI": "cli-secret"}))
    with server_process("--auth-keys-file", str(keys)) as proc:
        url = endpoint_of(proc)
        good = boto3.client(
            "swf",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="AKIDCLI",
            aws_secret_access_key="cli-secret",
        )
        good.register_domain(name="d", workflowExecutionRetentionPeriodInDays="1")
        with pytest.raises(Exception) as excinfo:
            swf_client(url).describe_domain(name="d")
        assert "UnrecognizedClientException" in str(excinfo.value)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", "{}", '{"AKID": 5}'],
)
def test_bad_auth_keys_file_is_a_usage_error(
    tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(content)
    assert server_main(["--auth-keys-file", str(keys), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "auth-keys-file" in err and "Traceback" not in err


def test_missing_auth_keys_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", "--auth-keys-file", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "server" in capsys.readouterr().err
    with pytest.raises(SystemExit) as excinfo:
        main(["server", "--port", "99999"])
    assert excinfo.value.code == 2
    with pytest.raises(SystemExit) as excinfo:
        main(["server", "--long-poll-seconds", "-1"])
    assert excinfo.value.code == 2
    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])
    assert excinfo.value.code == 0
    assert "botoflowx" in capsys.readouterr().out
