"""An expense approval: a workflow that waits for a person, with signals and a deadline.

The workflow records the request, asks an approver (an activity that would send an
e-mail or a chat message), then waits, durably, for one of two signals, ``approve`` or
``reject``, or for a 3-day deadline, whichever comes first. While it waits it shows
its status through ``workflow_state``, which anyone with a handle can read.

Everything runs in this process on an in-memory embedded SWF server. At a terminal
you are the approver; otherwise (CI, a pipe) the request is approved automatically.
The same code runs against Amazon SWF: drop the server and the ``endpoint_url``.

Run it with ``.venv/bin/python examples/signals_approval.py``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Generator
from typing import Any

from botoflowx import (
    DAYS,
    ActivityWorker,
    AnyFuture,
    Future,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    WorkflowDefinition,
    WorkflowWorker,
    activities,
    activity,
    execute,
    signal,
    workflow_starter,
    workflow_time,
)
from botoflowx.server import EmbeddedServer

DOMAIN = "examples"
TASK_LIST = "approvals"


@activities(start_to_close_timeout=60, schedule_to_start_timeout=60)
class ApprovalActivities:
    @activity(version="1.0")
    def ask_approver(self, request: dict[str, Any]) -> None:
        print(
            f"[approver inbox] {request['employee']} asks for ${request['amount']}: "
            f"{request['reason']!r}",
            flush=True,
        )

    @activity(version="1.0")
    def pay_out(self, request: dict[str, Any], approver: str) -> str:
        return f"paid ${request['amount']} to {request['employee']} (approved by {approver})"

    @activity(version="1.0")
    def tell_employee(self, request: dict[str, Any], outcome: str) -> None:
        print(f"[mail to {request['employee']}] {outcome}", flush=True)


class ExpenseApproval(WorkflowDefinition):
    """Waits for a human decision on one expense request."""

    def __init__(self, workflow_execution: Any = None) -> None:
        super().__init__(workflow_execution)
        # Created in workflow code (the engine builds this object), so it lives on the
        # run's deterministic loop; signal handlers complete it.
        self.decision: Future[tuple[str, str]] = Future()

    @execute(version="1.0", execution_start_to_close_timeout=7 * DAYS)
    def submit(self, request: dict[str, Any]) -> Generator[Any, Any, Any]:
        yield ApprovalActivities.ask_approver(request)
        self.workflow_state = "awaiting approval"
        deadline = workflow_time.sleep(3 * DAYS)
        yield AnyFuture(self.decision, deadline)
        if not self.decision.done():
            outcome = "no decision within 3 days: request expired"
        else:
            deadline.cancel()
            verdict, who = self.decision.result()
            if verdict == "approved":
                outcome = yield ApprovalActivities.pay_out(request, who)
            else:
                outcome = f"rejected by {who}"
        self.workflow_state = outcome
        yield ApprovalActivities.tell_employee(request, outcome)
        return outcome

    @signal()
    def approve(self, approver: str) -> None:
        if not self.decision.done():
            self.decision.set_result(("approved", approver))

    @signal()
    def reject(self, approver: str, why: str = "") -> None:
        if not self.decision.done():
            self.decision.set_result(("rejected", f"{approver} ({why})" if why else approver))


def wait_for_state(handle: Any, state: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while handle.workflow_state != state:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the workflow never reached {state!r}")
        time.sleep(0.1)


def main() -> int:
    with EmbeddedServer(database=":memory:") as server:
        common: dict[str, Any] = {"endpoint_url": server.endpoint_url, "register_domain": True}
        deciders = ThreadedWorkflowExecutor(
            WorkflowWorker(None, "us-east-1", DOMAIN, TASK_LIST, ExpenseApproval, **common)
        )
        runners = ThreadedActivityExecutor(
            ActivityWorker(None, "us-east-1", DOMAIN, TASK_LIST, ApprovalActivities(), **common)
        )
        deciders.start(pollers=1)
        runners.start(pollers=1, workers=2)
        try:
            with workflow_starter(
                None, "us-east-1", DOMAIN, TASK_LIST, endpoint_url=server.endpoint_url
            ):
                handle = ExpenseApproval.submit(
                    {"employee": "sam", "amount": 120, "reason": "conference taxi"}
                )
            print(f"started approval {handle.workflow_id}", flush=True)
            wait_for_state(handle, "awaiting approval")
            print(f"status: {handle.workflow_state}", flush=True)
            if sys.stdin.isatty():
                answer = input("Approve this expense? [y/N] ").strip().lower()
            else:
                answer = "y"
            # The handle knows the workflow's signals: these are SignalWorkflowExecution.
            if answer.startswith("y"):
                handle.approve("alice")
            else:
                handle.reject("alice", "not a business expense")
            outcome = handle.wait_for_completion(timeout=60)
            print(f"workflow completed: {outcome}", flush=True)
        finally:
            # Stop polling first; leaving the server block wakes the waiting polls.
            deciders.stop()
            runners.stop()
    deciders.join()
    runners.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
