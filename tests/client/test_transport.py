"""The raw-bytes SWF transport: signing, error mapping and retries against a real HTTP server."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from botocore.credentials import Credentials

from botoflowx.client import RawSWFTransport, SWFError
from botoflowx.client._transport import (
    RawActivityClient,
    poll_for_activity_task,
    record_activity_task_heartbeat,
    respond_activity_task_canceled,
    respond_activity_task_completed,
    respond_activity_task_failed,
)

Reply = tuple[int, bytes, dict[str, str]]


@dataclass
class Recorded:
    """What the fake server saw and what it will answer next."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def fake() -> Iterator[tuple[str, Recorded]]:
    """A loopback HTTP server answering from a queue of canned replies."""
    recorded = Recorded()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            recorded.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status, payload, headers = recorded.replies.pop(0)
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorded
    finally:
        server.shutdown()
        server.server_close()


def make_transport(url: str, **kwargs: object) -> RawSWFTransport:
    credentials = Credentials("AKIDTEST", "secret")
    provider: Callable[[], Credentials] = lambda: credentials  # noqa: E731
    options: dict[str, object] = {"backoff_base": 0.01, "backoff_cap": 0.02, "read_timeout": 5.0}
    options.update(kwargs)
    return RawSWFTransport(
        endpoint_url=url,
        region="eu-west-1",
        credentials=provider,
        **options,  # type: ignore[arg-type]
    )


def fault(code: str, message: str, status: int = 400) -> Reply:
    body = json.dumps({"__type": f"com.amazonaws.swf.base.model#{code}", "message": message})
    return status, body.encode(), {}


def test_returns_body_bytes_untouched_and_signs_the_request(fake: tuple[str, Recorded]) -> None:
    url, recorded = fake
    page = b'{"taskToken":"t","startedEventId":3,"events":[]}'
    recorded.replies.append((200, page, {}))
    transport = make_transport(url)

    body = transport.call(
        "PollForDecisionTask", {"domain": "d", "taskList": {"name": "tl"}, "identity": "me"}
    )

    assert body == page
    headers, sent = recorded.requests[0]
    assert headers["x-amz-target"] == "SimpleWorkflowService.PollForDecisionTask"
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    assert "/eu-west-1/swf/aws4_request" in headers["authorization"]
    assert json.loads(sent) == {"domain": "d", "taskList": {"name": "tl"}, "identity": "me"}


def test_maps_fault_type_and_message_and_never_retries_unknown_resource(
    fake: tuple[str, Recorded],
) -> None:
    url, recorded = fake
    recorded.replies.append(fault("UnknownResourceFault", "Unknown domain: d"))
    transport = make_transport(url)

    with pytest.raises(SWFError) as info:
        transport.call("PollForDecisionTask", {"domain": "d"})

    assert info.value.code == "UnknownResourceFault"
    assert info.value.message == "Unknown domain: d"
    assert info.value.status == 400
    assert info.value.operation == "PollForDecisionTask"
    assert len(recorded.requests) == 1


def test_error_code_falls_back_to_the_error_type_header(fake: tuple[str, Recorded]) -> None:
    url, recorded = fake
    recorded.replies.append((400, b"not json", {"X-Amzn-ErrorType": "ValidationException:extra"}))
    with pytest.raises(SWFError) as info:
        make_transport(url).call("PollForDecisionTask", {})
    assert info.value.code == "ValidationException"


def test_retries_throttling_and_5xx_then_succeeds(fake: tuple[str, Recorded]) -> None:
    url, recorded = fake
    throttled = (400, b'{"__type":"com.amazon.coral.availability#ThrottlingException"}', {})
    recorded.replies.extend(
        [
            throttled,
            fault("InternalFailure", "boom", status=500),
            (200, b"{}", {}),
        ]
    )
    assert make_transport(url).call("PollForActivityTask", {"domain": "d"}) == b"{}"
    assert len(recorded.requests) == 3


def test_gives_up_after_max_attempts(fake: tuple[str, Recorded]) -> None:
    url, recorded = fake
    recorded.replies.extend([fault("InternalFailure", "down", status=503)] * 3)
    with pytest.raises(SWFError) as info:
        make_transport(url, max_attempts=3).call("PollForDecisionTask", {})
    assert info.value.code == "InternalFailure"
    assert info.value.status == 503
    assert len(recorded.requests) == 3


