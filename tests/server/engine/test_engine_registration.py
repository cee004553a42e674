"""Registration: domains, types, tags, their faults and list paging."""

from __future__ import annotations

import pytest
from engine_support import Driver

from botoflowx.server._faults import (
    DomainAlreadyExistsFault,
    DomainDeprecatedFault,
    TooManyTagsFault,
    TypeAlreadyExistsFault,
    TypeDeprecatedFault,
    TypeNotDeprecatedFault,
    UnknownOperationException,
    UnknownResourceFault,
    ValidationException,
)

ARN = "arn:aws:swf:us-east-1:123456789012:/domain/dom"


def test_domain_lifecycle(swf: Driver) -> None:
    detail = swf("DescribeDomain", name="dom")
    assert detail["domainInfo"] == {"name": "dom", "status": "REGISTERED", "arn": ARN}
    assert detail["configuration"] == {"workflowExecutionRetentionPeriodInDays": "1"}
    with pytest.raises(DomainAlreadyExistsFault):
        swf("RegisterDomain", name="dom", workflowExecutionRetentionPeriodInDays="1")
    swf("DeprecateDomain", name="dom")
    with pytest.raises(DomainDeprecatedFault):
        swf("DeprecateDomain", name="dom")
    # Deprecating a domain deprecates its types and blocks new executions.
    assert (
        swf("DescribeWorkflowType", domain="dom", workflowType={"name": "wf", "version": "1"})[
            "typeInfo"
        ]["status"]
        == "DEPRECATED"
    )
    with pytest.raises(DomainDeprecatedFault):
        swf.start()
    swf("UndeprecateDomain", name="dom")
    with pytest.raises(DomainAlreadyExistsFault):
        swf("UndeprecateDomain", name="dom")
    with pytest.raises(UnknownResourceFault, match="Unknown domain: nope"):
        swf("DescribeDomain", name="nope")


def test_retention_is_checked(swf: Driver) -> None:
    with pytest.raises(ValidationException, match="workflowExecutionRetentionPeriodInDays"):
        swf("RegisterDomain", name="x", workflowExecutionRetentionPeriodInDays="91")
    with pytest.raises(ValidationException, match="non-negative integer"):
        swf("RegisterDomain", name="x", workflowExecutionRetentionPeriodInDays="ten")
    swf("RegisterDomain", name="x", workflowExecutionRetentionPeriodInDays="NONE")


def test_domains_are_per_region(swf: Driver) -> None:
    swf.engine.handle(
        "RegisterDomain",
        {"name": "dom", "workflowExecutionRetentionPeriodInDays": "2"},
        "eu-west-1",
    )
    detail = swf.engine.handle("DescribeDomain", {"name": "dom"}, "eu-west-1")
    assert detail is not None
    assert detail["domainInfo"]["arn"].startswith("arn:aws:swf:eu-west-1:")


def test_list_domains_pages_both_ways(swf: Driver) -> None:
    for i in range(5):
        swf("RegisterDomain", name=f"p{i}", workflowExecutionRetentionPeriodInDays="1")
    for reverse in (False, True):
        names: list[str] = []
        token = None
        while True:
            extra = {"nextPageToken": token} if token else {}
            page = swf(
                "ListDomains",
                registrationStatus="REGISTERED",
                maximumPageSize=2,
                reverseOrder=reverse,
                **extra,
            )
            assert len(page["domainInfos"]) <= 2
            names += [d["name"] for d in page["domainInfos"]]
            token = page.get("nextPageToken")
            if not token:
                break
        expected = sorted(["dom", "p0", "p1", "p2", "p3", "p4"], reverse=reverse)
        assert names == expected
    page = swf("ListDomains", registrationStatus="REGISTERED", maximumPageSize=2)
    with pytest.raises(ValidationException):
        # A token only continues the call it came from.
        swf(
            "ListDomains",
            registrationStatus="DEPRECATED",
            maximumPageSize=2,
            nextPageToken=page["nextPageToken"],
        )
    with pytest.raises(ValidationException):
        swf(
            "ListDomains",
            registrationStatus="REGISTERED",
            maximumPageSize=2,
            nextPageToken=page["nextPageToken"][:-2] + "xx",
        )


