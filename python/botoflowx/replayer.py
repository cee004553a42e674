"""``WorkflowReplayer``: replay recorded histories against the current workflow code."""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from botoflowx._replay import DecisionTaskPage, NonDeterminismError, ReplayError
from botoflowx.client._swf import SessionLike, resolve_target, transport_for_target
from botoflowx.client._transport import RawSWFTransport

__all__ = [
    "History",
    "HistoryFormatError",
    "ReplayFailure",
    "ReplayOutcome",
    "WorkflowReplayer",
    "load_history",
]

TypeKey = tuple[str, str]

# The largest page SWF hands out: fewer round trips for long histories.
PAGE_SIZE = 1000
# SWF wants a start-time filter on closed-execution listings; the epoch means "all".
_EPOCH = 0.0


class HistoryFormatError(ValueError):
    """A history file or document is not something the replayer can read."""


@dataclass(frozen=True)
class History:
    """One run's events, in order, with the run's ids when known.

    Attributes:
        events: The SWF history events, ids 1..n, with ``eventTimestamp`` as epoch
            seconds (the wire form).
        workflow_id: The run's workflow id ("" when the source did not say).
        run_id: The run's run id ("" when the source did not say). Default child
            workflow ids derive from it, so replaying a run that started children
            needs the real run id.
    """

    events: list[dict[str, Any]]
    workflow_id: str = ""
    run_id: str = ""

    @property
    def last_event_id(self) -> int:
        """The id of the last event (0 for an empty history)."""
        return int(self.events[-1]["eventId"]) if self.events else 0

    @property
    def workflow_type(self) -> TypeKey | None:
        """``(name, version)`` from the ``WorkflowExecutionStarted`` event, if present."""
        if not self.events or self.events[0].get("eventType") != "WorkflowExecutionStarted":
            return None
        attrs = event_attributes(self.events[0])
        workflow_type = attrs.get("workflowType") or {}
        return (str(workflow_type.get("name", "")), str(workflow_type.get("version", "")))

    @property
    def is_closed(self) -> bool:
        """True when the last event closes the run."""
        return bool(self.events) and self.events[-1].get("eventType") in CLOSE_EVENTS

    def event(self, event_id: int) -> dict[str, Any]:
        """The event with id ``event_id`` (ids are contiguous from 1)."""
        return self.events[event_id - 1]

    def to_json(self) -> dict[str, Any]:
        """The history as a ``GetWorkflowExecutionHistory`` document plus the run's ids.

        :func:`load_history` reads it back, ids included.
        """
        document: dict[str, Any] = {"events": self.events}
        if self.workflow_id or self.run_id:
            document["execution"] = {"workflowId": self.workflow_id, "runId": self.run_id}
        return document


CLOSE_EVENTS = frozenset(
    {
        "WorkflowExecutionCompleted",
        "WorkflowExecutionFailed",
        "WorkflowExecutionTimedOut",
        "WorkflowExecutionCanceled",
        "WorkflowExecutionTerminated",
        "WorkflowExecutionContinuedAsNew",
    }
)


def event_attributes(event: Mapping[str, Any]) -> dict[str, Any]:
    """The ``<eventType>EventAttributes`` member of an event ({} when absent)."""
    kind = str(event.get("eventType", ""))
    attrs = event.get(kind[:1].lower() + kind[1:] + "EventAttributes")
    return dict(attrs) if isinstance(attrs, Mapping) else {}


# -- loading -------------------------------------------------------------------------------


