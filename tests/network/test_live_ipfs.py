"""Attach mode's IPFS refuses what the mock refuses, the same way, before sending anything."""

from __future__ import annotations

import pytest

from ogpu_sim.errors import ConfigError
from ogpu_sim.network.live_ipfs import LiveIpfs

NOWHERE = "http://127.0.0.1:9/api/v0/add"  # a send would fail with a connection error


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "data: cannot add NoneType; give bytes, str, dict or list"),
        (3.5, "data: cannot add float; give bytes, str, dict or list"),
        (
            {"when": object},
            "data: cannot add it as JSON: Object of type type is not JSON serializable",
        ),
    ],
)
def test_content_the_mock_refuses_is_refused_before_the_pin(data, message):
    ipfs = LiveIpfs(publish_url=NOWHERE, rpc_url="http://127.0.0.1:8545", timeout=1)

    with pytest.raises(ConfigError) as caught:
        ipfs.add(data)

    assert str(caught.value) == message
