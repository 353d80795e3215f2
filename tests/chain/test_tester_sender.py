"""A sent transaction's sender recovered from its signed bytes (tester_mine.seed_sender) is the
one py-evm recovers; what it cannot decode keeps py-evm's recovery and its errors."""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth_account import Account

from ogpu_sim.chain import tester_node
from ogpu_sim.chain.jsonrpc import RpcError
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_mine import seed_sender

KEY = Account.create()
TO = "0x000000000000000000000000000000000000dEaD"


def _raw(chain: TesterChain, **fields: Any) -> bytes:
    tx = {"to": TO, "value": 1, "gas": 30000, "nonce": 0, "chainId": chain.chain_id, **fields}
    return bytes(KEY.sign_transaction(tx).raw_transaction)


def _decoded(chain: TesterChain, raw: bytes) -> Any:
    return chain.node.chain.get_vm().get_transaction_builder().decode(raw)


@pytest.mark.parametrize(
    "fields",
    [
        {"gasPrice": 10**9},  # legacy, EIP-155
        {"maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1, "data": "0x" + "01" * 300},
    ],
)
def test_the_seeded_sender_is_py_evm_s(chain: TesterChain, fields: dict[str, Any]) -> None:
    raw = _raw(chain, **fields)
    seeded, plain = _decoded(chain, raw), _decoded(chain, raw)
    seed_sender(seeded, raw)
    assert vars(seeded)["sender"] == plain.sender == bytes.fromhex(KEY.address[2:])


def test_an_access_list_transaction_keeps_py_evm_s_recovery(chain: TesterChain) -> None:
    raw = _raw(chain, gasPrice=10**9, accessList=[{"address": TO, "storageKeys": []}])
    tx = _decoded(chain, raw)
    seed_sender(tx, raw)
    assert "sender" not in vars(tx)
    assert tx.sender == bytes.fromhex(KEY.address[2:])


def test_a_high_s_signature_is_refused_with_py_evm_s_error(
    chain: TesterChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = rlp.decode(_raw(chain, gasPrice=10**9))
    order = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = int.from_bytes(fields[8], "big")
    flipped = rlp.encode([*fields[:7], fields[7], (order - s).to_bytes(32, "big")])

    def refusal() -> tuple[int, str]:
        with pytest.raises(RpcError) as raised:
            chain.node.request("eth_sendRawTransaction", ["0x" + flipped.hex()])
        return raised.value.code, raised.value.message

    seeded = refusal()
    assert seeded[0] == -32000
    assert seeded[1].startswith(f"Transaction.s {order - s} is not less than or equal to ")
    monkeypatch.setattr(tester_node, "seed_sender", lambda tx, raw: None)
    assert seeded == refusal()
