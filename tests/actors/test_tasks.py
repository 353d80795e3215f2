"""What providers read about tasks off the chain: the config from its gateway, SDK errors."""

from __future__ import annotations

import pytest
from ogpu.types.errors import IPFSFetchError, IPFSGatewayError

from ogpu_sim.actors.tasks import fetch_config


def test_a_config_is_fetched_from_its_gateway_url(sim):
    url = sim.ipfs.add({"function_name": "multiply", "data": {"a": 6}})

    assert fetch_config(url) == {"function_name": "multiply", "data": {"a": 6}}


def test_a_failing_gateway_raises_the_sdks_gateway_error(sim):
    url = sim.ipfs.add({"a": 1})
    sim.ipfs.faults.fail_next(1, status=503, route="/ipfs")

    with pytest.raises(IPFSGatewayError) as raised:
        fetch_config(url)

    assert (raised.value.gateway, raised.value.status_code) == (url, 503)


def test_a_body_that_is_not_json_raises_the_sdks_fetch_error(sim):
    url = sim.ipfs.add(b"<html>not json</html>")

    with pytest.raises(IPFSFetchError, match="Invalid JSON"):
        fetch_config(url)
