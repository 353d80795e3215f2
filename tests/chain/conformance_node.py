"""The node-conformance part of :class:`~tests.chain.conformance.ChainConformance`.

What web3.py's module suites showed missing or wrong on the in-process nodes (ogpu-sim's
docs/node-conformance.md), pinned on every backend: unlocked dev accounts, the methods derived
from blocks, storage reads, state overrides, block semantics and argument errors.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3RPCError

from ogpu_sim.chain import Chain

from .helpers import send, signed_transfer, transact

DEV_ADDRESSES = [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
]
"""The first ten accounts of the public dev mnemonic, as anvil lists them."""

SYNC = "eth_sendRawTransactionSync"
FEES = {"maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9}
RETURN_5 = "0x600560005260206000f3"  # PUSH1 5 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
RETURN_SLOT_1 = "0x60015460005260206000f3"  # SLOAD(1), then return it
STRANGER = "0x00000000000000000000000000000000000000C1"


def _answer(w3: Web3, method: str, params: list[Any]) -> dict[str, Any]:
    """The whole JSON-RPC response to one call (``result`` or ``error``)."""
    return dict(w3.provider.make_request(method, params))  # type: ignore[arg-type]


def rpc_error(info: pytest.ExceptionInfo[Web3RPCError]) -> dict[str, Any]:
    assert info.value.rpc_response is not None
    error: dict[str, Any] = info.value.rpc_response["error"]
    return error


class NodeConformance:
    """Node behaviour web3.py's conformance suites check, as anvil shows it."""

    # -- unlocked dev accounts ----------------------------------------------------------------
    def test_eth_accounts_lists_the_ten_dev_accounts_with_10000_ether(self, w3: Web3) -> None:
        assert w3.eth.accounts == DEV_ADDRESSES
        assert w3.eth.get_balance(DEV_ADDRESSES[9]) == 10_000 * 10**18

    def test_eth_sendTransaction_from_a_dev_account_is_signed_and_mined_by_the_node(
        self, w3: Web3
    ) -> None:
        sender, receiver = DEV_ADDRESSES[8], Account.create().address
        tx_hash = w3.eth.send_transaction({"from": sender, "to": receiver, "value": 12345})
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
        assert (receipt["status"], receipt["from"], w3.eth.get_balance(receiver)) == (
            1,
            sender,
            12345,
        )

    def test_eth_sendTransaction_from_an_account_without_a_key_is_refused(self, w3: Web3) -> None:
        with pytest.raises(Web3RPCError):
            w3.eth.send_transaction({"from": STRANGER, "to": STRANGER, "value": 1})

    def test_eth_sign_is_an_eip191_signature_by_the_dev_account(self, w3: Web3) -> None:
        signature = w3.eth.sign(DEV_ADDRESSES[1], text="hello node")
        signer = Account.recover_message(encode_defunct(text="hello node"), signature=signature)
        assert signer == DEV_ADDRESSES[1]

    def test_eth_signTypedData_v4_is_an_eip712_signature_by_the_dev_account(self, w3: Web3) -> None:
        typed: dict[str, Any] = {
            "types": {
                "EIP712Domain": [{"name": "name", "type": "string"}],
                "Note": [{"name": "text", "type": "string"}],
            },
            "primaryType": "Note",
            "domain": {"name": "ogpu-sim"},
            "message": {"text": "hi"},
        }
        signature = w3.manager.request_blocking("eth_signTypedData_v4", [DEV_ADDRESSES[2], typed])
        signable = encode_typed_data(full_message=typed)
        assert Account.recover_message(signable, signature=signature) == DEV_ADDRESSES[2]

    # -- methods derived from blocks ----------------------------------------------------------
    def test_transactions_are_found_by_block_and_index_and_as_raw_bytes(
        self, w3: Web3, account: LocalAccount
    ) -> None:
        tx_hash = w3.eth.send_raw_transaction(signed_transfer(w3, account))
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
        number, block_hash = receipt["blockNumber"], receipt["blockHash"]
        assert w3.eth.get_block_transaction_count(number) == 1
        assert w3.eth.get_block_transaction_count(block_hash) == 1
        assert w3.eth.get_transaction_by_block(number, 0)["hash"] == tx_hash
        assert w3.eth.get_transaction_by_block(block_hash, 0)["hash"] == tx_hash
        raw = w3.eth.get_raw_transaction(tx_hash)
        assert Account.recover_transaction(raw) == account.address
        assert w3.eth.get_raw_transaction_by_block(number, 0) == raw
        assert w3.eth.get_raw_transaction_by_block(block_hash, 0) == raw

    def test_block_receipts_are_the_receipts_of_its_transactions(
        self, w3: Web3, account: LocalAccount
    ) -> None:
        tx_hash = w3.eth.send_raw_transaction(signed_transfer(w3, account))
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
        receipts = w3.eth.get_block_receipts(receipt["blockNumber"])
        assert [r["transactionHash"] for r in receipts] == [tx_hash]

    def test_blocks_have_no_uncles_and_a_blob_base_fee_of_at_least_1(self, w3: Web3) -> None:
        assert w3.eth.get_uncle_count("latest") == 0
        assert (
            w3.manager.request_blocking("eth_getUncleByBlockNumberAndIndex", ["latest", "0x0"])
            is None
        )
        assert w3.eth.blob_base_fee >= 1

    def test_a_pending_transaction_filter_reports_the_hash_of_a_sent_transaction(
        self, w3: Web3, account: LocalAccount
    ) -> None:
        pending = w3.eth.filter("pending")
        assert pending.get_new_entries() == []
        tx_hash = w3.eth.send_raw_transaction(signed_transfer(w3, account))
        w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
        assert pending.get_new_entries() == [tx_hash]

    # -- sending with the receipt (EIP-7966, as anvil has it) --------------------------------
    def test_a_sync_send_answers_the_receipt_of_the_mined_transaction(
        self, w3: Web3, account: LocalAccount
    ) -> None:
        raw = signed_transfer(w3, account)

        receipt = _answer(w3, SYNC, ["0x" + raw.hex()])["result"]

        assert receipt["transactionHash"] == "0x" + keccak(raw).hex()
        assert receipt["status"] == "0x1"
        assert (
            receipt
            == _answer(w3, "eth_getTransactionReceipt", [receipt["transactionHash"]])["result"]
        )

    def test_a_reverting_transaction_sent_sync_is_mined_and_answered_with_status_0(
        self, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        nonce = w3.eth.get_transaction_count(account.address)
        tx = probe.functions.revertWithReason().build_transaction(
            {"from": account.address, "nonce": nonce, "gas": 100_000, **FEES}
        )
        raw = account.sign_transaction(tx).raw_transaction

        receipt = _answer(w3, SYNC, ["0x" + raw.hex()])["result"]

        assert (receipt["status"], receipt["logs"]) == ("0x0", [])
        assert w3.eth.get_transaction_count(account.address) == nonce + 1

    @pytest.mark.parametrize("problem", ["undecodable", "used nonce", "foreign chain id"])
    def test_a_bad_transaction_sent_sync_gets_the_error_a_plain_send_gets(
        self, w3: Web3, account: LocalAccount, problem: str
    ) -> None:
        if problem == "used nonce":
            w3.eth.wait_for_transaction_receipt(
                w3.eth.send_raw_transaction(signed_transfer(w3, account))
            )
        raw = {
            "undecodable": b"\xde\xad\xbe\xef",
            "used nonce": signed_transfer(w3, account, nonce=0),
            "foreign chain id": signed_transfer(w3, account, chainId=1),
        }[problem]

        sync = _answer(w3, SYNC, ["0x" + raw.hex()])["error"]

        assert sync == _answer(w3, "eth_sendRawTransaction", ["0x" + raw.hex()])["error"]
        assert sync["code"] in (-32602, -32003, -32000)

    # -- storage and state overrides ----------------------------------------------------------
    def test_eth_getStorageAt_reads_a_slot_by_short_and_by_32_byte_index(
        self, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        transact(w3, account, probe.functions.store(77))
        word = (77).to_bytes(32, "big")
        assert w3.eth.get_storage_at(probe.address, 0) == word
        slot = "0x" + "00" * 32
        assert (
            bytes.fromhex(
                w3.manager.request_blocking("eth_getStorageAt", [probe.address, slot, "latest"])[2:]
            )
            == word
        )

    def test_a_code_override_runs_the_given_code(self, w3: Web3) -> None:
        result = w3.eth.call({"to": STRANGER}, "latest", {STRANGER: {"code": RETURN_5}})
        assert int.from_bytes(result, "big") == 5
        assert w3.eth.get_code(STRANGER) == b""

    def test_a_balance_override_pays_for_the_call(self, w3: Web3) -> None:
        call = {"from": STRANGER, "to": DEV_ADDRESSES[7], "value": 10**18}
        assert w3.eth.call(call, "latest", {STRANGER: {"balance": 2 * 10**18}}) == b""  # type: ignore[arg-type]
        with pytest.raises(Web3RPCError):
            w3.eth.call(call)  # type: ignore[arg-type]
        assert w3.eth.get_balance(STRANGER) == 0

    def test_a_state_diff_override_is_read_by_the_code(self, w3: Web3) -> None:
        slot, word = "0x" + "00" * 31 + "01", "0x" + "00" * 31 + "2a"
        override = {STRANGER: {"code": RETURN_SLOT_1, "stateDiff": {slot: word}}}
        assert int.from_bytes(w3.eth.call({"to": STRANGER}, "latest", override), "big") == 42  # type: ignore[arg-type]
        assert w3.eth.get_storage_at(STRANGER, 1) == b"\x00" * 32

    def test_an_estimate_honours_a_code_override(self, w3: Web3) -> None:
        plain = w3.eth.estimate_gas({"to": STRANGER})
        overridden = w3.eth.estimate_gas({"to": STRANGER}, "latest", {STRANGER: {"code": RETURN_5}})
        assert (plain, overridden > plain) == (21000, True)

    def test_an_unknown_override_field_is_refused_not_ignored(self, w3: Web3) -> None:
        with pytest.raises(Web3RPCError):
            w3.eth.call({"to": STRANGER}, "latest", {STRANGER: {"codes": RETURN_5}})  # type: ignore[dict-item]

    # -- block semantics ----------------------------------------------------------------------
    def test_a_block_past_the_head_is_null(self, w3: Web3) -> None:
        future = w3.eth.block_number + 1000
        assert w3.manager.request_blocking("eth_getBlockByNumber", [hex(future), False]) is None

    def test_the_pending_block_is_the_next_one(self, w3: Web3) -> None:
        pending = w3.manager.request_blocking("eth_getBlockByNumber", ["pending", False])
        assert int(pending["number"], 16) == w3.eth.block_number + 1

    # -- argument errors ----------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("method", "params"),
        [
            ("eth_getBalance", []),
            ("eth_chainId", ["0x1"]),
            ("eth_getStorageAt", [STRANGER]),
            ("eth_sendRawTransactionSync", []),
        ],
    )
    def test_a_missing_or_extra_argument_is_minus_32602_without_internals(
        self, w3: Web3, method: str, params: list[Any]
    ) -> None:
        response = w3.provider.make_request(method, params)  # type: ignore[arg-type]
        error = response["error"]
        assert error["code"] == -32602
        assert "<lambda>" not in error["message"] and "<locals>" not in error["message"]

    def test_a_gas_limit_below_21000_is_refused_as_intrinsic_gas_too_low(
        self, w3: Web3, account: LocalAccount
    ) -> None:
        with pytest.raises(Web3RPCError) as info:
            w3.eth.send_raw_transaction(signed_transfer(w3, account, gas=20_000))
        assert "intrinsic gas too low" in rpc_error(info)["message"]

    def test_state_is_readable_at_a_past_block(
        self, chain: Chain, w3: Web3, account: LocalAccount
    ) -> None:
        address = Account.create().address
        first = send(w3, account, {"to": address, "value": 5})["blockNumber"]
        send(w3, account, {"to": address, "value": 4})
        assert (w3.eth.get_balance(address, first), w3.eth.get_balance(address)) == (5, 9)

    # -- simulation, access lists, set-code transactions --------------------------------------
    def test_eth_simulateV1_runs_calls_in_order_on_overridden_state_and_keeps_nothing(
        self, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        store = probe.functions.store(5).build_transaction({"from": account.address, "gas": 10**6})
        read = {"from": account.address, "to": probe.address, "input": probe.encode_abi("stored")}
        payload = {
            "blockStateCalls": [
                {
                    "stateOverrides": {STRANGER: {"balance": hex(10**18)}},
                    "calls": [
                        {"from": account.address, "to": probe.address, "input": store["data"]},
                        read,
                    ],
                }
            ]
        }
        (block,) = w3.manager.request_blocking("eth_simulateV1", [payload, "latest"])
        stored = [
            int(call["returnData"], 16) if call["returnData"] != "0x" else None
            for call in block["calls"]
        ]
        assert ([c["status"] for c in block["calls"]], stored) == (["0x1", "0x1"], [None, 5])
        assert probe.functions.stored().call() == 0

    def test_eth_createAccessList_lists_the_slot_a_call_writes(
        self, w3: Web3, probe: Contract, account: LocalAccount
    ) -> None:
        tx = probe.functions.store(9).build_transaction({"from": account.address})
        answer = w3.manager.request_blocking(
            "eth_createAccessList",
            [{"from": account.address, "to": probe.address, "input": tx["data"]}, "latest"],
        )
        entries = [(e["address"].lower(), e["storageKeys"]) for e in answer["accessList"]]
        assert entries == [(probe.address.lower(), ["0x" + "00" * 32])]
        assert int(answer["gasUsed"], 16) > 21_000

    def test_a_set_code_transaction_delegates_the_account(
        self, chain: Chain, w3: Web3, probe: Contract
    ) -> None:
        delegator: LocalAccount = Account.create()
        chain.set_balance(delegator.address, 10**18)
        auth = delegator.sign_authorization(
            {"chainId": w3.eth.chain_id, "address": probe.address, "nonce": 1}
        )
        raw = delegator.sign_transaction(
            {
                "chainId": w3.eth.chain_id,
                "to": delegator.address,
                "value": 0,
                "gas": 100_000,
                "nonce": 0,
                "maxFeePerGas": 10 * 10**9,
                "maxPriorityFeePerGas": 10**9,
                "authorizationList": [auth],
            }
        ).raw_transaction
        w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw), timeout=10)
        assert w3.eth.get_code(delegator.address) == bytes.fromhex("ef0100" + probe.address[2:])