def test_type_lifecycle(swf: Driver) -> None:
    ref = {"name": "act", "version": "1"}
    detail = swf.op("DescribeActivityType", activityType=ref)
    assert detail["typeInfo"]["activityType"] == ref
    assert detail["typeInfo"]["status"] == "REGISTERED"
    assert "deprecationDate" not in detail["typeInfo"]
    assert detail["configuration"]["defaultTaskList"] == {"name": "activities"}
    with pytest.raises(TypeAlreadyExistsFault):
        swf.register_activity()
    with pytest.raises(TypeNotDeprecatedFault):
        swf.op("DeleteActivityType", activityType=ref)
    swf.op("DeprecateActivityType", activityType=ref)
    with pytest.raises(TypeDeprecatedFault):
        swf.op("DeprecateActivityType", activityType=ref)
    assert "deprecationDate" in swf.op("DescribeActivityType", activityType=ref)["typeInfo"]
    swf.op("UndeprecateActivityType", activityType=ref)
    with pytest.raises(TypeAlreadyExistsFault):
        swf.op("UndeprecateActivityType", activityType=ref)
    swf.op("DeprecateActivityType", activityType=ref)
    swf.op("DeleteActivityType", activityType=ref)
    with pytest.raises(UnknownResourceFault, match=r"ActivityType=\[name=act, version=1\]"):
        swf.op("DescribeActivityType", activityType=ref)


def test_type_defaults_are_validated(swf: Driver) -> None:
    with pytest.raises(ValidationException, match="defaultExecutionStartToCloseTimeout"):
        swf.register_workflow("w2", defaultExecutionStartToCloseTimeout="NONE")
    with pytest.raises(ValidationException, match="defaultTaskPriority"):
        swf.register_workflow("w2", defaultTaskPriority="high")


def test_list_types_filters_and_pages(swf: Driver) -> None:
    for version in ("2", "3", "4"):
        swf.register_workflow("wf", version)
    swf.register_workflow("other", "1")
    page = swf.op(
        "ListWorkflowTypes", registrationStatus="REGISTERED", name="wf", maximumPageSize=3
    )
    assert [t["workflowType"]["version"] for t in page["typeInfos"]] == ["1", "2", "3"]
    rest = swf.op(
        "ListWorkflowTypes",
        registrationStatus="REGISTERED",
        name="wf",
        maximumPageSize=3,
        nextPageToken=page["nextPageToken"],
    )
    assert [t["workflowType"]["version"] for t in rest["typeInfos"]] == ["4"]
    assert "nextPageToken" not in rest
    rev = swf.op("ListWorkflowTypes", registrationStatus="REGISTERED", reverseOrder=True)
    assert rev["typeInfos"][0]["workflowType"] == {"name": "wf", "version": "4"}


def test_domain_tags(swf: Driver) -> None:
    swf("TagResource", resourceArn=ARN, tags=[{"key": "a", "value": "1"}, {"key": "b"}])
    assert swf("ListTagsForResource", resourceArn=ARN) == {
        "tags": [{"key": "a", "value": "1"}, {"key": "b"}]
    }
    swf("UntagResource", resourceArn=ARN, tagKeys=["a"])
    assert swf("ListTagsForResource", resourceArn=ARN) == {"tags": [{"key": "b"}]}
    with pytest.raises(TooManyTagsFault):
        swf("TagResource", resourceArn=ARN, tags=[{"key": f"k{i}"} for i in range(50)])
    assert len(swf("ListTagsForResource", resourceArn=ARN)["tags"]) == 1
    with pytest.raises(UnknownResourceFault):
        swf("ListTagsForResource", resourceArn=ARN + "x")


def test_unknown_operation(swf: Driver) -> None:
    with pytest.raises(UnknownOperationException):
        swf("FrobnicateDomain", name="dom")
