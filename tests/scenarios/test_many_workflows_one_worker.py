"""One WorkflowWorker hosting several definitions and several versions of one type."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from botoflowx.activity import activities, activity
from botoflowx.workflow import WorkflowDefinition, execute, workflow, workflow_time

from .conftest import ACTIVITY_TIMEOUTS, Scenario

pytestmark = pytest.mark.timeout(60)


@activities(**ACTIVITY_TIMEOUTS)
class Shop:
    @activity(version="1.0")
    def price(self, item: str) -> int:
        return {"apple": 3, "pear": 4}.get(item, 1)

    @activity(version="1.0")
    def ship(self, item: str) -> str:
        return f"{item} shipped"


class PriceWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, item: str) -> Generator[Any, Any, Any]:
        price = yield Shop.price(item)
        return price


class ShipWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, item: str) -> Generator[Any, Any, Any]:
        yield workflow_time.sleep(1)
        shipped = yield Shop.ship(item)
        return shipped


@workflow("Order")
class OrderV1(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def place(self, item: str) -> Generator[Any, Any, Any]:
        price = yield Shop.price(item)
        return ["v1", price]


@workflow("Order")
class OrderV2(OrderV1):
    """Version 2.0 of the same type; it keeps serving 1.0 through the inherited method."""

    @execute(version="2.0", execution_start_to_close_timeout=3600)
    def place_v2(self, item: str) -> Generator[Any, Any, Any]:
        price = yield Shop.price(item)
        shipped = yield Shop.ship(item)
        return ["v2", price * 2, shipped]


class TwoVersions(WorkflowDefinition):
    """Two @execute methods, one class: each version is its own workflow type version."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def old(self) -> str:
        return "old"

    @execute(version="1.1", execution_start_to_close_timeout=3600)
    def new(self) -> Generator[Any, Any, Any]:
        price = yield Shop.price("pear")
        return f"new {price}"


def test_one_worker_hosts_several_definitions_and_versions(scenario: Scenario) -> None:
    definitions = [PriceWorkflow, ShipWorkflow, OrderV2, TwoVersions]
    with scenario.workers(definitions, [Shop()]):
        runs = {
            "price": scenario.start(lambda: PriceWorkflow.run("apple")),
            "ship": scenario.start(lambda: ShipWorkflow.run("pear")),
            "order v1": scenario.start(lambda: OrderV1.place("apple")),
            "order v1 via v2 class": scenario.start(lambda: OrderV2.place("pear")),
            "order v2": scenario.start(lambda: OrderV2.place_v2("pear")),
            "old": scenario.start(lambda: TwoVersions.old()),
            "new": scenario.start(lambda: TwoVersions.new()),
        }
        results = {label: handle.result(timeout=30) for label, handle in runs.items()}
    assert results == {
        "price": 3,
        "ship": "pear shipped",
        "order v1": ["v1", 3],
        "order v1 via v2 class": ["v1", 4],
        "order v2": ["v2", 8, "pear shipped"],
        "old": "old",
        "new": "new 4",
    }
    types = {
        label: scenario.events(handle, "WorkflowExecutionStarted")[0]["workflowType"]
        for label, handle in runs.items()
    }
    assert types["order v1"] == {"name": "Order", "version": "1.0"}
    assert types["order v1 via v2 class"] == {"name": "Order", "version": "1.0"}
    assert types["order v2"] == {"name": "Order", "version": "2.0"}
    assert types["new"] == {"name": "TwoVersions", "version": "1.1"}
    registered = scenario.swf.list_workflow_types(
        domain=scenario.domain, registrationStatus="REGISTERED"
    )["typeInfos"]
    assert sorted(
        (t["workflowType"]["name"], t["workflowType"]["version"]) for t in registered
    ) == [
        ("Order", "1.0"),
        ("Order", "2.0"),
        ("PriceWorkflow", "1.0"),
        ("ShipWorkflow", "1.0"),
        ("TwoVersions", "1.0"),
        ("TwoVersions", "1.1"),
    ]


def test_the_worker_refuses_two_definitions_of_one_type(scenario: Scenario) -> None:
    from botoflowx.worker import WorkflowWorker

    with pytest.raises(ValueError, match="Order"):
        WorkflowWorker(None, "us-east-1", scenario.domain, scenario.task_list, OrderV1, OrderV2)
