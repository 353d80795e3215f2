"""Fixtures for the contract tests: one deployment per session, a snapshot per test.

Every test starts from the same state (protocol deployed, two master/provider pairs
paired, two clients with 10 ether in the Vault, two ready sources of `client`) and is
rolled back afterwards. After each
test the Vault's conservation invariant is checked: its native balance equals the sum of
all ledgers it keeps.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from ogpu_sim.dev import build
from tests.contracts.harness import Net, start_net

_COMPILE = pytest.StashKey[Future]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the (several-second, out-of-process) compile for the freshness test as soon as
    collection ends, so solc-js runs on the other core while the other tests run."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # each xdist worker would compile; let the fixture compile on demand there
    if any("fresh_compile" in getattr(item, "fixturenames", ()) for item in session.items):
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ogpu-sim-solc")
        session.config.stash[_COMPILE] = executor.submit(build.compile_contracts)
        executor.shutdown(wait=False)


@pytest.fixture(scope="session")
def fresh_compile(request: pytest.FixtureRequest) -> dict[str, dict[str, Any]]:
    """One real compile of contracts/ per session (started early by the hook above)."""
    future = request.config.stash.get(_COMPILE, None)
    return future.result() if future is not None else build.compile_contracts()


@pytest.fixture(scope="session")
def session_net() -> Net:
    return start_net()


@pytest.fixture
def net(session_net: Net) -> Iterator[Net]:
    """The shared deployment, rolled back to its starting state after the test."""
    snapshot = session_net.tester.take_snapshot()
    tracked = set(session_net.tracked)
    try:
        yield session_net
        held = session_net.w3.eth.get_balance(session_net.vault.address)
        assert held == session_net.ledger_total(), "Vault balance != sum of its ledgers"
    finally:
        session_net.tester.revert_to_snapshot(snapshot)
        session_net.tracked = tracked
