"""ONE conformance suite every chain backend passes (eth-tester style: subclass per backend).

A subclass implements :meth:`ChainConformance.start_chain`; the class then runs every test
against one chain, with the Probe contract deployed once and each test isolated by a
snapshot/revert around it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from ogpu.protocol._base import decode_revert
from ogpu.types.errors import NotTaskOwnerError
from web3 import AsyncHTTPProvider, AsyncWeb3, Web3
from web3.contract import Contract
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    Web3RPCError,
)

from ogpu_sim.chain import DEFAULT_CHAIN_ID, Chain, SnapshotError

from .conformance_node import NodeConformance
from .helpers import PROBE, deploy_probe, funded_account, signed_transfer, transact

NOT_OWNER_DATA = "0x08c379a0" + encode(["string"], ["NotOwner"]).hex()


class ChainConformance(NodeConformance):
    """Behaviour every :class:`~ogpu_sim.chain.Chain` backend must show, as geth/anvil do."""

    @classmethod
    def start_chain(cls, stack: ExitStack) -> Chain:
        """Start the backend under test; register its clean-up on ``stack``."""
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls) -> Iterator[Chain]:
        with ExitStack() as stack:
            yield cls.start_chain(stack)

    @pytest.fixture(scope="class")
    @classmethod
    def w3(cls, chain: Chain) -> Web3:
        return chain.w3

    @pytest.fixture(scope="class")
    @classmethod
    def account(cls, chain: Chain) -> LocalAccount:
        return funded_account(chain)

    @pytest.fixture(scope="class")
    @classmethod
    def probe(cls, w3: Web3, account: LocalAccount) -> Contract:
        return deploy_probe(w3, account)

    @pytest.fixture(autouse=True)
    def isolated(self, chain: Chain, probe: Contract) -> Iterator[None]:
        snapshot_id = chain.snapshot()
        yield
        chain.revert(snapshot_id)

    # -- identity ---------------------------------------------------------------------------
    def test_chain_id_agrees_in_eth_chainId_and_the_CHAINID_opcode(
        self, chain: Chain, w3: Web3, probe: Contract
    ) -> None:
        assert (chain.chain_id, w3.eth.chain_id) == (DEFAULT_CHAIN_ID, DEFAULT_CHAIN_ID)
        assert probe.functions.chainId().call() == DEFAULT_CHAIN_ID

    def test_tx_signed_for_another_chain_id_is_rejected_with_invalid_chain_id(
        self, w3: Web3, account: LocalAccount
    ) -> None:
        with pytest.raises(Web3RPCError) as info:
            w3.eth.send_raw_transaction(signed_transfer(w3, account, chainId=1))
        assert info.value.rpc_response is not None
        error: Any = info.value.rpc_response["error"]
        assert error["code"] == -32003
        assert error["message"].startswith("invalid chain id for signer")

    # -- reverts ----------------------------------------------------------------------------
    def test_call_reverting_with_reason_raises_ContractLogicError_with_the_reason(
        self, probe: Contract, account: LocalAccount
    ) -> None:
        with pytest.raises(ContractLogicError) as info:
            probe.functions.revertWithReason().call({"from": account.address})
        assert type(info.value) is ContractLogicError
        assert info.value.message == "execution reverted: NotOwner"
        assert info.value.data == NOT_OWNER_DATA

    def test_custom_error_raises_ContractCustomError_with_its_encoded_arguments(
        self, probe: Contract, account: LocalAccount
    ) -> None:
        selector = keccak(text="Unauthorized(address,uint256)")[:4]
        expected = "0x" + (selector + encode(["address", "uint256"], [account.address, 7])).hex()
        with pytest.raises(ContractCustomError) as info:
            probe.functions.revertWithCustomError().call({"from": account.address})
        assert info.value.data == expected

    def test_panic_raises_ContractPanicError_with_the_decoded_panic(self, probe: Contract) -> None:
        with pytest.raises(ContractPanicError) as info:
            probe.functions.divide(1, 0).call()
        assert info.value.message == "Panic error 0x12: Division by zero."
        assert info.value.data == "0x4e487b71" + "12".rjust(64, "0")

    def test_web3_built_tx_to_a_reverting_function_fails_at_estimate_time(
        self, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        nonce = w3.eth.get_transaction_count(account.address)
        with pytest.raises(ContractLogicError) as info:
            probe.functions.storeIf(False, 1).build_transaction(
                {"from": account.address, "nonce": nonce}
            )
        assert info.value.message == "execution reverted: Expired"
        assert w3.eth.get_transaction_count(account.address) == nonce

    def test_sdk_decodes_the_estimate_revert_into_its_typed_error(
        self, probe: Contract, account: LocalAccount
    ) -> None:
        with pytest.raises(ContractLogicError) as info:
            probe.functions.revertWithReason().build_transaction({"from": account.address})
        error = decode_revert(info.value, context="Controller.cancelTask(0x1)", caller="0x2")
        assert isinstance(error, NotTaskOwnerError)
        assert "NotOwner" in str(info.value)

    def test_sending_an_already_used_nonce_says_nonce_too_low(
        self, w3: Web3, account: LocalAccount
    ) -> None:
        used = w3.eth.get_transaction_count(account.address)
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(signed_transfer(w3, account))
        )
        with pytest.raises(Web3RPCError) as info:
            w3.eth.send_raw_transaction(signed_transfer(w3, account, nonce=used))
        assert "nonce too low" in str(info.value)

    def test_eth_call_from_an_unfunded_address_works(self, probe: Contract) -> None:
        stranger = Account.create().address
        assert probe.functions.stored().call({"from": stranger}) == 0

    @pytest.mark.parametrize(
        "returned", ["aabb", "aabb00", "00", ""], ids=["plain", "trailing-zero", "zero", "empty"]
    )
    def test_eth_call_without_to_answers_the_code_the_creation_returns(
        self, w3: Web3, returned: str
    ) -> None:
        size = len(returned) // 2
        word = bytes.fromhex(returned).ljust(32, b"\x00").hex()
        # PUSH32 word, PUSH1 0, MSTORE, PUSH1 size, PUSH1 0, RETURN: the first `size` bytes
        init = f"0x7f{word}60005260{size:02x}6000f3"
        answer = w3.eth.call({"data": init})
        assert answer.hex().removeprefix("0x") == returned

    # -- state, snapshots -------------------------------------------------------------------
    def test_revert_restores_the_state_of_the_snapshot(
        self, chain: Chain, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        transact(w3, account, probe.functions.store(1))
        snapshot_id = chain.snapshot()
        transact(w3, account, probe.functions.store(2))
        chain.revert(snapshot_id)
        assert probe.functions.stored().call() == 1

    def test_the_same_snapshot_id_can_be_reverted_to_again_and_again(
        self, chain: Chain, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        snapshot_id = chain.snapshot()
        height = w3.eth.block_number
        for value in (3, 4, 5):
            transact(w3, account, probe.functions.store(value))
            chain.revert(snapshot_id)
            assert (probe.functions.stored().call(), w3.eth.block_number) == (0, height)

    def test_reverting_to_an_older_snapshot_invalidates_younger_ids(
        self, chain: Chain, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        older = chain.snapshot()
        transact(w3, account, probe.functions.store(6))
        younger = chain.snapshot()
        chain.revert(older)
        with pytest.raises(SnapshotError, match="taken after a snapshot that was reverted to"):
            chain.revert(younger)
        assert probe.functions.stored().call() == 0

    def test_reverting_to_an_unknown_snapshot_id_raises_SnapshotError(self, chain: Chain) -> None:
        with pytest.raises(SnapshotError, match="no snapshot with this id"):
            chain.revert("0xdeadbeef")

    def test_a_released_snapshot_id_raises_and_an_older_one_still_reverts(
        self, chain: Chain, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        older = chain.snapshot()
        transact(w3, account, probe.functions.store(8))
        released = chain.snapshot()
        transact(w3, account, probe.functions.store(9))
        chain.revert(released)
        chain.release(released)
        with pytest.raises(SnapshotError, match="released after its isolated block ended"):
            chain.revert(released)
        assert probe.functions.stored().call() == 8
        chain.revert(older)
        assert probe.functions.stored().call() == 0

    def test_set_balance_sets_the_exact_balance_up_and_down(self, chain: Chain, w3: Web3) -> None:
        address = Account.create().address
        chain.set_balance(address, 12_345)
        assert w3.eth.get_balance(address) == 12_345
        chain.set_balance(address, 7)
        assert w3.eth.get_balance(address) == 7

    def test_set_balance_is_undone_by_revert(self, chain: Chain, w3: Web3) -> None:
        address = Account.create().address
        snapshot_id = chain.snapshot()
        chain.set_balance(address, 5 * 10**18)
        chain.revert(snapshot_id)
        assert w3.eth.get_balance(address) == 0

    # -- time and blocks --------------------------------------------------------------------
    def test_now_is_not_behind_the_wall_clock(self, chain: Chain) -> None:
        assert chain.now() >= int(time.time())

    def test_advance_time_moves_block_timestamp(
        self, chain: Chain, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        target = chain.now() + 7200
        chain.advance_time(7200)
        assert chain.now() >= target
        receipt = transact(w3, account, probe.functions.storeTimestampNotBefore(target))
        assert w3.eth.get_block(receipt["blockNumber"])["timestamp"] >= target
        assert probe.functions.stored().call() >= target

    def test_revert_restores_the_time_offset(self, chain: Chain) -> None:
        before = chain.now()
        snapshot_id = chain.snapshot()
        chain.advance_time(100_000)
        chain.revert(snapshot_id)
        assert before <= chain.now() < before + 100_000

    def test_a_tx_after_a_wall_clock_sleep_is_mined_at_wall_clock_time(
        self, chain: Chain, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        chain.mine()
        time.sleep(1.1)
        sent_at = int(time.time())
        receipt = transact(w3, account, probe.functions.store(1))
        assert w3.eth.get_block(receipt["blockNumber"])["timestamp"] >= sent_at

    def test_mine_adds_blocks_in_time_order(self, chain: Chain, w3: Web3) -> None:
        start = w3.eth.block_number
        chain.mine(3)
        assert w3.eth.block_number == start + 3
        stamps = [w3.eth.get_block(start + i)["timestamp"] for i in range(4)]
        assert stamps == sorted(stamps)

    # -- gas --------------------------------------------------------------------------------
    def test_estimate_for_a_tx_deploying_children_is_enough_on_chain(
        self, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        estimate = probe.functions.spawn(4).estimate_gas({"from": account.address})
        receipt = transact(w3, account, probe.functions.spawn(4), gas=estimate)
        assert receipt["status"] == 1
        assert receipt["gasUsed"] <= estimate
        assert probe.functions.childCount().call() == 4

    def test_a_tx_running_out_of_gas_is_mined_with_status_0(
        self, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        receipt = transact(w3, account, probe.functions.spawn(2), gas=60_000)
        assert receipt["status"] == 0
        assert receipt["gasUsed"] <= 60_000
        assert probe.functions.childCount().call() == 0

    # -- events -----------------------------------------------------------------------------
    def test_events_are_found_with_eth_getLogs(
        self, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        receipt = transact(w3, account, probe.functions.store(42))
        block = receipt["blockNumber"]
        logs = probe.events.Stored.get_logs(from_block=block, to_block=block)
        assert [(log["args"]["sender"], log["args"]["value"]) for log in logs] == [
            (account.address, 42)
        ]
        assert logs[0]["transactionHash"] == receipt["transactionHash"]

    def test_log_filter_over_http_reports_each_new_event_once(
        self, chain: Chain, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        async def scenario() -> list[list[int]]:
            aw3 = AsyncWeb3(AsyncHTTPProvider(chain.serve()))
            try:
                contract = aw3.eth.contract(address=probe.address, abi=PROBE["abi"])
                flt = await contract.events.Stored.create_filter(from_block="latest")
                transact(w3, account, probe.functions.store(7))
                first = [e["args"]["value"] for e in await flt.get_new_entries()]
                second = [e["args"]["value"] for e in await flt.get_new_entries()]
                return [first, second]
            finally:
                await aw3.provider.disconnect()

        assert asyncio.run(scenario()) == [[7], []]

    def test_log_filter_from_a_past_block_returns_its_logs_on_first_poll(
        self, chain: Chain, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        block = transact(w3, account, probe.functions.store(5))["blockNumber"]
        chain.mine()

        async def scenario() -> list[int]:
            aw3 = AsyncWeb3(AsyncHTTPProvider(chain.serve()))
            try:
                contract = aw3.eth.contract(address=probe.address, abi=PROBE["abi"])
                flt = await contract.events.Stored.create_filter(from_block=block)
                return [e["args"]["value"] for e in await flt.get_new_entries()]
            finally:
                await aw3.provider.disconnect()

        assert asyncio.run(scenario()) == [5]

    def test_log_filter_from_the_heads_number_reports_only_later_blocks(
        self, chain: Chain, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        # What the SDK's watchers send for from_block=None: the head's number, read just before.
        transact(w3, account, probe.functions.store(4))

        async def scenario() -> list[list[int]]:
            aw3 = AsyncWeb3(AsyncHTTPProvider(chain.serve()))
            try:
                contract = aw3.eth.contract(address=probe.address, abi=PROBE["abi"])
                head = await aw3.eth.block_number
                flt = await contract.events.Stored.create_filter(from_block=head)
                before = [e["args"]["value"] for e in await flt.get_new_entries()]
                transact(w3, account, probe.functions.store(6))
                after = [e["args"]["value"] for e in await flt.get_new_entries()]
                return [before, after]
            finally:
                await aw3.provider.disconnect()

        assert asyncio.run(scenario()) == [[], [6]]

    def test_block_filter_over_http_reports_new_block_hashes(self, chain: Chain, w3: Web3) -> None:
        async def scenario() -> list[bytes]:
            aw3 = AsyncWeb3(AsyncHTTPProvider(chain.serve()))
            try:
                flt = await aw3.eth.filter("latest")
                chain.mine(2)
                return [bytes(h) for h in await flt.get_new_entries()]
            finally:
                await aw3.provider.disconnect()

        hashes = asyncio.run(scenario())
        head = w3.eth.block_number
        assert hashes == [bytes(w3.eth.get_block(n)["hash"]) for n in (head - 1, head)]
