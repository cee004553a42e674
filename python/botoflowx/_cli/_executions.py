"""``start``, ``signal``, ``cancel``, ``terminate``, ``describe`` and ``list`` of runs."""

from __future__ import annotations

import argparse
import math
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from botoflowx._cli._common import (
    EXIT_FAILURE,
    EXIT_OK,
    CliError,
    Connection,
    Progress,
    UsageError,
    encode_input,
    format_seconds,
    format_time,
    non_negative_float,
    parse_time,
    positive_int,
    print_fields,
    print_json,
    print_table,
    require_domain,
    task_list_of,
)
from botoflowx._cli._history import show_value

CLOSE_STATUSES = ("COMPLETED", "FAILED", "CANCELED", "TERMINATED", "CONTINUED_AS_NEW", "TIMED_OUT")
# How often ``start --wait`` asks whether the run closed.
WAIT_POLL_SECONDS = 0.5
# SWF's largest listing page.
PAGE_SIZE = 1000


def add_parsers(commands: Any, common: list[argparse.ArgumentParser]) -> None:
    """Register the execution commands."""
    start = commands.add_parser(
        "start",
        parents=common,
        help="start a workflow execution",
        description=(
            "Start a run of a registered workflow type. --input is JSON: an array is the "
            "positional arguments, an object the keyword arguments, any other value the one "
            "argument (so pass a single list as [[1, 2]]). Example: botoflowx start Order "
            "--input '[\"order-1\", 3]' --wait"
        ),
    )
    start.add_argument("workflow_type", metavar="TYPE", help="the workflow type name")
    start.add_argument(
        "--version", dest="type_version", help="type version (default: the only registered one)"
    )
    start.add_argument("--input", metavar="JSON", help="the workflow's arguments as JSON")
    start.add_argument("--workflow-id", help="the workflow id (default: a new UUID)")
    start.add_argument("--tag", action="append", default=[], help="a tag (repeat for up to 5)")
    start.add_argument(
        "--execution-timeout",
        type=non_negative_float,
        metavar="SECONDS",
        help="execution start-to-close timeout (default: the type's)",
    )
    start.add_argument(
        "--task-timeout",
        type=non_negative_float,
        metavar="SECONDS",
        help="decision task start-to-close timeout (default: the type's)",
    )
    start.add_argument(
        "--wait", action="store_true", help="wait for the run to close and print its result"
    )
    start.add_argument(
        "--timeout",
        type=non_negative_float,
        metavar="SECONDS",
        help="with --wait: give up after this long (exit status 1)",
    )
    start.set_defaults(func=run_start)

    signal = commands.add_parser(
        "signal", parents=common, help="send a signal to a run", description="Send a signal."
    )
    signal.add_argument("workflow_id", metavar="WORKFLOW_ID")
    signal.add_argument("signal_name", metavar="SIGNAL")
    signal.add_argument("--input", metavar="JSON", help="the signal's arguments as JSON")
    signal.add_argument("--run-id", help="the run (default: the open run)")
    signal.set_defaults(func=run_signal)

    cancel = commands.add_parser(
        "cancel",
        parents=common,
        help="ask a run to cancel itself",
        description="Request cancellation: the workflow's cancellation handler decides.",
    )
    cancel.add_argument("workflow_id", metavar="WORKFLOW_ID")
    cancel.add_argument("--run-id", help="the run (default: the open run)")
    cancel.set_defaults(func=run_cancel)

    terminate = commands.add_parser(
        "terminate",
        parents=common,
        help="end a run at once",
        description="Terminate a run: it closes at once, its code gets no say.",
    )
    terminate.add_argument("workflow_id", metavar="WORKFLOW_ID")
    terminate.add_argument("--run-id", help="the run (default: the open run)")
    terminate.add_argument("--reason", help="recorded in the history (256 characters)")
    terminate.add_argument("--details", help="recorded in the history")
    terminate.set_defaults(func=run_terminate)

    describe = commands.add_parser(
        "describe", parents=common, help="show a run's status", description="Describe a run."
    )
    describe.add_argument("workflow_id", metavar="WORKFLOW_ID")
    describe.add_argument("--run-id", help="the run (default: the open run, else the latest)")
    describe.set_defaults(func=run_describe)

    listing = commands.add_parser(
        "list",
        parents=common,
        help="list runs (open by default)",
        description=(
            "List runs, newest first. Filters combine; SWF applies one of them and this "
            "command the rest. Times are ISO 8601, epoch seconds, or ages like 30m, 2h, 7d."
        ),
    )
    which = listing.add_mutually_exclusive_group()
    which.add_argument("--open", dest="closed", action="store_false", help="open runs (default)")
    which.add_argument("--closed", dest="closed", action="store_true", help="closed runs")
    listing.add_argument("--type", dest="type_name", metavar="NAME", help="only this type")
    listing.add_argument("--type-version", metavar="VERSION", help="with --type: this version")
    listing.add_argument("--tag", help="only runs with this tag")
    listing.add_argument("--workflow-id", help="only runs of this workflow id")
    listing.add_argument(
        "--status",
        type=str.upper,
        choices=CLOSE_STATUSES,
        help="only closed runs that closed this way (implies --closed)",
    )
    listing.add_argument(
        "--since", type=parse_time, metavar="TIME", help="started at or after (default: ever)"
    )
    listing.add_argument("--until", type=parse_time, metavar="TIME", help="started at or before")
    listing.add_argument(
        "--limit", type=positive_int, default=100, metavar="N", help="show at most N (default: 100)"
    )
    listing.set_defaults(func=run_list, closed=False)


