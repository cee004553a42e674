"""Type registration: every listing page is read, only missing types are registered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from botoflowx.worker._registration import existing_types, register_missing


@dataclass
class Meta:
    name: str
    version: str
    skip_registration: bool = False

    def registration_kwargs(self, task_list: str | None = None) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "defaultTaskList": {"name": task_list},
            "defaultTaskStartToCloseTimeout": "30",
        }


class PagingClient:
    """Lists activity types two per page, like SWF with a small page size."""

    def __init__(self, registered: list[tuple[str, str]], race: set[str] | None = None) -> None:
        self.registered = list(registered)
        self.deprecated: list[tuple[str, str]] = []
        self.race = race or set()
        self.list_calls: list[dict[str, Any]] = []
        self.register_calls: list[dict[str, Any]] = []

    def list_activity_types(self, **kwargs: Any) -> dict[str, Any]:
        self.list_calls.append(kwargs)
        source = (
            self.registered if kwargs["registrationStatus"] == "REGISTERED" else self.deprecated
        )
        start = int(kwargs.get("nextPageToken") or 0)
        infos = [
            {"activityType": {"name": n, "version": v}, "status": kwargs["registrationStatus"]}
            for n, v in source[start : start + 2]
        ]
        page: dict[str, Any] = {"typeInfos": infos}
        if start + 2 < len(source):
            page["nextPageToken"] = str(start + 2)
        return page

    def register_activity_type(self, **kwargs: Any) -> None:
        self.register_calls.append(kwargs)
        if kwargs["name"] in self.race:
            raise ClientError(
                {"Error": {"Code": "TypeAlreadyExistsFault", "Message": "exists"}},
                "RegisterActivityType",
            )


def test_reads_every_page() -> None:
    client = PagingClient([(f"a{i}", "1") for i in range(7)])
    found = existing_types(client, "d", "activity")
    assert set(found) == {(f"a{i}", "1") for i in range(7)}
    assert [
        c.get("nextPageToken") for c in client.list_calls if c["registrationStatus"] == "REGISTERED"
    ] == [
        None,
        "2",
        "4",
        "6",
    ]


def test_registers_only_missing_types_by_name_and_version() -> None:
    # The one we need sits on the LAST page, and another version of it exists.
    client = PagingClient([(f"a{i}", "1") for i in range(5)] + [("Acts.x", "1.0")])
    metas = [Meta("Acts.x", "1.0"), Meta("Acts.x", "2.0"), Meta("Acts.y", "1.0", True)]
    registered = register_missing(client, "d", "activity", metas, "tl")
    assert registered == [("Acts.x", "2.0")]
    assert client.register_calls == [
        {
            "domain": "d",
            "name": "Acts.x",
            "version": "2.0",
            "defaultTaskList": {"name": "tl"},
            "defaultTaskStartToCloseTimeout": "30",
        }
    ]


def test_tolerates_a_concurrent_registration_but_not_other_errors() -> None:
    client = PagingClient([], race={"Acts.x"})
    assert register_missing(client, "d", "activity", [Meta("Acts.x", "1")], "tl") == []

    class Refusing(PagingClient):
        def register_activity_type(self, **kwargs: Any) -> None:
            raise ClientError(
                {"Error": {"Code": "UnknownResourceFault", "Message": "no domain"}},
                "RegisterActivityType",
            )

    with pytest.raises(ClientError):
        register_missing(Refusing([]), "d", "activity", [Meta("Acts.x", "1")], "tl")


def test_deprecated_types_are_not_registered_again() -> None:
    client = PagingClient([])
    client.deprecated = [("Acts.x", "1")]
    assert register_missing(client, "d", "activity", [Meta("Acts.x", "1")], "tl") == []
    assert client.register_calls == []