def test_non_idempotent_calls_are_not_retried_after_a_server_error(
    fake: tuple[str, Recorded],
) -> None:
    url, recorded = fake
    recorded.replies.extend([fault("InternalFailure", "maybe applied", status=500), (200, b"", {})])
    with pytest.raises(SWFError):
        make_transport(url).call("RespondDecisionTaskCompleted", {}, idempotent=False)
    assert len(recorded.requests) == 1


def test_non_idempotent_calls_are_retried_when_throttled(fake: tuple[str, Recorded]) -> None:
    url, recorded = fake
    recorded.replies.extend([fault("ThrottlingException", "Rate exceeded"), (200, b"", {})])
    body = make_transport(url).call("RespondDecisionTaskCompleted", {}, idempotent=False)
    assert body == b""
    assert len(recorded.requests) == 2


def test_connection_refused_is_retried_then_reported() -> None:
    # Bind and close a socket to find a port nobody listens on.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = make_transport(f"http://127.0.0.1:{port}", max_attempts=2, connect_timeout=1.0)
    with pytest.raises(SWFError) as info:
        transport.call("PollForDecisionTask", {})
    assert info.value.code == "ConnectionError"
    assert info.value.retryable


# -- the activity hot path ------------------------------------------------------------------


def test_activity_poll_parses_a_task_and_reports_empty_polls(fake: tuple[str, Recorded]) -> None:
    url, recorded = fake
    task = {
        "taskToken": "tok",
        "activityId": "7",
        "startedEventId": 12,
        "workflowExecution": {"workflowId": "w", "runId": "r"},
        "activityType": {"name": "Acts.step", "version": "1.0"},
        "input": "[[1],{}]",
    }
    recorded.replies.extend(
        [(200, json.dumps(task).encode(), {}), (200, b"{}", {}), (200, b'{"taskToken":""}', {})]
    )
    transport = make_transport(url)
    assert poll_for_activity_task(transport, domain="d", task_list="tl", identity="me") == task
    assert poll_for_activity_task(transport, domain="d", task_list="tl") is None
    assert poll_for_activity_task(transport, domain="d", task_list="tl") is None
    headers, sent = recorded.requests[0]
    assert headers["x-amz-target"] == "SimpleWorkflowService.PollForActivityTask"
    assert json.loads(sent) == {"domain": "d", "taskList": {"name": "tl"}, "identity": "me"}
    assert json.loads(recorded.requests[1][1]) == {"domain": "d", "taskList": {"name": "tl"}}


def test_activity_answers_send_only_the_given_members(fake: tuple[str, Recorded]) -> None:
    url, recorded = fake
    recorded.replies.extend([(200, b"", {})] * 5)
    transport = make_transport(url)
    respond_activity_task_completed(transport, "t1", "42")
    respond_activity_task_completed(transport, "t2")
    respond_activity_task_failed(transport, "t3", "ValueError: bad", "{}")
    respond_activity_task_failed(transport, "t4")
    respond_activity_task_canceled(transport, "t5", "stopped")
    sent = [(h["x-amz-target"].split(".")[1], json.loads(b)) for h, b in recorded.requests]
    assert sent == [
        ("RespondActivityTaskCompleted", {"taskToken": "t1", "result": "42"}),
        ("RespondActivityTaskCompleted", {"taskToken": "t2"}),
        (
            "RespondActivityTaskFailed",
            {"taskToken": "t3", "reason": "ValueError: bad", "details": "{}"},
        ),
        ("RespondActivityTaskFailed", {"taskToken": "t4"}),
        ("RespondActivityTaskCanceled", {"taskToken": "t5", "details": "stopped"}),
    ]


def test_activity_answers_are_not_retried_after_a_server_error(fake: tuple[str, Recorded]) -> None:
    url, recorded = fake
    recorded.replies.append(fault("InternalFailure", "maybe applied", status=500))
    with pytest.raises(SWFError):
        respond_activity_task_completed(make_transport(url), "t", "1")
    assert len(recorded.requests) == 1


def test_heartbeat_reports_cancel_requested_and_is_retried(fake: tuple[str, Recorded]) -> None:
    url, recorded = fake
    recorded.replies.extend(
        [
            (200, b'{"cancelRequested":false}', {}),
            fault("InternalFailure", "blip", status=500),
            (200, b'{"cancelRequested":true}', {}),
            fault("UnknownResourceFault", "task gone"),
        ]
    )
    transport = make_transport(url)
    assert record_activity_task_heartbeat(transport, "t", "50%") is False
    assert record_activity_task_heartbeat(transport, "t") is True
    with pytest.raises(SWFError) as info:
        record_activity_task_heartbeat(transport, "t")
    assert info.value.code == "UnknownResourceFault"
    assert json.loads(recorded.requests[0][1]) == {"taskToken": "t", "details": "50%"}
    assert json.loads(recorded.requests[1][1]) == {"taskToken": "t"}