def load_history(
    source: Any, *, workflow_id: str | None = None, run_id: str | None = None
) -> History:
    """Read a history from a file, JSON text, or an already decoded document.

    Accepted shapes: a ``GetWorkflowExecutionHistory`` response (``{"events":
    [...]}``, as boto3, the AWS CLI or the raw wire give it), a list of such
    pages, ``{"pages": [...]}``, or a bare list of events. Timestamps may be
    epoch numbers (the wire) or ISO 8601 strings (boto3's datetimes written
    with ``default=str`` or ``isoformat()``); both are converted to the wire
    form. Pages may overlap and come in any order.

    Args:
        source: A :class:`History`, a path, JSON bytes/text, or a decoded document.
        workflow_id: The run's workflow id, overriding what the document says.
        run_id: The run's run id, overriding what the document says.

    Returns:
        The history, events sorted by id.

    Raises:
        HistoryFormatError: The source is not readable JSON or not a history,
            or its event ids are not 1..n without gaps.
        OSError: The file cannot be read.
    """
    if isinstance(source, History):
        history = source
    else:
        document = _read_document(source)
        events, ids = _collect_events(document)
        history = History(_normalise(events), ids.get("workflowId", ""), ids.get("runId", ""))
    if workflow_id is not None or run_id is not None:
        history = History(
            history.events,
            history.workflow_id if workflow_id is None else workflow_id,
            history.run_id if run_id is None else run_id,
        )
    return history


def _read_document(source: Any) -> Any:
    if isinstance(source, (str, os.PathLike)) and not _looks_like_json(source):
        path = Path(source)
        data = path.read_bytes()
        where = str(path)
    elif isinstance(source, (bytes, bytearray, memoryview, str)):
        data = source.encode() if isinstance(source, str) else bytes(source)
        where = "the history document"
    else:
        return source
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise HistoryFormatError(f"{where} is not valid JSON: {exc}") from None


def _looks_like_json(source: str | os.PathLike[str]) -> bool:
    return isinstance(source, str) and source.lstrip()[:1] in ("{", "[")


def _collect_events(document: Any) -> tuple[list[Any], dict[str, str]]:
    ids: dict[str, str] = {}
    if isinstance(document, Mapping):
        execution = document.get("execution")
        if isinstance(execution, Mapping):
            ids = {k: str(execution[k]) for k in ("workflowId", "runId") if execution.get(k)}
        # The fixtures of this repository spell the ids in snake case.
        for key, member in (("workflow_id", "workflowId"), ("run_id", "runId")):
            if document.get(key):
                ids.setdefault(member, str(document[key]))
        if "pages" in document:
            pages = document["pages"]
        elif "events" in document:
            pages = [document]
        else:
            raise HistoryFormatError(
                'a history document needs an "events" list (as GetWorkflowExecutionHistory '
                'returns it) or a "pages" list of such responses'
            )
    elif isinstance(document, list):
        if document and all(isinstance(item, Mapping) and "eventType" in item for item in document):
            pages = [{"events": document}]
        else:
            pages = document
    else:
        raise HistoryFormatError(f"a history must be a JSON object or list, not {document!r:.40}")
    events: list[Any] = []
    for index, page in enumerate(pages):
        if not isinstance(page, Mapping) or not isinstance(page.get("events"), list):
            raise HistoryFormatError(f'page {index} of the history has no "events" list')
        events.extend(page["events"])
    return events, ids


def _normalise(events: Iterable[Any]) -> list[dict[str, Any]]:
    by_id: dict[int, dict[str, Any]] = {}
    for event in events:
        if not isinstance(event, Mapping):
            raise HistoryFormatError(f"a history event must be a JSON object, not {event!r:.60}")
        try:
            event_id = int(event["eventId"])
            event_type = str(event["eventType"])
        except (KeyError, TypeError, ValueError):
            raise HistoryFormatError(
                f"a history event lacks a valid eventId or eventType: {dict(event)!r:.120}"
            ) from None
        normalised = dict(event)
        normalised["eventId"] = event_id
        normalised["eventType"] = event_type
        normalised["eventTimestamp"] = _epoch(event.get("eventTimestamp"), event_id)
        by_id[event_id] = normalised
    ordered = [by_id[key] for key in sorted(by_id)]
    expected = list(range(1, len(ordered) + 1))
    if [event["eventId"] for event in ordered] != expected:
        missing = sorted(set(range(1, max(by_id, default=0) + 1)) - set(by_id))
        raise HistoryFormatError(
            f"the history's event ids are not contiguous from 1: missing {missing[:10]}"
            + (" ..." if len(missing) > 10 else "")
            + " (a page is missing)"
        )
    return ordered


