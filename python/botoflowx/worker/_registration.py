"""Idempotent registration of workflow and activity types, reading every listing page."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from botoflowx.client._errors import error_code
from botoflowx.constants import USE_WORKER_TASK_LIST

log = logging.getLogger(__name__)

TypeKey = tuple[str, str]

_LISTING = {
    "workflow": ("list_workflow_types", "typeInfos", "workflowType"),
    "activity": ("list_activity_types", "typeInfos", "activityType"),
}


def existing_types(client: Any, domain: str, kind: str) -> dict[TypeKey, str]:
    """Every registered or deprecated type of ``kind`` in ``domain``.

    Args:
        client: A boto3 SWF client.
        domain: The domain to list.
        kind: ``"workflow"`` or ``"activity"``.

    Returns:
        ``{(name, version): status}`` over all pages of the listing
        (status ``"REGISTERED"`` or ``"DEPRECATED"``).
    """
    operation, items_key, type_key = _LISTING[kind]
    found: dict[TypeKey, str] = {}
    for status in ("REGISTERED", "DEPRECATED"):
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "domain": domain,
                "registrationStatus": status,
                "maximumPageSize": 1000,
            }
            if token:
                kwargs["nextPageToken"] = token
            page = getattr(client, operation)(**kwargs)
            for info in page.get(items_key, ()):
                swf_type = info[type_key]
                found[(swf_type["name"], swf_type["version"])] = info.get("status", status)
            token = page.get("nextPageToken")
            if not token:
                break
    return found


def with_worker_task_list(kwargs: Mapping[str, Any], task_list: str) -> dict[str, Any]:
    """Registration kwargs with the worker's task list wherever the type asks for it.

    A type declared with ``task_list=USE_WORKER_TASK_LIST`` (the default)
    registers the registering worker's task list as its default.
    """
    result = dict(kwargs)
    default = result.get("defaultTaskList")
    if default is None or default is USE_WORKER_TASK_LIST:
        result["defaultTaskList"] = {"name": task_list}
    elif isinstance(default, Mapping) and default.get("name") in (None, USE_WORKER_TASK_LIST):
        result["defaultTaskList"] = {"name": task_list}
    return result


def register_missing(
    client: Any,
    domain: str,
    kind: str,
    metas: Iterable[Any],
    task_list: str,
) -> list[TypeKey]:
    """Register the types among ``metas`` that ``domain`` does not know yet.

    Types marked ``skip_registration`` are left alone. A concurrent worker
    registering the same type first (``TypeAlreadyExistsFault``) is not an error.

    Args:
        client: A boto3 SWF client.
        domain: The domain.
        kind: ``"workflow"`` or ``"activity"``.
        metas: ``ExecuteMeta`` or ``ActivityMeta`` objects (``name``,
            ``version``, ``skip_registration``, ``registration_kwargs()``).
        task_list: The registering worker's task list.

    Returns:
        The ``(name, version)`` keys this call registered.
    """
    wanted = [m for m in metas if not getattr(m, "skip_registration", False)]
    if not wanted:
        return []
    existing = existing_types(client, domain, kind)
    register = getattr(
        client, "register_workflow_type" if kind == "workflow" else "register_activity_type"
    )
    registered: list[TypeKey] = []
    for meta in wanted:
        key = (meta.name, meta.version)
        status = existing.get(key)
        if status == "DEPRECATED":
            log.warning(
                "%s type %s version %s is deprecated in domain %s: SWF will not start new "
                "work of it; register a new version",
                kind,
                meta.name,
                meta.version,
                domain,
            )
            continue
        if status is not None:
            continue
        kwargs = with_worker_task_list(meta.registration_kwargs(task_list), task_list)
        kwargs.update(domain=domain, name=meta.name, version=meta.version)
        try:
            register(**kwargs)
        except Exception as exc:
            if error_code(exc) != "TypeAlreadyExistsFault":
                raise
            continue
        log.info(
            "registered %s type %s version %s in domain %s", kind, meta.name, meta.version, domain
        )
        registered.append(key)
    return registered
