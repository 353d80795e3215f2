"""ogpu_sim.dev.gas: the gas table covers every user-facing operation (values not asserted)."""

from __future__ import annotations

import pytest

from ogpu_sim.dev import gas

OPERATIONS = [
    "deploy Manager",
    "deploy Terminal",
    "deploy Nexus",
    "deploy Vault",
    "deploy Controller",
    "announce provider (with 1 OGPU stake)",
    "announce master",
    "set agent",
    "deposit",
    "publish source",
    "register (first registrant)",
    "register (by an agent of the master)",
    "publish task",
    "attempt (first: NEW -> ATTEMPTED)",
    "attempt (another provider)",
    "submit response (MANUAL_CONFIRMATION)",
    "confirm response (pays the provider)",
    "submit response (FIRST_RESPONSE: finalizes and pays)",
    "cancel task",
    "attempt after expiry (marks EXPIRED, refunds)",
    "withdraw",
    "lock",
    "unbond",
    "claim",
    "inactivate source",
]


@pytest.mark.slow
def test_measure_runs_every_operation_successfully() -> None:
    rows = gas.measure()
    assert [r.operation for r in rows] == OPERATIONS
    assert all(r.gas_used > 21_000 for r in rows)


def test_render_markdown_writes_one_table_row_per_operation() -> None:
    page = gas.render_markdown([gas.GasRow("deposit", "Vault.deposit", 47_615)])
    assert page.startswith("# Gas per protocol operation\n")
    assert "| deposit | `Vault.deposit` | 47,615 |\n" in page
    assert "evmVersion cancun" in page
