"""The chain conformance suite, run against every backend."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3RPCError

from ogpu_sim.chain import Chain, create_chain
from ogpu_sim.chain.anvil import AnvilNotFoundError, find_anvil
from ogpu_sim.chain.remote import RemoteChain

from .conformance import ChainConformance
from .helpers import IN_CI


def _anvil_missing() -> str | None:
    try:
        find_anvil()
    except AnvilNotFoundError as exc:
        return str(exc)
    return None


class TestTesterChain(ChainConformance):
    """The in-process eth-tester chain through its own web3 provider."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        return stack.enter_context(create_chain("eth-tester"))


class TestServedTesterChain(ChainConformance):
    """The eth-tester chain served over our HTTP JSON-RPC server, driven as a RemoteChain."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        served = stack.enter_context(create_chain("eth-tester"))
        return stack.enter_context(RemoteChain(served.serve()))


@pytest.mark.anvil
@pytest.mark.skipif(
    _anvil_missing() is not None and not IN_CI, reason="anvil binary absent (make install)"
)
class TestAnvilChain(ChainConformance):
    """A private anvil process started by AnvilChain."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        return stack.enter_context(create_chain("anvil"))


class RevmConformance(ChainConformance):
    """What the revm backend cannot do, and says so (docs/node-conformance.md)."""

    @pytest.mark.xfail(
        reason="revm keeps only the latest state: a past block is refused",
        raises=Web3RPCError,
        strict=True,
    )
    def test_state_is_readable_at_a_past_block(
        self, chain: Chain, w3: Web3, account: LocalAccount
    ) -> None:
        super().test_state_is_readable_at_a_past_block(chain, w3, account)

    @pytest.mark.xfail(
        reason="pyrevm does not report the accounts and slots a call touches",
        raises=Web3RPCError,
        strict=True,
    )
    def test_eth_createAccessList_lists_the_slot_a_call_writes(
        self, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        super().test_eth_createAccessList_lists_the_slot_a_call_writes(w3, probe, account)

    @pytest.mark.xfail(
        reason="revm runs Cancun: type-4 transactions are refused",
        raises=Web3RPCError,
        strict=True,
    )
    def test_a_set_code_transaction_delegates_the_account(
        self, chain: Chain, w3: Web3, probe: Contract
    ) -> None:
        super().test_a_set_code_transaction_delegates_the_account(chain, w3, probe)


class TestRevmChain(RevmConformance):
    """The in-process revm chain through its own web3 provider."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        return stack.enter_context(create_chain("revm"))


class TestServedRevmChain(RevmConformance):
    """The revm chain served over our HTTP JSON-RPC server, driven as a RemoteChain."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        served = stack.enter_context(create_chain("revm"))
        return stack.enter_context(RemoteChain(served.serve()))
