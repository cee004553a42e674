"""The one place that builds SWF clients (boto3) and raw transports for botoflowx."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, TypeAlias

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.httpsession import ProxyConfiguration
from botocore.utils import get_environ_proxies

from botoflowx.client._http import Proxy
from botoflowx.client._transport import CredentialsProvider, RawSWFTransport

log = logging.getLogger(__name__)

ENDPOINT_URL_ENV = "BOTOFLOWX_ENDPOINT_URL"

# SWF holds a long poll for 60 s; its docs ask clients for a socket timeout of
# at least 70 s. botocore's default (60 s) races the server and can cut off a
# poll while the task is being handed out, which loses the task until its
# start-to-close timeout.
LONG_POLL_READ_TIMEOUT = 70.0
DEFAULT_READ_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0
MAX_ATTEMPTS = 4

# Region used with a custom endpoint when nothing else names one: the embedded
# server only uses the region as a namespace.
DEFAULT_LOCAL_REGION = "us-east-1"

# Sent only to an explicit endpoint_url when no credentials exist anywhere, so
# the embedded server works without an AWS account. Never used for AWS itself.
_DUMMY_KEY = "botoflowx-local"
_DUMMY_SECRET = "botoflowx-local-secret"

SessionLike: TypeAlias = "boto3.session.Session | botocore.session.Session | None"
# boto3 clients are generated at runtime; there is no static type to name.
SWFClient = Any


@dataclass(frozen=True)
class SWFTarget:
    """Where SWF is and as whom to call it, resolved once from the user's arguments.

    Attributes:
        session: The boto3 or botocore session to build clients from.
        region: The region, or None to let boto3 resolve (and complain).
        endpoint_url: The explicit endpoint, or None for Amazon SWF.
        dummy_credentials: True when no credentials exist and ``endpoint_url``
            is set, so botoflowx signs with placeholder credentials.
    """

    session: boto3.session.Session | botocore.session.Session
    region: str | None
    endpoint_url: str | None
    dummy_credentials: bool


def resolve_target(
    session: SessionLike = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> SWFTarget:
    """Resolve session, region, endpoint and credentials without any network call.

    Args:
        session: A ``boto3.Session``, a ``botocore.session.Session`` or None for a
            new default boto3 session.
        region: The AWS region; falls back to the session's configured region,
            and to ``us-east-1`` when an endpoint URL is given and nothing is set.
        endpoint_url: The SWF endpoint; falls back to ``$BOTOFLOWX_ENDPOINT_URL``;
            None means Amazon SWF through boto3's normal configuration.

    Returns:
        The resolved :class:`SWFTarget`.

    Raises:
        TypeError: ``session`` is neither a boto3 nor a botocore session.
    """
    if session is None:
        session = boto3.session.Session()
    if isinstance(session, boto3.session.Session):
        configured_region = session.region_name
    elif isinstance(session, botocore.session.Session):
        configured_region = session.get_config_variable("region")
    else:
        raise TypeError(
            "session must be a boto3.Session, a botocore.session.Session or None, "
            f"not {type(session).__name__}"
        )
    endpoint_url = endpoint_url or os.environ.get(ENDPOINT_URL_ENV) or None
    region = region or configured_region
    if region is None and endpoint_url is not None:
        region = DEFAULT_LOCAL_REGION
    dummy = endpoint_url is not None and session.get_credentials() is None
    return SWFTarget(session, region, endpoint_url, dummy)


def client_config(*, long_poll: bool) -> Config:
    """The botocore ``Config`` botoflowx uses for SWF clients.

    Args:
        long_poll: True for clients that call ``PollFor*Task``.
    """
    return Config(
        read_timeout=LONG_POLL_READ_TIMEOUT if long_poll else DEFAULT_READ_TIMEOUT,
        connect_timeout=CONNECT_TIMEOUT,
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        user_agent_extra="botoflowx",
        # Pollers and task threads share one client; allow that many connections.
        max_pool_connections=50,
    )


def make_swf_client(
    session: SessionLike = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    *,
    long_poll: bool = False,
) -> SWFClient:
    """Build a boto3 SWF client the way every botoflowx component needs it.

    Args:
        session: A ``boto3.Session``, a ``botocore.session.Session`` or None.
        region: The AWS region (see :func:`resolve_target`).
        endpoint_url: The SWF endpoint, or None for ``$BOTOFLOWX_ENDPOINT_URL``
            and then Amazon SWF.
        long_poll: Give the client a read timeout long enough for SWF's 60 s
            long polls.

    Returns:
        A botocore SWF client. Building it makes no network call.
    """
    return client_for_target(resolve_target(session, region, endpoint_url), long_poll=long_poll)


def client_for_target(target: SWFTarget, *, long_poll: bool = False) -> SWFClient:
    """Build a boto3 SWF client for an already resolved :class:`SWFTarget`."""
    kwargs: dict[str, Any] = {
        "region_name": target.region,
        "endpoint_url": target.endpoint_url,
        "config": client_config(long_poll=long_poll),
    }
    if target.dummy_credentials:
        kwargs["aws_access_key_id"] = _DUMMY_KEY
        kwargs["aws_secret_access_key"] = _DUMMY_SECRET
    if isinstance(target.session, boto3.session.Session):
        return target.session.client("swf", **kwargs)
    return target.session.create_client("swf", **kwargs)


def transport_for_target(target: SWFTarget) -> RawSWFTransport:
    """Build the raw-bytes transport (long-poll timeouts) for a resolved target.

    The endpoint URL and region are taken from a boto3 client built for the
    same target, the CA bundle from the session's configuration and the proxy
    as botocore chooses it (the client's ``proxies``, else ``HTTPS_PROXY`` /
    ``HTTP_PROXY`` unless ``NO_PROXY`` names the host), so the transport
    reaches exactly where boto3 would, the same way, and trusts what it trusts.
    """
    client = client_for_target(target, long_poll=True)
    provider: CredentialsProvider
    if target.dummy_credentials:
        static = Credentials(_DUMMY_KEY, _DUMMY_SECRET)
        provider = lambda: static  # noqa: E731
    else:
        session = target.session

        def provider() -> Any:
            credentials = session.get_credentials()
            if credentials is None:
                raise RuntimeError(
                    "no AWS credentials found for SWF: configure them as for any boto3 "
                    "program, or pass endpoint_url for a local server"
                )
            return credentials

    return RawSWFTransport(
        endpoint_url=client.meta.endpoint_url,
        region=client.meta.region_name,
        credentials=provider,
        read_timeout=LONG_POLL_READ_TIMEOUT,
        connect_timeout=CONNECT_TIMEOUT,
        verify=_ca_bundle(target.session),
        proxy=_proxy_url(client),
    )


def _ca_bundle(session: boto3.session.Session | botocore.session.Session) -> bool | str:
    """The CA bundle boto3 would verify with (``AWS_CA_BUNDLE``, ``ca_bundle``), else True."""
    core = session._session if isinstance(session, boto3.session.Session) else session
    bundle = core.get_config_variable("ca_bundle")
    return bundle if isinstance(bundle, str) and bundle else True


def _proxy_url(client: SWFClient) -> str | None:
    """The proxy URL botocore would send this client's requests through, or None.

    A proxy the raw transport cannot use (TLS or SOCKS to the proxy) is logged
    and skipped: the hot calls then go to the endpoint directly, as they did
    before the transport knew proxies, instead of stopping the worker.
    """
    endpoint = client.meta.endpoint_url
    proxies = client.meta.config.proxies
    if proxies is None:
        proxies = get_environ_proxies(endpoint)
    url: str | None = ProxyConfiguration(proxies).proxy_url_for(endpoint) or None
    if url is not None:
        try:
            Proxy.from_url(url)
        except ValueError as exc:
            log.warning(
                "%s. Polls, answers and heartbeats go to %s directly; the other calls "
                "use the boto3 client and its proxy.",
                exc,
                endpoint,
            )
            return None
    return url


def make_swf_transport(
    session: SessionLike = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> RawSWFTransport:
    """Build a :class:`RawSWFTransport` (arguments as for :func:`make_swf_client`)."""
    return transport_for_target(resolve_target(session, region, endpoint_url))
