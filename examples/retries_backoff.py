"""Retries with backoff: a payment that survives a flaky gateway, and one that must not retry.

The workflow charges two cards through a payment gateway that times out now and then.
The charge activity carries a ``RetryPolicy``: after a failure the workflow waits on a
durable timer (1 s, then 2 s, then 4 s... capped at 8 s) and schedules the activity
again, up to 5 attempts. A declined card is a business answer, not a glitch, so
``CardDeclined`` is listed as non-retryable and fails the charge at once. A receipt is
then sent with ``@retry_activity``, botoflow's spelling of the same idea.

Every attempt and every wait is in the workflow's history, so a crash of any process
at any moment loses nothing: the next worker replays the history and carries on.
Everything runs in this process on an in-memory embedded SWF server; the same code
runs against Amazon SWF without the server and the ``endpoint_url``.

Run it with ``.venv/bin/python examples/retries_backoff.py``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Generator
from typing import Any

from botoflowx import (
    ActivityTaskFailedError,
    ActivityWorker,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    WorkflowDefinition,
    WorkflowWorker,
    activities,
    activity,
    execute,
    make_swf_client,
    workflow_starter,
)
from botoflowx.activity import RetryPolicy, retry_activity, retry_on_exception
from botoflowx.converter import register_exception
from botoflowx.server import EmbeddedServer

DOMAIN = "examples"
TASK_LIST = "payments"


@register_exception  # decode as itself in the workflow, not as a stand-in
class CardDeclined(Exception):
    """The bank said no: retrying will not change its mind."""


class GatewayTimeout(Exception):
    """The gateway did not answer in time: worth another try."""


@activities(start_to_close_timeout=30, schedule_to_start_timeout=60)
class PaymentActivities:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: dict[str, int] = {}

    def _attempt(self, key: str) -> int:
        with self._lock:
            self._attempts[key] = self._attempts.get(key, 0) + 1
            return self._attempts[key]

    @activity(
        version="1.0",
        retry=RetryPolicy(
            initial_interval=1,
            backoff_coefficient=2,
            maximum_interval=8,
            maximum_attempts=5,
            non_retryable_errors=(CardDeclined,),
        ),
    )
    def charge(self, card: str, amount: int) -> str:
        attempt = self._attempt(card)
        print(f"[gateway] charge {card} ${amount}: attempt {attempt}", flush=True)
        if card.endswith("0000"):
            raise CardDeclined(f"card {card} declined: insufficient funds")
        if attempt < 3:  # the gateway is having a bad minute
            raise GatewayTimeout(f"no answer from the gateway (attempt {attempt})")
        return f"ch_{card[-4:]}_{amount}"

    @retry_activity(
        stop_max_attempt_number=3,
        wait_fixed=1,
        retry_on_exception=retry_on_exception(ConnectionError),
    )
    @activity(version="1.0")
    def send_receipt(self, card: str, charge_id: str) -> str:
        if self._attempt(f"receipt-{card}") == 1:
            raise ConnectionError("mail server refused the connection")
        return f"receipt for {charge_id} sent"


class Checkout(WorkflowDefinition):
    """Charges a card, retrying only what is worth retrying."""

    @execute(version="1.0", execution_start_to_close_timeout=600)
    def pay(self, card: str, amount: int) -> Generator[Any, Any, Any]:
        try:
            charge_id = yield PaymentActivities.charge(card, amount)
        except ActivityTaskFailedError as err:
            return f"payment failed: {err.cause}"
        receipt = yield PaymentActivities.send_receipt(card, charge_id)
        return f"paid with {charge_id}; {receipt}"


def timeline(swf: Any, handle: Any) -> list[str]:
    """The retry-related events of a run, as a short readable list."""
    shown = {
        "ActivityTaskScheduled": lambda a: f"schedule {a['activityType']['name']}",
        "ActivityTaskFailed": lambda a: f"failed: {a.get('reason', '')}",
        "TimerStarted": lambda a: f"wait {a['startToFireTimeout']} s (durable timer)",
        "ActivityTaskCompleted": lambda a: "completed",
    }
    lines = []
    paginator = swf.get_paginator("get_workflow_execution_history")
    for page in paginator.paginate(
        domain=DOMAIN, execution={"workflowId": handle.workflow_id, "runId": handle.run_id}
    ):
        for event in page["events"]:
            kind = event["eventType"]
            if kind in shown:
                attrs = event[kind[0].lower() + kind[1:] + "EventAttributes"]
                lines.append(shown[kind](attrs))
    return lines


def main() -> int:
    with EmbeddedServer(database=":memory:") as server:
        common: dict[str, Any] = {"endpoint_url": server.endpoint_url, "register_domain": True}
        deciders = ThreadedWorkflowExecutor(
            WorkflowWorker(None, "us-east-1", DOMAIN, TASK_LIST, Checkout, **common)
        )
        runners = ThreadedActivityExecutor(
            ActivityWorker(None, "us-east-1", DOMAIN, TASK_LIST, PaymentActivities(), **common)
        )
        deciders.start(pollers=1)
        runners.start(pollers=1, workers=2)
        try:
            with workflow_starter(
                None, "us-east-1", DOMAIN, TASK_LIST, endpoint_url=server.endpoint_url
            ):
                flaky = Checkout.pay("4242424242424242", 25)
                declined = Checkout.pay("4000000000000000", 40)
            outcomes = {
                "flaky gateway": flaky.wait_for_completion(timeout=60),
                "declined card": declined.wait_for_completion(timeout=60),
            }
            swf = make_swf_client(endpoint_url=server.endpoint_url)
            for label, handle in (("flaky gateway", flaky), ("declined card", declined)):
                print(f"\n{label}: {outcomes[label]}", flush=True)
                for line in timeline(swf, handle):
                    print(f"  {line}", flush=True)
        finally:
            deciders.stop()
            runners.stop()
    deciders.join()
    runners.join()
    expected_flaky = "paid with ch_4242_25; receipt for ch_4242_25 sent"
    if outcomes["flaky gateway"] != expected_flaky:
        print(f"unexpected outcome: {outcomes['flaky gateway']!r}", file=sys.stderr)
        return 1
    if not str(outcomes["declined card"]).startswith("payment failed: card 4000"):
        print(f"unexpected outcome: {outcomes['declined card']!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