# -- start ---------------------------------------------------------------------------------


def run_start(args: argparse.Namespace) -> int:
    """Start a run; with ``--wait``, wait for it and print its result."""
    domain = require_domain(args)
    payload = encode_input(args.input)
    connection: Connection = args.connection
    client = connection.client
    version = args.type_version or _only_version(client, domain, args.workflow_type)
    request: dict[str, Any] = {
        "domain": domain,
        "workflowId": args.workflow_id or str(uuid.uuid4()),
        "workflowType": {"name": args.workflow_type, "version": version},
        "input": payload,
    }
    task_list = task_list_of(args)
    if task_list:
        request["taskList"] = {"name": task_list}
    if args.tag:
        request["tagList"] = list(args.tag)
    if args.execution_timeout is not None:
        request["executionStartToCloseTimeout"] = str(math.ceil(args.execution_timeout))
    if args.task_timeout is not None:
        request["taskStartToCloseTimeout"] = str(math.ceil(args.task_timeout))
    try:
        run_id = client.start_workflow_execution(**request)["runId"]
    except Exception as exc:
        raise _start_error(exc, args.workflow_type, version, domain) from exc
    started = {"workflowId": request["workflowId"], "runId": run_id}
    if not args.wait:
        if args.output == "json":
            print_json(started)
        else:
            print_fields(
                [
                    ("started", f"{args.workflow_type} {version}"),
                    ("workflow id", started["workflowId"]),
                    ("run id", run_id),
                ]
            )
        return EXIT_OK
    return _wait_and_report(args, client, domain, started)


def _only_version(client: Any, domain: str, name: str) -> str:
    versions = []
    token = None
    while True:
        kwargs: dict[str, Any] = {
            "domain": domain,
            "name": name,
            "registrationStatus": "REGISTERED",
            "maximumPageSize": PAGE_SIZE,
        }
        if token:
            kwargs["nextPageToken"] = token
        page = client.list_workflow_types(**kwargs)
        versions += [info["workflowType"]["version"] for info in page.get("typeInfos", [])]
        token = page.get("nextPageToken")
        if not token:
            break
    if len(versions) == 1:
        return str(versions[0])
    if not versions:
        raise CliError(
            f"the workflow type {name!r} is not registered in domain {domain!r}.\n"
            "  A worker registers the types it hosts when it starts:  botoflowx worker MODULE "
            f"--domain {domain} --task-list TASK_LIST"
        )
    raise UsageError(
        f"the workflow type {name!r} has several versions in domain {domain!r} "
        f"({', '.join(sorted(versions))}): choose one with --version"
    )


def _start_error(exc: Exception, name: str, version: str, domain: str) -> Exception:
    from botoflowx.client._errors import error_code

    code = error_code(exc)
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", exc))
    if code == "UnknownResourceFault" and "type" in message.lower():
        return CliError(
            f"the workflow type {name} version {version} is not registered in domain "
            f"{domain!r}.\n  A worker registers the types it hosts when it starts:  "
            f"botoflowx worker MODULE --domain {domain} --task-list TASK_LIST"
        )
    if code == "DefaultUndefinedFault":
        return CliError(
            f"SWF needs a value the type {name} {version} has no default for: {message}.\n"
            "  Pass it (--task-list, --execution-timeout, --task-timeout) or register the "
            "type with defaults"
        )
    return exc


# The close status (as SWF names it) behind each error a handle raises.
_CLOSE_STATUS_OF = {
    "WorkflowFailedError": "FAILED",
    "WorkflowTimedOutError": "TIMED_OUT",
    "WorkflowTerminatedError": "TERMINATED",
    "WorkflowCanceledError": "CANCELED",
}


