"""Conformance: the in-process EmbeddedServer and the admin clock switch."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from botoflowx.server import EmbeddedServer
from helpers.server import ADMIN_ADVANCE_CLOCK, ServerProcess
from helpers.swf import attrs, event_types, make_client, new_domain, only, start_timer


def test_embedded_server_speaks_swf_and_advances_its_clock() -> None:
    with EmbeddedServer(port=0, database=":memory:", long_poll_seconds=1, test_clock=True) as srv:
        assert srv.endpoint_url.startswith("http://127.0.0.1:")
        domain = new_domain(make_client(srv.endpoint_url))
        execution, _ = domain.start_and_decide([start_timer("hour", 3600)])
        before = srv.advance_clock(0)
        after = srv.advance_clock(3600)
        assert after - before >= 3600
        events = domain.history(execution)
        assert only(events, "TimerFired")
        assert attrs(only(events, "TimerFired"))["timerId"] == "hour"
        assert event_types(events)[-1] == "DecisionTaskScheduled"


def test_admin_clock_is_unknown_without_the_flag() -> None:
    with ServerProcess(test_clock=False) as server:
        request = urllib.request.Request(
            server.endpoint_url + "/",
            data=json.dumps({"seconds": 10}).encode(),
            method="POST",
            headers={
                "X-Amz-Target": ADMIN_ADVANCE_CLOCK,
                "Content-Type": "application/x-amz-json-1.0",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=30)
        assert 400 <= err.value.code < 500
        body = json.loads(err.value.read())
        err.value.close()
        assert "__type" in body
        assert err.value.headers.get("X-Amzn-ErrorType")
        # The server is unharmed and answers SWF calls.
        client = make_client(server.endpoint_url)
        assert "domainInfos" in client.list_domains(registrationStatus="REGISTERED")
