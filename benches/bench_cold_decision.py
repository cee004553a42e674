"""Cold decision: raw PollForDecisionTask bytes to decisions, against orjson, botocore and botoflow.

For each history size (about 100, 1,000, 10,000 and 25,000 events of ``SeqWorkflow``, paged
1,000 events per page by ``historygen.py``) and in one process, round-robin:

- **botoflowx**: ``DecisionTaskPage.parse`` of every page, then ``botoflowx.worker._decider.decide``
  (a fresh ``Replayer`` and ``WorkflowInstance``: a full replay, as on a cache miss).
- **(a) orjson.loads** of the same bytes (the parse floor; no decision made).
- **(b) botocore parse**: botocore's JSON response parser with SWF's ``PollForDecisionTask``
  output shape, as a boto3 client parses the same bodies.
- **(c) botoflow 0.8 replay**: botoflow's ``Decider.decide()`` (what its worker's ``run_once``
  calls) on the botocore-parsed pages of the botoflow-flavored history, with a poller that hands
  it those pages and a client that captures its answer.

A real botoflow decider pays (b) + (c); the goal is botoflowx no slower than (a) and at least
20 times faster than (b) + (c) at 25,000 events.

Correct means both deciders answer with exactly one ScheduleActivityTask for activity k+1.

botoflow lives only in ``benches/.venv-baseline`` (``benches/setup_baseline.sh``): when it is
not importable here and that environment exists, the script re-runs itself there (with the
repository's ``python/`` on the path), so all four are measured in one process.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, environment, print_table, round_robin, write_result

BASELINE_PYTHON = BENCH_DIR / ".venv-baseline" / "bin" / "python"
_REEXEC_GUARD = "BOTOFLOWX_BENCH_IN_BASELINE"
GOAL_VS_ORJSON = 1.0
GOAL_SPEEDUP = 20.0


def _maybe_reexec(args: argparse.Namespace) -> None:
    """Re-run under the baseline interpreter when botoflow is missing here but installed there."""
    if args.no_baseline or os.environ.get(_REEXEC_GUARD):
        return
    try:
        import botoflow  # noqa: F401
    except ImportError:
        if BASELINE_PYTHON.exists():
            os.environ[_REEXEC_GUARD] = "1"
            script = str(Path(__file__).resolve())
            os.execv(str(BASELINE_PYTHON), [str(BASELINE_PYTHON), script, *sys.argv[1:]])


# -- the botoflowx side -----------------------------------------------------------------------


def botoflowx_method(pages: list[bytes], started: int) -> Callable[[], list[dict[str, Any]]]:
    """Raw bytes -> decisions through the Rust parser and a full replay."""
    from historygen import RUN_ID, WORKFLOW_ID
    from workloads import SeqWorkflow

    from botoflowx._replay import DecisionTaskPage
    from botoflowx.worker._decider import decide

    definitions = {key: (SeqWorkflow, meta) for key, meta in SeqWorkflow.__workflow_types__.items()}

    def run() -> list[dict[str, Any]]:
        parsed = [DecisionTaskPage.parse(page) for page in pages]
        return decide(
            parsed, started, definitions, workflow_id=WORKFLOW_ID, run_id=RUN_ID
        ).decisions

    return run


# -- the botocore and botoflow side ---------------------------------------------------------


def botocore_method(pages: list[bytes]) -> Callable[[], list[dict[str, Any]]]:
    """botocore's own parsing of the same responses (what a boto3 client does to each page)."""
    import botocore.parsers
    import botocore.session

    model = botocore.session.get_session().get_service_model("swf")
    shape = model.operation_model("PollForDecisionTask").output_shape
    parser = botocore.parsers.create_parser("json")
    headers = {"content-type": "application/x-amz-json-1.0"}

    def run() -> list[dict[str, Any]]:
        return [
            parser.parse({"body": page, "headers": headers, "status_code": 200}, shape)
            for page in pages
        ]

    return run


