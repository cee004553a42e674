"""Threaded executors with a fake worker: backpressure, resilience and stop() semantics."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from botoflowx.client._backoff import Backoff
from botoflowx.worker import WorkflowWorker
from botoflowx.worker._executor import ThreadedActivityExecutor
from botoflowx.workflow import WorkflowDefinition, execute


class FakeWorker:
    """A worker whose polls and tasks are scripted by the test."""

    task_list = "fake-tl"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.registered = 0
        self.polls_started = 0
        self.busy = 0  # polls in progress + tasks running
        self.max_busy = 0
        self.handled: list[object] = []
        self.poll_script: list[object] = []  # items: task, None, or an exception to raise
        self.poll_gate: threading.Event | None = None
        self.task_gate: threading.Event | None = None
        self.fail_tasks: set[object] = set()
        self.prepared = 0
        self.prepare_error: Exception | None = None

    def ensure_registered(self) -> None:
        self.registered += 1

    def prepare(self) -> None:
        self.prepared += 1
        if self.prepare_error is not None:
            raise self.prepare_error

    def _enter(self) -> None:
        with self.lock:
            self.busy += 1
            self.max_busy = max(self.max_busy, self.busy)

    def _leave(self) -> None:
        with self.lock:
            self.busy -= 1

    def poll(self) -> object:
        with self.lock:
            self.polls_started += 1
            item = self.poll_script.pop(0) if self.poll_script else None
        self._enter()
        try:
            if self.poll_gate is not None:
                self.poll_gate.wait(10)
            else:
                time.sleep(0.005)
            if isinstance(item, BaseException):
                raise item
            return item
        finally:
            self._leave()

    def handle(self, task: object) -> None:
        self._enter()
        try:
            if self.task_gate is not None:
                self.task_gate.wait(10)
            if task in self.fail_tasks:
                raise RuntimeError(f"task {task} blew up")
            with self.lock:
                self.handled.append(task)
        finally:
            self._leave()


def wait_until(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def test_start_prepares_the_worker_before_polling_and_fails_on_unusable_settings() -> None:
    worker = FakeWorker()
    worker.prepare_error = ValueError("proxy socks5://p: only http:// proxies are supported")
    executor = ThreadedActivityExecutor(worker)
    with pytest.raises(ValueError, match="only http:// proxies"):
        executor.start()
    assert (worker.registered, worker.prepared, worker.polls_started) == (1, 1, 0)
    worker.prepare_error = None  # fixed: the next start prepares again and polls
    executor.start()
    try:
        wait_until(lambda: worker.polls_started > 0)
        assert worker.prepared == 2
    finally:
        executor.stop()
        assert executor.join(10)


class Hello(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Any:
        return "hello"
        yield


def test_a_worker_prepares_its_transport_once_and_retries_after_a_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # No network call: building the transport only resolves settings.
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    worker = WorkflowWorker(None, "us-east-1", "d", "tl", Hello, endpoint_url="https://127.0.0.1:9")
    try:
        with pytest.raises(OSError):
            worker.prepare()
        monkeypatch.delenv("AWS_CA_BUNDLE")
        worker.prepare()
        transport = worker.transport
        worker.prepare()
        assert worker.transport is transport
    finally:
        worker.close()


def test_backoff_grows_to_the_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(0.1, 1.0, rng=random.Random(7))
    assert [backoff.ceiling(n) for n in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    delays = [backoff.next_delay() for _ in range(50)]
    assert all(0.0 <= d <= 1.0 for d in delays)
    assert len(set(delays)) > 40  # jittered, not fixed
    assert backoff.attempt == 50
    backoff.reset()
    assert backoff.attempt == 0
    assert backoff.next_delay() <= 0.1
    assert backoff.ceiling(10_000) == 1.0


def test_pollers_poll_only_when_a_slot_is_free() -> None:
    worker = FakeWorker()
    worker.poll_script = list(range(40))
    worker.task_gate = threading.Event()
    executor = ThreadedActivityExecutor(worker)
    executor.start(pollers=4, workers=2)
    try:
        # Two tasks are held; no poller may poll while both slots are taken.
        wait_until(lambda: executor.in_flight == 2)
        polls = worker.polls_started
        time.sleep(0.5)
        assert worker.polls_started == polls
        assert worker.max_busy <= 2
        worker.task_gate.set()
        wait_until(lambda: len(worker.handled) == 40)
    finally:
        worker.task_gate.set()
        executor.stop(wait=True, timeout=10)
    assert worker.max_busy <= 2
    assert sorted(worker.handled) == list(range(40))  # type: ignore[type-var]
    assert worker.registered == 1


def test_pollers_survive_poll_errors_and_task_errors() -> None:
    worker = FakeWorker()
    worker.poll_script = [
        ConnectionError("reset"),
        RuntimeError("throttled"),
        "a",
        ValueError("bad page"),
        "b",
        "c",
    ]
    worker.fail_tasks = {"b"}
    executor = ThreadedActivityExecutor(worker)
    executor.start(pollers=1, workers=1)
    try:
        wait_until(lambda: worker.handled == ["a", "c"])
        assert executor.is_running
    finally:
        assert executor.stop(wait=True, timeout=10)
    assert not executor.is_running


def test_stop_lets_an_in_flight_poll_finish_and_runs_its_task() -> None:
    worker = FakeWorker()
    worker.poll_script = ["late-task"]
    worker.poll_gate = threading.Event()
    executor = ThreadedActivityExecutor(worker)
    executor.start(pollers=1)
    wait_until(lambda: worker.busy == 1)  # the poll is in flight

    executor.stop()
    # stop() never cuts a poll off: it is still in flight and nothing finished.
    assert not executor.join(timeout=0.3)
    assert executor.is_running
    assert worker.handled == []

    worker.poll_gate.set()  # the long poll returns a task after stop()
    assert executor.join(timeout=10)
    assert worker.handled == ["late-task"]
    assert worker.polls_started == 1  # no new poll after stop()
    assert not executor.is_running


def test_stop_waits_for_tasks_in_flight() -> None:
    worker = FakeWorker()
    worker.poll_script = ["slow"]
    worker.task_gate = threading.Event()
    executor = ThreadedActivityExecutor(worker)
    executor.start(pollers=1)
    wait_until(lambda: executor.in_flight == 1)
    assert not executor.stop(wait=True, timeout=0.3)
    worker.task_gate.set()
    assert executor.join(timeout=10)
    assert worker.handled == ["slow"]


def test_start_twice_is_an_error_and_bad_sizes_are_rejected() -> None:
    executor = ThreadedActivityExecutor(FakeWorker())
    with pytest.raises(ValueError):
        executor.start(pollers=0)
    with pytest.raises(ValueError):
        executor.start(pollers=1, workers=0)
    executor.start()
    try:
        with pytest.raises(RuntimeError):
            executor.start()
    finally:
        executor.stop(wait=True, timeout=10)
    # A stopped executor can be started again.
    executor.start()
    assert executor.stop(wait=True, timeout=10)


class ThreadRecordingWorker(FakeWorker):
    """Records the name of the thread each task ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[str] = []

    def handle(self, task: object) -> None:
        self.threads.append(threading.current_thread().name)
        super().handle(task)


@pytest.mark.parametrize(("pollers", "workers", "on_poller"), [(2, 2, True), (1, 3, False)])
def test_tasks_run_on_the_poller_only_when_it_could_not_poll_meanwhile(
    pollers: int, workers: int, on_poller: bool
) -> None:
    worker = ThreadRecordingWorker()
    worker.poll_script = ["a", "b", "c", "d"]
    executor = ThreadedActivityExecutor(worker)  # type: ignore[arg-type]
    executor.start(pollers=pollers, workers=workers)
    try:
        wait_until(lambda: len(worker.handled) == 4)
    finally:
        executor.stop(wait=True, timeout=10)
    assert sorted(worker.handled) == ["a", "b", "c", "d"]
    assert all(("poller" in name) is on_poller for name in worker.threads), worker.threads
    assert executor.in_flight == 0
    # Slots bound the tasks running at once either way.
    assert worker.max_busy <= max(pollers, workers) + pollers
