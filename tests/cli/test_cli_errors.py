"""Usage, help, exit codes and the messages of user mistakes (no tracebacks), plus ``domain``."""

from __future__ import annotations

import json
import socket

from cli_support import fields, run_cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_help_lists_every_command_and_the_exit_codes() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in (
        "server",
        "demo",
        "worker",
        "start",
        "signal",
        "cancel",
        "terminate",
        "describe",
        "list",
        "history",
        "replay",
        "domain",
    ):
        assert f"    {command} " in result.stdout
    assert "0 ok, 1 failure" in result.stdout and "2 usage error" in result.stdout


def test_no_command_and_bad_options_are_usage_errors() -> None:
    nothing = run_cli()
    assert nothing.returncode == 2
    assert "usage: botoflowx" in nothing.stderr
    unknown = run_cli("list", "--no-such-option")
    assert unknown.returncode == 2
    assert "unrecognized arguments: --no-such-option" in unknown.stderr
    bad_output = run_cli("list", "--output", "yaml")
    assert bad_output.returncode == 2
    assert "invalid choice: 'yaml'" in bad_output.stderr


def test_connection_refused_names_the_endpoint_and_suggests_the_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cli("list", "--domain", "d", "--endpoint-url", url)
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"cannot connect to the SWF endpoint {url}" in result.stderr
    assert "botoflowx server" in result.stderr
    assert "Traceback" not in result.stderr


def test_endpoint_from_the_environment_and_debug_shows_the_traceback() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cli("--debug", "describe", "w", "--domain", "d", endpoint_url=url)
    assert result.returncode == 1
    assert url in result.stderr  # taken from BOTOFLOWX_ENDPOINT_URL
    assert "Traceback (most recent call last)" in result.stderr


def test_unknown_domain_says_how_to_register_it(endpoint: str) -> None:
    result = run_cli("list", "--domain", "no-such-domain", endpoint_url=endpoint)
    assert result.returncode == 1
    assert "the domain 'no-such-domain' is not registered" in result.stderr
    assert "botoflowx domain register no-such-domain" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_json_input_points_at_the_character(endpoint: str, cli_domain: str) -> None:
    result = run_cli(
        "start",
        "GreetingWorkflow",
        "--domain",
        cli_domain,
        "--input",
        '["a" "b"]',
        endpoint_url=endpoint,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert "--input is not valid JSON: Expecting ',' delimiter at column 6" in lines[0]
    assert lines[1].strip() == '["a" "b"]'
    # The caret sits under the offending character.
    assert lines[2].index("^") - lines[1].index("[") == 5
    assert "Traceback" not in result.stderr


def test_a_missing_domain_is_a_usage_error(endpoint: str) -> None:
    result = run_cli("list", endpoint_url=endpoint)
    assert result.returncode == 2
    assert "needs a domain: pass --domain NAME or set $BOTOFLOWX_DOMAIN" in result.stderr


def test_domain_register_describe_list(endpoint: str, cli_domain: str) -> None:
    described = run_cli("domain", "describe", cli_domain, endpoint_url=endpoint)
    assert described.returncode == 0, described.stderr
    shown = fields(described.stdout)
    assert shown["name"] == cli_domain
    assert shown["status"] == "REGISTERED"
    assert shown["retention"] == "1 day(s)"

    as_json = run_cli(
        "domain", "describe", "--domain", cli_domain, "--output", "json", endpoint_url=endpoint
    )
    assert json.loads(as_json.stdout)["domainInfo"]["name"] == cli_domain

    listed = run_cli("--output", "json", "domain", "list", endpoint_url=endpoint)
    assert cli_domain in [info["name"] for info in json.loads(listed.stdout)]
    table = run_cli("domain", "list", endpoint_url=endpoint)
    assert table.stdout.splitlines()[0].split() == ["NAME", "STATUS", "DESCRIPTION"]

    again = run_cli("domain", "register", cli_domain, endpoint_url=endpoint)
    assert again.returncode == 1
    assert f"the domain {cli_domain!r} is already registered" in again.stderr

    retention = run_cli("domain", "register", "x", "--retention-days", "91", endpoint_url=endpoint)
    assert retention.returncode == 2
    missing = run_cli("domain", endpoint_url=endpoint)
    assert missing.returncode == 2
    assert "register, describe or list" in missing.stderr


def test_worker_module_errors_are_usage_errors(endpoint: str, cli_domain: str) -> None:
    common = ["--domain", cli_domain, "--task-list", "t"]
    missing = run_cli("worker", "no_such_module", *common, endpoint_url=endpoint)
    assert missing.returncode == 2
    assert "cannot import 'no_such_module'" in missing.stderr
    wrong_name = run_cli("worker", "cli_flows:Nope", *common, endpoint_url=endpoint)
    assert wrong_name.returncode == 2
    assert "module cli_flows has no 'Nope'" in wrong_name.stderr
    not_a_workflow = run_cli("worker", "cli_flows:Any", *common, endpoint_url=endpoint)
    assert not_a_workflow.returncode == 2
    assert "neither a WorkflowDefinition" in not_a_workflow.stderr
    no_task_list = run_cli("worker", "cli_flows", "--domain", cli_domain, endpoint_url=endpoint)
    assert no_task_list.returncode == 2
    assert "needs a task list" in no_task_list.stderr
    for result in (missing, wrong_name, not_a_workflow, no_task_list):
        assert "Traceback" not in result.stderr


def test_signal_to_an_unknown_run_is_a_failure(endpoint: str, cli_domain: str) -> None:
    result = run_cli(
        "signal", "no-such-run", "hello", "--domain", cli_domain, endpoint_url=endpoint
    )
    assert result.returncode == 1
    assert "no open run of workflow 'no-such-run'" in result.stderr


def test_history_of_an_unknown_workflow_id(endpoint: str, cli_domain: str) -> None:
    result = run_cli("history", "nope", "--domain", cli_domain, endpoint_url=endpoint)
    assert result.returncode == 1
    assert f"no execution with workflow id 'nope' in domain '{cli_domain}'" in result.stderr


def test_replay_file_errors(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = run_cli("replay", "cli_flows", "--file", str(bad))
    assert result.returncode == 2
    assert "is not valid JSON" in result.stderr
    gone = run_cli("replay", "cli_flows", "--file", str(tmp_path / "gone.json"))
    assert gone.returncode == 2
    assert "cannot read" in gone.stderr and "No such file" in gone.stderr
    neither = run_cli("replay", "cli_flows")
    assert neither.returncode == 2
    assert "one of the arguments --file --workflow-id --all-closed is required" in neither.stderr


def test_a_refused_proxy_tunnel_is_explained_with_what_to_check() -> None:
    from botoflowx._cli._common import explain
    from botoflowx.client import SWFError

    refused = SWFError(
        "ProxyRefused",
        "cannot connect to swf.us-east-1.amazonaws.com:443 through proxy 10.0.0.1:3128: the "
        "proxy refused the tunnel: HTTP/1.1 407 Proxy Authentication Required",
        operation="PollForDecisionTask",
    )
    message = str(explain(refused, None, None))
    assert "407 Proxy Authentication Required" in message
    assert "HTTPS_PROXY" in message
    assert "SWF refused" not in message
