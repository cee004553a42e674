"""Type stubs for the Rust replay core, ``botoflowx._replay``.

The boundary is narrow on purpose: history pages go in as the raw response
bytes of ``PollForDecisionTask`` / ``GetWorkflowExecutionHistory``; one
:class:`Activation` per decision-task boundary comes out; the commands the
workflow code produced go back in as small tuples and the indices of the new
ones (the decision diff) come out. No Python object is made per history event.

The hot calls' wire work is here too: :class:`RequestSigner` writes their
signed request heads, :func:`head_end` and :func:`parse_response_head` read
their response heads; the socket I/O stays in Python.
"""

from collections.abc import Iterable, Sequence
from typing import Any, final

__all__ = [
    "Activation",
    "DecisionTaskPage",
    "HistoryGapError",
    "Job",
    "MalformedHistoryError",
    "NonDeterminismError",
    "ReplayError",
    "Replayer",
    "RequestSigner",
    "WorkflowStarted",
    "__version__",
    "check_trailer",
    "head_end",
    "parse_response_head",
    "plain_call_json",
    "response_status",
]

__version__: str

class ReplayError(Exception):
    """Base class of every error raised by the replay core."""

class MalformedHistoryError(ReplayError):
    """A page is not valid SWF JSON, or an event lacks a required field."""

class HistoryGapError(ReplayError):
    """Event ids are not contiguous (a page is missing, or the delta does not
    start right after the last event already applied)."""

class NonDeterminismError(ReplayError):
    """The workflow code produced commands that contradict the recorded history.

    ``event_id`` is the history event at fault (0 when the code produced a
    command that history has no counterpart for and no event can be named);
    ``location`` is the ``file:line in function`` of the workflow code that
    produced the offending command ("" when the code produced nothing there).
    """

    event_id: int
    location: str

@final
class DecisionTaskPage:
    """One parsed response page (decision task or history)."""

    @staticmethod
    def parse(data: bytes) -> DecisionTaskPage:
        """Parse raw response bytes; the GIL is released while parsing.

        Raises:
            MalformedHistoryError: not a JSON object with an ``events`` list of
                well-formed SWF events.
        """
    # Empty / absent for GetWorkflowExecutionHistory pages and for empty polls.
    task_token: str | None
    started_event_id: int
    previous_started_event_id: int
    workflow_id: str | None
    run_id: str | None
    workflow_type_name: str | None
    workflow_type_version: str | None
    next_page_token: str | None
    event_count: int
    # In page order (a reverseOrder page has first > last); 0 when the page
    # has no events.
    first_event_id: int
    last_event_id: int

@final
class WorkflowStarted:
    """The attributes of the run's ``WorkflowExecutionStarted`` event."""

    timestamp: float
    workflow_type_name: str
    workflow_type_version: str
    input: str | None
    task_list: str
    task_priority: str | None
    child_policy: str
    execution_start_to_close_timeout: str | None
    task_start_to_close_timeout: str | None
    tag_list: list[str]
    lambda_role: str | None
    continued_execution_run_id: str | None
    parent_workflow_id: str | None
    parent_run_id: str | None
    parent_initiated_event_id: int