def _wait_and_report(
    args: argparse.Namespace, client: Any, domain: str, started: Mapping[str, str]
) -> int:
    from botoflowx.client import WorkflowExecutionHandle
    from botoflowx.exceptions import WorkflowError

    handle = WorkflowExecutionHandle(client, domain, started["workflowId"], started["runId"])
    progress = Progress()
    began = time.monotonic()
    deadline = None if args.timeout is None else began + args.timeout
    try:
        while True:
            progress.update(
                f"waiting for {handle.workflow_id} ... {format_seconds(time.monotonic() - began)}"
            )
            try:
                result = handle.wait_for_completion(
                    timeout=WAIT_POLL_SECONDS, poll_interval=WAIT_POLL_SECONDS / 2
                )
                break
            except TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    progress.clear()
                    raise CliError(
                        f"workflow {handle.workflow_id} (run {handle.run_id}) is still open "
                        f"after {format_seconds(args.timeout)}; follow it with:  botoflowx "
                        f"describe {handle.workflow_id} --domain {domain}"
                    ) from None
    except WorkflowError as exc:
        progress.clear()
        outcome = {
            **started,
            "runId": handle.run_id,
            "status": _CLOSE_STATUS_OF.get(type(exc).__name__, "FAILED"),
            "error": str(exc),
        }
        if args.output == "json":
            print_json(outcome)
        else:
            print_fields([("workflow id", handle.workflow_id), ("run id", handle.run_id)])
            print(f"the workflow did not complete: {exc}", flush=True)
        return EXIT_FAILURE
    progress.clear()
    if args.output == "json":
        print_json({**started, "runId": handle.run_id, "status": "COMPLETED", "result": result})
    else:
        print_fields(
            [
                ("workflow id", handle.workflow_id),
                ("run id", handle.run_id),
                ("status", "COMPLETED"),
                ("result", show_value(result)),
            ]
        )
    return EXIT_OK


# -- signal, cancel, terminate ----------------------------------------------------------------


def _run_kwargs(args: argparse.Namespace, domain: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"domain": domain, "workflowId": args.workflow_id}
    if args.run_id:
        kwargs["runId"] = args.run_id
    return kwargs


def _act(args: argparse.Namespace, what: str, call: Callable[[dict[str, Any]], Any]) -> int:
    domain = require_domain(args)
    kwargs = _run_kwargs(args, domain)
    try:
        call(kwargs)
    except Exception as exc:
        from botoflowx.client._errors import error_code

        if error_code(exc) == "UnknownResourceFault" and "domain" not in str(exc).lower():
            raise CliError(
                f"no open run of workflow {args.workflow_id!r}"
                + (f" with run id {args.run_id!r}" if args.run_id else "")
                + f" in domain {domain!r} (see: botoflowx list --domain {domain})"
            ) from None
        raise
    if args.output == "json":
        print_json({"workflowId": args.workflow_id, "runId": args.run_id, "action": what})
    else:
        print(f"{what} workflow {args.workflow_id}", flush=True)
    return EXIT_OK


def run_signal(args: argparse.Namespace) -> int:
    """Send a signal."""
    payload = encode_input(args.input)
    client = args.connection.client
    return _act(
        args,
        f"sent signal {args.signal_name!r} to",
        lambda kw: client.signal_workflow_execution(
            signalName=args.signal_name, input=payload, **kw
        ),
    )


def run_cancel(args: argparse.Namespace) -> int:
    """Request cancellation."""
    client = args.connection.client
    return _act(
        args, "requested cancellation of", lambda kw: client.request_cancel_workflow_execution(**kw)
    )


def run_terminate(args: argparse.Namespace) -> int:
    """Terminate a run."""
    client = args.connection.client
    extra: dict[str, Any] = {}
    if args.reason:
        extra["reason"] = args.reason[:256]
    if args.details:
        extra["details"] = args.details
    return _act(args, "terminated", lambda kw: client.terminate_workflow_execution(**kw, **extra))


# -- describe ------------------------------------------------------------------------------------


