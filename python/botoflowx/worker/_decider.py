"""The decider: replays one decision task through the Rust core and the workflow engine.

A :class:`WorkflowRun` holds one run's ``Replayer`` and ``WorkflowInstance``
and decides its tasks one after another; the worker may keep it between tasks
(the sticky cache, ``_sticky.py``) or drop it after each. A run is only ever
used by one thread at a time, so any number of runs can be decided
concurrently on a thread pool.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from botoflowx._replay import DecisionTaskPage, Replayer
from botoflowx.constants import MAX_DATA_SIZE, MAX_REASON_SIZE
from botoflowx.exceptions import UnknownWorkflowTypeError
from botoflowx.workflow._instance import WorkflowInstance

log = logging.getLogger(__name__)

_replay_tuple = operator.attrgetter("replay_tuple")

TypeKey = tuple[str, str]
# (definition class, ExecuteMeta) per (name, version).
Definitions = Mapping[TypeKey, tuple[type, Any]]

# SWF rejects RespondDecisionTaskCompleted with more than 100 decisions or a
# request over 1 MB.
MAX_DECISIONS = 100
MAX_REQUEST_BYTES = 1_000_000

# Measured memory of an idle cached run of a small workflow (instance, loop,
# decision context, a suspended generator, the replay core's open state),
# rounded up; payloads are added per run. See WorkflowRun.estimated_bytes.
RUN_BASE_BYTES = 16 * 1024
# The replay core keeps the capacity of its activation queue after draining
# it: a run replayed in full from N decision boundaries holds about this much
# per boundary (measured: 183 KB per run after one 10,000-event extend, 20 KB
# after the same history arrived as sticky deltas). Counted in the estimate
# until the core shrinks the drained queue.
ACTIVATION_SLOT_BYTES = 96


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


class WorkflowRun:
    """The live decider state of one workflow run: its ``Replayer`` and ``WorkflowInstance``.

    :meth:`decide` can be called once per decision task, each time with the
    pages of that task: the first call needs the history from event 1, later
    calls only the events after :attr:`applied_event_id` (pages may overlap
    what was applied; duplicates are dropped by the replay core). This is the
    one activation -> commands -> diff loop of the decider; :func:`decide`
    (the pure, one-shot form) runs it on a fresh run.

    After :meth:`decide` raised, the run is unusable: close it and replay the
    task on a new one.

    Args:
        definitions: The workflow types the worker hosts.
        workflow_id: The run's workflow id.
        run_id: The run's run id.
    """

    __slots__ = (
        "_definitions",
        "_instance",
        "_replayer",
        "applied_event_id",
        "closed",
        "payload_bytes",
        "peak_activations",
        "run_id",
        "workflow_id",
    )

    def __init__(self, definitions: Definitions, *, workflow_id: str, run_id: str) -> None:
        self._definitions = definitions
        self._replayer = Replayer()
        self._instance: WorkflowInstance | None = None
        self.workflow_id = workflow_id
        self.run_id = run_id
        # The started event of the last task decided (0 before the first).
        self.applied_event_id = 0
        # True once the run produced its close decision (or was failed for an
        # unknown type): it will not need another decision task from us.
        self.closed = False
        # Payload bytes delivered to the workflow code: an upper bound of what
        # its generators may still hold, for the cache's memory estimate.
        self.payload_bytes = 0
        # The most activations one decide() call went through (see
        # ACTIVATION_SLOT_BYTES).
        self.peak_activations = 0

    def decide(self, pages: Sequence[DecisionTaskPage], started_event_id: int) -> Decisions:
        """Apply the events of ``pages`` up to ``started_event_id``; return the new decisions.

        Args:
            pages: Parsed pages (any order, may overlap what was applied).
            started_event_id: The ``DecisionTaskStarted`` event of the task.

        Returns:
            The decisions history does not hold yet, and the execution context.

        Raises:
            NonDeterminismError: The workflow code contradicts the history.
            ReplayError: The history is malformed, has a gap, or a task this
                run decided timed out (the cached state is stale).
            ValueError: The history lacks its WorkflowExecutionStarted event.
        """
        replayer = self._replayer
        replayer.extend(pages, started_event_id)
        instance = self._instance
        if instance is None:
            created = self._create_instance()
            if isinstance(created, Decisions):
                self.closed = True
                self.applied_event_id = started_event_id
                return created
            instance = self._instance = created
        decisions: list[dict[str, Any]] = []
        payload_bytes = 0
        activations = 0
        # Per activation, not per event: the replay core has already folded the
        # events into jobs, so this loop's Python cost is per decision boundary
        # and a sticky hit (one boundary) costs the same at any history length;
        # the run's context is entered once for all its activations.
        # The collector is left alone on purpose: a replay step frees what it
        # allocates (no reference cycles), so a 25k-event cold replay runs at
        # most 2 young collections (measured with gc.callbacks, also inside
        # bench_cold_decision's process), while pausing a process-wide
        # collector from concurrent decider threads would let reference cycles
        # of busy workers pile up unboundedly.
        with instance.running():
            while (activation := replayer.next_activation()) is not None:
                activations += 1
                payload_bytes += activation.payload_bytes
                commands = instance.apply(activation)
                new = replayer.complete_activation(map(_replay_tuple, commands))
                if new:
                    decisions.extend(commands[index].decision for index in new)
        self.payload_bytes += payload_bytes
        self.peak_activations = max(self.peak_activations, activations)
        self.applied_event_id = started_event_id
        self.closed = instance.closed
        return Decisions(decisions, instance.execution_context)

    def _create_instance(self) -> WorkflowInstance | Decisions:
        started = self._replayer.workflow_started
        if started is None:
            raise ValueError(
                f"history of workflow {self.workflow_id} (run {self.run_id}) lacks its "
                "WorkflowExecutionStarted event"
            )
        key = (started.workflow_type_name, started.workflow_type_version)
        if key not in self._definitions:
            return unknown_type_decisions(key[0], key[1], list(self._definitions))
        definition_cls, execute_meta = self._definitions[key]
        return WorkflowInstance(
            definition_cls,
            execute_meta,
            workflow_id=self.workflow_id,
            run_id=self.run_id,
            started=started,
        )

    @property
    def event_count(self) -> int:
        """How many history events the run has applied."""
        return self._replayer.event_count

    def estimated_bytes(self) -> int:
        """A rough upper bound of the memory this run holds, for the cache's byte bound.

        A measured constant for the instance, its loop, the decision context
        and the replay core's open state (see the worker's sticky-cache notes),
        plus the workflow input and every payload delivered to the code, which
        the generators may keep alive, plus the replay core's activation queue
        capacity (a power of two at least as large as the longest batch).
        """
        started = self._replayer.workflow_started
        input_bytes = len(started.input or "") if started is not None else 0
        queue_slots = 1 << max(0, self.peak_activations - 1).bit_length()
        return (
            RUN_BASE_BYTES + input_bytes + self.payload_bytes + queue_slots * ACTIVATION_SLOT_BYTES
        )

    def close(self) -> None:
        """Discard the run's unfinished generators now, under the workflow context.

        Left to the garbage collector, their ``finally`` blocks would run on
        whatever thread collects them. Safe to call more than once.
        """
        instance, self._instance = self._instance, None
        if instance is not None:
            instance.close()


def decide(
    pages: Sequence[DecisionTaskPage],
    started_event_id: int,
    definitions: Definitions,
    *,
    workflow_id: str,
    run_id: str,
) -> Decisions:
    """Replay ``pages`` up to ``started_event_id`` and return the new decisions.

    This is the pure part of the decider (no I/O, no state kept): replay tests
    feed it recorded history pages; the worker uses :class:`WorkflowRun`
    directly so it can keep the run for the next task.

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
    run = WorkflowRun(definitions, workflow_id=workflow_id, run_id=run_id)
    try:
        return run.decide(pages, started_event_id)
    finally:
        run.close()


