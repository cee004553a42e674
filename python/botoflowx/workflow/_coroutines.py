"""Generator coroutines on the workflow loop: Task, @coroutine, Return and return_."""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
from collections.abc import Callable, Generator
from typing import Any, NoReturn, TypeVar, overload

from botoflowx.exceptions import CancelledError, NotInWorkflowError
from botoflowx.workflow._futures import _PENDING, AllFuture, Future
from botoflowx.workflow._loop import WorkflowLoop, get_current_loop

__all__ = ["Return", "Task", "coroutine", "return_", "start_coroutine"]

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("botoflowx.workflow")


class Return(BaseException):
    """Raise ``Return(value)`` to end a coroutine with ``value`` (botoflow's PEP 380 shim).

    A plain ``return value`` works too and is preferred.
    """

    def __init__(self, *values: Any) -> None:
        super().__init__(*values)
        self.value: Any = values[0] if len(values) == 1 else (values or None)


def return_(*values: Any) -> NoReturn:
    """End the calling coroutine with ``values`` (one value, a tuple of several, or None)."""
    raise Return(*values)


class Task(Future[Any]):
    """Drives one generator on the workflow loop; completes with what it returns.

    The generator may yield a Future (it is resumed with its result, or the exception is
    raised at the ``yield``), a list or tuple of Futures (an AllFuture), or None (resume
    after everything already scheduled).
    """

    # Invariant, as in asyncio's Task: while the task is not done, either _waiting_on is
    # None and exactly one _step is scheduled (or running), or _waiting_on is a Future
    # whose done callback will schedule the next _step and no _step is scheduled.

    def __init__(
        self, generator: Generator[Any, Any, Any], *, loop: WorkflowLoop, name: str = ""
    ) -> None:
        """Schedule the first step of ``generator`` on ``loop``."""
        super().__init__(loop=loop)
        self._task_loop = loop
        self._generator = generator
        # Bound once: a replay resumes the generator once per activity call.
        self._send = generator.send
        self._name = name or getattr(generator, "__qualname__", "coroutine")
        self._waiting_on: Future[Any] | None = None
        self._must_cancel: BaseException | None = None
        # Each task runs in its own copy of the creator's context, so a `with
        # activity_options(...)` block that spans a yield stays private to this task.
        self._context = contextvars.copy_context()
        loop.register_task(self)
        loop.call_soon(self._step, None, None)

    def cancel(self, msg: str | None = None) -> bool:
        """Raise CancelledError into the generator at its current ``yield``.

        The future the generator is waiting on is left alone (cancel it yourself to stop
        that work). The task is only CANCELLED if the generator lets the error escape;
        it may catch it, clean up and return a value. Returns False when already done.
        """
        if self.done():
            return False
        error = CancelledError(msg or f"{self._name} was cancelled")
        waiting = self._waiting_on
        if waiting is not None:
            waiting.remove_done_callback(self._wakeup)
            self._waiting_on = None
            self._task_loop.call_soon(self._step, None, error)
        else:
            # A step is scheduled or running: it will deliver the error.
            self._must_cancel = error
        return True

    def discard(self) -> None:
        """Close the generator without resuming it (its ``finally`` blocks run now).

        The engine calls this, with the workflow context still set, when the run is
        discarded; otherwise the garbage collector would close the generator later on
        any thread, outside the workflow context, where activity calls are plain calls.
        """
        if self.done():
            return
        self._waiting_on = None
        try:
            self._context.run(self._generator.close)
        except Exception as exc:  # e.g. RuntimeError: generator ignored GeneratorExit
            log.debug("closing discarded coroutine %s raised %r", self._name, exc)
        if not self.done():
            self._set_cancelled(CancelledError(f"{self._name} was discarded"))

    def _step(self, value: Any, error: BaseException | None) -> None:
        if self._state != _PENDING:
            return
        if self._must_cancel is not None:
            error, self._must_cancel = self._must_cancel, None
        try:
            if error is None:
                yielded = self._context.run(self._send, value)
            else:
                yielded = self._context.run(self._generator.throw, error)
        except StopIteration as stop:
            self.set_result(stop.value)
        except Return as ret:
            self.set_result(ret.value)
        except CancelledError as exc:
            self._set_cancelled(exc)
        except Exception as exc:
            self.set_exception(exc)
        else:
            if isinstance(yielded, Future) and yielded is not self and self._must_cancel is None:
                # The usual step, inline: wait for one future (add_done_callback's pending
                # case inlined too: a replay passes here once per activity call).
                self._waiting_on = yielded
                if yielded._state == _PENDING:
                    yielded._callbacks.append(self._wakeup)
                else:
                    yielded.add_done_callback(self._wakeup)
            else:
                self._wait_for(yielded)

    def _wait_for(self, yielded: Any) -> None:
        if isinstance(yielded, (list, tuple)):
            try:
                yielded = AllFuture(*yielded)
            except TypeError as exc:
                self._task_loop.call_soon(self._step, None, exc)
                return
        if yielded is None:
            self._task_loop.call_soon(self._step, None, None)
        elif yielded is self:
            self._task_loop.call_soon(
                self._step, None, RuntimeError(f"{self._name} cannot wait for itself")
            )
        elif isinstance(yielded, Future):
            if self._must_cancel is not None:
                # cancel() was called while this step ran: deliver it now, not after
                # the future completes.
                error, self._must_cancel = self._must_cancel, None
                self._task_loop.call_soon(self._step, None, error)
                return
            self._waiting_on = yielded
            yielded.add_done_callback(self._wakeup)
        else:
            self._task_loop.call_soon(
                self._step,
                None,
                TypeError(
                    f"workflow code yielded {yielded!r}: yield a Future, a list or tuple of "
                    "Futures, or None"
                ),
            )

    def _wakeup(self, future: Future[Any]) -> None:
        self._waiting_on = None
        error = future._exception
        if error is not None:
            future._mark_retrieved()
            self._step(None, error)
        else:
            self._step(future._result, None)

    def _describe(self) -> str:
        return f" {self._name}"


def start_coroutine(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Future[Any]:
    """Call ``func`` and return a Future for its outcome.

    A generator becomes a Task on the current loop; a returned Future is passed through;
    any other value (or an exception raised by the call) is wrapped in a done Future.

    Raises:
        NotInWorkflowError: ``func`` is a generator function and no workflow loop is active.
    """
    loop = get_current_loop()
    if loop is None:
        raise NotInWorkflowError(
            f"coroutine {getattr(func, '__qualname__', func)!r} can only run in workflow "
            "code: call it from an @execute method, a signal handler or another @coroutine"
        )
    try:
        outcome = func(*args, **kwargs)
    except Return as ret:
        return Future.with_result(ret.value)
    except Exception as exc:
        return Future.with_exception(exc)
    if inspect.isgenerator(outcome):
        return Task(outcome, loop=loop, name=getattr(func, "__qualname__", ""))
    if isinstance(outcome, Future):
        return outcome
    return Future.with_result(outcome)


@overload
def coroutine(func: F) -> F: ...
@overload
def coroutine(func: None = None) -> Callable[[F], F]: ...
def coroutine(func: Callable[..., Any] | None = None) -> Any:
    """Run a helper (usually a generator) as a concurrent task; calling it returns a Future.

    Usable as ``@coroutine`` or ``@coroutine()``, on functions and on methods.
    """
    if func is None:
        return coroutine

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Future[Any]:
        return start_coroutine(func, args, kwargs)

    return run
