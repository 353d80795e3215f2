"""Shared fixtures for the mock IPFS tests: a started server and the SDK pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ogpu_sim.ipfs import IpfsServer


@pytest.fixture
def ipfs() -> Iterator[IpfsServer]:
    """A started server with an in-memory store, stopped after the test whatever happens."""
    server = IpfsServer(max_upload_bytes=64 * 1024)
    with server:
        yield server


@pytest.fixture
def sdk_ipfs(ipfs: IpfsServer, monkeypatch: pytest.MonkeyPatch) -> IpfsServer:
    """The server, with the unmodified SDK's publish endpoint pointed at it."""
    monkeypatch.setattr("ogpu.ipfs.publish._IPFS_PUBLISH_URL", ipfs.publish_url)
    return ipfs