@final
class Job:
    """One thing that happened, for the workflow code to react to.

    ``kind`` and the meaning of the fields:

    ==============================  =========  ===================================================
    kind                            key        other fields
    ==============================  =========  ===================================================
    workflow_started                ""         payload=input
    signaled                        ""         name=signalName, payload=input,
                                               workflow_id/run_id=sender (when a workflow sent it)
    cancel_requested                ""         cause, workflow_id/run_id=requester
    activity_completed              activityId payload=result
    activity_failed                 activityId reason, details
    activity_timed_out              activityId cause=timeoutType, details
    activity_canceled               activityId details
    schedule_activity_failed        activityId name=activityType.name, cause
    request_cancel_activity_failed  activityId cause
    timer_fired                     timerId
    start_timer_failed              timerId    cause
    cancel_timer_failed             timerId    cause
    record_marker_failed            markerName cause
    child_started                   workflowId run_id, name=workflowType.name
    start_child_failed              workflowId name=workflowType.name, cause
    child_completed                 workflowId run_id, payload=result
    child_failed                    workflowId run_id, reason, details
    child_timed_out                 workflowId run_id, cause=timeoutType
    child_canceled                  workflowId run_id, details
    child_terminated                workflowId run_id
    external_signaled               control    workflow_id, run_id
    signal_external_failed          control    workflow_id, run_id, cause
    external_cancel_requested       control    workflow_id, run_id
    cancel_external_failed          control    workflow_id, run_id, cause
    close_failed                    ""         name=decision type (e.g.
                                               "CompleteWorkflowExecution"),
                                               cause (e.g. "UNHANDLED_DECISION")
    ==============================  =========  ===================================================

    ``control`` is the ``control`` field of the matching ``*Initiated`` event:
    the workflow engine puts its own command id there for external
    signals/cancels so the result can be routed back.
    """

    kind: str
    event_id: int
    key: str
    name: str | None
    payload: str | None
    reason: str | None
    details: str | None
    cause: str | None
    workflow_id: str | None
    run_id: str | None

@final
class Activation:
    """What the workflow code must process at one decision-task boundary."""

    # Id and timestamp (epoch seconds) of the DecisionTaskStarted event; the
    # timestamp is the workflow clock during this activation.
    started_event_id: int
    time: float
    # True when history already holds the decisions made at this boundary.
    is_replaying: bool
    jobs: tuple[Job, ...]
    # (markerName, details) of the markers recorded by this boundary's
    # decisions; empty when not replaying. Lets ``patched()`` answer the same
    # way it did the first time.
    recorded_markers: tuple[tuple[str, str | None], ...]
    # UTF-8 bytes of the jobs' payloads (for memory estimates).
    payload_bytes: int

# A command the workflow code produced, in order:
#   (decision_type, key, name, location)
# decision_type: one of the 13 SWF decision types, e.g. "ScheduleActivityTask".
# key: activityId (ScheduleActivityTask, RequestCancelActivityTask), timerId
#   (StartTimer, CancelTimer), markerName (RecordMarker), workflowId
#   (StartChildWorkflowExecution), control (SignalExternalWorkflowExecution,
#   RequestCancelExternalWorkflowExecution), "" for the close decisions.
# name: activityType.name, child workflowType.name, signalName; else "".
# location: "file.py:42 in method" of the workflow code that made it.
Command = tuple[str, str, str, str]

@final
class Replayer:
    """Replay state of one workflow run, fed page by page.

    Usage per decision task::

        replayer.extend(pages, started_event_id)
        while (activation := replayer.next_activation()) is not None:
            commands = run_workflow_code(activation)
            new = replayer.complete_activation(commands)

    The same object can be kept across decision tasks (the sticky cache):
    ``extend`` then receives only the new events.
    """

    def __init__(self) -> None: ...
    def extend(self, pages: Sequence[DecisionTaskPage], started_event_id: int) -> None:
        """Add the events of ``pages`` up to ``started_event_id``.

        Pages may be in ascending or reverse order and may overlap what is
        already held (duplicates by event id are dropped). Events with an id
        greater than ``started_event_id`` are ignored: they belong to a later
        decision task. The GIL is released while indexing.

        Raises:
            HistoryGapError: after merging, the held events are not exactly
                ids 1..started_event_id with no gap.
            MalformedHistoryError: events are inconsistent (e.g. a
                DecisionTaskCompleted naming an unknown started event).
            ReplayError: activations from the previous ``extend`` are not all
                handed out and completed; or a decision task this replayer
                handed out live timed out, so the caller's workflow state is
                stale (replay the run from the start with a new Replayer).

        After an error raised while applying events (MalformedHistoryError,
        the stale-state ReplayError) the replayer refuses further use.
        """
    def next_activation(self) -> Activation | None:
        """The next boundary not yet handed out, or None when caught up.

        Raises:
            ReplayError: the previous activation was not completed.
        """
    def complete_activation(self, commands: Iterable[Command]) -> tuple[int, ...]:
        """Match the commands of the last activation against history.

        Returns the indices (into ``commands``) of the new decisions: the
        commands history does not hold yet. For a replayed boundary the
        commands must equal, in order and by type, key and name, the decisions
        recorded at that boundary, so the result is empty.

        Raises:
            NonDeterminismError: a command differs from the recorded decision
                at the same position, or one side has more than the other.
            ReplayError: called with no activation outstanding, or a command
                has an unknown decision type.
        """
    @property
    def last_event_id(self) -> int:
        """The highest event id held (0 when empty)."""
    @property
    def workflow_started(self) -> WorkflowStarted | None:
        """The run's start attributes, once event 1 is held."""
    @property
    def event_count(self) -> int:
        """How many events have been applied (ids 1..last_event_id)."""