def botoflow_method(parsed_pages: list[dict[str, Any]]) -> Callable[[], list[dict[str, Any]]]:
    """botoflow 0.8's decider replaying botocore-parsed pages (no SWF, no network)."""
    import botoflow
    from botoflow.decider.decider import Decider
    from botoflow.decider.decision_task_poller import DecisionTaskPoller
    from botoflow.workers.workflow_worker import get_workflow_entrypoint
    from workloads import PAD

    timeouts = {
        "schedule_to_start_timeout": 3600,
        "start_to_close_timeout": 3600,
        "schedule_to_close_timeout": 7200,
        "heartbeat_timeout": 3600,
    }

    # Class names give the type names: they match the generated history.
    @botoflow.activities(**timeouts)
    class SeqActivities:
        @botoflow.activity(version="1.0")
        def step(self, index: int, pad: str) -> str:
            raise AssertionError("activities never run in a replay")

    class SeqWorkflow(botoflow.WorkflowDefinition):
        @botoflow.execute(version="1.0", execution_start_to_close_timeout=7 * 24 * 3600)
        def run(self, n: int) -> Any:
            result = None
            for index in range(n):
                result = yield SeqActivities.step(index, PAD)
            botoflow.return_(result)

    # The page each nextPageToken leads to, as SWF's paging would hand it out.
    following = {
        page["nextPageToken"]: parsed_pages[index + 1]
        for index, page in enumerate(parsed_pages[:-1])
    }

    class PagesPoller(DecisionTaskPoller):  # type: ignore[misc]
        """Hands out the prepared pages; botoflow's EventsIterator follows nextPageToken."""

        def single_poll(self, next_page_token: str | None = None) -> dict[str, Any]:
            if next_page_token is None:
                return parsed_pages[0]
            return following[next_page_token]

    class Client:
        def __init__(self) -> None:
            self.answers: list[dict[str, Any]] = []

        def respond_decision_task_completed(self, **kwargs: Any) -> None:
            self.answers.append(kwargs)

    class Worker:
        def __init__(self) -> None:
            self.client = Client()

    worker = Worker()

    def get_workflow(name: str, version: str) -> Any:
        return get_workflow_entrypoint(SeqWorkflow, name, version)

    decider = Decider(worker, "bench", "bench-decisions", get_workflow, "bench", PagesPoller)

    def run() -> list[dict[str, Any]]:
        worker.client.answers.clear()
        decider.decide()
        (answer,) = worker.client.answers
        return list(answer["decisions"])

    return run


# -- correctness ----------------------------------------------------------------------------


def is_expected(decisions: list[dict[str, Any]], activity_id: str) -> bool:
    """Exactly one ScheduleActivityTask of SeqActivities.step with the next activity id."""
    if len(decisions) != 1 or decisions[0].get("decisionType") != "ScheduleActivityTask":
        return False
    attributes = decisions[0]["scheduleActivityTaskDecisionAttributes"]
    return bool(
        attributes["activityId"] == activity_id
        and attributes["activityType"]["name"] == "SeqActivities.step"
    )


# -- the run --------------------------------------------------------------------------------


