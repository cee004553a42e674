"""Domains, workflow and activity types, and domain tags: register, describe, list, retire."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from botoflowx.server._faults import (
    DomainAlreadyExistsFault,
    DomainDeprecatedFault,
    LimitExceededFault,
    TooManyTagsFault,
    TypeAlreadyExistsFault,
    TypeDeprecatedFault,
    TypeNotDeprecatedFault,
    UnknownResourceFault,
)
from botoflowx.server._limits import (
    MAX_DOMAIN_TAGS,
    MAX_EXECUTION_SECONDS,
    MAX_RETENTION_DAYS,
    FieldErrors,
    page_size,
)
from botoflowx.server._store import Tx
from botoflowx.server._tokens import PageTokens, fingerprint

__all__ = ["ACCOUNT_ID", "Registry", "domain_arn", "require_domain", "type_config"]

#: The account id shown in ARNs; the embedded server has exactly one account.
ACCOUNT_ID = "123456789012"
MAX_DOMAINS = 100
MAX_TYPES_PER_DOMAIN = 10_000

# kind -> (request member naming the type, label used in messages)
_KINDS = {
    "workflow": ("workflowType", "WorkflowType"),
    "activity": ("activityType", "ActivityType"),
}

_WORKFLOW_DEFAULTS = (
    "defaultTaskStartToCloseTimeout",
    "defaultExecutionStartToCloseTimeout",
    "defaultTaskList",
    "defaultTaskPriority",
    "defaultChildPolicy",
    "defaultLambdaRole",
)
_ACTIVITY_DEFAULTS = (
    "defaultTaskStartToCloseTimeout",
    "defaultTaskHeartbeatTimeout",
    "defaultTaskList",
    "defaultTaskPriority",
    "defaultTaskScheduleToStartTimeout",
    "defaultTaskScheduleToCloseTimeout",
)
_DURATION_DEFAULTS = frozenset(
    {
        "defaultTaskStartToCloseTimeout",
        "defaultExecutionStartToCloseTimeout",
        "defaultTaskHeartbeatTimeout",
        "defaultTaskScheduleToStartTimeout",
        "defaultTaskScheduleToCloseTimeout",
    }
)


def domain_arn(region: str, name: str) -> str:
    """Return a domain's ARN, ``arn:aws:swf:<region>:<account>:/domain/<name>``."""
    return f"arn:aws:swf:{region}:{ACCOUNT_ID}:/domain/{name}"


def require_domain(tx: Tx, region: str, name: str) -> sqlite3.Row:
    """Return a domain row.

    Raises:
        UnknownResourceFault: if the domain does not exist in ``region``.
    """
    row = tx.one("SELECT * FROM domains WHERE region = ? AND name = ?", (region, name))
    if row is None:
        raise UnknownResourceFault(f"Unknown domain: {name}")
    return row


def type_label(kind: str, name: str, version: str) -> str:
    """Return a type as SWF names it in messages (``WorkflowType=[name=n, version=v]``)."""
    return f"{_KINDS[kind][1]}=[name={name}, version={version}]"


def get_type(
    tx: Tx, region: str, domain: str, kind: str, name: str, version: str
) -> sqlite3.Row | None:
    """Return a registered (or deprecated) type row, or None."""
    key = (region, domain, kind, name, version)
    try:
        return tx.type_cache[key]
    except KeyError:
        pass
    row = tx.one(
        "SELECT * FROM types WHERE region = ? AND domain = ? AND kind = ? AND name = ?"
        " AND version = ?",
        key,
    )
    tx.type_cache[key] = row
    return row


def _write_types(tx: Tx, sql: str, params: tuple[Any, ...]) -> None:
    """Run a statement that changes the types table, dropping the cached type rows."""
    tx.run(sql, params)
    tx.type_cache.clear()


def type_config(row: sqlite3.Row) -> dict[str, Any]:
    """Return a type's default configuration as given at registration."""
    config: dict[str, Any] = orjson.loads(row["config"])
    return config