@final
class RequestSigner:
    """Writes the SigV4-signed heads of ``POST`` calls to one SWF endpoint.

    Byte for byte botocore's signature. The signing key is derived once a
    day (per secret) and kept as its HMAC pads. Thread-safe.

    Args:
        host: The ``Host`` value: the hostname, with ``:port`` only when the
            port is not the scheme's default (as botocore signs it).
        path: The endpoint's request path, usually ``/``.
        region: The signing region.
        service: The signing name (``swf``).
        target_prefix: ``X-Amz-Target`` is ``<target_prefix>.<operation>``.
        opening: What every head starts with: the request line, ``Host``
            and any proxy fields, each ending in CRLF.
        user_agent: The ``User-Agent`` value.
    """

    def __new__(
        cls,
        *,
        host: str,
        path: str,
        region: str,
        service: str,
        target_prefix: str,
        opening: bytes,
        user_agent: str,
    ) -> RequestSigner: ...
    def sign(
        self,
        operation: str,
        body: bytes,
        access_key: str,
        secret_key: str,
        token: str | None = None,
        *,
        now: float | None = None,
    ) -> tuple[str, str]:
        """``(X-Amz-Date, Authorization)`` of one call at ``now`` (default: the clock).

        Raises:
            ValueError: ``now`` is not between the epoch and the end of year 9999.
        """
    def head(
        self,
        operation: str,
        body: bytes,
        access_key: str,
        secret_key: str,
        token: str | None = None,
    ) -> bytes:
        """The whole request head of one call (ending in the blank line), signed now.

        An empty ``token`` counts as none. A body of 64 KiB or more is hashed
        with the GIL released.
        """

def head_end(buffer: bytes, start: int, stop: int) -> int | None:
    """Where the response head starting at ``start`` ends (past its blank line).

    None when no blank line lies wholly before ``stop`` (yet). Lines may end
    in CRLF or a bare LF; a buffer that starts with a blank line is an empty
    head.
    """

def parse_response_head(head: bytes, max_body: int) -> tuple[int, bool, int]:
    """``(status, keep_alive, framing)`` of a complete response head.

    ``framing`` is the ``Content-Length``, ``-1`` for a chunked body, ``-2``
    for a body that runs to the end of the stream (none for 204 and 304).

    Raises:
        ValueError: what is wrong: an empty head (the server closed the
            connection), a malformed status line, a field line without a
            colon, more than 100 fields, or a ``Content-Length`` that is not
            a number from 0 to ``max_body``.
    """

def response_status(head: bytes) -> int:
    """The status code of a head, read from its status line alone.

    Raises:
        ValueError: an empty head or a malformed status line.
    """

def check_trailer(trailer: bytes) -> None:
    """Check the field lines of a chunked body's trailer.

    Raises:
        ValueError: a field line without a colon, or more than 100 fields.
    """

def plain_call_json(args: Any, kwargs: Any) -> str | None:
    """``[[*args], {**kwargs}]`` as JSON text, when it holds JSON scalars only.

    The text is exactly what the default converter writes for that input. None
    when a value is anything but None, a bool, a str (valid UTF-8) or an int of
    64 bits (so a float gives None too), when a key is not a str or is the
    converter's reserved key, or when ``args`` is not a tuple or list or
    ``kwargs`` not a dict: the converter's general path handles those.
    """
