"""Every rejected protocol call through the SDK raises a typed error and moves no Vault wei."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ogpu.client import cancel_task, confirm_response, publish_source, publish_task
from ogpu.protocol import nexus, terminal, vault
from ogpu.types import (
    DeliveryMethod,
    Environment,
    ImageEnvironments,
    SourceInfo,
    TaskInfo,
    TaskInput,
)
from ogpu.types.errors import (
    InsufficientBalanceError,
    InsufficientLockupError,
    NotMasterError,
    NotProviderError,
    NotTaskOwnerError,
    OGPUError,
    SourceInactiveError,
    TaskExpiredError,
    TxRevertError,
    TxRpcError,
)

from ogpu_sim import Simulator

from .conftest import Tally

pytestmark = pytest.mark.xdist_group("reliability-sim")

ETHER = 10**18
READS = (
    vault.get_balance_of,
    vault.get_lockup_of,
    vault.get_unbonding_of,
    vault.get_unbonding_timestamp,
    vault.get_total_earnings_of,
    vault.get_frozen_payment,
    vault.get_sanction_of,
)


def holdings(sim: Simulator, addresses: list[str]) -> dict[str, Any]:
    """The Vault's native balance and every bucket of every address."""
    vault_address = sim.deployment.addresses["VAULT"]
    buckets = {a: tuple(read(a) for read in READS) for a in addresses}
    return {"native": sim.w3.eth.get_balance(vault_address), "buckets": buckets}


def source_info(sim: Simulator, **overrides: Any) -> SourceInfo:
    fields: dict[str, Any] = {
        "name": "vault-guard",
        "description": "",
        "logoUrl": "",
        "imageEnvs": ImageEnvironments(cpu=sim.ipfs.add("services: {}\n")),
        "minPayment": 1000,
        "minAvailableLockup": 0,
        "maxExpiryDuration": 86_400,
        "deliveryMethod": DeliveryMethod.MANUAL_CONFIRMATION,
    }
    fields.update(overrides)
    return SourceInfo(**fields)


def task_info(source: str, payment: int, now: int, expires_in: int = 3600) -> TaskInfo:
    return TaskInfo(
        source=source,
        config=TaskInput(function_name="f", data={"x": 1}),
        expiryTime=now + expires_in,
        payment=payment,
    )


def label(expected: type[OGPUError] | str) -> str:
    return expected if isinstance(expected, str) else expected.__name__


def outcome(error: OGPUError, expected: type[OGPUError] | str) -> str:
    """The error's class name, or for a generic revert the expected reason if it carries it."""
    if type(error) is TxRevertError and isinstance(expected, str) and expected in error.reason:
        return expected
    return type(error).__name__


def test_rejected_protocol_calls_leave_the_vault_as_it_was(
    isolated: Simulator, tally: Tally
) -> None:
    sim = isolated
    accounts = sim.accounts
    client, provider, master = accounts.client, accounts.provider, accounts.master
    stranger = accounts.new("stranger")
    poor = accounts.new("poor", balance=10**15)  # 0.001 OGPU: less than it tries to send
    source = publish_source(source_info(sim), private_key=client.key)
    closed = publish_source(source_info(sim, name="closed"), private_key=client.key)
    closed.inactivate()
    task = publish_task(task_info(source.address, 10**15, sim.now()), private_key=client.key)
    balance = vault.get_balance_of(client.address)
    lockup = vault.get_lockup_of(provider.address)

    # The expected typed error, or the revert reason a generic TxRevertError carries.
    rejected: list[tuple[str, Callable[[], Any], type[OGPUError] | str]] = [
        (
            "withdraw more than the balance",
            lambda: vault.withdraw(balance + 1, signer=client.key),
            InsufficientBalanceError,
        ),
        (
            "lock more than the balance",
            lambda: vault.lock(balance + 1, signer=client.key),
            InsufficientBalanceError,
        ),
        (
            "unbond more than the lockup",
            lambda: vault.unbond(lockup + 1, signer=provider.key),
            InsufficientLockupError,
        ),
        (
            "claim with nothing unbonding",
            lambda: vault.claim(signer=stranger.key),
            "NothingToClaim",
        ),
        (
            "deposit more than the wallet holds",
            lambda: vault.deposit(poor.address, ETHER, signer=poor.key),
            TxRpcError,
        ),
        (
            "publish a task paying more than the balance",
            lambda: publish_task(
                task_info(source.address, balance + 1, sim.now()), private_key=client.key
            ),
            InsufficientBalanceError,
        ),
        (
            "publish a task that already expired",
            lambda: publish_task(
                task_info(source.address, 10**15, sim.now(), -60), private_key=client.key
            ),
            TaskExpiredError,
        ),
        (
            "publish a task on an inactive source",
            lambda: publish_task(
                task_info(closed.address, 10**15, sim.now()), private_key=client.key
            ),
            SourceInactiveError,
        ),
        (
            "cancel someone else's task",
            lambda: cancel_task(task.address, private_key=stranger.key),
            NotTaskOwnerError,
        ),
        (
            "confirm a response that does not exist",
            lambda: confirm_response(stranger.address, private_key=client.key),
            "UnknownResponse",
        ),
        (
            "register a provider by a stranger",
            lambda: nexus.register(
                source.address, provider.address, int(Environment.CPU), signer=stranger.key
            ),
            NotProviderError,
        ),
        (
            "register below the source's lockup",
            lambda: nexus.register(
                publish_source(
                    source_info(sim, name="dear", minAvailableLockup=lockup + 1),
                    private_key=client.key,
                ).address,
                provider.address,
                int(Environment.CPU),
                signer=provider.key,
            ),
            InsufficientLockupError,
        ),
        (
            "announce a master that never announced the provider",
            lambda: terminal.announce_master(stranger.address, signer=provider.key),
            NotMasterError,
        ),
        (
            "unbond by an account with no lockup",
            lambda: vault.unbond(1, signer=stranger.key),
            InsufficientLockupError,
        ),
    ]
    watched = [
        client.address,
        provider.address,
        master.address,
        stranger.address,
        poor.address,
        source.address,
        task.address,
    ]
    outcomes = []
    for name, call, expected in rejected:
        before = holdings(sim, watched)
        try:
            call()
        except OGPUError as exc:
            outcomes.append((name, outcome(exc, expected)))
        else:
            outcomes.append((name, "accepted"))
        assert holdings(sim, watched) == before, name

    assert outcomes == [(name, label(expected)) for name, _, expected in rejected]
    tally("bad_inputs", len(rejected))
