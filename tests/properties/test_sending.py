"""The machine's lean sends of the calls the SDK does not wrap put on chain exactly what the
SDK's ``TxExecutor`` puts there, and raise exactly its errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from ogpu.chain.nonce import NonceManager
from ogpu.protocol._base import TxExecutor
from ogpu.types import TaskStatus
from ogpu.types.errors import NotProviderError

from ogpu_sim.testing import sending
from ogpu_sim.testing.expected import ROLE_IDS

Send = Callable[[Any, str, tuple[Any, ...], Any], None]


def sdk_send(contract: Any, function: str, args: tuple[Any, ...], signer: Any) -> None:
    TxExecutor(
        contract, function, args, signer=signer, context=f"{function}{args!r}"[:120]
    ).execute()


def outcome(sim: Any, path: Send, contract: str, function: str, args: Any, signer: Any) -> Any:
    """What one send left on chain (its transaction and receipt) or raised, in isolation."""
    handle = sim.deployment.contracts[contract]
    with sim.isolated():
        before = sim.w3.eth.block_number
        try:
            path(handle, function, args, signer)
        except Exception as exc:
            return ("raised", type(exc), str(exc), sim.w3.eth.block_number - before)
        block = sim.w3.eth.get_block("latest", full_transactions=True)
        tx = block["transactions"][-1]
        receipt = sim.w3.eth.get_transaction_receipt(tx["hash"])
        logs = [(log["address"], log["topics"], log["data"]) for log in receipt["logs"]]
        return (
            tx["hash"],
            tx["gas"],
            receipt["status"],
            receipt["gasUsed"],
            logs,
            block.number - before,
        )


@contextmanager
def no_fallback() -> Iterator[None]:
    """Fails a lean send that hands its call to ``TxExecutor``."""
    original = sending._sdk

    def refuse(*call: Any) -> None:
        raise AssertionError(f"{call[1]} went to TxExecutor")

    sending._sdk = refuse
    try:
        yield
    finally:
        sending._sdk = original


def calls(sim: Any) -> list[tuple[str, str, tuple[Any, ...], Any]]:
    admin, provider, client = sim.accounts.deployer, sim.accounts.provider, sim.accounts.client
    return [
        ("VAULT", "setMinLockupPerSource", (12345,), admin),
        ("VAULT", "setWhitelist", (client.address, True), admin),
        ("VAULT", "sanction", (provider.address, 1), admin),
        ("MANAGER", "grantRole", (ROLE_IDS["JUDGE"], client.address), admin),
        ("TERMINAL", "setBaseData", ("base data",), provider),
        ("NEXUS", "setTaskStatus", (client.address, TaskStatus.CANCELED), client),
        ("VAULT", "sanction", (provider.address, 1), client),
        ("TERMINAL", "setLiveData", ("live",), client),
    ]


@pytest.mark.parametrize("index", range(8))
def test_a_lean_send_puts_the_sdks_transaction_on_chain_or_raises_its_error(
    property_sim: Any, index: int
) -> None:
    contract, function, args, signer = calls(property_sim)[index]

    with no_fallback():
        lean = outcome(property_sim, sending.send, contract, function, args, signer)
    sdk = outcome(property_sim, sdk_send, contract, function, args, signer)

    assert lean == sdk
    assert lean[0] != "raised" or lean[-1] == 0  # a revert mines nothing


def test_the_calls_cover_successes_and_reverts(property_sim: Any) -> None:
    results = [outcome(property_sim, sending.send, *call) for call in calls(property_sim)]
    assert [r[0] == "raised" for r in results] == [False] * 5 + [True] * 3


@pytest.mark.parametrize(
    "args",
    [
        ("0x" + "ab" * 20, True),  # an address web3 refuses (not checksummed)
        (b"\x01" * 20, True),  # an address as bytes
        ("0x" + "AB" * 20, 1),  # a bool as an int
    ],
)
def test_arguments_of_other_kinds_go_to_the_sdk(property_sim: Any, args: Any) -> None:
    used: list[str] = []
    original = sending._sdk

    def spy(*call: Any) -> None:
        used.append(call[1])
        original(*call)

    admin = property_sim.accounts.deployer
    sending._sdk = spy
    try:
        lean = outcome(property_sim, sending.send, "VAULT", "setWhitelist", args, admin)
    finally:
        sending._sdk = original
    sdk = outcome(property_sim, sdk_send, "VAULT", "setWhitelist", args, admin)

    assert used == ["setWhitelist"]
    assert lean == sdk


def test_a_revert_hands_the_nonce_back(property_sim: Any) -> None:
    client = property_sim.accounts.client
    handle = property_sim.deployment.contracts["TERMINAL"]
    with property_sim.isolated():
        before = NonceManager.reserve_nonce(client.address, property_sim.w3)
        NonceManager.release_nonce(client.address, before, property_sim.w3)
        with pytest.raises(NotProviderError):
            sending.send(handle, "setLiveData", ("live",), client)
        after = NonceManager.reserve_nonce(client.address, property_sim.w3)
        NonceManager.release_nonce(client.address, after, property_sim.w3)

    assert after == before
