"""The generator engine: return values, return_, nesting, exceptions, yield of lists."""

from __future__ import annotations

import traceback
from collections.abc import Generator
from typing import Any

import pytest

from botoflowx.exceptions import CancelledError, NotInWorkflowError
from botoflowx.workflow._coroutines import Return, Task, coroutine, return_
from botoflowx.workflow._futures import Future
from botoflowx.workflow._loop import WorkflowLoop


def run(loop: WorkflowLoop, gen: Generator[Any, Any, Any]) -> Task:
    task = Task(gen, loop=loop)
    loop.run_until_idle()
    return task


def test_plain_return_is_the_result(loop: WorkflowLoop) -> None:
    def body() -> Generator[Any, Any, int]:
        x = yield Future.with_result(2)
        return x * 21

    assert run(loop, body()).result() == 42


def test_return_and_return_shim(loop: WorkflowLoop) -> None:
    def with_return() -> Generator[Any, Any, None]:
        yield None
        raise Return(1, 2)

    def with_return_() -> Generator[Any, Any, None]:
        yield None
        return_("v")

    assert run(loop, with_return()).result() == (1, 2)
    assert run(loop, with_return_()).result() == "v"


def test_waits_until_the_future_is_resolved(loop: WorkflowLoop) -> None:
    gate: Future[str] = Future()

    def body() -> Generator[Any, Any, str]:
        value = yield gate
        return value + "!"

    task = run(loop, body())
    assert not task.done()
    gate.set_result("hi")
    loop.run_until_idle()
    assert task.result() == "hi!"


def test_exception_is_raised_at_the_yield(loop: WorkflowLoop) -> None:
    def body() -> Generator[Any, Any, str]:
        try:
            yield Future.with_exception(ValueError("boom"))
        except ValueError as exc:
            return f"caught {exc}"
        return "not reached"

    assert run(loop, body()).result() == "caught boom"


def test_uncaught_exception_fails_the_task_with_a_useful_traceback(loop: WorkflowLoop) -> None:
    def inner_helper() -> Generator[Any, Any, None]:
        yield None
        raise KeyError("deep")

    @coroutine
    def helper() -> Generator[Any, Any, None]:
        yield from inner_helper()

    def body() -> Generator[Any, Any, None]:
        yield helper()

    task = run(loop, body())
    exc = task.exception()
    assert isinstance(exc, KeyError)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    assert "inner_helper" in text and "body" in text


def test_nested_coroutines_run_concurrently(loop: WorkflowLoop) -> None:
    order: list[str] = []
    gate_a: Future[None] = Future()
    gate_b: Future[None] = Future()

    @coroutine
    def worker(name: str, gate: Future[None]) -> Generator[Any, Any, str]:
        order.append(f"start {name}")
        yield gate
        order.append(f"end {name}")
        return name.upper()

    def body() -> Generator[Any, Any, tuple[str, str]]:
        results = yield [worker("a", gate_a), worker("b", gate_b)]
        return results

    task = run(loop, body())
    assert order == ["start a", "start b"]
    gate_b.set_result(None)
    loop.run_until_idle()
    gate_a.set_result(None)
    loop.run_until_idle()
    assert order == ["start a", "start b", "end b", "end a"]
    assert task.result() == ("A", "B")


def test_yield_tuple_means_all_future(loop: WorkflowLoop) -> None:
    def body() -> Generator[Any, Any, Any]:
        return (yield (Future.with_result(1), Future.with_result(2)))

    assert run(loop, body()).result() == (1, 2)


def test_yielding_a_non_future_raises_type_error_into_the_generator(loop: WorkflowLoop) -> None:
    def body() -> Generator[Any, Any, str]:
        try:
            yield 42
        except TypeError as exc:
            return str(exc)
        return ""

    assert "yield a Future" in run(loop, body()).result()


def test_coroutine_on_methods_and_with_parentheses(loop: WorkflowLoop) -> None:
    class Helper:
        factor = 3

        @coroutine()
        def triple(self, x: int) -> Generator[Any, Any, int]:
            y = yield Future.with_result(x)
            return y * self.factor

        @coroutine
        def plain(self, x: int) -> int:
            return x + 1

    def body() -> Generator[Any, Any, Any]:
        h = Helper()
        return (yield h.triple(2), h.plain(1))

    assert run(loop, body()).result() == (6, 2)


def test_coroutine_outside_a_workflow_says_where_it_belongs() -> None:
    @coroutine
    def helper() -> Generator[Any, Any, None]:
        yield None

    with pytest.raises(NotInWorkflowError, match="workflow code"):
        helper()


def test_cancel_raises_into_the_generator(loop: WorkflowLoop) -> None:
    gate: Future[None] = Future()

    def body() -> Generator[Any, Any, str]:
        try:
            yield gate
        except CancelledError:
            return "cleaned up"
        return "not reached"

    task = run(loop, body())
    assert task.cancel()
    loop.run_until_idle()
    assert task.result() == "cleaned up"
    assert not gate.done()


def test_uncaught_cancel_cancels_the_task(loop: WorkflowLoop) -> None:
    def body() -> Generator[Any, Any, None]:
        yield Future()

    task = run(loop, body())
    task.cancel()
    loop.run_until_idle()
    assert task.cancelled()
    assert task.cancel() is False
