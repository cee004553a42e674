"""Starting workflow executions (``workflow_starter``) and following them (handles)."""

from __future__ import annotations

import functools
import logging
import math
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botoflowx.client._slot import installed_context
from botoflowx.client._swf import SessionLike, SWFClient, make_swf_client
from botoflowx.constants import MAX_DATA_SIZE, USE_WORKER_TASK_LIST
from botoflowx.exceptions import (
    PayloadTooLargeError,
    WorkflowCanceledError,
    WorkflowError,
    WorkflowFailedError,
    WorkflowTerminatedError,
    WorkflowTimedOutError,
)
from botoflowx.workflow._context import WorkflowExecution

log = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL = 1.0


@dataclass(frozen=True)
class ContinuedAsNew:
    """Returned by :meth:`WorkflowExecutionHandle.result` for a run that continued as new
    when ``follow_continue_as_new`` is False.

    Attributes:
        workflow_id: The workflow id (shared by both runs).
        run_id: The run id of the NEW run.
    """

    workflow_id: str
    run_id: str


def _default_converter() -> Any:
    from botoflowx.converter import default_converter

    return default_converter()


class WorkflowExecutionHandle:
    """A started workflow run: its ids, its outcome, and signal/cancel/terminate.

    A handle that knows its workflow definition (every handle ``workflow_starter``
    returns does) sends signals as attribute calls, botoflow style: for a
    ``@signal()``-decorated ``approve`` method, ``handle.approve(True)`` is
    ``handle.signal("approve", True)``. Each handle addresses its own run.

    Args:
        client: A boto3 SWF client.
        domain: The run's domain.
        workflow_id: The workflow id.
        run_id: The run id (None: the current run of ``workflow_id``).
        data_converter: Decodes the result and failure details and encodes
            signal input.
        definition: The ``WorkflowDefinition`` subclass of the run, for
            attribute-style signals.
    """

    def __init__(
        self,
        client: SWFClient,
        domain: str,
        workflow_id: str,
        run_id: str | None,
        data_converter: Any = None,
        definition: type | None = None,
    ) -> None:
        self.domain = domain
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.definition = definition
        self._client = client
        self._converter = data_converter if data_converter is not None else _default_converter()

    def __getattr__(self, attr: str) -> Any:
        # Only reached for names the class does not define: the definition's signals.
        if attr.startswith("_"):
            raise AttributeError(attr)
        signals = getattr(self.__dict__.get("definition"), "__signals__", None) or {}
        for signal_meta in signals.values():
            if signal_meta.method_name == attr:
                return functools.partial(self.signal, signal_meta.name)
        if attr in signals:
            return functools.partial(self.signal, attr)
        known = sorted(meta.method_name for meta in signals.values())
        raise AttributeError(
            f"{type(self).__name__} has no attribute {attr!r}"
            + (f"; the run's signals are {known}" if known else "")
        )

    def __repr__(self) -> str:
        return (
            f"WorkflowExecutionHandle(domain={self.domain!r}, workflow_id={self.workflow_id!r}, "
            f"run_id={self.run_id!r})"
        )

    @property
    def workflow_execution(self) -> Any:
        """The ``(workflow_id, run_id)`` pair."""
        return WorkflowExecution(self.workflow_id, self.run_id)

    @property
    def _execution(self) -> dict[str, str]:
        execution = {"workflowId": self.workflow_id}
        if self.run_id:
            execution["runId"] = self.run_id
        return execution

    @property
    def workflow_state(self) -> str | None:
        """The run's latest ``workflow_state`` (DescribeWorkflowExecution's
        ``latestExecutionContext``), or None when the workflow never set one."""
        context = self.describe().get("latestExecutionContext")
        return context if context else None

    def describe(self) -> dict[str, Any]:
        """``DescribeWorkflowExecution`` of this run (botocore's parsed response)."""
        response: dict[str, Any] = self._client.describe_workflow_execution(
            domain=self.domain, execution=self._execution
        )
        return response

    def signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Send signal ``name`` with ``args``/``kwargs`` to this run.

        Raises:
            PayloadTooLargeError: The encoded input exceeds 32,768 characters.
            botocore.exceptions.ClientError: SWF refused (e.g. the run is closed:
                ``UnknownResourceFault``).
        """
        payload = self._converter.dumps([list(args), dict(kwargs)])
        _check_size("input", payload, f"signal {name!r} to workflow {self.workflow_id}")
        self._client.signal_workflow_execution(
            domain=self.domain, signalName=name, input=payload, **self._ids()
        )

    def cancel(self) -> None:
        """Ask the run to cancel itself (``RequestCancelWorkflowExecution``)."""
        self._client.request_cancel_workflow_execution(domain=self.domain, **self._ids())

    def _ids(self) -> dict[str, str]:
        ids = {"workflowId": self.workflow_id}
        if self.run_id:
            ids["runId"] = self.run_id
        return ids

    def terminate(
        self, reason: str | None = None, details: str | None = None, child_policy: str | None = None
    ) -> None:
        """Terminate the run at once (``TerminateWorkflowExecution``).

        ``reason`` is cut to SWF's 256 characters.

        Raises:
            PayloadTooLargeError: ``details`` exceeds 32,768 characters.
        """
        kwargs: dict[str, Any] = {"domain": self.domain, **self._ids()}
        if reason is not None:
            kwargs["reason"] = reason[:256]
        if details is not None:
            _check_size("details", details, f"termination of workflow {self.workflow_id}")
            kwargs["details"] = details
        if child_policy is not None:
            kwargs["childPolicy"] = child_policy
        self._client.terminate_workflow_execution(**kwargs)

    def wait_for_completion(
        self,
        timeout: float | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        *,
        follow_continue_as_new: bool = True,
    ) -> Any:
        """Wait until the run closes and return its result.

        Polls ``DescribeWorkflowExecution``; once the run is closed, reads the
        close event with ONE reverse-order history page of one event.

        Args:
            timeout: Seconds to wait at most (None: no limit).
            poll_interval: Seconds between ``DescribeWorkflowExecution`` calls.
            follow_continue_as_new: Follow a run that continued as new to the
                new run (this handle's ``run_id`` moves along); otherwise
                return a :class:`ContinuedAsNew`.

        Returns:
            The decoded workflow result.

        Raises:
            WorkflowFailedError: The run failed (``cause`` is the workflow's
                decoded exception).
            WorkflowTimedOutError: The run timed out.
            WorkflowTerminatedError: The run was terminated.
            WorkflowCanceledError: The run was canceled.
            TimeoutError: ``timeout`` passed before the run closed.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            info = self.describe()["executionInfo"]
            if info.get("executionStatus") == "CLOSED":
                outcome = self._closed_outcome()
                if isinstance(outcome, ContinuedAsNew) and follow_continue_as_new:
                    log.debug(
                        "workflow %s continued as new run %s", self.workflow_id, outcome.run_id
                    )
                    self.run_id = outcome.run_id
                    continue
                return outcome
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"workflow {self.workflow_id} (run {self.run_id}) still open after "
                        f"{timeout} s"
                    )
                time.sleep(min(poll_interval, remaining))
            else:
                time.sleep(poll_interval)

    def result(self, timeout: float | None = None) -> Any:
        """Same as :meth:`wait_for_completion` with the default poll interval."""
        return self.wait_for_completion(timeout)

    def _close_event(self) -> dict[str, Any]:
        page = self._client.get_workflow_execution_history(
            domain=self.domain, execution=self._execution, maximumPageSize=1, reverseOrder=True
        )
        events = page.get("events") or []
        if not events:
            raise WorkflowError(
                f"workflow {self.workflow_id} (run {self.run_id}) is closed but its history "
                "is empty",
                workflow_id=self.workflow_id,
                run_id=self.run_id,
            )
        event: dict[str, Any] = events[0]
        return event

    def _closed_outcome(self) -> Any:
        event = self._close_event()
        event_type = event["eventType"]
        attrs_key = event_type[0].lower() + event_type[1:] + "EventAttributes"
        attrs: Mapping[str, Any] = event.get(attrs_key) or {}
        common: dict[str, Any] = {
            "workflow_id": self.workflow_id,
            "run_id": self.run_id,
            "event_id": int(event.get("eventId", 0)),
        }
        if event_type == "WorkflowExecutionCompleted":
            result = attrs.get("result")
            return None if result is None else self._converter.loads(result)
        if event_type == "WorkflowExecutionFailed":
            details = attrs.get("details")
            raise WorkflowFailedError(
                reason=attrs.get("reason"),
                details=details,
                cause=self._decode_cause(details),
                **common,
            )
        if event_type == "WorkflowExecutionTimedOut":
            raise WorkflowTimedOutError(timeout_type=attrs.get("timeoutType"), **common)
        if event_type == "WorkflowExecutionTerminated":
            raise WorkflowTerminatedError(
                reason=attrs.get("reason"),
                details=attrs.get("details"),
                cause=attrs.get("cause"),
                **common,
            )
        if event_type == "WorkflowExecutionCanceled":
            raise WorkflowCanceledError(details=attrs.get("details"), **common)
        if event_type == "WorkflowExecutionContinuedAsNew":
            return ContinuedAsNew(self.workflow_id, attrs["newExecutionRunId"])
        raise WorkflowError(
            f"workflow {self.workflow_id} (run {self.run_id}) is closed but its last event is "
            f"{event_type}, not a close event",
            **common,
        )

    def _decode_cause(self, details: str | None) -> Any:
        if not details:
            return None
        try:
            return self._converter.loads(details)
        except Exception:
            # Details written by another framework or by hand: keep the raw text.
            log.debug("failure details of workflow %s are not converter output", self.workflow_id)
            return None


