"""``botoflowx replay``: check the current workflow code against recorded histories."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from botoflowx._cli._common import (
    EXIT_FAILURE,
    EXIT_OK,
    CliError,
    Connection,
    Progress,
    UsageError,
    parse_time,
    positive_int,
    print_json,
    require_domain,
)
from botoflowx._cli._loading import load


def add_parser(commands: Any, common: list[argparse.ArgumentParser]) -> None:
    """Register ``botoflowx replay``."""
    parser = commands.add_parser(
        "replay",
        parents=common,
        help="replay histories against the current workflow code",
        description=(
            "Replay recorded histories with the workflow definitions of MODULE (as for "
            "`botoflowx worker`). The exit status is 0 when every replay matched, 1 when one "
            "did not (the first non-determinism is reported with its event and code line)."
        ),
    )
    parser.add_argument("modules", nargs="+", metavar="MODULE[:NAME]")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--file",
        metavar="PATH",
        help="a history saved as JSON (GetWorkflowExecutionHistory output, boto3's or the wire's)",
    )
    source.add_argument("--workflow-id", help="replay this live execution")
    source.add_argument(
        "--all-closed", metavar="TYPE", help="replay every closed run of this workflow type"
    )
    parser.add_argument("--run-id", help="the run (live: default the latest; --file: its run id)")
    parser.add_argument(
        "--up-to",
        type=positive_int,
        metavar="N",
        help="replay events 1..N only (--file and --workflow-id)",
    )
    parser.add_argument("--type-version", metavar="VERSION", help="with --all-closed")
    parser.add_argument("--since", type=parse_time, metavar="TIME", help="with --all-closed")
    parser.add_argument("--until", type=parse_time, metavar="TIME", help="with --all-closed")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Replay and report; 0 when everything matched."""
    from botoflowx.replayer import HistoryFormatError, WorkflowReplayer

    hosted = load(args.modules)
    if not hosted.workflows:
        raise UsageError(f"{' '.join(args.modules)} holds no workflow definitions to replay")
    if args.up_to is not None and args.all_closed:
        raise UsageError("--up-to applies to one run (--file or --workflow-id)")
    if args.file is None:
        connection: Connection = args.connection
        kwargs: dict[str, Any] = {
            **connection.worker_kwargs(),
            "aws_region": connection.target.region,
        }
    else:
        kwargs = {}
    replayer = WorkflowReplayer(*hosted.workflows, **kwargs)
    try:
        if args.file is not None:
            try:
                outcomes = [replayer.replay(args.file, up_to_event=args.up_to, run_id=args.run_id)]
            except HistoryFormatError as exc:
                raise UsageError(str(exc)) from None
            except OSError as exc:
                raise UsageError(f"cannot read {args.file!r}: {exc.strerror}") from None
            except ValueError as exc:
                raise UsageError(f"--up-to: {exc}") from None
        elif args.workflow_id is not None:
            domain = require_domain(args)
            try:
                outcomes = [
                    replayer.replay_execution(
                        domain, args.workflow_id, args.run_id, up_to_event=args.up_to
                    )
                ]
            except LookupError as exc:
                raise CliError(str(exc)) from None
            except ValueError as exc:
                raise UsageError(f"--up-to: {exc}") from None
        else:
            outcomes = _bulk(args, replayer, require_domain(args))
    finally:
        replayer.close()
    failed = [o for o in outcomes if not o.ok]
    if args.output == "json":
        print_json([_as_json(o) for o in outcomes])
    elif args.all_closed:
        for outcome in failed:
            print(outcome.summary())
        print(
            f"replayed {len(outcomes)} closed run(s) of {args.all_closed}: "
            f"{len(outcomes) - len(failed)} matched, {len(failed)} did not",
            flush=True,
        )
    else:
        print(outcomes[0].summary(), flush=True)
    return EXIT_FAILURE if failed else EXIT_OK


def _bulk(args: argparse.Namespace, replayer: Any, domain: str) -> list[Any]:
    progress = Progress()
    mismatches = 0

    def report(done: int, total: int | None, outcome: Any) -> None:
        nonlocal mismatches
        mismatches += 0 if outcome.ok else 1
        progress.update(f"replayed {done}/{total} runs, {mismatches} mismatch(es)")

    try:
        return list(
            replayer.replay_closed(
                domain,
                args.all_closed,
                version=args.type_version,
                oldest=args.since,
                latest=args.until,
                progress=report,
            )
        )
    finally:
        progress.clear()


def _as_json(outcome: Any) -> dict[str, Any]:
    data = dataclasses.asdict(outcome)
    data["ok"] = outcome.ok
    if outcome.workflow_type is not None:
        data["workflow_type"] = {
            "name": outcome.workflow_type[0],
            "version": outcome.workflow_type[1],
        }
    return data
