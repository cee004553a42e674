"""The workflow worker: polls decision tasks as raw pages and answers with the decisions.

With the sticky cache on (the default), the worker keeps each run's live state
after answering and names its own task list in the answer, so the run's next
task comes back here and is decided from the new events alone. How the pages
are read depends on the list a task came from:

* The sticky list is polled with ``reverseOrder=True`` and a small page size:
  page tokens are bound to the poll's arguments, so the order must be chosen
  on the first call, before the task (and whether its run is cached) is known.
  On a sticky list nearly every task is a cache hit, whose delta (the events
  since the cached run's last task, typically a handful) sits at the top of
  the first reverse page. A miss there reads the history in ascending
  1,000-event pages through GetWorkflowExecutionHistory instead of walking
  100-event pages backwards.
* The shared list is polled in ascending order with 1,000-event pages: most of
  its tasks are a run's first task or a full replay after a failover, which
  need every page anyway. A cached run can still use its state there (the
  replay core drops the events it already holds), saving the replay, not the
  reads.

Any doubt about a cached run falls back to a full replay on a fresh run.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from botoflowx._replay import DecisionTaskPage, NonDeterminismError
from botoflowx.client._errors import is_unknown_resource
from botoflowx.client._swf import SessionLike, transport_for_target
from botoflowx.client._transport import RawSWFTransport
from botoflowx.worker._base import BaseWorker
from botoflowx.worker._decider import (
    Decisions,
    WorkflowRun,
    encode_answer,
    unknown_type_decisions,
)
from botoflowx.worker._registration import TypeKey, register_missing
from botoflowx.worker._sticky import (
    DEFAULT_CACHE_MAX_BYTES,
    DEFAULT_CACHE_SIZE,
    DEFAULT_STICKY_SCHEDULE_TO_START,
    CacheStats,
    StickyCache,
    StickyPageSizer,
    reached_cached_events,
    sticky_task_list_name,
)

log = logging.getLogger(__name__)

# The largest page SWF hands out: fewer round trips while the task's
# start-to-close clock is running.
PAGE_SIZE = 1000
# Sticky polls read newest first: a cache hit's delta is a handful of events
# (the previous task's DecisionTaskCompleted, the results it waited for, and
# this task's scheduled/started pair). Until hits show the usual delta
# (StickyPageSizer), 100 covers it in one page.
STICKY_PAGE_SIZE = 100
# SWF may hand out a run's next task as soon as it applied the answer, before
# the deciding thread put the run back in the cache; waiting this long for it
# turns that race into a hit instead of a full replay.
CHECKOUT_WAIT_SECONDS = 2.0

RunKey = tuple[str, str]


class DecisionTask:
    """A polled decision task: its first page and how to fetch the rest.

    Args:
        first_page: The page the poll returned (has the task token).
        poll_params: The poll's arguments; next pages must repeat them unchanged.
        sticky: True when the task came from this worker's sticky list (its
            pages are in reverse order).

    Attributes:
        pages: All pages fetched so far, first page included.
        task_token: The token that answers this task.
        workflow_id: The run's workflow id.
        run_id: The run's run id.
        started_event_id: The task's DecisionTaskStarted event.
    """

    # Read from the page once: each read of a page attribute builds a new
    # Python object, and a task reads its ids a dozen times.
    __slots__ = (
        "first_page",
        "pages",
        "poll_params",
        "run_id",
        "started_event_id",
        "sticky",
        "task_token",
        "workflow_id",
    )

    def __init__(
        self, first_page: DecisionTaskPage, poll_params: dict[str, Any], *, sticky: bool = False
    ) -> None:
        token = first_page.task_token
        if not token:
            raise ValueError("a decision task page without a task token")
        self.first_page = first_page
        self.poll_params = poll_params
        self.pages = [first_page]
        self.sticky = sticky
        self.task_token: str = token
        self.workflow_id: str = first_page.workflow_id or ""
        self.run_id: str = first_page.run_id or ""
        self.started_event_id: int = first_page.started_event_id


class WorkflowWorker(BaseWorker):
    """Polls one task list for decision tasks and decides them.

    Construction makes no network call; the domain (if asked) and the workflow
    types are registered on the first :meth:`run_once` or executor start.

    Args:
        session: A ``boto3.Session``, a ``botocore.session.Session`` or None.
        aws_region: The AWS region.
        domain: The SWF domain.
        task_list: The task list to poll.
        *workflow_definitions: ``WorkflowDefinition`` subclasses to host.
        endpoint_url: The SWF endpoint (default ``$BOTOFLOWX_ENDPOINT_URL``, then AWS).
        register_domain: Register ``domain`` if it does not exist.
        identity: The poller identity recorded by SWF.
        cache_size: The most workflow runs kept live between tasks; 0 turns
            the cache (and the sticky task list) off.
        cache_max_bytes: The most memory (estimated) the cached runs may hold.
        sticky: Route each run's next task to this worker's own task list
            while an executor polls it (needs ``cache_size > 0``).
        sticky_schedule_to_start_timeout: Seconds a task may wait on the sticky
            list before SWF moves it back to the shared list (the failover
            delay when this process dies).

    Raises:
        ValueError: No definitions were given, two declare the same workflow
            name and version, or a cache setting is out of range.
    """

    def __init__(
        self,
        session: SessionLike,
        aws_region: str | None,
        domain: str,
        task_list: str,
        *workflow_definitions: type,
        endpoint_url: str | None = None,
        register_domain: bool = False,
        identity: str | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
        cache_max_bytes: int = DEFAULT_CACHE_MAX_BYTES,
        sticky: bool = True,
        sticky_schedule_to_start_timeout: int = DEFAULT_STICKY_SCHEDULE_TO_START,
    ) -> None:
        super().__init__(
            session,
            aws_region,
            domain,
            task_list,
            endpoint_url=endpoint_url,
            register_domain=register_domain,
            identity=identity,
        )
        self._definitions: dict[TypeKey, tuple[type, Any]] = {}
        for definition in workflow_definitions:
            types = getattr(definition, "__workflow_types__", None)
            if not isinstance(types, dict) or not types:
                raise ValueError(
                    f"{definition!r} is not a WorkflowDefinition with @execute methods"
                )
            for key, meta in types.items():
                if key in self._definitions and self._definitions[key][0] is not definition:
                    raise ValueError(
                        f"workflow {key[0]!r} version {key[1]!r} is declared by both "
                        f"{self._definitions[key][0].__name__} and {definition.__name__}"
                    )
                self._definitions[key] = (definition, meta)
        if not self._definitions:
            raise ValueError("WorkflowWorker needs at least one WorkflowDefinition subclass")
        if sticky_schedule_to_start_timeout < 1:
            raise ValueError(
                "sticky_schedule_to_start_timeout must be >= 1 second, got "
                f"{sticky_schedule_to_start_timeout}"
            )
        self._transport: RawSWFTransport | None = None
        # History events per page (SWF's maximum by default); small values make
        # long histories arrive in many pages, which tests use to exercise paging.
        self.page_size = PAGE_SIZE
        # None: sized from the deltas of recent hits; tests pin a size.
        self.sticky_page_size: int | None = None
        self._sticky_page_sizer = StickyPageSizer(STICKY_PAGE_SIZE)
        self._cache: StickyCache[RunKey, WorkflowRun] = StickyCache(
            cache_size, cache_max_bytes, WorkflowRun.estimated_bytes
        )
        self.sticky_enabled = sticky and self._cache.enabled
        self.sticky_task_list = sticky_task_list_name(task_list)
        self.sticky_schedule_to_start_timeout = sticky_schedule_to_start_timeout
        # Set while a poller serves the sticky list; only then may answers
        # route the next task there.
        self._sticky_serving = threading.Event()

    @property
    def workflow_types(self) -> list[TypeKey]:
        """The ``(name, version)`` of every workflow type this worker hosts, sorted."""
        return sorted(self._definitions)

    @property
    def transport(self) -> RawSWFTransport:
        """The raw transport of decision polls (built by :meth:`prepare`, else on first use)."""
        transport = self._transport
        if transport is not None:
            return transport
        target = self.target
        with self._lock:
            if self._transport is None:
                self._transport = transport_for_target(target)
            return self._transport

    def prepare(self) -> None:
        """Build the raw transport now (see :meth:`BaseWorker.prepare`)."""
        _ = self.transport

    def _register_types(self) -> None:
        register_missing(
            self.client,
            self.domain,
            "workflow",
            [meta for _, meta in self._definitions.values()],
            self.task_list,
        )

    # -- the sticky cache -------------------------------------------------------------------

    def cache_stats(self) -> CacheStats:
        """Hit, miss, fallback and eviction counts of the sticky cache, and its size."""
        return self._cache.stats()

    @property
    def sticky_serving(self) -> bool:
        """True while answers route the next task of a run to the sticky list."""
        return self._sticky_serving.is_set()

    def start_sticky(self) -> None:
        """Declare that a poller now serves the sticky list (the executor calls it).

        Raises:
            RuntimeError: The sticky list is disabled for this worker.
        """
        if not self.sticky_enabled:
            raise RuntimeError("the sticky task list is disabled for this worker")
        self._sticky_serving.set()
        log.debug("decider on %s serves sticky list %s", self.task_list, self.sticky_task_list)

    def stop_sticky(self) -> None:
        """Stop routing tasks to the sticky list; tasks answered from now send them back.

        The first step of a clean shutdown: tasks still in flight are answered
        with the shared list, so their runs' next tasks need no timeout to
        reach another decider.
        """
        self._sticky_serving.clear()

    def evict_all(self) -> int:
        """Drop every cached run (closing its generators); returns how many were dropped."""
        dropped = self._cache.clear()
        log.debug(
            "decider on %s dropped %d cached run(s); cache %s",
            self.task_list,
            dropped,
            self._cache.stats(),
        )
        return dropped

    # -- polling ----------------------------------------------------------------------------

    def poll(self) -> DecisionTask | None:
        """Long-poll the shared task list for one decision task (first page only).

        Returns:
            The task, or None when the poll came back empty.
        """
        params: dict[str, Any] = {
            "domain": self.domain,
            "taskList": {"name": self.task_list},
            "identity": self.identity,
            "maximumPageSize": self.page_size,
            "reverseOrder": False,
        }
        return self._poll(params, sticky=False)

    def poll_sticky(self) -> DecisionTask | None:
        """Long-poll this worker's sticky list (newest events first).

        Returns:
            The task, or None when the poll came back empty.
        """
        params: dict[str, Any] = {
            "domain": self.domain,
            "taskList": {"name": self.sticky_task_list},
            "identity": self.identity,
            "maximumPageSize": self.sticky_page_size or self._sticky_page_sizer.size,
            "reverseOrder": True,
        }
        return self._poll(params, sticky=True)

    def _poll(self, params: dict[str, Any], *, sticky: bool) -> DecisionTask | None:
        raw = self.transport.call("PollForDecisionTask", params)
        # An empty poll carries no task token (or an empty one); checking the
        # bytes first keeps empty polls from reaching the parser at all.
        if raw.find(b'"taskToken"') < 0:
            return None
        page = DecisionTaskPage.parse(raw)
        if not page.task_token or page.started_event_id == 0:
            return None
        return DecisionTask(page, params, sticky=sticky)

    def fetch_all_pages(self, task: DecisionTask) -> list[DecisionTaskPage]:
        """Fetch the task's remaining pages (PollForDecisionTask with the token)."""
        while self._fetch_next_page(task):
            pass
        return task.pages

    def _fetch_next_page(self, task: DecisionTask) -> bool:
        token = task.pages[-1].next_page_token
        if not token:
            return False
        params = dict(task.poll_params, nextPageToken=token)
        page = DecisionTaskPage.parse(self.transport.call("PollForDecisionTask", params))
        task.pages.append(page)
        return True

    def fetch_history(
        self, task: DecisionTask, *, reuse_pages: bool = True
    ) -> list[DecisionTaskPage]:
        """The run's history from event 1 to at least the task's started event.

        An ascending task's own pages are the history. For a reverse (sticky)
        task the pages already read suffice when they end the history;
        otherwise GetWorkflowExecutionHistory is read in ascending 1,000-event
        pages, far fewer calls than walking back 100 events at a time.

        Args:
            task: The decision task.
            reuse_pages: False after the task's own pages failed (an error
                while reading them, a gap): read the history afresh.
        """
        if reuse_pages:
            if not task.sticky:
                return self.fetch_all_pages(task)
            if not task.pages[-1].next_page_token:
                return task.pages
        params: dict[str, Any] = {
            "domain": self.domain,
            "execution": {"workflowId": task.workflow_id, "runId": task.run_id},
            "maximumPageSize": self.page_size,
            "reverseOrder": False,
        }
        pages: list[DecisionTaskPage] = []
        while True:
            page = DecisionTaskPage.parse(
                self.transport.call("GetWorkflowExecutionHistory", params)
            )
            pages.append(page)
            # Events past the task's started event belong to a later task; no
            # need to read them.
            if not page.next_page_token or page.last_event_id >= task.started_event_id:
                return pages
            params = dict(params, nextPageToken=page.next_page_token)

    # -- deciding ---------------------------------------------------------------------------

    def handle(self, task: DecisionTask) -> None:
        """Decide one task and answer it; never raises.

        On a non-determinism error (or any other failure to replay) the task is
        deliberately NOT answered: it times out and SWF hands it out again,
        which succeeds once the code is fixed, while answering would record
        decisions made by code that does not match the history.
        """
        first = task.first_page
        key: RunKey = (task.workflow_id, task.run_id)
        name, version = first.workflow_type_name, first.workflow_type_version
        if (name, version) not in self._definitions:
            self._cache.discard(key)
            decisions = unknown_type_decisions(name, version, self.workflow_types)
            log.error(
                "workflow %s (run %s): %s",
                task.workflow_id,
                task.run_id,
                decisions.decisions[0]["failWorkflowExecutionDecisionAttributes"]["reason"],
            )
            self._respond(task, decisions)
            return
        put_back = False
        try:
            put_back = self._decide_and_answer(task, key, name, version)
        finally:
            # Not coming back: the next task of this run must not wait for it. (A
            # run put back ended its checkout then; releasing now could end the
            # checkout of the thread that already took it for the next task.)
            if not put_back:
                self._cache.release(key)

    def _decide_and_answer(
        self, task: DecisionTask, key: RunKey, name: str | None, version: str | None
    ) -> bool:
        """Decide and answer; True when the run went back into the cache."""
        first = task.first_page
        try:
            run, decisions = self._decide(task, key)
        except NonDeterminismError as exc:
            log.error(
                "NON-DETERMINISM in workflow %s %s (workflow id %s, run %s) at history event %s, "
                "code %s: %s. The decision task is left unanswered: it will time out and be "
                "retried; deploy code that matches the history.",
                name,
                version,
                task.workflow_id,
                task.run_id,
                getattr(exc, "event_id", "?"),
                getattr(exc, "location", "") or "(no code location)",
                exc,
            )
            return False
        except Exception:
            log.exception(
                "could not decide task of workflow %s (run %s, started event %d); "
                "leaving it to time out and be retried",
                task.workflow_id,
                task.run_id,
                first.started_event_id,
            )
            return False
        keep = False
        try:
            answered = self._respond(task, decisions)
            keep = answered and self._cache.enabled and not run.closed
        finally:
            if keep:
                self._cache.put(key, run)
            else:
                # Unanswered, or the run is over: nothing to resume from.
                run.close()
        return keep

    def _decide(self, task: DecisionTask, key: RunKey) -> tuple[WorkflowRun, Decisions]:
        """Decide on the cached run when it is safe, else by a full replay.

        Returns:
            The run (to cache after a successful answer) and its decisions.
        """
        started_event_id = task.started_event_id
        cache = self._cache
        reuse_pages = True
        if cache.enabled:
            cached = cache.take(key, wait=CHECKOUT_WAIT_SECONDS)
            if cached is None:
                cache.record_miss()
                log.debug("cache miss: workflow %s run %s", *key)
            else:
                decisions, pages_failed = self._decide_cached(task, cached)
                if decisions is not None:
                    cache.record_hit()
                    return cached, decisions
                cache.record_fallback()
                reuse_pages = not pages_failed
        run = WorkflowRun(self._definitions, workflow_id=key[0], run_id=key[1])
        try:
            pages = self.fetch_history(task, reuse_pages=reuse_pages)
            return run, run.decide(pages, started_event_id)
        except BaseException:
            run.close()
            raise

    def _decide_cached(self, task: DecisionTask, run: WorkflowRun) -> tuple[Decisions | None, bool]:
        """Decide ``task`` from the new events only.

        Returns:
            The decisions, or None when in doubt (the run is then closed); and
            whether the task's pages failed (an error while reading or
            replaying them), so the full replay must not reuse them.
        """
        first = task.first_page
        applied = run.applied_event_id
        reason: str
        pages_failed = False
        # SWF's previousStartedEventId is the last task of the run that was
        # completed: anything but the one this run answered means another
        # decider (or a lost answer) moved the run on.
        if first.previous_started_event_id != applied:
            reason = (
                f"previousStartedEventId {first.previous_started_event_id} is not the cached "
                f"{applied}"
            )
        else:
            try:
                if task.sticky:
                    while not reached_cached_events(task.pages, applied):
                        if not self._fetch_next_page(task):
                            raise _Fallback(f"the pages do not reach back to event {applied + 1}")
                    pages = task.pages
                else:
                    pages = self.fetch_all_pages(task)
                decisions = run.decide(pages, task.started_event_id)
                self._sticky_page_sizer.observe(task.started_event_id - applied)
            except _Fallback as exc:
                reason = str(exc)
                pages_failed = True
            except Exception as exc:  # page or replay error: the full replay decides
                reason = f"{type(exc).__name__}: {exc}"
                pages_failed = True
            else:
                log.debug(
                    "cache hit: workflow %s run %s, events %d..%d",
                    task.workflow_id,
                    task.run_id,
                    applied + 1,
                    task.started_event_id,
                )
                return decisions, False
        log.debug(
            "cached workflow %s run %s unusable (%s); replaying in full",
            task.workflow_id,
            task.run_id,
            reason,
        )
        run.close()
        return None, pages_failed

    def _override(self, task: DecisionTask) -> dict[str, Any]:
        """The task-list override to send with this answer.

        While the sticky list is served, every answer routes the run's next
        task there, with a schedule-to-start timeout so SWF moves it back to
        the shared list if nobody here takes it. Otherwise a task that came
        through the sticky list names the shared list explicitly: an override
        may persist until another answer names a list (SWF leaves this
        unspecified; the embedded server keeps it), so omitting it would not
        reliably send the run's next task back.
        """
        if self._sticky_serving.is_set():
            return {
                "taskList": {"name": self.sticky_task_list},
                "taskListScheduleToStartTimeout": str(self.sticky_schedule_to_start_timeout),
            }
        if task.sticky:
            return {"taskList": {"name": self.task_list}}
        return {}

    def _respond(self, task: DecisionTask, decisions: Decisions) -> bool:
        """Answer the task; returns True when SWF accepted the answer."""
        answer: dict[str, Any] = {"taskToken": task.task_token, "decisions": decisions.decisions}
        if decisions.execution_context is not None:
            answer["executionContext"] = decisions.execution_context
        answer.update(self._override(task))
        body = encode_answer(answer, workflow_id=task.workflow_id, run_id=task.run_id)
        try:
            # Through the raw transport: it retries only failures that prove the
            # request was not applied (throttling, refused connections), where a
            # blind retry of an applied answer would be misreported as a lost task.
            self.transport.call_json("RespondDecisionTaskCompleted", body, idempotent=False)
        except Exception as exc:
            if is_unknown_resource(exc):
                # Timed out, already answered (a retried call), or the run closed.
                log.info(
                    "decision task of workflow %s (run %s) is gone; decisions not recorded: %s",
                    task.workflow_id,
                    task.run_id,
                    exc,
                )
                return False
            log.error(
                "could not answer the decision task of workflow %s (run %s): %s; it will time "
                "out and be retried",
                task.workflow_id,
                task.run_id,
                exc,
            )
            return False
        return True

    def close(self) -> None:
        """Stop serving the sticky list, drop the cache and close the HTTP connections."""
        self.stop_sticky()
        self.evict_all()
        super().close()
        with self._lock:
            transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()


class _Fallback(Exception):
    """A cached run cannot decide this task (internal: the reason, for the log)."""