class WorkflowStarter:
    """The context installed by :func:`workflow_starter`: calling an ``@execute``
    method inside it starts an execution.

    The ``@execute`` wrapper finds this object through the shared context slot
    (``botoflowx.workflow._context.get_context()``) and calls
    :meth:`start_workflow`.

    Args:
        client: A boto3 SWF client.
        domain: The domain to start executions in.
        task_list: The default task list (used when neither the type's
            ``@execute`` nor ``workflow_options`` name one).
        data_converter: The default data converter for input and results.
    """

    def __init__(
        self, client: SWFClient, domain: str, task_list: str | None, data_converter: Any = None
    ) -> None:
        self.client = client
        self.domain = domain
        self.task_list = task_list
        self.data_converter = data_converter
        # botoflow's StartWorkflowContext exposed the starter as ``worker``.
        self.worker = self

    def start_workflow(
        self,
        definition_cls: type,
        execute_meta: Any,
        args: tuple[Any, ...] | list[Any],
        kwargs: Mapping[str, Any],
    ) -> WorkflowExecutionHandle:
        """Start one execution of the type described by ``execute_meta``.

        Options come from the ``@execute`` declaration, overridden field by
        field by the enclosing ``workflow_options(...)`` blocks. This is the
        ``WorkflowStarterContext`` protocol of ``botoflowx.workflow._context``.

        Args:
            definition_cls: The ``WorkflowDefinition`` subclass called.
            execute_meta: The ``ExecuteMeta`` of the called ``@execute`` method.
            args: Positional arguments of the call.
            kwargs: Keyword arguments of the call.

        Returns:
            The handle of the new run.

        Raises:
            PayloadTooLargeError: The encoded input exceeds 32,768 characters.
            botocore.exceptions.ClientError: SWF refused to start it (e.g.
                ``WorkflowExecutionAlreadyStartedFault``, ``UnknownResourceFault``
                for an unregistered type).
        """
        options = _current_workflow_options()
        converter = (
            options.get("data_converter")
            or getattr(execute_meta, "data_converter", None)
            or self.data_converter
            or _default_converter()
        )
        name = options.get("name") or execute_meta.name
        version = options.get("version") or execute_meta.version
        payload = converter.dumps([list(args), dict(kwargs)])
        _check_size("input", payload, f"workflow {name} {version}")
        request: dict[str, Any] = {
            "domain": self.domain,
            "workflowId": options.get("workflow_id") or str(uuid.uuid4()),
            "workflowType": {"name": name, "version": version},
            "input": payload,
        }
        task_list = _pick(options, execute_meta, "task_list")
        if task_list is None or task_list is USE_WORKER_TASK_LIST:
            task_list = self.task_list
        if task_list is not None:
            request["taskList"] = {"name": str(task_list)}
        for option, member in (
            ("execution_start_to_close_timeout", "executionStartToCloseTimeout"),
            ("task_start_to_close_timeout", "taskStartToCloseTimeout"),
        ):
            value = _pick(options, execute_meta, option)
            if value is not None:
                request[member] = _duration(value)
        child_policy = _pick(options, execute_meta, "child_policy")
        if child_policy is not None:
            request["childPolicy"] = str(child_policy)
        priority = _pick(options, execute_meta, "task_priority")
        if priority is not None:
            request["taskPriority"] = str(int(priority))
        tags = options.get("tag_list")
        if tags:
            request["tagList"] = [str(tag) for tag in tags]
        response = self.client.start_workflow_execution(**request)
        handle = WorkflowExecutionHandle(
            self.client,
            self.domain,
            request["workflowId"],
            response["runId"],
            converter,
            definition=definition_cls,
        )
        log.info("started workflow %s %s: %r", name, version, handle)
        return handle


