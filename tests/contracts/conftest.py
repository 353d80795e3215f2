"""Fixtures for the contract tests: one deployment per session, a snapshot per test.

Every test starts from the same state (protocol deployed, two master/provider pairs
paired, two clients with 10 ether in the Vault) and is rolled back afterwards. After each
test the Vault's conservation invariant is checked: its native balance equals the sum of
all ledgers it keeps.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contracts.harness import Net, start_net


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
