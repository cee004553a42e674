"""Conformance: domains, workflow and activity types, and domain tags over boto3."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.swf import SWFDomain, error_code, register_domain, unique


def _all_pages(call: Any, key: str, **kwargs: Any) -> tuple[list[Any], int]:
    """Follow nextPageToken; return the joined items and the number of pages."""
    items: list[Any] = []
    pages = 0
    while True:
        page = call(**kwargs)
        pages += 1
        items.extend(page[key])
        if not page.get("nextPageToken"):
            return items, pages
        kwargs["nextPageToken"] = page["nextPageToken"]


# -- domains -----------------------------------------------------------------------------------


def test_register_and_describe_domain(swf: Any) -> None:
    name = register_domain(swf, retention_days="7", description="conformance domain")
    detail = swf.describe_domain(name=name)
    info = detail["domainInfo"]
    assert info["name"] == name
    assert info["status"] == "REGISTERED"
    assert info["description"] == "conformance domain"
    assert info["arn"].startswith("arn:aws:swf:us-east-1:")
    assert info["arn"].endswith(f":/domain/{name}")
    assert detail["configuration"] == {"workflowExecutionRetentionPeriodInDays": "7"}


def test_register_domain_twice_is_domain_already_exists(swf: Any) -> None:
    name = register_domain(swf)
    with pytest.raises(ClientError) as err:
        swf.register_domain(name=name, workflowExecutionRetentionPeriodInDays="1")
    assert error_code(err.value) == "DomainAlreadyExistsFault"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_describe_unknown_domain_is_unknown_resource(swf: Any) -> None:
    with pytest.raises(ClientError) as err:
        swf.describe_domain(name=unique("missing"))
    assert error_code(err.value) == "UnknownResourceFault"


def test_retention_over_90_days_is_rejected(swf: Any) -> None:
    with pytest.raises(ClientError) as err:
        swf.register_domain(name=unique("dom"), workflowExecutionRetentionPeriodInDays="91")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_list_domains_pages_in_both_orders(swf: Any) -> None:
    mine = {register_domain(swf, name=unique(f"list{i}")) for i in range(5)}
    forward, pages = _all_pages(
        swf.list_domains, "domainInfos", registrationStatus="REGISTERED", maximumPageSize=2
    )
    names = [d["name"] for d in forward]
    assert pages >= 3
    assert mine <= set(names)
    assert len(names) == len(set(names)), "a domain was listed on two pages"
    assert names == sorted(names), "domains are listed in ascending order of name"
    assert all(d["status"] == "REGISTERED" for d in forward)

    backward, _ = _all_pages(
        swf.list_domains,
        "domainInfos",
        registrationStatus="REGISTERED",
        maximumPageSize=2,
        reverseOrder=True,
    )
    assert [d["name"] for d in backward] == sorted(names, reverse=True)


def test_list_domains_single_page_respects_maximum_page_size(swf: Any) -> None:
    for i in range(3):
        register_domain(swf, name=unique(f"page{i}"))
    page = swf.list_domains(registrationStatus="REGISTERED", maximumPageSize=2)
    assert len(page["domainInfos"]) == 2
    assert page.get("nextPageToken")


def test_deprecate_and_undeprecate_domain(swf: Any) -> None:
    name = register_domain(swf)
    swf.deprecate_domain(name=name)
    assert swf.describe_domain(name=name)["domainInfo"]["status"] == "DEPRECATED"

    deprecated, _ = _all_pages(swf.list_domains, "domainInfos", registrationStatus="DEPRECATED")
    registered, _ = _all_pages(swf.list_domains, "domainInfos", registrationStatus="REGISTERED")
    assert name in {d["name"] for d in deprecated}
    assert name not in {d["name"] for d in registered}

    with pytest.raises(ClientError) as err:
        swf.deprecate_domain(name=name)
    assert error_code(err.value) == "DomainDeprecatedFault"

    swf.undeprecate_domain(name=name)
    assert swf.describe_domain(name=name)["domainInfo"]["status"] == "REGISTERED"
    with pytest.raises(ClientError) as err:
        swf.undeprecate_domain(name=name)
    assert error_code(err.value) == "DomainAlreadyExistsFault"


def test_deprecate_unknown_domain_is_unknown_resource(swf: Any) -> None:
    for call in (swf.deprecate_domain, swf.undeprecate_domain):
        with pytest.raises(ClientError) as err:
            call(name=unique("missing"))
        assert error_code(err.value) == "UnknownResourceFault"


def test_deprecated_domain_deprecates_its_types_and_refuses_new_work(domain: SWFDomain) -> None:
    swf = domain.client
    swf.deprecate_domain(name=domain.name)
    wf = swf.describe_workflow_type(domain=domain.name, workflowType=domain.workflow_type)
    act = swf.describe_activity_type(domain=domain.name, activityType=domain.activity_type)
    assert wf["typeInfo"]["status"] == "DEPRECATED"
    assert act["typeInfo"]["status"] == "DEPRECATED"
    with pytest.raises(ClientError) as err:
        domain.start()
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as err:
        domain.register_workflow_type(defaultTaskList={"name": "x"})
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# -- domain tags -----------------------------------------------------------------------------


def _arn(swf: Any, name: str) -> str:
    return str(swf.describe_domain(name=name)["domainInfo"]["arn"])


def test_domain_tags_register_tag_untag_list(swf: Any) -> None:
    name = register_domain(swf, tags=[{"key": "team", "value": "flow"}, {"key": "bare"}])
    arn = _arn(swf, name)
    tags = swf.list_tags_for_resource(resourceArn=arn)["tags"]
    assert {t["key"]: t.get("value", "") for t in tags} == {"team": "flow", "bare": ""}

    swf.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "test"}])
    swf.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "replay"}])
    tags = swf.list_tags_for_resource(resourceArn=arn)["tags"]
    assert {t["key"]: t.get("value", "") for t in tags} == {
        "team": "replay",
        "bare": "",
        "env": "test",
    }

    swf.untag_resource(resourceArn=arn, tagKeys=["bare", "env"])
    tags = swf.list_tags_for_resource(resourceArn=arn)["tags"]
    assert {t["key"]: t.get("value", "") for t in tags} == {"team": "replay"}


def test_tags_on_unknown_domain_arn_are_unknown_resource(swf: Any) -> None:
    arn = _arn(swf, register_domain(swf)).rsplit("/", 1)[0] + "/" + unique("missing")
    for call, kw in (
        (swf.list_tags_for_resource, {}),
        (swf.tag_resource, {"tags": [{"key": "k", "value": "v"}]}),
        (swf.untag_resource, {"tagKeys": ["k"]}),
    ):
        with pytest.raises(ClientError) as err:
            call(resourceArn=arn, **kw)
        assert error_code(err.value) == "UnknownResourceFault"


def test_more_than_50_domain_tags_is_too_many_tags(swf: Any) -> None:
    arn = _arn(swf, register_domain(swf))
    swf.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])
    with pytest.raises(ClientError) as err:
        swf.tag_resource(resourceArn=arn, tags=[{"key": "one-too-many", "value": "v"}])
    assert error_code(err.value) == "TooManyTagsFault"
    with pytest.raises(ClientError) as err:
        swf.register_domain(
            name=unique("dom"),
            workflowExecutionRetentionPeriodInDays="1",
            tags=[{"key": f"k{i}"} for i in range(51)],
        )
    assert error_code(err.value) == "TooManyTagsFault"


# -- workflow types ----------------------------------------------------------------------------


def test_register_and_describe_workflow_type_with_defaults(domain: SWFDomain) -> None:
    swf = domain.client
    wf_type = domain.register_workflow_type(
        description="described",
        defaultTaskStartToCloseTimeout="30",
        defaultExecutionStartToCloseTimeout="600",
        defaultTaskList={"name": "wf-defaults"},
        defaultTaskPriority="7",
        defaultChildPolicy="ABANDON",
        defaultLambdaRole="arn:aws:iam::123456789012:role/lambda",
    )
    detail = swf.describe_workflow_type(domain=domain.name, workflowType=wf_type)
    info = detail["typeInfo"]
    assert info["workflowType"] == wf_type
    assert info["status"] == "REGISTERED"
    assert info["description"] == "described"
    assert info["creationDate"] is not None
    assert "deprecationDate" not in info
    assert detail["configuration"] == {
        "defaultTaskStartToCloseTimeout": "30",
        "defaultExecutionStartToCloseTimeout": "600",
        "defaultTaskList": {"name": "wf-defaults"},
        "defaultTaskPriority": "7",
        "defaultChildPolicy": "ABANDON",
        "defaultLambdaRole": "arn:aws:iam::123456789012:role/lambda",
    }


def test_register_workflow_type_errors(domain: SWFDomain) -> None:
    swf = domain.client
    with pytest.raises(ClientError) as err:
        swf.register_workflow_type(domain=domain.name, **domain.workflow_type)
    assert error_code(err.value) == "TypeAlreadyExistsFault"
    with pytest.raises(ClientError) as err:
        swf.register_workflow_type(domain=unique("missing"), name="wf", version="1")
    assert error_code(err.value) == "UnknownResourceFault"
    with pytest.raises(ClientError) as err:
        swf.describe_workflow_type(
            domain=domain.name, workflowType={"name": "nope", "version": "1"}
        )
    assert error_code(err.value) == "UnknownResourceFault"


def test_workflow_type_lifecycle_deprecate_undeprecate_delete(domain: SWFDomain) -> None:
    swf = domain.client
    wf_type = domain.register_workflow_type(defaultTaskList={"name": "tl"})

    with pytest.raises(ClientError) as err:
        swf.delete_workflow_type(domain=domain.name, workflowType=wf_type)
    assert error_code(err.value) == "TypeNotDeprecatedFault"

    swf.deprecate_workflow_type(domain=domain.name, workflowType=wf_type)
    info = swf.describe_workflow_type(domain=domain.name, workflowType=wf_type)["typeInfo"]
    assert info["status"] == "DEPRECATED"
    assert info["deprecationDate"] >= info["creationDate"]
    with pytest.raises(ClientError) as err:
        swf.deprecate_workflow_type(domain=domain.name, workflowType=wf_type)
    assert error_code(err.value) == "TypeDeprecatedFault"
    with pytest.raises(ClientError) as err:
        domain.start(workflow_type=wf_type, **_start_kw())
    assert error_code(err.value) == "TypeDeprecatedFault"

    swf.undeprecate_workflow_type(domain=domain.name, workflowType=wf_type)
    info = swf.describe_workflow_type(domain=domain.name, workflowType=wf_type)["typeInfo"]
    assert info["status"] == "REGISTERED"
    with pytest.raises(ClientError) as err:
        swf.undeprecate_workflow_type(domain=domain.name, workflowType=wf_type)
    assert error_code(err.value) == "TypeAlreadyExistsFault"

    swf.deprecate_workflow_type(domain=domain.name, workflowType=wf_type)
    swf.delete_workflow_type(domain=domain.name, workflowType=wf_type)
    with pytest.raises(ClientError) as err:
        swf.describe_workflow_type(domain=domain.name, workflowType=wf_type)
    assert error_code(err.value) == "UnknownResourceFault"
    with pytest.raises(ClientError) as err:
        swf.delete_workflow_type(domain=domain.name, workflowType=wf_type)
    assert error_code(err.value) == "UnknownResourceFault"


def _start_kw() -> dict[str, Any]:
    return {
        "taskList": {"name": "tl"},
        "executionStartToCloseTimeout": "600",
        "taskStartToCloseTimeout": "60",
        "childPolicy": "TERMINATE",
    }


def test_list_workflow_types_paging_order_and_name_filter(domain: SWFDomain) -> None:
    swf = domain.client
    for name in ("alpha", "bravo", "charlie", "delta"):
        domain.register_workflow_type(name=name, version="1")
    domain.register_workflow_type(name="bravo", version="2")

    listed, pages = _all_pages(
        swf.list_workflow_types,
        "typeInfos",
        domain=domain.name,
        registrationStatus="REGISTERED",
        maximumPageSize=2,
    )
    keys = [(t["workflowType"]["name"], t["workflowType"]["version"]) for t in listed]
    assert pages >= 3
    assert keys == sorted(keys)
    assert {("alpha", "1"), ("bravo", "1"), ("bravo", "2"), ("charlie", "1")} <= set(keys)
    assert len(keys) == len(set(keys))

    backward, _ = _all_pages(
        swf.list_workflow_types,
        "typeInfos",
        domain=domain.name,
        registrationStatus="REGISTERED",
        maximumPageSize=2,
        reverseOrder=True,
    )
    assert [(t["workflowType"]["name"], t["workflowType"]["version"]) for t in backward] == sorted(
        keys, reverse=True
    )

    named = swf.list_workflow_types(
        domain=domain.name, registrationStatus="REGISTERED", name="bravo"
    )["typeInfos"]
    assert sorted(t["workflowType"]["version"] for t in named) == ["1", "2"]
    assert {t["workflowType"]["name"] for t in named} == {"bravo"}

    swf.deprecate_workflow_type(domain=domain.name, workflowType={"name": "delta", "version": "1"})
    deprecated = swf.list_workflow_types(domain=domain.name, registrationStatus="DEPRECATED")
    assert [t["workflowType"]["name"] for t in deprecated["typeInfos"]] == ["delta"]


def test_list_types_in_unknown_domain_is_unknown_resource(swf: Any) -> None:
    for call in (swf.list_workflow_types, swf.list_activity_types):
        with pytest.raises(ClientError) as err:
            call(domain=unique("missing"), registrationStatus="REGISTERED")
        assert error_code(err.value) == "UnknownResourceFault"


# -- activity types ----------------------------------------------------------------------------


def test_register_and_describe_activity_type_with_defaults(domain: SWFDomain) -> None:
    swf = domain.client
    act_type = domain.register_activity_type(
        description="an activity",
        defaultTaskStartToCloseTimeout="30",
        defaultTaskHeartbeatTimeout="10",
        defaultTaskList={"name": "act-defaults"},
        defaultTaskPriority="-3",
        defaultTaskScheduleToStartTimeout="40",
        defaultTaskScheduleToCloseTimeout="70",
    )
    detail = swf.describe_activity_type(domain=domain.name, activityType=act_type)
    assert detail["typeInfo"]["activityType"] == act_type
    assert detail["typeInfo"]["status"] == "REGISTERED"
    assert detail["typeInfo"]["description"] == "an activity"
    assert detail["configuration"] == {
        "defaultTaskStartToCloseTimeout": "30",
        "defaultTaskHeartbeatTimeout": "10",
        "defaultTaskList": {"name": "act-defaults"},
        "defaultTaskPriority": "-3",
        "defaultTaskScheduleToStartTimeout": "40",
        "defaultTaskScheduleToCloseTimeout": "70",
    }


def test_activity_type_lifecycle_and_listing(domain: SWFDomain) -> None:
    swf = domain.client
    for name in ("a1", "a2", "a3"):
        domain.register_activity_type(name=name)
    with pytest.raises(ClientError) as err:
        swf.register_activity_type(domain=domain.name, name="a1", version="1")
    assert error_code(err.value) == "TypeAlreadyExistsFault"

    listed, pages = _all_pages(
        swf.list_activity_types,
        "typeInfos",
        domain=domain.name,
        registrationStatus="REGISTERED",
        maximumPageSize=1,
    )
    names = [t["activityType"]["name"] for t in listed]
    assert pages >= 4
    assert names == sorted(names)
    assert {"a1", "a2", "a3"} <= set(names)
    reverse = swf.list_activity_types(
        domain=domain.name, registrationStatus="REGISTERED", reverseOrder=True
    )["typeInfos"]
    assert [t["activityType"]["name"] for t in reverse] == sorted(names, reverse=True)
    assert [
        t["activityType"]["name"]
        for t in swf.list_activity_types(
            domain=domain.name, registrationStatus="REGISTERED", name="a2"
        )["typeInfos"]
    ] == ["a2"]

    a2 = {"name": "a2", "version": "1"}
    with pytest.raises(ClientError) as err:
        swf.delete_activity_type(domain=domain.name, activityType=a2)
    assert error_code(err.value) == "TypeNotDeprecatedFault"
    swf.deprecate_activity_type(domain=domain.name, activityType=a2)
    with pytest.raises(ClientError) as err:
        swf.deprecate_activity_type(domain=domain.name, activityType=a2)
    assert error_code(err.value) == "TypeDeprecatedFault"
    info = swf.describe_activity_type(domain=domain.name, activityType=a2)["typeInfo"]
    assert info["status"] == "DEPRECATED"
    assert "deprecationDate" in info
    swf.undeprecate_activity_type(domain=domain.name, activityType=a2)
    with pytest.raises(ClientError) as err:
        swf.undeprecate_activity_type(domain=domain.name, activityType=a2)
    assert error_code(err.value) == "TypeAlreadyExistsFault"
    swf.deprecate_activity_type(domain=domain.name, activityType=a2)
    swf.delete_activity_type(domain=domain.name, activityType=a2)
    with pytest.raises(ClientError) as err:
        swf.describe_activity_type(domain=domain.name, activityType=a2)
    assert error_code(err.value) == "UnknownResourceFault"