@contextmanager
def workflow_starter(
    session: SessionLike = None,
    aws_region: str | None = None,
    domain: str | None = None,
    task_list: str | None = None,
    *,
    default_task_list: str | None = None,
    endpoint_url: str | None = None,
    data_converter: Any = None,
) -> Iterator[WorkflowStarter]:
    """Start workflow executions by calling ``@execute`` methods inside a ``with`` block.

    Example::

        with workflow_starter(session, "us-east-1", "domain1", "tasklist1"):
            handle = HelloWorldWorkflow.hello_world()
        print(handle.wait_for_completion(timeout=60))

    Args:
        session: A ``boto3.Session``, a ``botocore.session.Session`` or None.
        aws_region: The AWS region.
        domain: The domain to start executions in.
        task_list: The default task list for executions (botoflow called it
            ``default_task_list``; both spellings work).
        default_task_list: Alias of ``task_list``.
        endpoint_url: The SWF endpoint (default ``$BOTOFLOWX_ENDPOINT_URL``, then AWS).
        data_converter: The converter for input and results when the workflow
            type declares none.

    Yields:
        The :class:`WorkflowStarter` (also reachable as ``get_context()``).

    Raises:
        TypeError: ``domain`` is missing, or both ``task_list`` and
            ``default_task_list`` are given with different values.
    """
    if not domain:
        raise TypeError("workflow_starter() needs a domain")
    if task_list and default_task_list and task_list != default_task_list:
        raise TypeError(
            f"task_list={task_list!r} and default_task_list={default_task_list!r} disagree; "
            "pass one of them"
        )
    client = make_swf_client(session, aws_region, endpoint_url)
    starter = WorkflowStarter(client, domain, task_list or default_task_list, data_converter)
    with installed_context(starter):
        yield starter


