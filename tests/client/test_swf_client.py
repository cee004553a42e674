"""make_swf_client / make_swf_transport: endpoint, region, timeouts and credentials."""

from __future__ import annotations

import boto3
import botocore.session
import pytest

from botoflowx.client import make_swf_client, make_swf_transport
from botoflowx.client._swf import ENDPOINT_URL_ENV, LONG_POLL_READ_TIMEOUT, resolve_target


@pytest.fixture
def no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """No credentials or region anywhere boto3 looks."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        ENDPOINT_URL_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", f"{tmp_path}/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_aws_config")
def test_long_poll_client_outlasts_swf_long_polls() -> None:
    client = make_swf_client(None, "eu-west-1", "http://127.0.0.1:1", long_poll=True)
    assert client.meta.config.read_timeout >= 70
    assert client.meta.config.read_timeout == LONG_POLL_READ_TIMEOUT
    assert client.meta.config.retries["mode"] == "standard"
    assert client.meta.endpoint_url == "http://127.0.0.1:1"
    assert client.meta.region_name == "eu-west-1"
    short = make_swf_client(None, "eu-west-1", "http://127.0.0.1:1")
    assert short.meta.config.read_timeout < LONG_POLL_READ_TIMEOUT


@pytest.mark.usefixtures("no_aws_config")
def test_local_endpoint_without_credentials_gets_placeholders_and_a_region() -> None:
    target = resolve_target(None, None, "http://127.0.0.1:1")
    assert target.dummy_credentials
    assert target.region == "us-east-1"
    client = make_swf_client(endpoint_url="http://127.0.0.1:1")
    assert client._request_signer._credentials is not None


@pytest.mark.usefixtures("no_aws_config")
def test_aws_never_gets_placeholder_credentials() -> None:
    target = resolve_target(None, "us-east-1", None)
    assert not target.dummy_credentials
    assert target.endpoint_url is None
    client = make_swf_client(None, "us-east-1")
    assert client.meta.endpoint_url == "https://swf.us-east-1.amazonaws.com"


@pytest.mark.usefixtures("no_aws_config")
def test_endpoint_url_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENDPOINT_URL_ENV, "http://127.0.0.1:9")
    assert make_swf_client(None, "us-east-1").meta.endpoint_url == "http://127.0.0.1:9"
    transport = make_swf_transport(None, "us-east-1")
    assert transport.endpoint_url == "http://127.0.0.1:9/"
    assert transport.read_timeout >= 70


@pytest.mark.usefixtures("no_aws_config")
def test_real_credentials_are_kept_for_any_endpoint() -> None:
    session = boto3.session.Session(
        aws_access_key_id="AKIDREAL", aws_secret_access_key="s", region_name="ap-south-1"
    )
    target = resolve_target(session, None, "http://127.0.0.1:1")
    assert not target.dummy_credentials
    assert target.region == "ap-south-1"
    client = make_swf_client(session, endpoint_url="http://127.0.0.1:1")
    assert client._request_signer._credentials.access_key == "AKIDREAL"


@pytest.mark.usefixtures("no_aws_config")
def test_botocore_sessions_are_accepted_and_other_objects_refused() -> None:
    session = botocore.session.get_session()
    client = make_swf_client(session, "us-west-2", "http://127.0.0.1:1")
    assert client.meta.region_name == "us-west-2"
    with pytest.raises(TypeError, match=r"boto3\.Session"):
        make_swf_client(object())  # type: ignore[arg-type]
