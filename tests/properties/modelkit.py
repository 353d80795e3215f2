"""Shared set-ups of the reference-model specifications (``test_model*.py``)."""

from __future__ import annotations

import pytest

from ogpu_sim.testing.model import DeliveryMethod, ModelRevert, ProtocolModel, SourceParams

ADMIN, CLIENT, OTHER, AGENT = "admin", "client", "other", "agent"
PROVIDER, MASTER, PROVIDER2, MASTER2 = "provider", "master", "provider2", "master2"
NOW = 1_000
P = 10**18


def reverts(reason: str):
    """Expect a ModelRevert with exactly ``reason``."""
    return pytest.raises(ModelRevert, match=f"^.*: {reason}$")


def fresh_model() -> ProtocolModel:
    """A model whose client holds 10 OGPU in the Vault."""
    m = ProtocolModel(admin=ADMIN, unbonding_period=10)
    m.deposit(CLIENT, CLIENT, 10 * P)
    return m


def paired(
    m: ProtocolModel, provider: str = PROVIDER, master: str = MASTER, stake: int = 0
) -> None:
    m.announce_provider(master, provider, stake, stake)
    m.announce_master(provider, master)


def source(m: ProtocolModel, **params: object) -> str:
    return m.publish_source(CLIENT, SourceParams(client=CLIENT, **params))  # type: ignore[arg-type]


def ready_task(m: ProtocolModel, delivery: DeliveryMethod, payment: int = P) -> tuple[str, str]:
    """A source with PROVIDER and PROVIDER2 registered and one NEW task; returns (source, task)."""
    s = source(m, delivery_method=delivery)
    paired(m)
    paired(m, PROVIDER2, MASTER2)
    m.register(PROVIDER, s, PROVIDER, 1)
    m.register(PROVIDER2, s, PROVIDER2, 1)
    return s, m.publish_task(CLIENT, s, NOW + 100, payment, NOW)
