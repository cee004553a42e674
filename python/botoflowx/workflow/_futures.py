"""Futures for workflow code: Future, AllFuture and AnyFuture, with asyncio's state discipline."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from botoflowx.exceptions import CancelledError, InvalidStateError, NotInWorkflowError
from botoflowx.workflow._loop import WorkflowLoop, get_current_loop

__all__ = ["AllFuture", "AnyFuture", "Future"]

log = logging.getLogger("botoflowx.workflow")

T = TypeVar("T")

_PENDING = "PENDING"
_CANCELLED = "CANCELLED"
_FINISHED = "FINISHED"


class _UnretrievedLog:
    """Logs a failed future's exception when the future is freed, unless someone took it.

    set_exception arms one; retrieving the exception disarms it. A ``__del__`` on Future
    would cost every future a finalizer call when freed, thousands in a full replay, to
    report the few that failed (asyncio's pure-Python futures once had a _TracebackLogger
    for the same reason). It holds the future's description, not the future (it would
    keep it alive); the exception's repr is left to logging, which survives a broken one.
    """

    __slots__ = ("description", "exception")

    def __init__(self, description: str, exception: BaseException) -> None:
        self.description = description
        self.exception: BaseException | None = exception

    def __del__(self) -> None:
        if self.exception is not None:
            log.error(
                "Future exception was never retrieved: <%s finished exception=%r> (yield the "
                "future, or call its exception() method, to handle it)",
                self.description,
                self.exception,
                exc_info=self.exception,
            )


class Future(Generic[T]):
    """The eventual result of an activity, a timer, a child workflow or a coroutine.

    A Future is PENDING until exactly one of ``set_result``, ``set_exception`` or
    ``cancel`` moves it to FINISHED or CANCELLED; after that it never changes again.
    Workflow code waits for one with ``value = yield future``.

    Futures are not thread-safe: they live on one workflow's deterministic loop.
    """

    # Invariants:
    # - _state moves PENDING -> FINISHED or PENDING -> CANCELLED, once.
    # - Done callbacks never run inline: completing the future (or adding a callback to a
    #   done future) schedules them on the loop, so the order of effects depends only on the
    #   order of events, never on who happened to call whom.
    # - _unretrieved is set while an exception nobody looked at is stored; such a future
    #   is logged when it is garbage-collected.

    _loop: WorkflowLoop | None
    # A class default: most futures never fail, and none of them pays for the slot.
    _unretrieved: _UnretrievedLog | None = None

    def __init__(self, *, loop: WorkflowLoop | None = None) -> None:
        """Create a pending future bound to ``loop`` (default: the current workflow loop)."""
        self._loop = loop if loop is not None else get_current_loop()
        self._state = _PENDING
        self._result: Any = None
        self._exception: BaseException | None = None
        self._callbacks: list[Callable[[Future[T]], object]] = []

    # -- construction helpers (botoflow names) --------------------------------------------

    @classmethod
    def with_result(cls, result: T) -> Future[T]:
        """Return a future that already holds ``result``."""
        future: Future[T] = cls()
        future.set_result(result)
        return future

    @classmethod
    def with_exception(cls, exception: BaseException | type[BaseException]) -> Future[Any]:
        """Return a future that already failed with ``exception``."""
        future: Future[Any] = cls()
        future.set_exception(exception)
        return future

    @classmethod
    def with_cancel(cls) -> Future[Any]:
        """Return a future that is already cancelled."""
        future: Future[Any] = cls()
        future.cancel()
        return future

    # -- state ----------------------------------------------------------------------------

    def done(self) -> bool:
        """Return True once the future has a result, an exception, or was cancelled."""
        return self._state != _PENDING

    def cancelled(self) -> bool:
        """Return True when the future was cancelled."""
        return self._state == _CANCELLED

    def running(self) -> bool:
        """Return True while the future is pending (botoflow's name)."""
        return self._state == _PENDING

    def result(self) -> T:
        """Return the result.

        Raises:
            InvalidStateError: the future is still pending.
            CancelledError: the future was cancelled (the cancellation's own error when it
                carries one, e.g. ActivityTaskCanceledError).
            Exception: the exception the future failed with.
        """
        if self._state == _PENDING:
            raise InvalidStateError(
                f"{self!r} has no result yet: yield it in workflow code to wait for it"
            )
        if self._exception is not None:
            self._mark_retrieved()
            raise self._exception
        result: T = self._result
        return result

    def exception(self) -> BaseException | None:
        """Return the exception the future failed with, or None when it succeeded.

        Raises:
            InvalidStateError: the future is still pending.
            CancelledError: the future was cancelled.
        """
        if self._state == _PENDING:
            raise InvalidStateError(f"{self!r} is not done yet")
        if self._state == _CANCELLED:
            assert self._exception is not None
            raise self._exception
        self._mark_retrieved()
        return self._exception

    def traceback(self) -> Any:
        """Return the traceback of the stored exception (None when there is none)."""
        exc = self.exception()
        return exc.__traceback__ if exc is not None else None

    # -- callbacks ------------------------------------------------------------------------

    def add_done_callback(self, callback: Callable[[Future[T]], object]) -> None:
        """Call ``callback(self)`` on the loop once the future is done (soon, if it is)."""
        if self._state != _PENDING:
            self._get_loop().call_soon(callback, self)
        else:
            self._callbacks.append(callback)

    def remove_done_callback(self, callback: Callable[[Future[T]], object]) -> int:
        """Remove every registration of ``callback``; return how many were removed."""
        kept = [cb for cb in self._callbacks if cb != callback]
        removed = len(self._callbacks) - len(kept)
        self._callbacks = kept
        return removed

    # -- completion -----------------------------------------------------------------------

    def set_result(self, result: T) -> None:
        """Complete the future with ``result``.

        Raises:
            InvalidStateError: the future is already done.
        """
        if self._state != _PENDING:
            self._check_pending("set_result")
        self._result = result
        self._state = _FINISHED
        callbacks = self._callbacks
        if callbacks:
            # _schedule_callbacks(), inlined: every activity result of a replay passes here.
            self._callbacks = []
            loop = self._loop if self._loop is not None else self._get_loop()
            for callback in callbacks:
                loop.call_soon(callback, self)

    def set_exception(self, exception: BaseException | type[BaseException]) -> None:
        """Fail the future with ``exception`` (a class is instantiated with no arguments).

        Raises:
            InvalidStateError: the future is already done.
            TypeError: ``exception`` is StopIteration, which cannot cross a generator
                boundary (it would silently end the waiting generator).
        """
        self._check_pending("set_exception")
        if isinstance(exception, type):
            exception = exception()
        if isinstance(exception, StopIteration):
            raise TypeError(
                "StopIteration interacts badly with generators and cannot be raised into a "
                "Future; raise another exception"
            )
        self._exception = exception
        self._state = _FINISHED
        # What repr(self) starts with (see __repr__).
        self._unretrieved = _UnretrievedLog(f"{type(self).__name__}{self._describe()}", exception)
        self._schedule_callbacks()

    def cancel(self, msg: str | None = None) -> bool:
        """Cancel the future; return False when it was already done.

        Waiters get a CancelledError (``msg`` is its message).
        """
        if self._state != _PENDING:
            return False
        self._set_cancelled(CancelledError(msg or f"{self!r} was cancelled"))
        return True

    def _set_cancelled(self, error: BaseException) -> None:
        # Shared by cancel() and subclasses that learn about a cancellation from SWF and
        # want waiters to see the specific error (e.g. ActivityTaskCanceledError).
        # A cancellation is a decision, not a failure: nobody must be told it was "lost",
        # so it arms no _UnretrievedLog.
        self._exception = error
        self._state = _CANCELLED
        self._schedule_callbacks()

    def _mark_retrieved(self) -> None:
        # Someone took the exception (if any): nothing to report when the future is freed.
        unretrieved = self._unretrieved
        if unretrieved is not None:
            unretrieved.exception = None
            self._unretrieved = None

    def _check_pending(self, what: str) -> None:
        if self._state != _PENDING:
            raise InvalidStateError(f"{what} on a future that is already {self._state}: {self!r}")

    def _schedule_callbacks(self) -> None:
        callbacks, self._callbacks = self._callbacks, []
        if not callbacks:
            return
        loop = self._get_loop()
        for callback in callbacks:
            loop.call_soon(callback, self)

    def _get_loop(self) -> WorkflowLoop:
        if self._loop is None:
            self._loop = get_current_loop()
            if self._loop is None:
                raise NotInWorkflowError(
                    f"{self!r} has callbacks but no workflow loop: futures are driven by the "
                    "workflow engine, so use them in workflow code (an @execute method, a "
                    "signal handler or a @coroutine)"
                )
        return self._loop

    # -- operators ------------------------------------------------------------------------

    def __or__(self, other: Future[Any]) -> AnyFuture:
        """``f1 | f2``: an AnyFuture of both."""
        return AnyFuture(self, other)

    def __and__(self, other: Future[Any]) -> AllFuture:
        """``f1 & f2``: an AllFuture of both."""
        return AllFuture(self, other)

    # -- diagnostics ----------------------------------------------------------------------

    def _describe(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self._describe()
        if self._state == _FINISHED:
            if self._exception is not None:
                outcome = f"exception={self._exception!r}"
            else:
                outcome = f"result={self._result!r}"[:120]
            return f"<{type(self).__name__}{extra} finished {outcome}>"
        return f"<{type(self).__name__}{extra} {self._state.lower()}>"


class AllFuture(Future[tuple[Any, ...]]):
    """Completes with a tuple of every future's result; fails on the first failure.

    ``yield [f1, f2]`` and ``yield (f1, f2)`` mean ``yield AllFuture(f1, f2)``. A cancelled
    input fails it with that input's CancelledError. With no inputs the result is ``()``.
    Cancelling the AllFuture does not cancel its inputs.
    """

    def __init__(self, *futures: Future[Any]) -> None:
        """Wait for ``futures``; each must be a Future."""
        super().__init__()
        for f in futures:
            if not isinstance(f, Future):
                raise TypeError(f"AllFuture takes Futures, got {f!r}")
        self._futures = futures
        self._pending = len(futures)
        if not futures:
            self.set_result(())
            return
        for f in futures:
            f.add_done_callback(self._on_done)

    def _on_done(self, future: Future[Any]) -> None:
        self._pending -= 1
        if self.done():
            # Already failed or cancelled; later errors are part of the same outcome.
            future._mark_retrieved()
            return
        if future._exception is not None:
            future._mark_retrieved()
            self.set_exception(future._exception)
        elif self._pending == 0:
            self.set_result(tuple(f._result for f in self._futures))

    def _describe(self) -> str:
        return f" of {len(self._futures)}"


class AnyFuture(Future[Any]):
    """Completes like the first of its futures to finish: its value or its exception.

    It does not say which one finished and does not cancel the others (botoflow's
    semantics). With no inputs the result is ``()``.
    """

    def __init__(self, *futures: Future[Any]) -> None:
        """Wait for the first of ``futures``; each must be a Future."""
        super().__init__()
        for f in futures:
            if not isinstance(f, Future):
                raise TypeError(f"AnyFuture takes Futures, got {f!r}")
        self._futures = futures
        if not futures:
            self.set_result(())
            return
        for f in futures:
            f.add_done_callback(self._on_done)

    def _on_done(self, future: Future[Any]) -> None:
        if self.done():
            return
        if future._exception is not None:
            future._mark_retrieved()
            self.set_exception(future._exception)
        else:
            self.set_result(future._result)

    def _describe(self) -> str:
        return f" of {len(self._futures)}"
