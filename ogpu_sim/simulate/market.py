"""The marketplace of a ``simulate`` run: funded clients, published sources, providers.

Everything goes through the SDK, as real clients and providers would do it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ogpu_sim.accounts import key_hex
from ogpu_sim.simulate.records import Actor
from ogpu_sim.simulate.spec import Scenario, SourceSpec

CANNED_COMPOSE = "services:\n  handler:\n    image: ogpu-sim/canned-echo\n"
"""Compose text pinned for sources without a handler folder (their providers answer canned)."""


@dataclass
class Market:
    """Who is in a run: client keys and actors by name, source addresses, provider actors."""

    keys: dict[str, str] = field(default_factory=dict)
    clients: dict[str, Actor] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    providers: list[Actor] = field(default_factory=list)


def set_up_market(sim: Any, scenario: Scenario, runtime: str, slow_delay: float) -> Market:
    """Fund clients' Vaults, publish sources, add providers (all through the SDK).

    Args:
        sim: the running simulator.
        scenario: the validated scenario.
        runtime: the handler runtime of every provider.
        slow_delay: wall seconds a ``slow`` provider waits between attempt and response.
    """
    from ogpu.protocol import vault

    market = Market()

    for spec in scenario.clients:
        account = sim.accounts.new("client")
        market.keys[spec.name] = key_hex(account)
        if spec.deposit:
            vault.deposit(account.address, spec.deposit, signer=account)
        market.clients[spec.name] = Actor(spec.name, "client", account.address)
    for source in scenario.sources:
        market.sources[source.name] = _publish_source(sim, source, market.keys[source.client])
    for group in scenario.providers:
        for i, behaviour in enumerate(group.assignments()):
            provider = sim.add_provider(
                market.sources[group.source],
                environment=group.environment,
                behaviour=behaviour,
                runtime=runtime,
                stake=group.stake,
                delay=slow_delay,
            )
            name = f"{group.source}-{group.environment}-{behaviour}-{i}"
            market.providers.append(
                Actor(
                    name,
                    "provider",
                    provider.address,
                    behaviour,
                    group.source,
                    group.environment,
                    provider.master.address,
                )
            )
    return market


def _publish_source(sim: Any, spec: SourceSpec, key: str) -> str:
    fields = {
        "name": spec.name,
        "minPayment": spec.min_payment,
        "minAvailableLockup": spec.min_lockup,
        "maxExpiryDuration": spec.max_expiry,
        "deliveryMethod": spec.delivery.lower(),
        "private_key": key,
    }
    if spec.handler is not None:
        source = sim.publish_source_from_folder(
            spec.handler, environments=list(spec.environments), **fields
        )
        return str(source.address)
    from ogpu.client import publish_source
    from ogpu.types import DeliveryMethod, ImageEnvironments, SourceInfo

    urls = {env: sim.ipfs.add(CANNED_COMPOSE) for env in spec.environments}
    info = SourceInfo(
        name=spec.name,
        description=f"ogpu-sim scenario source {spec.name}",
        logoUrl="",
        imageEnvs=ImageEnvironments(**urls),
        minPayment=spec.min_payment,
        minAvailableLockup=spec.min_lockup,
        maxExpiryDuration=spec.max_expiry,
        deliveryMethod=DeliveryMethod[spec.delivery],
    )
    return str(publish_source(info, private_key=key).address)