_FRACTION = re.compile(r"\.(\d+)")


def _epoch(value: Any, event_id: int) -> float:
    """An event timestamp as epoch seconds, from a number or an ISO 8601 string."""
    if isinstance(value, bool):
        raise HistoryFormatError(f"event {event_id} has an invalid eventTimestamp: {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, _dt.datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            pass
        # Python 3.10's fromisoformat reads neither "Z" nor fractions of other than
        # 3 or 6 digits (JavaScript and the AWS CLI write others); normalise both.
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
        try:
            moment = _dt.datetime.fromisoformat(text)
        except ValueError:
            raise HistoryFormatError(
                f"event {event_id} has an eventTimestamp that is neither epoch seconds nor "
                f"ISO 8601: {value!r}"
            ) from None
    else:
        raise HistoryFormatError(f"event {event_id} has no usable eventTimestamp: {value!r}")
    if moment.tzinfo is None:
        # boto3 always gives aware datetimes; a naive one was written as UTC.
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.timestamp()


# -- outcomes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayFailure:
    """Why a replay did not match.

    Attributes:
        kind: ``"non_determinism"`` (the code contradicts the history),
            ``"unknown_type"`` (no definition for the run's workflow type) or
            ``"malformed_history"`` (the replay core rejected the history).
        message: The full explanation.
        event_id: The history event at fault (0 when none can be named).
        location: ``file:line in function`` of the workflow code at fault ("" when
            unknown).
    """

    kind: str
    message: str
    event_id: int = 0
    location: str = ""


@dataclass(frozen=True)
class ReplayOutcome:
    """The result of replaying one run.

    Attributes:
        workflow_id: The run's workflow id ("" when unknown).
        run_id: The run's run id ("" when unknown).
        workflow_type: ``(name, version)`` of the run, None when the history
            lacks its start event.
        replayed_to: The last event replayed: the requested event, moved forward
            to the end of the decisions recorded with it when it fell inside them.
        event_count: Events in the history.
        failure: Why the replay did not match, or None when it did.
        next_decisions: Decisions the code would make now that history does not
            hold yet (only when replay ends at a decision task in flight).
    """

    workflow_id: str
    run_id: str
    workflow_type: TypeKey | None
    replayed_to: int
    event_count: int
    failure: ReplayFailure | None = None
    next_decisions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the code replayed the history without a mismatch."""
        return self.failure is None

    def summary(self) -> str:
        """One paragraph for people: what was replayed and how it went."""
        run = self.workflow_id or "(unknown workflow id)"
        if self.run_id:
            run += f" run {self.run_id}"
        kind = f"{self.workflow_type[0]} {self.workflow_type[1]}" if self.workflow_type else "?"
        span = f"events 1..{self.replayed_to} of {self.event_count}"
        if self.failure is None:
            text = f"OK: {kind} {run}: replayed {span}, the code matches the history"
            if self.next_decisions:
                names = ", ".join(d["decisionType"] for d in self.next_decisions)
                text += f"; next decisions: {names}"
            return text
        where = f" at event {self.failure.event_id}" if self.failure.event_id else ""
        code = f"\n  code: {self.failure.location}" if self.failure.location else ""
        return (
            f"MISMATCH: {kind} {run}: {self.failure.kind.replace('_', ' ')}{where} "
            f"(replaying {span})\n  {self.failure.message}{code}"
        )

    def raise_for_failure(self) -> None:
        """Raise when the replay did not match (handy in tests).

        Raises:
            NonDeterminismError: The code contradicts the history.
            ReplayError: Any other failure (unknown type, malformed history).
        """
        if self.failure is None:
            return
        if self.failure.kind == "non_determinism":
            raise NonDeterminismError(self.summary())
        raise ReplayError(self.summary())


# -- the replayer ----------------------------------------------------------------------------


Progress = Callable[[int, int | None, "ReplayOutcome"], None]


class WorkflowReplayer:
    """Replays saved or live histories against the workflow definitions given.

    Replay runs the same decider as a workflow worker
    (:func:`botoflowx.worker._decider.decide`), offline: nothing is sent to SWF.
    A replay that matches proves the current code can continue the recorded
    runs; a mismatch names the event and the line of workflow code at fault.

    Example::

        replayer = WorkflowReplayer(OrderWorkflow)
        outcome = replayer.replay("order-1234.json")
        outcome.raise_for_failure()

    Args:
        *workflow_definitions: ``WorkflowDefinition`` subclasses to replay with.
        session: A ``boto3.Session``, a ``botocore.session.Session`` or None
            (only used for live executions).
        aws_region: The AWS region (live executions).
        endpoint_url: The SWF endpoint (live executions; default
            ``$BOTOFLOWX_ENDPOINT_URL``, then AWS).

    Raises:
        ValueError: A class is not a workflow definition, or two declare the
            same workflow name and version.
    """

    def __init__(
        self,
        *workflow_definitions: type,
        session: SessionLike = None,
        aws_region: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        self._definitions = definitions_of(workflow_definitions)
        self._session = session
        self._region = aws_region
        self._endpoint_url = endpoint_url
        self._transport: RawSWFTransport | None = None

    @property
    def workflow_types(self) -> list[TypeKey]:
        """``(name, version)`` of every workflow type this replayer knows, sorted."""
        return sorted(self._definitions)

    # -- offline ---------------------------------------------------------------------------

    def replay(
        self,
        history: Any,
        *,
        up_to_event: int | None = None,
        workflow_id: str | None = None,
        run_id: str | None = None,
    ) -> ReplayOutcome:
        """Replay one run's history.

        Args:
            history: A :class:`History` or anything :func:`load_history` reads
                (a path, JSON text, a decoded document).
            up_to_event: Replay events 1..N only (default: all). An N inside the
                decisions recorded by one decision task moves to the end of them,
                so the code's decisions are compared whole.
            workflow_id: The run's workflow id, when the document does not hold it.
            run_id: The run's run id, when the document does not hold it.

        Returns:
            The outcome; ``outcome.ok`` says whether the code matched.

        Raises:
            HistoryFormatError: The history cannot be read.
            ValueError: ``up_to_event`` is not an event of the history.
        """
        loaded = load_history(history, workflow_id=workflow_id, run_id=run_id)
        last = loaded.last_event_id
        if up_to_event is not None and not 1 <= up_to_event <= last:
            raise ValueError(f"up_to_event must be an event id in 1..{last}, got {up_to_event}")
        cut = decision_batch_end(loaded, last if up_to_event is None else up_to_event)
        return self._replay_loaded(loaded, cut)

    def _replay_loaded(self, history: History, cut: int) -> ReplayOutcome:
        from botoflowx.worker._decider import decide

        base = ReplayOutcome(
            workflow_id=history.workflow_id,
            run_id=history.run_id,
            workflow_type=history.workflow_type,
            replayed_to=cut,
            event_count=len(history.events),
        )
        key = history.workflow_type
        if key is None:
            return replace(
                base,
                failure=ReplayFailure(
                    "malformed_history",
                    "the history does not begin with a WorkflowExecutionStarted event",
                    event_id=1,
                ),
            )
        if key not in self._definitions:
            hosted = ", ".join(f"{n} {v}" for n, v in self.workflow_types) or "nothing"
            return replace(
                base,
                failure=ReplayFailure(
                    "unknown_type",
                    f"no definition of workflow type {key[0]} version {key[1]} was given "
                    f"(the replayer knows {hosted})",
                    event_id=1,
                ),
            )
        page = DecisionTaskPage.parse(orjson.dumps({"events": history.events[:cut]}))
        try:
            decisions = decide(
                [page],
                cut,
                self._definitions,
                workflow_id=history.workflow_id or "replay",
                run_id=history.run_id or "replay",
            )
        except NonDeterminismError as exc:
            return replace(
                base,
                failure=ReplayFailure(
                    "non_determinism",
                    str(exc) + _run_id_hint(history),
                    event_id=int(getattr(exc, "event_id", 0) or 0),
                    location=str(getattr(exc, "location", "") or ""),
                ),
            )
        except ReplayError as exc:
            return replace(base, failure=ReplayFailure("malformed_history", str(exc)))
        # Decisions are new only where replay stopped at a decision task that was
        # started but not completed (a run with a task in flight, or a cut there).
        return replace(base, next_decisions=list(decisions.decisions))

    # -- live --------------------------------------------------------------------------------

    @property
    def transport(self) -> RawSWFTransport:
        """The raw transport used to read live histories (built on first use)."""
        if self._transport is None:
            target = resolve_target(self._session, self._region, self._endpoint_url)
            self._transport = transport_for_target(target)
        return self._transport

    def fetch_history(self, domain: str, workflow_id: str, run_id: str | None = None) -> History:
        """Read a run's whole history from SWF.

        Args:
            domain: The run's domain.
            workflow_id: The workflow id.
            run_id: The run id; None picks the latest run of ``workflow_id``.

        Returns:
            The history with the run's ids.

        Raises:
            SWFError: SWF refused (unknown domain or execution).
            LookupError: No run of ``workflow_id`` exists.
        """
        if run_id is None:
            run_id = latest_run_id(self.transport, domain, workflow_id)
        events: list[Any] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "domain": domain,
                "execution": {"workflowId": workflow_id, "runId": run_id},
                "maximumPageSize": PAGE_SIZE,
            }
            if token:
                params["nextPageToken"] = token
            page = orjson.loads(self.transport.call("GetWorkflowExecutionHistory", params))
            events.extend(page.get("events") or [])
            token = page.get("nextPageToken")
            if not token:
                break
        return History(_normalise(events), workflow_id, run_id)

    def replay_execution(
        self,
        domain: str,
        workflow_id: str,
        run_id: str | None = None,
        *,
        up_to_event: int | None = None,
    ) -> ReplayOutcome:
        """Fetch a live (open or closed) run's history and replay it.

        Args:
            domain: The run's domain.
            workflow_id: The workflow id.
            run_id: The run id; None picks the latest run.
            up_to_event: As for :meth:`replay`.

        Returns:
            The outcome.

        Raises:
            SWFError: SWF refused (unknown domain or execution).
            LookupError: No run of ``workflow_id`` exists.
        """
        return self.replay(self.fetch_history(domain, workflow_id, run_id), up_to_event=up_to_event)

    def closed_executions(
        self,
        domain: str,
        workflow_type: str,
        *,
        version: str | None = None,
        oldest: float | None = None,
        latest: float | None = None,
    ) -> list[tuple[str, str]]:
        """``(workflow_id, run_id)`` of every closed run of a type, newest first.

        Args:
            domain: The domain.
            workflow_type: The workflow type name.
            version: Only this version (default: all versions).
            oldest: Only runs started at or after this epoch time.
            latest: Only runs started at or before this epoch time.
        """
        type_filter: dict[str, str] = {"name": workflow_type}
        if version:
            type_filter["version"] = version
        time_filter: dict[str, float] = {"oldestDate": _EPOCH if oldest is None else oldest}
        if latest is not None:
            time_filter["latestDate"] = latest
        runs: list[tuple[str, str]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "domain": domain,
                "startTimeFilter": time_filter,
                "typeFilter": type_filter,
                "maximumPageSize": PAGE_SIZE,
            }
            if token:
                params["nextPageToken"] = token
            page = orjson.loads(self.transport.call("ListClosedWorkflowExecutions", params))
            for info in page.get("executionInfos") or []:
                execution = info["execution"]
                runs.append((execution["workflowId"], execution["runId"]))
            token = page.get("nextPageToken")
            if not token:
                break
        return runs

    def replay_closed(
        self,
        domain: str,
        workflow_type: str,
        *,
        version: str | None = None,
        oldest: float | None = None,
        latest: float | None = None,
        progress: Progress | None = None,
    ) -> Iterator[ReplayOutcome]:
        """Replay every closed run of a workflow type (bulk mode).

        Runs are listed first, then fetched and replayed one at a time, so memory
        holds one history at a time.

        Args:
            domain: The domain.
            workflow_type: The workflow type name.
            version: Only this version (default: all versions).
            oldest: Only runs started at or after this epoch time.
            latest: Only runs started at or before this epoch time.
            progress: Called after each run with ``(done, total, outcome)``.

        Yields:
            One outcome per run, newest run first.
        """
        runs = self.closed_executions(
            domain, workflow_type, version=version, oldest=oldest, latest=latest
        )
        for done, (workflow_id, run_id) in enumerate(runs, start=1):
            outcome = self.replay_execution(domain, workflow_id, run_id)
            if progress is not None:
                progress(done, len(runs), outcome)
            yield outcome

    def close(self) -> None:
        """Close the HTTP connections used for live executions."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None


# -- helpers shared with the command line ------------------------------------------------------


def _run_id_hint(history: History) -> str:
    """Why a mismatch may be the missing run id rather than the code, when that applies."""
    if history.run_id:
        return ""
    if not any(e["eventType"] == "StartChildWorkflowExecutionInitiated" for e in history.events):
        return ""
    return (
        " (the history does not name its run id, and child workflow ids derive from it: "
        "pass the run id, e.g. --run-id, and replay again)"
    )


def definitions_of(classes: Iterable[type]) -> dict[TypeKey, tuple[type, Any]]:
    """``{(name, version): (definition class, ExecuteMeta)}`` for workflow definitions.

    Raises:
        ValueError: A class is not a workflow definition with ``@execute``
            methods, or two classes declare the same name and version.
    """
    definitions: dict[TypeKey, tuple[type, Any]] = {}
    for cls in classes:
        types = getattr(cls, "__workflow_types__", None)
        if not isinstance(cls, type) or not isinstance(types, dict) or not types:
            raise ValueError(f"{cls!r} is not a WorkflowDefinition with @execute methods")
        for key, meta in types.items():
            if key in definitions and definitions[key][0] is not cls:
                raise ValueError(
                    f"workflow {key[0]!r} version {key[1]!r} is declared by both "
                    f"{definitions[key][0].__name__} and {cls.__name__}"
                )
            definitions[key] = (cls, meta)
    return definitions


def decision_batch_end(history: History, event_id: int) -> int:
    """Move ``event_id`` forward past the decisions recorded with it.

    A ``DecisionTaskCompleted`` event is followed by one event per decision of
    that task (each naming it in ``decisionTaskCompletedEventId``). Cutting the
    history inside that run of events would make the code's decisions look like
    a mismatch, so the cut moves to the last of them.
    """
    event = history.event(event_id)
    if event["eventType"] == "DecisionTaskCompleted":
        completed = event_id
    else:
        completed = int(event_attributes(event).get("decisionTaskCompletedEventId") or 0)
    if not completed:
        return event_id
    end = max(event_id, completed)
    while end < history.last_event_id:
        following = event_attributes(history.event(end + 1))
        if int(following.get("decisionTaskCompletedEventId") or 0) != completed:
            break
        end += 1
    return end


def latest_run_id(transport: RawSWFTransport, domain: str, workflow_id: str) -> str:
    """The run id of the open run of ``workflow_id``, else of its latest closed run.

    Raises:
        SWFError: SWF refused (e.g. unknown domain).
        LookupError: No run of ``workflow_id`` exists.
    """
    base: dict[str, Any] = {
        "domain": domain,
        "executionFilter": {"workflowId": workflow_id},
        "startTimeFilter": {"oldestDate": _EPOCH},
        "maximumPageSize": 1,
    }
    for operation in ("ListOpenWorkflowExecutions", "ListClosedWorkflowExecutions"):
        # Both listings are newest first (reverseOrder defaults to False).
        page = orjson.loads(transport.call(operation, base))
        infos = page.get("executionInfos") or []
        if infos:
            return str(infos[0]["execution"]["runId"])
    raise LookupError(f"no execution with workflow id {workflow_id!r} in domain {domain!r}")