def encode_answer(answer: dict[str, Any], *, workflow_id: str, run_id: str) -> bytes:
    """The JSON body of a RespondDecisionTaskCompleted, checked against SWF's limits.

    ``answer`` holds the call's members (``taskToken``, ``decisions``, ...). A
    batch over 100 decisions or a body over 1 MB is only reported, never cut:
    the workflow engine already splits its output across decision tasks (at most 99
    commands and about 900 KB per activation, the rest behind a zero-second timer), in
    step with replay, so dropping decisions here would make the next replay disagree
    with the history. SWF rejects such an answer and the task times out and is
    retried, visibly. The body is encoded once, here, for both the check and the call.
    """
    count = len(answer["decisions"])
    if count > MAX_DECISIONS:
        log.error(
            "workflow %s (run %s) produced %d decisions in one task, over SWF's %d; the "
            "engine should have split them (a bug): SWF will reject the response",
            workflow_id,
            run_id,
            count,
            MAX_DECISIONS,
        )
    body = orjson.dumps(answer)
    if len(body) > MAX_REQUEST_BYTES:
        log.error(
            "workflow %s (run %s): the answer is %d bytes, over SWF's 1 MB request limit; "
            "SWF will reject it. Pass smaller payloads to activities.",
            workflow_id,
            run_id,
            len(body),
        )
    return body
