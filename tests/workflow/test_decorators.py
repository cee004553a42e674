"""Decorators and metadata: type names, prefixes, subclassing, registration kwargs."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from botoflowx.activity._decorators import activities, activity, manual_activity
from botoflowx.activity._meta import ActivityType, collect_activities
from botoflowx.constants import CHILD_ABANDON, HOURS, MINUTES, USE_WORKER_TASK_LIST
from botoflowx.exceptions import NotInWorkflowError, WorkflowDefinitionError
from botoflowx.workflow import WorkflowDefinition, execute, signal, workflow


class PlainActs:
    @activity(version="1.0", start_to_close_timeout=60)
    def get_name(self) -> str:
        return "World"

    @activity("2.0", name="custom.Name", schedule_to_close_timeout=2.5)
    def renamed(self, x: int) -> int:
        """Doubles x."""
        return x * 2


@activities(
    task_list="acts-list",
    activity_name_prefix="svc.",
    heartbeat_timeout=30,
    start_to_close_timeout=5 * MINUTES,
    task_priority=3,
)
class PrefixedActs:
    @activity("1.0")
    def fetch(self, url: str) -> str:
        return url

    @activity("1.0", start_to_close_timeout=10, task_list="other")
    def own(self) -> None:
        return None

    @manual_activity("1.0")
    def approve(self) -> None:
        return None


@activities(schedule_to_start_timeout=99)
class SubActs(PrefixedActs):
    @activity("1.0")
    def extra(self) -> int:
        return 1


def test_default_names_and_plain_methods_outside_a_workflow() -> None:
    metas = collect_activities(PlainActs)
    assert set(metas) == {("PlainActs.get_name", "1.0"), ("custom.Name", "2.0")}
    # Outside a workflow the attribute is the plain code.
    assert PlainActs().get_name() == "World"
    assert PlainActs.renamed(PlainActs(), 4) == 8


def test_registration_kwargs_send_what_is_set_and_no_limit_for_unset_timeouts() -> None:
    meta = collect_activities(PlainActs())[("custom.Name", "2.0")]
    assert meta.method_name == "renamed" and meta.manual is False
    assert meta.description == "Doubles x."
    assert meta.registration_kwargs() == {
        "name": "custom.Name",
        "version": "2.0",
        "description": "Doubles x.",
        "defaultTaskScheduleToCloseTimeout": "3",
        # Unset timeouts register as "no limit" so scheduling never fails with
        # DEFAULT_*_UNDEFINED when the code set only some of them.
        "defaultTaskHeartbeatTimeout": "NONE",
        "defaultTaskScheduleToStartTimeout": "NONE",
        "defaultTaskStartToCloseTimeout": "NONE",
    }
    # The worker's task list stands in for USE_WORKER_TASK_LIST.
    assert meta.task_list is USE_WORKER_TASK_LIST
    assert meta.registration_kwargs("wl")["defaultTaskList"] == {"name": "wl"}


def test_prefix_and_class_defaults() -> None:
    metas = collect_activities(PrefixedActs)
    fetch = metas[("svc.PrefixedActs.fetch", "1.0")]
    assert fetch.task_list == "acts-list"
    assert fetch.heartbeat_timeout == 30 and fetch.start_to_close_timeout == 300
    assert fetch.task_priority == 3
    own = metas[("svc.PrefixedActs.own", "1.0")]
    assert own.start_to_close_timeout == 10 and own.task_list == "other"
    assert metas[("svc.PrefixedActs.approve", "1.0")].manual is True
    assert fetch.registration_kwargs() == {
        "name": "svc.PrefixedActs.fetch",
        "version": "1.0",
        "defaultTaskList": {"name": "acts-list"},
        "defaultTaskPriority": "3",
        "defaultTaskHeartbeatTimeout": "30",
        "defaultTaskStartToCloseTimeout": "300",
        "defaultTaskScheduleToStartTimeout": "NONE",
        "defaultTaskScheduleToCloseTimeout": "NONE",
    }


def test_activities_on_a_subclass_inherits_and_renames() -> None:
    metas = collect_activities(SubActs)
    assert set(metas) == {
        ("svc.SubActs.fetch", "1.0"),
        ("svc.SubActs.own", "1.0"),
        ("svc.SubActs.approve", "1.0"),
        ("svc.SubActs.extra", "1.0"),
    }
    extra = metas[("svc.SubActs.extra", "1.0")]
    assert extra.task_list == "acts-list" and extra.schedule_to_start_timeout == 99
    # The base class keeps its own names.
    assert ("svc.PrefixedActs.fetch", "1.0") in collect_activities(PrefixedActs)


def test_bind_runs_the_code_on_the_object() -> None:
    meta = collect_activities(PlainActs)[("PlainActs.get_name", "1.0")]
    assert meta.bind(PlainActs())() == "World"
    assert meta.bind(PlainActs)() == "World"


def test_long_descriptions_are_truncated() -> None:
    class Verbose:
        @activity("1.0", description="x" * 2000)
        def run(self) -> None:
            return None

    meta = collect_activities(Verbose)[("Verbose.run", "1.0")]
    assert len(meta.registration_kwargs()["description"]) == 1024


def test_duplicate_activity_types_are_rejected() -> None:
    with pytest.raises(WorkflowDefinitionError, match="twice"):

        @activities()
        class Dup:
            @activity("1.0", name="same")
            def a(self) -> None:
                return None

            @activity("1.0", name="same")
            def b(self) -> None:
                return None


def test_activity_decorator_misuse() -> None:
    with pytest.raises(WorkflowDefinitionError, match="needs a version"):
        activity(lambda self: None)
    with pytest.raises(WorkflowDefinitionError, match="start_to_close_timeout"):
        activity("1.0", start_to_close_timeout=-1)
    with pytest.raises(WorkflowDefinitionError, match="task_list"):
        activities(task_list="")


def test_activity_type_outside_a_workflow_says_where_it_belongs() -> None:
    remote = ActivityType("1.1", "Calc.sum", start_to_close_timeout=60)
    assert remote.meta.name == "Calc.sum" and remote.meta.start_to_close_timeout == 60
    with pytest.raises(NotInWorkflowError, match="workflow code"):
        remote(1, 2)


class BaseFlow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=HOURS)
    def run(self, x: int) -> Generator[Any, Any, int]:
        """Runs the flow."""
        yield None
        return x

    @signal()
    def poke(self) -> None:
        return None


class SubFlow(BaseFlow):
    @execute(version="2.0", execution_start_to_close_timeout=60, child_policy=CHILD_ABANDON)
    def run_v2(self) -> None:
        return None

    @signal(name="renamed_signal")
    def other(self, value: int) -> None:
        return None


@workflow("Named")
class NamedFlow(BaseFlow):
    pass


def test_metaclass_collects_execute_and_signals_from_bases() -> None:
    assert set(BaseFlow.__workflow_types__) == {("BaseFlow", "1.0")}
    assert set(SubFlow.__workflow_types__) == {("SubFlow", "1.0"), ("SubFlow", "2.0")}
    assert SubFlow.__workflow_methods__["run"].method_name == "run"
    assert set(SubFlow.__signals__) == {"poke", "renamed_signal"}
    assert SubFlow.__signals__["renamed_signal"].method_name == "other"
    assert set(NamedFlow.__workflow_types__) == {("Named", "1.0")}


def test_execute_meta_registration_kwargs() -> None:
    meta = BaseFlow.__workflow_types__[("BaseFlow", "1.0")]
    assert meta.description == "Runs the flow."
    assert meta.registration_kwargs("decider-list") == {
        "name": "BaseFlow",
        "version": "1.0",
        "description": "Runs the flow.",
        "defaultExecutionStartToCloseTimeout": "3600",
        "defaultTaskStartToCloseTimeout": "30",
        "defaultTaskList": {"name": "decider-list"},
        "defaultChildPolicy": "TERMINATE",
    }
    v2 = SubFlow.__workflow_types__[("SubFlow", "2.0")]
    kwargs = v2.registration_kwargs()
    assert kwargs["defaultChildPolicy"] == "ABANDON"
    assert "defaultTaskList" not in kwargs and "description" not in kwargs


def test_execute_outside_any_context_is_the_plain_method() -> None:
    gen = BaseFlow().run(5)
    assert next(gen) is None


def test_two_executes_with_one_version_are_rejected() -> None:
    with pytest.raises(WorkflowDefinitionError, match="twice"):

        class Clash(WorkflowDefinition):
            @execute(version="1.0", execution_start_to_close_timeout=60)
            def a(self) -> None:
                return None

            @execute(version="1.0", execution_start_to_close_timeout=60)
            def b(self) -> None:
                return None


def test_execute_and_signal_misuse() -> None:
    with pytest.raises(WorkflowDefinitionError, match="child_policy"):
        execute("1.0", 60, child_policy="KILL")
    with pytest.raises(WorkflowDefinitionError, match="version"):
        execute("", 60)
    with pytest.raises(WorkflowDefinitionError, match="parentheses"):
        signal(lambda self: None)  # type: ignore[arg-type]


def test_workflow_state_is_validated() -> None:
    flow = BaseFlow()
    assert flow.workflow_execution == (None, None)
    flow.workflow_state = "halfway"
    assert flow.workflow_state == "halfway"
    with pytest.raises(TypeError):
        flow.workflow_state = 3  # type: ignore[assignment]
    with pytest.raises(ValueError, match="32768"):
        flow.workflow_state = "x" * 40_000
