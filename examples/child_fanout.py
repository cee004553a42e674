"""A report built by fanning out to one child workflow per region, then fanning in.

The parent starts a ``RegionReport`` child per region (each with its own workflow id
and tags, so it can be found and followed on its own), waits for all of them to start
and then for all their results, and adds them up. A child that fails does not sink the
report: its error arrives as a ChildWorkflowFailedError naming that child, and the
parent records the region as missing.

Everything runs in this process on an in-memory embedded SWF server. The same code
runs against Amazon SWF: drop the server and the ``endpoint_url``.

Run it with ``.venv/bin/python examples/child_fanout.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from typing import Any

from botoflowx import (
    CHILD_TERMINATE,
    MINUTES,
    ActivityWorker,
    AllFuture,
    ChildWorkflowFailedError,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    WorkflowDefinition,
    WorkflowWorker,
    activities,
    activity,
    execute,
    workflow_options,
    workflow_starter,
)
from botoflowx.server import EmbeddedServer

DOMAIN = "examples"
TASK_LIST = "reports"

SALES = {
    "emea": [120, 80, 45],
    "amer": [300, 10],
    "apac": [75, 75, 75, 75],
}


@activities(start_to_close_timeout=60, schedule_to_start_timeout=60)
class SalesActivities:
    @activity(version="1.0")
    def fetch_sales(self, region: str) -> list[int]:
        if region not in SALES:
            raise LookupError(f"no sales data for region {region!r}")
        return SALES[region]


class RegionReport(WorkflowDefinition):
    """One region's total (a child workflow)."""

    @execute(version="1.0", execution_start_to_close_timeout=10 * MINUTES)
    def summarize(self, region: str) -> Generator[Any, Any, Any]:
        sales = yield SalesActivities.fetch_sales(region)
        return {"region": region, "total": sum(sales), "orders": len(sales)}


class SalesReport(WorkflowDefinition):
    """The parent: one child per region, then the grand total."""

    @execute(version="1.0", execution_start_to_close_timeout=30 * MINUTES)
    def build(self, regions: list[str]) -> Generator[Any, Any, Any]:
        own_id = self.workflow_execution.workflow_id
        starts = []
        for region in regions:
            with workflow_options(
                workflow_id=f"{own_id}-{region}",
                tag_list=["sales-report", region],
                child_policy=CHILD_TERMINATE,
            ):
                starts.append(RegionReport.summarize(region))
        # Fan out: every StartChildWorkflowExecution goes out in one decision task.
        children = yield AllFuture(*starts)
        parts: list[dict[str, Any]] = []
        missing: list[str] = []
        for region, child in zip(regions, children, strict=True):
            try:
                parts.append((yield child.workflow_result))
            except ChildWorkflowFailedError as err:
                missing.append(f"{region} (child {err.workflow_id}: {err.reason})")
        return {
            "total": sum(part["total"] for part in parts),
            "by_region": {part["region"]: part["total"] for part in parts},
            "missing": missing,
        }


def main() -> int:
    with EmbeddedServer(database=":memory:") as server:
        common: dict[str, Any] = {"endpoint_url": server.endpoint_url, "register_domain": True}
        deciders = ThreadedWorkflowExecutor(
            WorkflowWorker(
                None, "us-east-1", DOMAIN, TASK_LIST, SalesReport, RegionReport, **common
            )
        )
        runners = ThreadedActivityExecutor(
            ActivityWorker(None, "us-east-1", DOMAIN, TASK_LIST, SalesActivities(), **common)
        )
        deciders.start(pollers=1, workers=2)
        runners.start(pollers=1, workers=4)
        try:
            with (
                workflow_starter(
                    None, "us-east-1", DOMAIN, TASK_LIST, endpoint_url=server.endpoint_url
                ),
                workflow_options(workflow_id="sales-2026-q4"),
            ):
                handle = SalesReport.build(["emea", "amer", "apac", "mars"])
            print(f"started report {handle.workflow_id}", flush=True)
            report = handle.wait_for_completion(timeout=60)
            print(f"total: {report['total']}", flush=True)
            for region, total in sorted(report["by_region"].items()):
                print(f"  {region}: {total}", flush=True)
            for missing in report["missing"]:
                print(f"  missing: {missing}", flush=True)
        finally:
            deciders.stop()
            runners.stop()
    deciders.join()
    runners.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