class Registry:
    """The registration operations (domains, types, tags)."""

    def __init__(self, tokens: PageTokens) -> None:
        self._tokens = tokens

    # -- domains ---------------------------------------------------------------------

    def register_domain(self, tx: Tx, params: dict[str, Any], region: str) -> None:
        """RegisterDomain."""
        name = params["name"]
        errors = FieldErrors()
        retention = params["workflowExecutionRetentionPeriodInDays"]
        days = errors.duration(retention, "workflowExecutionRetentionPeriodInDays")
        if days is not None and days > MAX_RETENTION_DAYS:
            errors.add(
                retention,
                "workflowExecutionRetentionPeriodInDays",
                f"Member must be less than or equal to {MAX_RETENTION_DAYS}",
            )
        errors.raise_if_any()
        tags = params.get("tags") or []
        if len({t["key"] for t in tags}) > MAX_DOMAIN_TAGS:
            raise TooManyTagsFault(f"A resource can have at most {MAX_DOMAIN_TAGS} tags")
        if tx.one("SELECT 1 FROM domains WHERE region = ? AND name = ?", (region, name)):
            raise DomainAlreadyExistsFault(name)
        if tx.scalar("SELECT COUNT(*) FROM domains WHERE region = ?", (region,)) >= MAX_DOMAINS:
            raise LimitExceededFault(f"Limit of {MAX_DOMAINS} registered domains reached")
        tx.run(
            "INSERT INTO domains (region, name, status, description, retention, created)"
            " VALUES (?, ?, 'REGISTERED', ?, ?, ?)",
            (region, name, params.get("description"), retention, tx.now),
        )
        self._put_tags(tx, region, name, tags)

    def describe_domain(self, tx: Tx, params: dict[str, Any], region: str) -> dict[str, Any]:
        """DescribeDomain."""
        row = require_domain(tx, region, params["name"])
        return {
            "domainInfo": self._domain_info(row),
            "configuration": {"workflowExecutionRetentionPeriodInDays": row["retention"]},
        }

    @staticmethod
    def _domain_info(row: sqlite3.Row) -> dict[str, Any]:
        info: dict[str, Any] = {"name": row["name"], "status": row["status"]}
        if row["description"] is not None:
            info["description"] = row["description"]
        info["arn"] = domain_arn(row["region"], row["name"])
        return info

    def list_domains(self, tx: Tx, params: dict[str, Any], region: str) -> dict[str, Any]:
        """ListDomains (ascending by name unless ``reverseOrder``)."""
        status = params["registrationStatus"]
        reverse = bool(params.get("reverseOrder"))
        size = page_size(params)
        bound = fingerprint("ListDomains", region, status, reverse, size)
        after = None
        if params.get("nextPageToken"):
            after = self._tokens.check(params["nextPageToken"], "domains", bound, tx.now)["a"]
        op, order = ("<", "DESC") if reverse else (">", "ASC")
        sql = "SELECT * FROM domains WHERE region = ? AND status = ?"
        args: list[Any] = [region, status]
        if after is not None:
            sql += f" AND name {op} ?"
            args.append(after)
        rows = tx.all(f"{sql} ORDER BY name {order} LIMIT ?", [*args, size + 1])
        result: dict[str, Any] = {"domainInfos": [self._domain_info(r) for r in rows[:size]]}
        if len(rows) > size:
            result["nextPageToken"] = self._tokens.issue(
                "domains", bound, {"a": rows[size - 1]["name"]}, tx.now
            )
        return result

    def deprecate_domain(self, tx: Tx, params: dict[str, Any], region: str) -> None:
        """DeprecateDomain; as documented, the domain's types are deprecated with it."""
        row = require_domain(tx, region, params["name"])
        if row["status"] == "DEPRECATED":
            raise DomainDeprecatedFault(f"Domain already deprecated: {row['name']}")
        tx.run(
            "UPDATE domains SET status = 'DEPRECATED' WHERE region = ? AND name = ?",
            (region, row["name"]),
        )
        _write_types(
            tx,
            "UPDATE types SET status = 'DEPRECATED', deprecated = ?"
            " WHERE region = ? AND domain = ? AND status = 'REGISTERED'",
            (tx.now, region, row["name"]),
        )

    def undeprecate_domain(self, tx: Tx, params: dict[str, Any], region: str) -> None:
        """UndeprecateDomain (its types stay deprecated until undeprecated one by one)."""
        row = require_domain(tx, region, params["name"])
        if row["status"] == "REGISTERED":
            raise DomainAlreadyExistsFault(f"Domain is not deprecated: {row['name']}")
        tx.run(
            "UPDATE domains SET status = 'REGISTERED' WHERE region = ? AND name = ?",
            (region, row["name"]),
        )

    # -- types -----------------------------------------------------------------------

    def register_type(self, tx: Tx, params: dict[str, Any], region: str, *, kind: str) -> None:
        """RegisterWorkflowType / RegisterActivityType."""
        domain = require_domain(tx, region, params["domain"])
        errors = FieldErrors()
        config: dict[str, Any] = {}
        for member in _WORKFLOW_DEFAULTS if kind == "workflow" else _ACTIVITY_DEFAULTS:
            value = params.get(member)
            if value is None:
                continue
            if member in _DURATION_DEFAULTS:
                # The one default that may not be NONE: every run must end within a year.
                errors.duration(
                    value,
                    member,
                    allow_none=member != "defaultExecutionStartToCloseTimeout",
                    maximum=MAX_EXECUTION_SECONDS,
                )
            elif member == "defaultTaskPriority":
                errors.priority(value, member)
            config[member] = value
        errors.raise_if_any()
        if domain["status"] == "DEPRECATED":
            raise DomainDeprecatedFault(f"Domain is deprecated: {domain['name']}")
        name, version = params["name"], params["version"]
        if get_type(tx, region, domain["name"], kind, name, version) is not None:
            raise TypeAlreadyExistsFault(type_label(kind, name, version))
        count = tx.scalar(
            "SELECT COUNT(*) FROM types WHERE region = ? AND domain = ? AND kind = ?",
            (region, domain["name"], kind),
        )
        if count >= MAX_TYPES_PER_DOMAIN:
            raise LimitExceededFault(
                f"Limit of {MAX_TYPES_PER_DOMAIN} {kind} types per domain reached"
            )
        _write_types(
            tx,
            "INSERT INTO types (region, domain, kind, name, version, status, description,"
            " created, config) VALUES (?, ?, ?, ?, ?, 'REGISTERED', ?, ?, ?)",
            (
                region,
                domain["name"],
                kind,
                name,
                version,
                params.get("description"),
                tx.now,
                orjson.dumps(config),
            ),
        )

    def _require_type(
        self, tx: Tx, params: dict[str, Any], region: str, *, kind: str
    ) -> sqlite3.Row:
        require_domain(tx, region, params["domain"])
        ref = params[_KINDS[kind][0]]
        row = get_type(tx, region, params["domain"], kind, ref["name"], ref["version"])
        if row is None:
            raise UnknownResourceFault(
                f"Unknown type: {type_label(kind, ref['name'], ref['version'])}"
            )
        return row

    def _type_info(self, kind: str, row: sqlite3.Row) -> dict[str, Any]:
        info: dict[str, Any] = {
            _KINDS[kind][0]: {"name": row["name"], "version": row["version"]},
            "status": row["status"],
        }
        if row["description"] is not None:
            info["description"] = row["description"]
        info["creationDate"] = row["created"]
        if row["deprecated"] is not None and row["status"] == "DEPRECATED":
            info["deprecationDate"] = row["deprecated"]
        return info

    def describe_type(
        self, tx: Tx, params: dict[str, Any], region: str, *, kind: str
    ) -> dict[str, Any]:
        """DescribeWorkflowType / DescribeActivityType."""
        row = self._require_type(tx, params, region, kind=kind)
        return {"typeInfo": self._type_info(kind, row), "configuration": type_config(row)}

    def list_types(
        self, tx: Tx, params: dict[str, Any], region: str, *, kind: str
    ) -> dict[str, Any]:
        """ListWorkflowTypes / ListActivityTypes (ascending by name, version)."""
        domain = require_domain(tx, region, params["domain"])["name"]
        status = params["registrationStatus"]
        name = params.get("name")
        reverse = bool(params.get("reverseOrder"))
        size = page_size(params)
        bound = fingerprint("ListTypes", kind, region, domain, status, name, reverse, size)
        sql = "SELECT * FROM types WHERE region = ? AND domain = ? AND kind = ? AND status = ?"
        args: list[Any] = [region, domain, kind, status]
        if name is not None:
            sql += " AND name = ?"
            args.append(name)
        op, order = ("<", "DESC") if reverse else (">", "ASC")
        if params.get("nextPageToken"):
            cursor = self._tokens.check(params["nextPageToken"], "types", bound, tx.now)
            sql += f" AND (name, version) {op} (?, ?)"
            args += [cursor["n"], cursor["v"]]
        rows = tx.all(f"{sql} ORDER BY name {order}, version {order} LIMIT ?", [*args, size + 1])
        result: dict[str, Any] = {"typeInfos": [self._type_info(kind, r) for r in rows[:size]]}
        if len(rows) > size:
            last = rows[size - 1]
            result["nextPageToken"] = self._tokens.issue(
                "types", bound, {"n": last["name"], "v": last["version"]}, tx.now
            )
        return result

    def deprecate_type(self, tx: Tx, params: dict[str, Any], region: str, *, kind: str) -> None:
        """DeprecateWorkflowType / DeprecateActivityType."""
        row = self._require_type(tx, params, region, kind=kind)
        if row["status"] == "DEPRECATED":
            raise TypeDeprecatedFault(type_label(kind, row["name"], row["version"]))
        self._set_type_status(tx, row, "DEPRECATED", tx.now)

    def undeprecate_type(self, tx: Tx, params: dict[str, Any], region: str, *, kind: str) -> None:
        """UndeprecateWorkflowType / UndeprecateActivityType."""
        row = self._require_type(tx, params, region, kind=kind)
        if row["status"] == "REGISTERED":
            raise TypeAlreadyExistsFault(type_label(kind, row["name"], row["version"]))
        self._set_type_status(tx, row, "REGISTERED", None)

    def delete_type(self, tx: Tx, params: dict[str, Any], region: str, *, kind: str) -> None:
        """DeleteWorkflowType / DeleteActivityType (only deprecated types)."""
        row = self._require_type(tx, params, region, kind=kind)
        if row["status"] != "DEPRECATED":
            raise TypeNotDeprecatedFault(type_label(kind, row["name"], row["version"]))
        _write_types(
            tx,
            "DELETE FROM types WHERE region = ? AND domain = ? AND kind = ? AND name = ?"
            " AND version = ?",
            (row["region"], row["domain"], kind, row["name"], row["version"]),
        )

    @staticmethod
    def _set_type_status(tx: Tx, row: sqlite3.Row, status: str, when: float | None) -> None:
        _write_types(
            tx,
            "UPDATE types SET status = ?, deprecated = ? WHERE region = ? AND domain = ?"
            " AND kind = ? AND name = ? AND version = ?",
            (status, when, row["region"], row["domain"], row["kind"], row["name"], row["version"]),
        )

    # -- tags ------------------------------------------------------------------------

    def _domain_of_arn(self, tx: Tx, arn: str, region: str) -> sqlite3.Row:
        prefix = f"arn:aws:swf:{region}:{ACCOUNT_ID}:/domain/"
        if not arn.startswith(prefix):
            raise UnknownResourceFault(f"Unknown resource: {arn}")
        row = tx.one(
            "SELECT * FROM domains WHERE region = ? AND name = ?", (region, arn[len(prefix) :])
        )
        if row is None:
            raise UnknownResourceFault(f"Unknown resource: {arn}")
        return row

    def _put_tags(self, tx: Tx, region: str, domain: str, tags: list[dict[str, Any]]) -> None:
        for tag in tags:
            tx.run(
                "INSERT OR REPLACE INTO domain_tags (region, domain, key, value)"
                " VALUES (?, ?, ?, ?)",
                (region, domain, tag["key"], tag.get("value")),
            )
        count = tx.scalar(
            "SELECT COUNT(*) FROM domain_tags WHERE region = ? AND domain = ?", (region, domain)
        )
        if count > MAX_DOMAIN_TAGS:
            raise TooManyTagsFault(f"A resource can have at most {MAX_DOMAIN_TAGS} tags")

    def tag_resource(self, tx: Tx, params: dict[str, Any], region: str) -> None:
        """TagResource (adds or overwrites; at most 50 tags per domain)."""
        row = self._domain_of_arn(tx, params["resourceArn"], region)
        self._put_tags(tx, region, row["name"], params["tags"])

    def untag_resource(self, tx: Tx, params: dict[str, Any], region: str) -> None:
        """UntagResource (unknown keys are ignored)."""
        row = self._domain_of_arn(tx, params["resourceArn"], region)
        for key in params["tagKeys"]:
            tx.run(
                "DELETE FROM domain_tags WHERE region = ? AND domain = ? AND key = ?",
                (region, row["name"], key),
            )

    def list_tags(self, tx: Tx, params: dict[str, Any], region: str) -> dict[str, Any]:
        """ListTagsForResource."""
        row = self._domain_of_arn(tx, params["resourceArn"], region)
        tags = []
        for tag in tx.all(
            "SELECT key, value FROM domain_tags WHERE region = ? AND domain = ? ORDER BY key",
            (region, row["name"]),
        ):
            item = {"key": tag["key"]}
            if tag["value"] is not None:
                item["value"] = tag["value"]
            tags.append(item)
        return {"tags": tags}
