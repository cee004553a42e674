"""The workflow worker: polls decision tasks as raw pages and answers with the decisions."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from botoflowx._replay import DecisionTaskPage, NonDeterminismError
from botoflowx.client._errors import is_unknown_resource
from botoflowx.client._swf import SessionLike, transport_for_target
from botoflowx.client._transport import RawSWFTransport
from botoflowx.worker._base import BaseWorker
from botoflowx.worker._decider import Decisions, decide, fit_decisions, unknown_type_decisions
from botoflowx.worker._registration import TypeKey, register_missing

log = logging.getLogger(__name__)

# The largest page SWF hands out: fewer round trips while the task's
# start-to-close clock is running.
PAGE_SIZE = 1000


@dataclass
class DecisionTask:
    """A polled decision task: its first page and how to fetch the rest.

    Attributes:
        first_page: The page the poll returned (has the task token).
        poll_params: The poll's arguments; next pages must repeat them unchanged.
        pages: All pages fetched so far, first page included.
    """

    first_page: DecisionTaskPage
    poll_params: dict[str, Any]
    pages: list[DecisionTaskPage] = field(default_factory=list)

    @property
    def task_token(self) -> str:
        """The token that answers this task."""
        token = self.first_page.task_token
        assert token, "a DecisionTask always has a token"
        return token

    @property
    def workflow_id(self) -> str:
        """The run's workflow id."""
        return self.first_page.workflow_id or ""

    @property
    def run_id(self) -> str:
        """The run's run id."""
        return self.first_page.run_id or ""


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

    Raises:
        ValueError: No definitions were given, or two declare the same
            workflow name and version.
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
        self._transport: RawSWFTransport | None = None
        # History events per page (SWF's maximum by default); small values make
        # long histories arrive in many pages, which tests use to exercise paging.
        self.page_size = PAGE_SIZE

    @property
    def workflow_types(self) -> list[TypeKey]:
        """The ``(name, version)`` of every workflow type this worker hosts, sorted."""
        return sorted(self._definitions)

    @property
    def transport(self) -> RawSWFTransport:
        """The raw-bytes transport used for decision polls (built on first use)."""
        target = self.target
        with self._lock:
            if self._transport is None:
                self._transport = transport_for_target(target)
            return self._transport

    def _register_types(self) -> None:
        register_missing(
            self.client,
            self.domain,
            "workflow",
            [meta for _, meta in self._definitions.values()],
            self.task_list,
        )

    # -- polling ----------------------------------------------------------------------------

    def poll(self) -> DecisionTask | None:
        """Long-poll for one decision task (first page only).

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
        raw = self.transport.call("PollForDecisionTask", params)
        # An empty poll carries no task token (or an empty one); checking the
        # bytes first keeps empty polls from reaching the parser at all.
        if b'"taskToken"' not in raw:
            return None
        page = DecisionTaskPage.parse(raw)
        if not page.task_token or page.started_event_id == 0:
            return None
        return DecisionTask(page, params, [page])

    def fetch_all_pages(self, task: DecisionTask) -> list[DecisionTaskPage]:
        """Fetch the task's remaining history pages (PollForDecisionTask with the token)."""
        page = task.pages[-1]
        while page.next_page_token:
            params = dict(task.poll_params, nextPageToken=page.next_page_token)
            page = DecisionTaskPage.parse(self.transport.call("PollForDecisionTask", params))
            task.pages.append(page)
        return task.pages

    def run_once(self) -> bool:
        """Register if needed, poll once and decide the task if one came.

        Returns:
            True when a task was received and handled.
        """
        self.ensure_registered()
        task = self.poll()
        if task is None:
            return False
        self.handle(task)
        return True

    # -- deciding ---------------------------------------------------------------------------

    def handle(self, task: DecisionTask) -> None:
        """Decide one task and answer it; never raises.

        On a non-determinism error (or any other failure to replay) the task is
        deliberately NOT answered: it times out and SWF hands it out again,
        which succeeds once the code is fixed, while answering would record
        decisions made by code that does not match the history.
        """
        first = task.first_page
        try:
            name, version = first.workflow_type_name, first.workflow_type_version
            if (name, version) not in self._definitions:
                decisions = unknown_type_decisions(name, version, self.workflow_types)
                log.error(
                    "workflow %s (run %s): %s",
                    task.workflow_id,
                    task.run_id,
                    decisions.decisions[0]["failWorkflowExecutionDecisionAttributes"]["reason"],
                )
            else:
                pages = self.fetch_all_pages(task)
                decisions = decide(
                    pages,
                    first.started_event_id,
                    self._definitions,
                    workflow_id=task.workflow_id,
                    run_id=task.run_id,
                )
        except NonDeterminismError as exc:
            log.error(
                "NON-DETERMINISM in workflow %s %s (workflow id %s, run %s) at history event %s, "
                "code %s: %s. The decision task is left unanswered: it will time out and be "
                "retried; deploy code that matches the history.",
                first.workflow_type_name,
                first.workflow_type_version,
                task.workflow_id,
                task.run_id,
                getattr(exc, "event_id", "?"),
                getattr(exc, "location", "") or "(no code location)",
                exc,
            )
            return
        except Exception:
            log.exception(
                "could not decide task of workflow %s (run %s, started event %d); "
                "leaving it to time out and be retried",
                task.workflow_id,
                task.run_id,
                first.started_event_id,
            )
            return
        self._respond(task, decisions)

    def _respond(self, task: DecisionTask, decisions: Decisions) -> None:
        batch = fit_decisions(decisions.decisions, workflow_id=task.workflow_id, run_id=task.run_id)
        kwargs: dict[str, Any] = {"taskToken": task.task_token, "decisions": batch}
        if decisions.execution_context is not None:
            kwargs["executionContext"] = decisions.execution_context
        try:
            # Through the raw transport: it retries only failures that prove the
            # request was not applied (throttling, refused connections), where a
            # blind retry of an applied answer would be misreported as a lost task.
            self.transport.call("RespondDecisionTaskCompleted", kwargs, idempotent=False)
        except Exception as exc:
            if is_unknown_resource(exc):
                # Timed out, already answered (a retried call), or the run closed.
                log.info(
                    "decision task of workflow %s (run %s) is gone; decisions not recorded: %s",
                    task.workflow_id,
                    task.run_id,
                    exc,
                )
                return
            log.error(
                "could not answer the decision task of workflow %s (run %s): %s; it will time "
                "out and be retried",
                task.workflow_id,
                task.run_id,
                exc,
            )

    def close(self) -> None:
        """Close the worker's HTTP connections."""
        super().close()
        with self._lock:
            transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