def run(
    sizes: dict[str, int], *, repeat: int, min_seconds: float, baseline: bool
) -> dict[str, Any]:
    """Measure every size; returns the JSON result."""
    import historygen
    import orjson

    have_botoflow = False
    botoflow_version = None
    if baseline:
        try:
            from importlib.metadata import version

            import botoflow  # noqa: F401

            botoflow_version = version("botoflow")
            have_botoflow = True
        except ImportError:
            pass
    rows: list[dict[str, Any]] = []
    correct = True
    for label, k in sizes.items():
        history = historygen.generate(k)
        pages = history.pages
        methods: list[tuple[str, Callable[[], object]]] = []
        ours = botoflowx_method(pages, history.started_event_id)
        ours_ok = is_expected(ours(), history.expected_activity_id)
        methods.append(("botoflowx", ours))
        methods.append(("orjson.loads", lambda pages=pages: [orjson.loads(p) for p in pages]))
        methods.append(("botocore parse", botocore_method(pages)))
        botoflow_ok: bool | None = None
        if have_botoflow:
            flavored = historygen.generate(k, flavor="botoflow")
            parsed = botocore_method(flavored.pages)()
            theirs = botoflow_method(parsed)
            botoflow_ok = is_expected(theirs(), history.expected_activity_id)
            methods.append(("botoflow 0.8 replay", theirs))
        timings = round_robin(methods, repeat=repeat, min_seconds=min_seconds)
        row: dict[str, Any] = {
            "size": label,
            "events": history.events,
            "pages": len(pages),
            "bytes": history.size_bytes,
            "timings": timings,
            "botoflowx_correct": ours_ok,
            "botoflow_correct": botoflow_ok,
        }
        ours_ms = timings["botoflowx"]["wall_ms"]
        row["ratio_vs_orjson"] = ours_ms / timings["orjson.loads"]["wall_ms"]
        if have_botoflow:
            theirs_ms = (
                timings["botocore parse"]["wall_ms"] + timings["botoflow 0.8 replay"]["wall_ms"]
            )
            row["speedup_vs_botocore_plus_botoflow"] = theirs_ms / ours_ms
        row["speedup_vs_botocore"] = timings["botocore parse"]["wall_ms"] / ours_ms
        correct &= ours_ok and botoflow_ok is not False
        rows.append(row)
    largest = rows[-1]
    goals = {
        "size": largest["size"],
        "no_slower_than_orjson": largest["ratio_vs_orjson"] <= GOAL_VS_ORJSON,
        "20x_faster_than_botocore_plus_botoflow": (
            largest.get("speedup_vs_botocore_plus_botoflow", 0.0) >= GOAL_SPEEDUP
            if have_botoflow
            else None
        ),
    }
    return {
        "benchmark": "cold_decision",
        "environment": environment(),
        "config": {"repeat": repeat, "min_seconds": min_seconds, "sizes": sizes},
        "botoflow_version": botoflow_version,
        "botoflow_measured": have_botoflow,
        "rows": rows,
        "goals": goals,
        "correct": correct,
    }


def report(result: dict[str, Any]) -> None:
    """Print the result as a table."""
    header = ["size (events)", "pages", "botoflowx", "(a) orjson.loads", "(b) botocore parse"]
    if result["botoflow_measured"]:
        header += ["(c) botoflow 0.8 replay", "(b)+(c) / botoflowx"]
    header += ["botoflowx / (a)", "correct"]
    rows = []
    for row in result["rows"]:
        t = row["timings"]

        def cell(name: str, t: dict[str, Any] = t, events: int = row["events"]) -> str:
            ms = t[name]["wall_ms"]
            return f"{ms:,.3f} ms ({events / ms * 1e3 / 1e3:,.0f}k ev/s)"

        line = [f"{row['size']} ({row['events']:,})", row["pages"], cell("botoflowx")]
        line += [cell("orjson.loads"), cell("botocore parse")]
        if result["botoflow_measured"]:
            line += [
                cell("botoflow 0.8 replay"),
                f"{row['speedup_vs_botocore_plus_botoflow']:.1f}x",
            ]
        line += [f"{row['ratio_vs_orjson']:.2f}x", "yes" if row["botoflowx_correct"] else "NO"]
        rows.append(line)
    print_table(
        "Cold decision: median wall time per decision task (GC on), same process, round-robin",
        header,
        rows,
    )
    if not result["botoflow_measured"]:
        print("\nbotoflow 0.8 not measured: run benches/setup_baseline.sh first.")
    print(f"\ngoals at {result['goals']['size']}: {result['goals']}; correct: {result['correct']}")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exits 1 when a result was wrong."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="~100 and ~1000 events, 1 repetition")
    parser.add_argument("--repeat", type=int, default=5, help="round-robin repetitions")
    parser.add_argument("--min-seconds", type=float, default=0.25, help="minimum time per sample")
    parser.add_argument("--no-baseline", action="store_true", help="skip botoflow 0.8")
    parser.add_argument("--json", type=Path, help="result file (default benches/results/)")
    args = parser.parse_args(argv)
    _maybe_reexec(args)
    import historygen

    if args.quick:
        sizes = {"~100": historygen.SIZES["~100"], "~1000": historygen.SIZES["~1000"]}
        repeat, min_seconds = 1, 0.0
    else:
        sizes, repeat, min_seconds = dict(historygen.SIZES), args.repeat, args.min_seconds
    result = run(sizes, repeat=repeat, min_seconds=min_seconds, baseline=not args.no_baseline)
    report(result)
    write_result("cold_decision", result, args.json)
    return 0 if result["correct"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
