"""Starting runs in a test environment: a fast-polling handle and the @execute lookup."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from botoflowx.client import WorkflowExecutionHandle, WorkflowStarter
from botoflowx.workflow._definition import ExecuteMeta, WorkflowDefinition

__all__ = ["EnvironmentStarter", "TestWorkflowHandle", "resolve_execute"]

# How often a test handle asks whether its run closed. The client's default (1 s)
# suits production; a test waiting on a run that time skipping finishes in a few
# milliseconds should not sleep a whole second for the answer.
RESULT_POLL_INTERVAL = 0.05

# Entered around every wait for a result: the environment unlocks time skipping with it.
WaitContext = Callable[[], AbstractContextManager[Any]]


class TestWorkflowHandle(WorkflowExecutionHandle):
    """A :class:`~botoflowx.client.WorkflowExecutionHandle` for tests.

    While :meth:`result` or :meth:`wait_for_completion` waits, the environment
    may skip time (with time skipping on), and it asks for the outcome often.
    Everything else (``describe``, ``signal``, ``cancel``, ``terminate``, the
    errors ``result`` raises) is the client's handle.

    Args:
        client: a boto3 SWF client.
        domain: the run's domain.
        workflow_id: the workflow id.
        run_id: the run id (None: the current run of ``workflow_id``).
        data_converter: the run's data converter.
        definition: the run's ``WorkflowDefinition`` subclass (attribute-style signals).
        poll_interval: seconds between ``DescribeWorkflowExecution`` calls while
            waiting for the result.
        wait_context: a context manager factory entered around each wait (the
            environment's time-skipping unlock); None for none.
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(
        self,
        client: Any,
        domain: str,
        workflow_id: str,
        run_id: str | None,
        data_converter: Any = None,
        definition: type | None = None,
        *,
        poll_interval: float = RESULT_POLL_INTERVAL,
        wait_context: WaitContext | None = None,
    ) -> None:
        super().__init__(client, domain, workflow_id, run_id, data_converter, definition)
        self.poll_interval = poll_interval
        self._wait_context: WaitContext = wait_context or nullcontext

    def wait_for_completion(
        self,
        timeout: float | None = None,
        poll_interval: float | None = None,
        *,
        follow_continue_as_new: bool = True,
    ) -> Any:
        """Wait until the run closes and return its result (see the client's handle).

        Args:
            timeout: seconds to wait at most (None: no limit).
            poll_interval: seconds between checks (default: :attr:`poll_interval`).
            follow_continue_as_new: follow a run that continued as new.

        Raises:
            WorkflowFailedError, WorkflowTimedOutError, WorkflowTerminatedError,
            WorkflowCanceledError: the run closed that way.
            TimeoutError: ``timeout`` passed before the run closed.
        """
        with self._wait_context():
            return super().wait_for_completion(
                timeout,
                self.poll_interval if poll_interval is None else poll_interval,
                follow_continue_as_new=follow_continue_as_new,
            )

    def result(self, timeout: float | None = None) -> Any:
        """Same as :meth:`wait_for_completion` with :attr:`poll_interval`."""
        return self.wait_for_completion(timeout)


class EnvironmentStarter(WorkflowStarter):
    """The ``workflow_starter`` context of a test environment: it hands out test handles.

    Args:
        client: a boto3 SWF client.
        domain: the domain to start runs in.
        task_list: the default task list.
        data_converter: the default data converter.
        wait_context: passed to every :class:`TestWorkflowHandle`.
    """

    def __init__(
        self,
        client: Any,
        domain: str,
        task_list: str | None,
        data_converter: Any = None,
        wait_context: WaitContext | None = None,
    ) -> None:
        super().__init__(client, domain, task_list, data_converter)
        self.wait_context = wait_context

    def start_workflow(
        self,
        definition_cls: type,
        execute_meta: Any,
        args: tuple[Any, ...] | list[Any],
        kwargs: Mapping[str, Any],
    ) -> TestWorkflowHandle:
        """Start a run as :class:`~botoflowx.client.WorkflowStarter` does.

        Returns:
            A :class:`TestWorkflowHandle` for it.
        """
        handle = super().start_workflow(definition_cls, execute_meta, args, kwargs)
        return TestWorkflowHandle(
            self.client,
            handle.domain,
            handle.workflow_id,
            handle.run_id,
            _converter_of(handle, execute_meta, self.data_converter),
            handle.definition,
            wait_context=self.wait_context,
        )


def _converter_of(handle: WorkflowExecutionHandle, meta: Any, default: Any) -> Any:
    # The converter the starter picked for this run. It is not part of the handle's
    # public surface; reading it keeps the decision in one place (the starter).
    converter = getattr(handle, "_converter", None)
    if converter is None:
        converter = getattr(meta, "data_converter", None) or default
    return converter


def _definition_classes() -> Iterator[type]:
    """Every ``WorkflowDefinition`` subclass alive now, depth first."""
    seen: set[type] = set()
    stack: list[type] = [WorkflowDefinition]
    while stack:
        cls = stack.pop()
        subclasses: list[type] = cls.__subclasses__()
        for sub in subclasses:
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
                yield sub


def resolve_execute(method: Callable[..., Any]) -> tuple[type, ExecuteMeta]:
    """Find the workflow class and ``@execute`` declaration behind ``Workflow.method``.

    Outside a starter block, ``Workflow.method`` is the plain function; this finds
    the definition class whose ``@execute`` declaration wraps that function.

    Returns:
        ``(definition_class, execute_meta)``.

    Raises:
        TypeError: ``method`` is not an ``@execute`` method, or it is inherited by
            several definitions, so the class cannot be told from the function.
    """
    if isinstance(method, functools.partial):
        raise TypeError(
            "env.start() takes the method itself (Workflow.method), not a started call; "
            "inside `with env.starter():` call Workflow.method(...) directly"
        )
    function = getattr(method, "__func__", method)
    # Workflow().method is bound to an instance, which names the class exactly.
    owner = getattr(method, "__self__", None)
    candidates: Iterable[type] = (
        [type(owner)] if isinstance(owner, WorkflowDefinition) else _definition_classes()
    )
    matches = [
        (cls, meta)
        for cls in candidates
        for meta in vars(cls).get("__workflow_methods__", {}).values()
        if meta.func is function
    ]
    if not matches:
        raise TypeError(
            f"{method!r} is not an @execute method of a WorkflowDefinition subclass: pass "
            "Workflow.method, e.g. env.start(HelloWorkflow.hello, 'World')"
        )
    if len(matches) > 1:
        classes = ", ".join(sorted(cls.__qualname__ for cls, _ in matches))
        raise TypeError(
            f"{getattr(function, '__qualname__', function)!r} is the @execute method of several "
            f"definitions ({classes}): start the one you mean with "
            "`with env.starter(): TheClass.method(...)`"
        )
    return matches[0]