def get_workflow_handle(
    workflow_id: str,
    run_id: str | None = None,
    *,
    definition: type | None = None,
    data_converter: Any = None,
) -> WorkflowExecutionHandle:
    """Return a handle of a run, from inside an activity or a ``workflow_starter`` block.

    The handle talks to the same SWF endpoint and domain as the code calling it, so an
    activity can signal, cancel or describe a run, for example the one that scheduled
    it::

        context = get_context()
        handle = get_workflow_handle(*context.workflow_execution, definition=OrderWorkflow)
        handle.payment_received(amount)

    In workflow code use a handle object instead
    (``Other(WorkflowExecution(workflow_id, run_id)).signal_name(...)``): workflow code
    makes decisions, never calls SWF itself.

    Args:
        workflow_id: The workflow id of the run.
        run_id: The run id (None: the current run of ``workflow_id``).
        definition: The run's ``WorkflowDefinition`` subclass, for attribute-style
            signals.
        data_converter: Encodes signal input (default: the context's, else JSON).

    Returns:
        The handle.

    Raises:
        NotInWorkflowError: called outside an activity and a ``workflow_starter`` block,
            or inside workflow code.
    """
    from botoflowx.exceptions import NotInWorkflowError
    from botoflowx.workflow._context import DecisionContext, _peek_context

    context = _peek_context()
    # Both an activity's context and the starter expose their worker (the starter is its
    # own ``worker``, as in botoflow), which owns the client and the domain.
    owner = getattr(context, "worker", None)
    client = getattr(owner, "client", None)
    domain = getattr(owner, "domain", None)
    if isinstance(context, DecisionContext) or client is None or not domain:
        raise NotInWorkflowError(
            "get_workflow_handle() works inside an activity run by an activity worker or "
            "inside a workflow_starter block; in workflow code signal or cancel another run "
            "through a handle object, e.g. Other(WorkflowExecution(workflow_id, run_id))"
        )
    converter = (
        data_converter
        or getattr(context, "data_converter", None)
        or getattr(owner, "data_converter", None)
    )
    return WorkflowExecutionHandle(
        client, domain, workflow_id, run_id, converter, definition=definition
    )


def _current_workflow_options() -> dict[str, Any]:
    from botoflowx.workflow._options import current_workflow_options

    return {k: v for k, v in current_workflow_options().items() if v is not None}


def _pick(options: Mapping[str, Any], meta: Any, name: str) -> Any:
    value = options.get(name)
    return value if value is not None else getattr(meta, name, None)


def _duration(value: Any) -> str:
    """SWF duration string: whole seconds, fractions rounded up, "NONE" passed through."""
    if isinstance(value, str):
        return value
    return str(math.ceil(value))


def _check_size(field: str, payload: str, what: str) -> None:
    if len(payload) > MAX_DATA_SIZE:
        raise PayloadTooLargeError(field, len(payload), MAX_DATA_SIZE, what)
