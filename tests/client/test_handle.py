"""workflow_starter and WorkflowExecutionHandle against a real EmbeddedServer.

No workers run here: each test answers the decision task itself with plain
boto3, so every close status can be produced exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from botoflowx.client import (
    ContinuedAsNew,
    WorkflowExecutionHandle,
    get_workflow_handle,
    make_swf_client,
)
from botoflowx.client._starter import workflow_starter
from botoflowx.converter import default_converter
from botoflowx.exceptions import (
    NotInWorkflowError,
    PayloadTooLargeError,
    WorkflowCanceledError,
    WorkflowFailedError,
    WorkflowTerminatedError,
    WorkflowTimedOutError,
)
from botoflowx.server import EmbeddedServer
from botoflowx.workflow._definition import WorkflowDefinition, execute, signal
from botoflowx.workflow._options import workflow_options

CONVERTER = default_converter()


class OrderWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600, task_start_to_close_timeout=300)
    def place(self, item: str, quantity: int = 1) -> Any:
        raise AssertionError("never run: no worker in these tests")


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(port=0, database=":memory:", long_poll_seconds=1, test_clock=True) as srv:
        yield srv


@pytest.fixture
def swf(server: EmbeddedServer) -> Any:
    return make_swf_client(endpoint_url=server.endpoint_url)


@pytest.fixture
def domain(swf: Any) -> str:
    name = f"handle-{uuid.uuid4().hex[:10]}"
    swf.register_domain(name=name, workflowExecutionRetentionPeriodInDays="1")
    swf.register_workflow_type(
        domain=name,
        name="OrderWorkflow",
        version="1.0",
        defaultTaskStartToCloseTimeout="300",
        defaultExecutionStartToCloseTimeout="600",
        defaultChildPolicy="TERMINATE",
    )
    return name


def start(
    server: EmbeddedServer, domain: str, *args: Any, **kwargs: Any
) -> WorkflowExecutionHandle:
    with workflow_starter(None, "us-east-1", domain, "orders", endpoint_url=server.endpoint_url):
        handle = OrderWorkflow.place(*args, **kwargs)
    assert isinstance(handle, WorkflowExecutionHandle)
    return handle


def decide(swf: Any, domain: str, *decisions: dict[str, Any]) -> dict[str, Any]:
    """Take the next decision task on ``orders`` and answer it with ``decisions``."""
    task = swf.poll_for_decision_task(domain=domain, taskList={"name": "orders"}, identity="test")
    assert task.get("taskToken"), "expected a decision task"
    swf.respond_decision_task_completed(taskToken=task["taskToken"], decisions=list(decisions))
    return task


def test_starter_sends_type_input_task_list_and_options(
    server: EmbeddedServer, swf: Any, domain: str
) -> None:
    with workflow_starter(
        None, "us-east-1", domain, default_task_list="orders", endpoint_url=server.endpoint_url
    ):
        with workflow_options(workflow_id="order-42", tag_list=["vip"], task_priority=5):
            handle = OrderWorkflow.place("book", quantity=3)
    assert handle.workflow_id == "order-42"
    described = handle.describe()
    config = described["executionConfiguration"]
    assert config["taskList"] == {"name": "orders"}
    assert config["executionStartToCloseTimeout"] == "600"
    assert config["taskStartToCloseTimeout"] == "300"
    assert config["childPolicy"] == "TERMINATE"
    assert config["taskPriority"] == "5"
    assert described["executionInfo"]["tagList"] == ["vip"]
    assert described["executionInfo"]["workflowType"] == {"name": "OrderWorkflow", "version": "1.0"}
    task = decide(swf, domain, {"decisionType": "CompleteWorkflowExecution"})
    started = task["events"][0]["workflowExecutionStartedEventAttributes"]
    assert CONVERTER.loads(started["input"]) == [["book"], {"quantity": 3}]


def test_completed_returns_the_decoded_result(
    server: EmbeddedServer, swf: Any, domain: str
) -> None:
    handle = start(server, domain, "pen")
    with pytest.raises(TimeoutError):
        handle.wait_for_completion(timeout=0.3, poll_interval=0.1)
    result = CONVERTER.dumps({"ok": True, "items": ("pen", 2)})
    decide(
        swf,
        domain,
        {
            "decisionType": "CompleteWorkflowExecution",
            "completeWorkflowExecutionDecisionAttributes": {"result": result},
        },
    )
    assert handle.result(timeout=10) == {"ok": True, "items": ("pen", 2)}


def test_failed_raises_with_the_decoded_cause(
    server: EmbeddedServer, swf: Any, domain: str
) -> None:
    handle = start(server, domain, "pen")
    decide(
        swf,
        domain,
        {
            "decisionType": "FailWorkflowExecution",
            "failWorkflowExecutionDecisionAttributes": {
                "reason": "KeyError: 'stock'",
                "details": CONVERTER.dumps(KeyError("stock")),
            },
        },
    )
    with pytest.raises(WorkflowFailedError) as info:
        handle.wait_for_completion(timeout=10, poll_interval=0.05)
    assert info.value.reason == "KeyError: 'stock'"
    assert isinstance(info.value.cause, KeyError)
    assert info.value.workflow_id == handle.workflow_id
    assert info.value.run_id == handle.run_id


def test_terminated(server: EmbeddedServer, domain: str) -> None:
    handle = start(server, domain, "pen")
    handle.terminate(reason="operator", details="cleanup")
    with pytest.raises(WorkflowTerminatedError) as info:
        handle.result(timeout=10)
    assert info.value.reason == "operator"
    assert info.value.details == "cleanup"


def test_canceled(server: EmbeddedServer, swf: Any, domain: str) -> None:
    handle = start(server, domain, "pen")
    decide(swf, domain)  # the first task: nothing to do yet
    handle.cancel()
    decide(
        swf,
        domain,
        {
            "decisionType": "CancelWorkflowExecution",
            "cancelWorkflowExecutionDecisionAttributes": {"details": "customer"},
        },
    )
    with pytest.raises(WorkflowCanceledError) as info:
        handle.result(timeout=10)
    assert info.value.details == "customer"


def test_timed_out(server: EmbeddedServer, swf: Any, domain: str) -> None:
    with workflow_starter(None, "us-east-1", domain, "orders", endpoint_url=server.endpoint_url):
        with workflow_options(execution_start_to_close_timeout=50):
            handle = OrderWorkflow.place("pen")
    decide(swf, domain)
    server.advance_clock(60)
    with pytest.raises(WorkflowTimedOutError) as info:
        handle.result(timeout=10)
    assert info.value.timeout_type == "START_TO_CLOSE"


def test_continued_as_new_is_followed_or_reported(
    server: EmbeddedServer, swf: Any, domain: str
) -> None:
    handle = start(server, domain, "pen")
    first_run = handle.run_id
    decide(
        swf,
        domain,
        {
            "decisionType": "ContinueAsNewWorkflowExecution",
            "continueAsNewWorkflowExecutionDecisionAttributes": {
                "input": CONVERTER.dumps([["pen"], {}]),
                # The type registers no default task list (SWF takes the new run's
                # options from the decision, then the type's defaults).
                "taskList": {"name": "orders"},
            },
        },
    )
    marker = WorkflowExecutionHandle(swf, domain, handle.workflow_id, first_run, CONVERTER)
    outcome = marker.wait_for_completion(timeout=10, follow_continue_as_new=False)
    assert isinstance(outcome, ContinuedAsNew)
    assert outcome.workflow_id == handle.workflow_id
    assert outcome.run_id != first_run

    decide(
        swf,
        domain,
        {
            "decisionType": "CompleteWorkflowExecution",
            "completeWorkflowExecutionDecisionAttributes": {"result": CONVERTER.dumps("second")},
        },
    )
    assert handle.result(timeout=10) == "second"
    assert handle.run_id == outcome.run_id


def test_signal_reaches_the_history(server: EmbeddedServer, swf: Any, domain: str) -> None:
    handle = start(server, domain, "pen")
    handle.signal("add", "ink", colour="blue")
    history = swf.get_workflow_execution_history(
        domain=domain, execution={"workflowId": handle.workflow_id, "runId": handle.run_id}
    )
    signaled = [e for e in history["events"] if e["eventType"] == "WorkflowExecutionSignaled"]
    attributes = signaled[0]["workflowExecutionSignaledEventAttributes"]
    assert attributes["signalName"] == "add"
    assert CONVERTER.loads(attributes["input"]) == [["ink"], {"colour": "blue"}]
    handle.terminate()


def test_starter_needs_a_domain_and_consistent_task_lists() -> None:
    with pytest.raises(TypeError, match="domain"):
        with workflow_starter(None, "us-east-1"):
            pass
    with pytest.raises(TypeError, match="disagree"):
        with workflow_starter(None, "us-east-1", "d", "a", default_task_list="b"):
            pass


class Signalled(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600, task_start_to_close_timeout=300)
    def place(self) -> Any:
        raise AssertionError("never run: no worker in these tests")

    @signal()
    def add_item(self, item: str, quantity: int = 1) -> None:
        raise AssertionError("never run")

    @signal(name="Cancel-Order")
    def cancel_order(self) -> None:
        raise AssertionError("never run")


def signals_of(swf: Any, domain: str, handle: WorkflowExecutionHandle) -> list[tuple[str, Any]]:
    events = swf.get_workflow_execution_history(
        domain=domain, execution={"workflowId": handle.workflow_id, "runId": handle.run_id}
    )["events"]
    return [
        (
            event["workflowExecutionSignaledEventAttributes"]["signalName"],
            CONVERTER.loads(event["workflowExecutionSignaledEventAttributes"]["input"]),
        )
        for event in events
        if event["eventType"] == "WorkflowExecutionSignaled"
    ]


def test_handles_send_the_definitions_signals_as_attribute_calls(
    server: EmbeddedServer, swf: Any, domain: str
) -> None:
    swf.register_workflow_type(
        domain=domain,
        name="Signalled",
        version="1.0",
        defaultTaskStartToCloseTimeout="300",
        defaultExecutionStartToCloseTimeout="600",
        defaultChildPolicy="TERMINATE",
    )
    with workflow_starter(None, "us-east-1", domain, "orders", endpoint_url=server.endpoint_url):
        first = Signalled.place()
        second = Signalled.place()
    first.add_item("pen", quantity=2)
    second.add_item("ink")
    first.cancel_order()  # by method name; the wire name is the @signal name
    second.signal("Cancel-Order")
    assert signals_of(swf, domain, first) == [
        ("add_item", [["pen"], {"quantity": 2}]),
        ("Cancel-Order", [[], {}]),
    ]
    assert signals_of(swf, domain, second) == [
        ("add_item", [["ink"], {}]),
        ("Cancel-Order", [[], {}]),
    ]
    with pytest.raises(AttributeError, match=r"signals are \['add_item', 'cancel_order'\]"):
        first.remove_item("pen")


def test_oversize_signal_input_and_termination_details_fail_before_the_call(
    server: EmbeddedServer, swf: Any, domain: str
) -> None:
    handle = start(server, domain, "pen")
    with pytest.raises(PayloadTooLargeError, match="signal 'note'"):
        handle.signal("note", "x" * 40_000)
    with pytest.raises(PayloadTooLargeError, match="details of termination"):
        handle.terminate(details="x" * 40_000)
    assert signals_of(swf, domain, handle) == []
    assert handle.describe()["executionInfo"]["executionStatus"] == "OPEN"


def test_workflow_state_reads_the_latest_execution_context(
    server: EmbeddedServer, swf: Any, domain: str
) -> None:
    handle = start(server, domain, "pen")
    assert handle.workflow_state is None
    task = swf.poll_for_decision_task(domain=domain, taskList={"name": "orders"}, identity="t")
    swf.respond_decision_task_completed(
        taskToken=task["taskToken"], decisions=[], executionContext="packing"
    )
    assert handle.workflow_state == "packing"


def test_get_workflow_handle_needs_an_activity_or_a_starter(
    server: EmbeddedServer, domain: str
) -> None:
    with pytest.raises(NotInWorkflowError, match="inside an activity"):
        get_workflow_handle("wf", "run")
    with workflow_starter(None, "us-east-1", domain, "orders", endpoint_url=server.endpoint_url):
        handle = get_workflow_handle("wf", "run", definition=Signalled)
    assert (handle.domain, handle.workflow_id, handle.run_id) == (domain, "wf", "run")
    assert handle.definition is Signalled
