"""Finding workflow definitions and activity objects in the modules named on the command line."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from botoflowx._cli._common import UsageError


@dataclass
class Hosted:
    """What a ``MODULE[:NAME ...]`` list names.

    Attributes:
        workflows: ``WorkflowDefinition`` subclasses.
        activities: Activity objects (instances; classes are instantiated).
    """

    workflows: list[type] = field(default_factory=list)
    activities: list[Any] = field(default_factory=list)

    def describe(self) -> str:
        """``"workflows A, B; activities C"`` for logs."""
        names = [
            f"workflows {', '.join(sorted(w.__name__ for w in self.workflows)) or '-'}",
            f"activities {', '.join(sorted(type(a).__name__ for a in self.activities)) or '-'}",
        ]
        return "; ".join(names)


def load(specs: Sequence[str]) -> Hosted:
    """Import the modules of ``specs`` and collect what they name.

    A spec is ``module`` (every workflow definition and activities class or
    object defined in it) or ``module:Name`` / ``module:A,B`` (only those).
    The current directory is importable, as with ``python -m``.

    Raises:
        UsageError: A module cannot be imported, a name is missing or is not a
            workflow definition or activities object, or nothing was found.
    """
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    hosted = Hosted()
    seen: set[int] = set()
    for spec in specs:
        module_name, _, names = spec.partition(":")
        if not module_name:
            raise UsageError(f"{spec!r} names no module (expected MODULE or MODULE:NAME)")
        module = _import(module_name)
        if names:
            for name in (n.strip() for n in names.split(",")):
                if not name:
                    continue
                if not hasattr(module, name):
                    raise UsageError(f"module {module_name} has no {name!r}")
                if not _add(hosted, getattr(module, name), seen):
                    raise UsageError(
                        f"{module_name}:{name} is neither a WorkflowDefinition subclass with "
                        "@execute methods nor an object or class with @activity methods"
                    )
        else:
            before = len(hosted.workflows) + len(hosted.activities)
            _add_all(hosted, module, seen)
            if len(hosted.workflows) + len(hosted.activities) == before:
                raise UsageError(
                    f"module {module_name} defines no workflow definitions or activities"
                )
    return hosted


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise UsageError(
                f"cannot import {name!r}: no module named {exc.name!r} (run from the directory "
                "that holds it, or add it to PYTHONPATH)"
            ) from None
        raise _import_failure(name) from exc
    except Exception as exc:
        raise _import_failure(name) from exc


def _import_failure(name: str) -> UsageError:
    # The user's module raised: its own traceback is what they need to see.
    detail = "".join(traceback.format_exc(limit=-3))
    return UsageError(f"importing {name!r} failed:\n{detail.rstrip()}")


def _is_workflow(obj: Any) -> bool:
    types = getattr(obj, "__workflow_types__", None)
    return isinstance(obj, type) and isinstance(types, dict) and bool(types)


def _activity_types(obj: Any) -> dict[Any, Any]:
    from botoflowx.activity._meta import collect_activities

    if isinstance(obj, ModuleType) or (not isinstance(obj, type) and callable(obj)):
        return {}
    try:
        return collect_activities(obj)
    except Exception:  # not an activities object at all
        return {}


def _add(hosted: Hosted, obj: Any, seen: set[int]) -> bool:
    if _is_workflow(obj):
        if id(obj) not in seen:
            seen.add(id(obj))
            hosted.workflows.append(obj)
        return True
    if not _activity_types(obj):
        return False
    if isinstance(obj, type):
        if id(obj) in seen:
            return True
        seen.add(id(obj))
        try:
            instance = obj()
        except TypeError as exc:
            raise UsageError(
                f"the activities class {obj.__name__} cannot be created without arguments "
                f"({exc}); create an instance in its module and name it: MODULE:instance_name"
            ) from None
        hosted.activities.append(instance)
    else:
        if id(obj) in seen:
            return True
        seen.add(id(obj))
        seen.add(id(type(obj)))
        hosted.activities.append(obj)
    return True


def _add_all(hosted: Hosted, module: ModuleType, seen: set[int]) -> None:
    members = list(vars(module).values())
    # Instances first: a module that made its own activities object (with
    # constructor arguments) wants that one, not a second made from its class.
    instances = [m for m in members if not isinstance(m, type)]
    classes = [m for m in members if isinstance(m, type) and m.__module__ == module.__name__]
    for obj in instances:
        if _activity_types(obj) and getattr(type(obj), "__module__", None) is not None:
            _add(hosted, obj, seen)
    for cls in classes:
        _add(hosted, cls, seen)
