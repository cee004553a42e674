"""Futures and combinators: states, scheduled callbacks, errors, cancellation, operators."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from botoflowx.exceptions import CancelledError, InvalidStateError, NotInWorkflowError
from botoflowx.workflow._futures import AllFuture, AnyFuture, Future
from botoflowx.workflow._loop import WorkflowLoop


def test_states_and_result(loop: WorkflowLoop) -> None:
    f: Future[int] = Future()
    assert not f.done() and f.running() and not f.cancelled()
    with pytest.raises(InvalidStateError, match="no result yet"):
        f.result()
    f.set_result(3)
    assert f.done() and not f.running() and f.result() == 3 and f.exception() is None


def test_second_completion_is_an_invalid_state_error(loop: WorkflowLoop) -> None:
    f: Future[int] = Future()
    f.set_result(1)
    with pytest.raises(InvalidStateError, match="already FINISHED"):
        f.set_result(2)
    with pytest.raises(InvalidStateError):
        f.set_exception(ValueError())
    assert f.cancel() is False
    assert f.result() == 1


def test_callbacks_are_scheduled_not_run_inline(loop: WorkflowLoop) -> None:
    seen: list[Any] = []
    f: Future[str] = Future()
    f.add_done_callback(lambda fut: seen.append(fut.result()))
    f.set_result("x")
    assert seen == []
    loop.run_until_idle()
    assert seen == ["x"]
    # On a future that is already done the callback is scheduled too.
    f.add_done_callback(lambda fut: seen.append("late"))
    assert seen == ["x"]
    loop.run_until_idle()
    assert seen == ["x", "late"]


def test_remove_done_callback(loop: WorkflowLoop) -> None:
    seen: list[int] = []

    def cb(fut: Future[int]) -> None:
        seen.append(fut.result())

    f: Future[int] = Future()
    f.add_done_callback(cb)
    f.add_done_callback(cb)
    assert f.remove_done_callback(cb) == 2
    f.set_result(1)
    loop.run_until_idle()
    assert seen == []


def test_exception_and_class_instantiation(loop: WorkflowLoop) -> None:
    f: Future[int] = Future.with_exception(KeyError)
    assert isinstance(f.exception(), KeyError)
    with pytest.raises(KeyError):
        f.result()


def test_stop_iteration_is_refused(loop: WorkflowLoop) -> None:
    f: Future[int] = Future()
    with pytest.raises(TypeError, match="StopIteration"):
        f.set_exception(StopIteration())
    assert not f.done()


def test_cancel(loop: WorkflowLoop) -> None:
    f = Future.with_cancel()
    assert f.cancelled() and f.done()
    with pytest.raises(CancelledError):
        f.result()
    with pytest.raises(CancelledError):
        f.exception()


def test_unretrieved_exception_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    f: Future[int] = Future.with_exception(ValueError("lost"))
    with caplog.at_level(logging.ERROR, logger="botoflowx.workflow"):
        del f
    assert "never retrieved" in caplog.text and "lost" in caplog.text


def test_failing_does_not_format_the_exception() -> None:
    class Unprintable(Exception):
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    f: Future[int] = Future.with_exception(Unprintable())
    assert isinstance(f.exception(), Unprintable)


def test_retrieved_exception_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    f: Future[int] = Future.with_exception(ValueError("seen"))
    assert f.exception() is not None
    with caplog.at_level(logging.ERROR, logger="botoflowx.workflow"):
        del f
    assert "never retrieved" not in caplog.text


def test_callbacks_without_a_loop_say_where_futures_belong() -> None:
    f: Future[int] = Future()
    f.add_done_callback(lambda fut: None)
    with pytest.raises(NotInWorkflowError, match="workflow code"):
        f.set_result(1)


def test_all_future_results_in_input_order(loop: WorkflowLoop) -> None:
    a: Future[int] = Future()
    b: Future[int] = Future()
    both = AllFuture(a, b)
    b.set_result(2)
    loop.run_until_idle()
    assert not both.done()
    a.set_result(1)
    loop.run_until_idle()
    assert both.result() == (1, 2)


def test_all_future_fails_on_first_exception(loop: WorkflowLoop) -> None:
    a: Future[int] = Future()
    b: Future[int] = Future()
    c: Future[int] = Future()
    allf = a & b & c
    b.set_exception(ValueError("b"))
    loop.run_until_idle()
    assert isinstance(allf.exception(), ValueError)
    c.set_exception(KeyError("c"))
    a.set_result(1)
    loop.run_until_idle()
    assert str(allf.exception()) == "b"


def test_all_future_empty_and_type_check(loop: WorkflowLoop) -> None:
    assert AllFuture().result() == ()
    with pytest.raises(TypeError, match="takes Futures"):
        AllFuture(1)  # type: ignore[arg-type]


def test_all_future_with_a_cancelled_input_fails(loop: WorkflowLoop) -> None:
    a: Future[int] = Future()
    allf = AllFuture(a, Future.with_result(2))
    a.cancel()
    loop.run_until_idle()
    assert isinstance(allf.exception(), CancelledError)


def test_any_future_takes_the_first(loop: WorkflowLoop) -> None:
    a: Future[int] = Future()
    b: Future[int] = Future()
    anyf = a | b
    assert isinstance(anyf, AnyFuture)
    b.set_result(20)
    a.set_result(10)
    loop.run_until_idle()
    assert anyf.result() == 20


def test_any_future_takes_the_first_exception(loop: WorkflowLoop) -> None:
    a: Future[int] = Future()
    b: Future[int] = Future()
    anyf = AnyFuture(a, b)
    a.set_exception(ValueError("first"))
    loop.run_until_idle()
    b.set_result(1)
    loop.run_until_idle()
    assert str(anyf.exception()) == "first"
    assert AnyFuture().result() == ()


def test_repr_names_state(loop: WorkflowLoop) -> None:
    f: Future[int] = Future()
    assert "pending" in repr(f)
    f.set_result(5)
    assert "result=5" in repr(f)
