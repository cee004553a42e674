"""Hand-built activations with the attributes of botoflowx._replay's Activation and Job."""

from __future__ import annotations

import dataclasses
from typing import Any

from botoflowx.converter import default_converter
from botoflowx.workflow._instance import Command, WorkflowInstance

START_TIME = 1_700_000_000.0


@dataclasses.dataclass
class FakeJob:
    kind: str
    key: str = ""
    event_id: int = 0
    name: str | None = None
    payload: str | None = None
    reason: str | None = None
    details: str | None = None
    cause: str | None = None
    workflow_id: str | None = None
    run_id: str | None = None


@dataclasses.dataclass
class FakeActivation:
    jobs: list[FakeJob]
    time: float = START_TIME
    is_replaying: bool = False
    started_event_id: int = 3
    recorded_markers: list[tuple[str, str | None]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class FakeStarted:
    timestamp: float = START_TIME
    workflow_type_name: str = ""
    workflow_type_version: str = ""
    input: str | None = None
    task_list: str = "decider-list"
    task_priority: str | None = None
    child_policy: str = "TERMINATE"
    execution_start_to_close_timeout: str | None = "60"
    task_start_to_close_timeout: str | None = "30"
    tag_list: list[str] = dataclasses.field(default_factory=list)
    lambda_role: str | None = None
    continued_execution_run_id: str | None = None
    parent_workflow_id: str | None = None
    parent_run_id: str | None = None
    parent_initiated_event_id: int = 0


def dumps(value: Any) -> str:
    return default_converter().dumps(value)


def loads(text: str) -> Any:
    return default_converter().loads(text)


def input_of(*args: Any, **kwargs: Any) -> str:
    return dumps([list(args), kwargs])


class Driver:
    """Drives a WorkflowInstance like the decider does, one activation at a time."""

    def __init__(self, definition_cls: type, version: str = "1.0", **started: Any) -> None:
        metas = [m for m in definition_cls.__workflow_types__.values() if m.version == version]
        assert len(metas) == 1, metas
        self.meta = metas[0]
        self.instance = WorkflowInstance(
            definition_cls,
            self.meta,
            workflow_id="wf-1",
            run_id="run-1",
            started=FakeStarted(
                workflow_type_name=self.meta.name, workflow_type_version=version, **started
            ),
        )
        self.event_id = 0
        self.time = START_TIME

    def activate(
        self,
        *jobs: FakeJob,
        replaying: bool = False,
        advance: float = 1.0,
        markers: list[tuple[str, str | None]] | None = None,
        started_event_id: int | None = None,
    ) -> list[Command]:
        self.time += advance
        for job in jobs:
            self.event_id += 1
            job.event_id = job.event_id or self.event_id
        return self.instance.activate(
            FakeActivation(
                list(jobs),
                time=self.time,
                is_replaying=replaying,
                started_event_id=started_event_id or self.event_id + 2,
                recorded_markers=list(markers or []),
            )
        )

    def start(self, *args: Any, **kwargs: Any) -> list[Command]:
        return self.activate(FakeJob("workflow_started", payload=input_of(*args, **kwargs)))


def summary(commands: list[Command]) -> list[tuple[str, str, str]]:
    return [(c.decision_type, c.key, c.name) for c in commands]


def attrs(command: Command) -> dict[str, Any]:
    (value,) = (v for k, v in command.decision.items() if k != "decisionType")
    return value


def completed(key: str, value: Any) -> FakeJob:
    return FakeJob("activity_completed", key=key, payload=dumps(value))