def test_activity_round_trip_on_the_embedded_server() -> None:
    """Poll, heartbeat and complete a real activity task through the raw transport."""
    import uuid

    from botoflowx.client import make_swf_client, make_swf_transport
    from botoflowx.server import EmbeddedServer

    with EmbeddedServer(port=0, database=":memory:", long_poll_seconds=1) as server:
        swf = make_swf_client(endpoint_url=server.endpoint_url)
        transport = make_swf_transport(endpoint_url=server.endpoint_url)
        domain, tl = f"d-{uuid.uuid4().hex[:8]}", "tl"
        swf.register_domain(name=domain, workflowExecutionRetentionPeriodInDays="1")
        swf.register_workflow_type(
            domain=domain,
            name="W",
            version="1",
            defaultTaskList={"name": tl},
            defaultTaskStartToCloseTimeout="60",
            defaultExecutionStartToCloseTimeout="600",
            defaultChildPolicy="TERMINATE",
        )
        swf.register_activity_type(
            domain=domain,
            name="A",
            version="1",
            defaultTaskList={"name": tl},
            defaultTaskScheduleToStartTimeout="60",
            defaultTaskStartToCloseTimeout="60",
            defaultTaskScheduleToCloseTimeout="120",
            defaultTaskHeartbeatTimeout="60",
        )
        run_id = swf.start_workflow_execution(
            domain=domain, workflowId="w", workflowType={"name": "W", "version": "1"}
        )["runId"]
        try:
            decision = swf.poll_for_decision_task(domain=domain, taskList={"name": tl})
            swf.respond_decision_task_completed(
                taskToken=decision["taskToken"],
                decisions=[
                    {
                        "decisionType": "ScheduleActivityTask",
                        "scheduleActivityTaskDecisionAttributes": {
                            "activityType": {"name": "A", "version": "1"},
                            "activityId": "1",
                            "input": "in",
                        },
                    }
                ],
            )
            task = poll_for_activity_task(transport, domain=domain, task_list=tl, identity="me")
            assert task is not None
            assert (task["activityId"], task["input"]) == ("1", "in")
            assert task["activityType"] == {"name": "A", "version": "1"}
            assert task["workflowExecution"] == {"workflowId": "w", "runId": run_id}
            assert record_activity_task_heartbeat(transport, task["taskToken"], "half") is False
            respond_activity_task_completed(transport, task["taskToken"], "out")
            with pytest.raises(SWFError) as info:
                respond_activity_task_completed(transport, task["taskToken"], "again")
            assert info.value.code == "UnknownResourceFault"
            history = swf.get_workflow_execution_history(
                domain=domain, execution={"workflowId": "w", "runId": run_id}
            )["events"]
            completed = [e for e in history if e["eventType"] == "ActivityTaskCompleted"]
            assert completed[0]["activityTaskCompletedEventAttributes"]["result"] == "out"
        finally:
            transport.close()
            swf.close()


def test_raw_activity_client_mirrors_boto3_for_the_activity_calls(
    fake: tuple[str, Recorded],
) -> None:
    url, recorded = fake
    recorded.replies.extend(
        [
            (200, b"{}", {}),
            (200, b'{"taskToken":"t","activityId":"1"}', {}),
            (200, b'{"cancelRequested":true}', {}),
            (200, b"", {}),
            (200, b"", {}),
            (200, b"", {}),
        ]
    )
    client = RawActivityClient(make_transport(url))
    assert client.poll_for_activity_task(domain="d", taskList={"name": "tl"}, identity="i") == {}
    task = client.poll_for_activity_task(domain="d", taskList={"name": "tl"})
    assert task == {"taskToken": "t", "activityId": "1"}
    assert client.record_activity_task_heartbeat(taskToken="t", details="x") == {
        "cancelRequested": True
    }
    assert client.respond_activity_task_completed(taskToken="t", result="r") == {}
    assert client.respond_activity_task_failed(taskToken="t", reason="why") == {}
    assert client.respond_activity_task_canceled(taskToken="t") == {}
    targets = [h["x-amz-target"].split(".")[1] for h, _ in recorded.requests]
    assert targets == [
        "PollForActivityTask",
        "PollForActivityTask",
        "RecordActivityTaskHeartbeat",
        "RespondActivityTaskCompleted",
        "RespondActivityTaskFailed",
        "RespondActivityTaskCanceled",
    ]
