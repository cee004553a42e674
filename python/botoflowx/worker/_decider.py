"""The decider: replays one decision task through the Rust core and the workflow engine.

Every decision task gets a fresh :class:`Replayer` and :class:`WorkflowInstance`;
nothing mutable is shared between tasks, so any number of them can be decided
concurrently on a thread pool.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from botoflowx._replay import DecisionTaskPage, Replayer
from botoflowx.constants import MAX_DATA_SIZE, MAX_REASON_SIZE
from botoflowx.exceptions import UnknownWorkflowTypeError

log = logging.getLogger(__name__)

TypeKey = tuple[str, str]
# (definition class, ExecuteMeta) per (name, version).
Definitions = Mapping[TypeKey, tuple[type, Any]]

# SWF rejects RespondDecisionTaskCompleted with more than 100 decisions or a
# request over 1 MB.
MAX_DECISIONS = 100
MAX_REQUEST_BYTES = 1_000_000


@dataclass(frozen=True)
class Decisions:
    """What one decision task decided.

    Attributes:
        decisions: The new SWF decisions, in order.
        execution_context: The workflow's ``workflow_state`` (sent as
            ``executionContext``), or None.
    """

    decisions: list[dict[str, Any]]
    execution_context: str | None


def unknown_type_decisions(
    name: str | None, version: str | None, hosted: Sequence[TypeKey]
) -> Decisions:
    """A FailWorkflowExecution for a workflow type this worker does not host.

    Failing the run makes the mistake visible at once; leaving the task
    unanswered would retry it forever without saying why.
    """
    from botoflowx.converter import default_converter

    hosts = ", ".join(f"{n} {v}" for n, v in sorted(hosted)) or "nothing"
    reason = f"unknown workflow type {name} version {version}: this worker hosts {hosts}"
    error = UnknownWorkflowTypeError(name or "", version or "", reason)
    attributes = {"reason": reason[:MAX_REASON_SIZE]}
    try:
        details = default_converter().dumps(error)
    except Exception:  # the reason alone still says everything needed
        log.warning("could not encode %r", error, exc_info=True)
    else:
        if len(details) <= MAX_DATA_SIZE:
            attributes["details"] = details
    decision = {
        "decisionType": "FailWorkflowExecution",
        "failWorkflowExecutionDecisionAttributes": attributes,
    }
    return Decisions([decision], None)


def decide(
    pages: Sequence[DecisionTaskPage],
    started_event_id: int,
    definitions: Definitions,
    *,
    workflow_id: str,
    run_id: str,
) -> Decisions:
    """Replay ``pages`` up to ``started_event_id`` and return the new decisions.

    This is the pure part of the decider (no I/O): the worker feeds it pages
    from ``PollForDecisionTask``; replay tests feed it recorded history pages.

    Args:
        pages: The parsed history pages of the run (any order, may overlap).
        started_event_id: The ``DecisionTaskStarted`` event of the task.
        definitions: The workflow types the worker hosts.
        workflow_id: The run's workflow id.
        run_id: The run's run id.

    Returns:
        The decisions to send (those history does not hold yet).

    Raises:
        NonDeterminismError: The workflow code contradicts the history.
        ReplayError: The history is malformed or has gaps.
    """
    from botoflowx.workflow._instance import WorkflowInstance

    replayer = Replayer()
    replayer.extend(pages, started_event_id)
    started = replayer.workflow_started
    if started is None:
        raise ValueError(
            f"history of workflow {workflow_id} (run {run_id}) lacks its "
            "WorkflowExecutionStarted event"
        )
    key = (started.workflow_type_name, started.workflow_type_version)
    if key not in definitions:
        return unknown_type_decisions(key[0], key[1], list(definitions))
    definition_cls, execute_meta = definitions[key]
    instance = WorkflowInstance(
        definition_cls, execute_meta, workflow_id=workflow_id, run_id=run_id, started=started
    )
    decisions: list[dict[str, Any]] = []
    try:
        while (activation := replayer.next_activation()) is not None:
            commands = instance.activate(activation)
            new = replayer.complete_activation(
                [command.as_replay_tuple() for command in commands]
            )
            decisions.extend(commands[index].decision for index in new)
        return Decisions(decisions, instance.execution_context)
    finally:
        # Unfinished generators must be discarded under the workflow context now;
        # left to the garbage collector, their finally blocks would run activity
        # code for real on this thread.
        instance.close()


def fit_decisions(
    decisions: list[dict[str, Any]], *, workflow_id: str, run_id: str
) -> list[dict[str, Any]]:
    """Keep a batch within SWF's limits (100 decisions, 1 MB), logging what was cut.

    TODO: split larger batches across decision tasks (send the first part and
    ask for another task with a zero-second timer) in step with the replay
    core; until then the surplus is dropped with an error in the log.
    """
    if len(decisions) > MAX_DECISIONS:
        log.error(
            "workflow %s (run %s) produced %d decisions in one task; SWF accepts %d per "
            "response, so only the first %d are sent and the rest are DROPPED (the next replay "
            "will report a non-determinism error). Reduce the fan-out per step.",
            workflow_id,
            run_id,
            len(decisions),
            MAX_DECISIONS,
            MAX_DECISIONS,
        )
        decisions = decisions[:MAX_DECISIONS]
    size = len(orjson.dumps(decisions))
    if size > MAX_REQUEST_BYTES:
        log.error(
            "workflow %s (run %s): decisions are %d bytes, over SWF's 1 MB request limit; "
            "SWF will reject them. Pass smaller payloads to activities.",
            workflow_id,
            run_id,
            size,
        )
    return decisions