def run_describe(args: argparse.Namespace) -> int:
    """Describe a run."""
    from botoflowx.replayer import latest_run_id

    domain = require_domain(args)
    connection: Connection = args.connection
    client = connection.client
    run_id = args.run_id
    if not run_id:
        from botoflowx.client._swf import transport_for_target

        transport = transport_for_target(connection.target)
        try:
            run_id = latest_run_id(transport, domain, args.workflow_id)
        except LookupError as exc:
            raise CliError(str(exc)) from None
        finally:
            transport.close()
    response = client.describe_workflow_execution(
        domain=domain, execution={"workflowId": args.workflow_id, "runId": run_id}
    )
    response.pop("ResponseMetadata", None)
    if args.output == "json":
        print_json(response)
        return EXIT_OK
    info = response.get("executionInfo", {})
    config = response.get("executionConfiguration", {})
    counts = response.get("openCounts", {})
    kind = info.get("workflowType", {})
    status = info.get("executionStatus", "")
    if info.get("closeStatus"):
        status += f" ({info['closeStatus']})"
    print_fields(
        [
            ("workflow id", info.get("execution", {}).get("workflowId")),
            ("run id", info.get("execution", {}).get("runId")),
            ("type", f"{kind.get('name', '')} {kind.get('version', '')}"),
            ("status", status),
            ("started", format_time(info.get("startTimestamp"))),
            ("closed", format_time(info.get("closeTimestamp"))),
            ("task list", config.get("taskList", {}).get("name")),
            ("tags", ", ".join(info.get("tagList", []))),
            ("cancel requested", "yes" if info.get("cancelRequested") else ""),
            ("parent", (info.get("parent") or {}).get("workflowId")),
            (
                "open",
                ", ".join(f"{v} {k}" for k, v in counts.items() if v) if counts else "",
            ),
            ("latest activity", format_time(response.get("latestActivityTaskTimestamp"))),
            ("state", response.get("latestExecutionContext")),
        ]
    )
    return EXIT_OK


# -- list ------------------------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> int:
    """List runs."""
    domain = require_domain(args)
    closed = args.closed or args.status is not None
    if args.type_version and not args.type_name:
        raise UsageError("--type-version needs --type")
    rows = list_runs(args.connection.client, domain, args, closed=closed)
    if args.output == "json":
        print_json(rows)
        return EXIT_OK
    if not rows:
        print(f"no {'closed' if closed else 'open'} runs match", flush=True)
        return EXIT_OK
    print_table(
        ("WORKFLOW ID", "RUN ID", "TYPE", "STATUS", "STARTED", "CLOSED"),
        [
            (
                info["execution"]["workflowId"],
                info["execution"]["runId"],
                f"{info['workflowType']['name']} {info['workflowType']['version']}",
                info.get("closeStatus") or info.get("executionStatus", ""),
                format_time(info.get("startTimestamp")),
                format_time(info.get("closeTimestamp")),
            )
            for info in rows
        ],
    )
    return EXIT_OK


def list_runs(
    client: Any, domain: str, args: argparse.Namespace, *, closed: bool
) -> list[dict[str, Any]]:
    """The runs matching every filter of ``args``, newest first, at most ``args.limit``.

    SWF accepts one of the workflow-id, type, tag and close-status filters per
    call: the most selective given goes to SWF, the others are applied here.
    """
    time_filter: dict[str, Any] = {"oldestDate": args.since if args.since is not None else 0}
    if args.until is not None:
        time_filter["latestDate"] = args.until
    server_filter: dict[str, Any] = {}
    if args.workflow_id:
        server_filter["executionFilter"] = {"workflowId": args.workflow_id}
    elif args.type_name:
        type_filter = {"name": args.type_name}
        if args.type_version:
            type_filter["version"] = args.type_version
        server_filter["typeFilter"] = type_filter
    elif args.tag:
        server_filter["tagFilter"] = {"tag": args.tag}
    elif args.status:
        server_filter["closeStatusFilter"] = {"status": args.status}

    def matches(info: Mapping[str, Any]) -> bool:
        kind = info.get("workflowType", {})
        return (
            (not args.workflow_id or info["execution"]["workflowId"] == args.workflow_id)
            and (not args.type_name or kind.get("name") == args.type_name)
            and (not args.type_version or kind.get("version") == args.type_version)
            and (not args.tag or args.tag in info.get("tagList", []))
            and (not args.status or info.get("closeStatus") == args.status)
        )

    operation = (
        client.list_closed_workflow_executions if closed else client.list_open_workflow_executions
    )
    found: list[dict[str, Any]] = []
    token = None
    while len(found) < args.limit:
        kwargs: dict[str, Any] = {
            "domain": domain,
            "startTimeFilter": time_filter,
            "maximumPageSize": PAGE_SIZE,
            **server_filter,
        }
        if token:
            kwargs["nextPageToken"] = token
        page = operation(**kwargs)
        found += [info for info in page.get("executionInfos", []) if matches(info)]
        token = page.get("nextPageToken")
        if not token:
            break
    return found[: args.limit]
