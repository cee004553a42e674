"""GenericWorkflowWorker: a decider that finds workflow definitions by (name, version) on demand."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from botoflowx.client._swf import SessionLike
from botoflowx.worker._registration import TypeKey, register_missing
from botoflowx.worker._workflow_worker import WorkflowWorker
from botoflowx.workflow._definition import ExecuteMeta, WorkflowDefinition, execute

__all__ = ["DefinitionLookup", "GenericWorkflowWorker", "get_workflow_entrypoint"]

log = logging.getLogger(__name__)

# What ``get_workflow(name, version)`` may return (see GenericWorkflowWorker).
GetWorkflow = Callable[[str, str], Any]


def get_workflow_entrypoint(
    definition_cls: type[WorkflowDefinition], name: str, version: str
) -> tuple[type[WorkflowDefinition], ExecuteMeta, str]:
    """Return ``(definition_cls, execute_meta, method_name)`` for a type it declares.

    botoflow's helper for writing ``get_workflow`` functions.

    Raises:
        KeyError: ``definition_cls`` declares no workflow type ``(name, version)``.
    """
    types: dict[tuple[str, str], ExecuteMeta] = getattr(definition_cls, "__workflow_types__", {})
    meta = types.get((name, version))
    if meta is None:
        raise KeyError(
            f"{definition_cls.__qualname__} declares no workflow type {name!r} version "
            f"{version!r} (it declares {sorted(types) or 'none'})"
        )
    return definition_cls, meta, meta.method_name


def _resolve(found: Any, name: str, version: str) -> tuple[type, ExecuteMeta]:
    """Turn what ``get_workflow`` returned into ``(definition class, ExecuteMeta)``."""
    if found is None:
        raise KeyError((name, version))
    if isinstance(found, type):
        cls, meta, _ = get_workflow_entrypoint(found, name, version)
        return cls, meta
    if not isinstance(found, tuple) or len(found) not in (2, 3):
        raise TypeError(
            f"get_workflow({name!r}, {version!r}) returned {found!r}: return None, a "
            "WorkflowDefinition subclass, (cls, execute_meta) or (cls, execute_meta, "
            "method_name)"
        )
    cls = found[0]
    meta = found[1]
    if not isinstance(meta, ExecuteMeta):
        # botoflow's triple carried its own WorkflowType object; the method name is what
        # identifies the entry point here.
        method_name = found[2] if len(found) == 3 else None
        methods: dict[str, ExecuteMeta] = getattr(cls, "__workflow_methods__", {})
        if method_name not in methods:
            raise TypeError(
                f"get_workflow({name!r}, {version!r}) returned {found!r}, but "
                f"{getattr(cls, '__qualname__', cls)!r} has no @execute method "
                f"{method_name!r}"
            )
        meta = methods[method_name]
    if (meta.name, meta.version) != (name, version):
        # Serve the requested type with this code: continue-as-new and messages then
        # name the type the run really is.
        meta = dataclasses.replace(meta, name=name, version=version)
    return cls, meta


class DefinitionLookup(Mapping[TypeKey, tuple[type, ExecuteMeta]]):
    """A read-only mapping of ``(name, version)`` to definitions, filled by ``get_workflow``.

    Values are ``(definition class, ExecuteMeta)``, what the decider expects. Found
    definitions are cached for the worker's lifetime (the same code keeps serving the
    type, as on a plain WorkflowWorker); misses are asked again next time, so
    definitions deployed later are found. Iteration covers the definitions found so far.
    """

    def __init__(self, get_workflow: GetWorkflow) -> None:
        if not callable(get_workflow):
            raise TypeError(f"get_workflow must be callable, got {get_workflow!r}")
        self.get_workflow = get_workflow
        self._found: dict[TypeKey, tuple[type, ExecuteMeta]] = {}
        self._lock = threading.Lock()

    def __getitem__(self, key: TypeKey) -> tuple[type, ExecuteMeta]:
        with self._lock:
            entry = self._found.get(key)
        if entry is not None:
            return entry
        name, version = key
        # Called outside the lock: user code may be slow or do I/O. Two threads may
        # both look a type up; both get equivalent answers and the first is kept.
        try:
            found = self.get_workflow(name, version)
        except LookupError:
            raise KeyError(key) from None
        entry = _resolve(found, name, version)
        with self._lock:
            return self._found.setdefault(key, entry)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        try:
            self[key]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[TypeKey]:
        with self._lock:
            return iter(list(self._found))

    def __len__(self) -> int:
        with self._lock:
            return len(self._found)


class _Unhosted(WorkflowDefinition):
    """Satisfies WorkflowWorker's constructor, which wants one definition; never served."""

    @execute(version="unhosted", execution_start_to_close_timeout=1, skip_registration=True)
    def run(self) -> None:
        """Never runs: the generic worker replaces its definitions with a lookup."""


class GenericWorkflowWorker(WorkflowWorker):
    """A workflow worker that looks definitions up by (name, version) when a task comes.

    ``get_workflow(name, version)`` is called the first time a decision task of a type
    arrives; it returns one of:

    * ``None`` (or raises ``LookupError``): the type is unknown; the run is failed
      with a clear reason, as on a plain WorkflowWorker;
    * a ``WorkflowDefinition`` subclass that declares the type;
    * ``(cls, execute_meta)``, e.g. from :func:`get_workflow_entrypoint`;
    * botoflow's ``(cls, workflow_type, method_name)``: the method name picks the
      ``@execute`` method (``workflow_type`` may be anything, e.g. an ExecuteMeta).

    Any other exception leaves the task unanswered (logged): it times out and SWF
    hands it out again, so a lookup that fails for a moment does not fail the run.
    The code returned serves the requested type even if it declares another name or
    version. Under multiprocessing executors ``get_workflow`` must be a module-level
    function (it is pickled by reference).

    Args:
        session: A ``boto3.Session``, a ``botocore.session.Session`` or None.
        aws_region: The AWS region.
        domain: The SWF domain.
        task_list: The task list to poll.
        get_workflow: The lookup described above.
        register: Definitions whose types this worker registers on start (botoflow
            registered none; types may also be registered elsewhere).
        **options: Any other keyword of :class:`WorkflowWorker` (``endpoint_url``,
            ``register_domain``, ``identity``, cache settings...).
    """

    def __init__(
        self,
        session: SessionLike,
        aws_region: str | None,
        domain: str,
        task_list: str,
        get_workflow: GetWorkflow,
        *,
        register: Iterable[type[WorkflowDefinition]] = (),
        **options: Any,
    ) -> None:
        lookup = DefinitionLookup(get_workflow)
        super().__init__(session, aws_region, domain, task_list, _Unhosted, **options)
        self._definitions = lookup  # type: ignore[assignment]
        self._register: tuple[type[WorkflowDefinition], ...] = tuple(register)
        for definition in self._register:
            if not getattr(definition, "__workflow_types__", None):
                raise ValueError(f"{definition!r} is not a WorkflowDefinition with @execute")

    @property
    def get_workflow(self) -> GetWorkflow:
        """The lookup function this worker was built with."""
        lookup: DefinitionLookup = self._definitions  # type: ignore[assignment]
        return lookup.get_workflow

    def _register_types(self) -> None:
        metas = [meta for cls in self._register for meta in cls.__workflow_types__.values()]
        if metas:
            register_missing(self.client, self.domain, "workflow", metas, self.task_list)
