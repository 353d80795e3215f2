"""Shared fixtures for the mock IPFS tests: a started server and the SDK pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ogpu_sim.ipfs import IpfsServer
from ogpu_sim.ipfs.inprocess import InProcessAdapter
from ogpu_sim.sdk.transport import RoutedRequests, base_of


@pytest.fixture
def ipfs() -> Iterator[IpfsServer]:
    """A started server with an in-memory store, stopped after the test whatever happens."""
    server = IpfsServer(max_upload_bytes=64 * 1024)
    with server:
        yield server


@pytest.fixture(params=["socket", "in-process"])
def sdk_ipfs(
    request: pytest.FixtureRequest, ipfs: IpfsServer, monkeypatch: pytest.MonkeyPatch
) -> IpfsServer:
    """The server, with the unmodified SDK's publish endpoint pointed at it; the SDK's IPFS
    helpers reach it through requests' own transport, or through the in-process one a bound
    Simulator gives them (every test runs with both)."""
    monkeypatch.setattr("ogpu.ipfs.publish._IPFS_PUBLISH_URL", ipfs.publish_url)
    if request.param == "in-process":
        routed = RoutedRequests(base_of(ipfs.url), InProcessAdapter())
        monkeypatch.setattr("ogpu.ipfs.publish.requests", routed)
        monkeypatch.setattr("ogpu.ipfs.fetch.requests", routed)
    return ipfs
