"""Account reads at latest from the head state (ogpu_sim.chain.tester_reads) answer what
eth-tester's own reads answer, errors included, and follow the head as it moves."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from ogpu_sim.chain.jsonrpc import RpcError
from ogpu_sim.chain.tester import TesterChain

from .helpers import transact

READS = ("eth_getBalance", "eth_getTransactionCount", "eth_getCode")
ELSEWHERE = "0x00000000000000000000000000000000000ab0DE"


def _outcome(node: Any, method: str, params: list[Any]) -> Any:
    try:
        return node.request(method, params)
    except RpcError as exc:
        return ("error", exc.code, exc.message)


def _tester_answer(node: Any, method: str, params: list[Any]) -> Any:
    """The same read through eth-tester (a past block tag naming the head takes its path)."""
    head = hex(node.head_number)
    return _outcome(node, method, [*params[:-1], head])


def _addresses(account: LocalAccount, probe: Contract) -> list[str]:
    return [account.address, probe.address, probe.address.lower(), ELSEWHERE]


def test_every_read_answers_what_eth_tester_answers(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    node = chain.node
    for address in _addresses(account, probe):
        for method in READS:
            for tag in ("latest", "pending", None):
                params = [address] if tag is None else [address, tag]
                answer = _outcome(node, method, params)
                assert answer == _tester_answer(node, method, [address, "latest"])
        for slot in ("0x0", "0x1", "0x" + "f" * 64):
            params = [address, slot, "latest"]
            assert _outcome(node, "eth_getStorageAt", params) == _tester_answer(
                node, "eth_getStorageAt", params
            )


def test_the_probe_s_stored_value_is_read_from_its_slot(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    transact(chain.w3, account, probe.functions.store(41))
    word = chain.node.request("eth_getStorageAt", [probe.address, "0x0", "latest"])
    assert word == "0x" + f"{41:064x}"


@pytest.mark.parametrize(
    "address",
    ["0x1234", "0x00000000000000000000000000000000000aB0DE", 7, "zz" * 21, None],
)
def test_a_bad_address_is_refused_with_eth_tester_s_message(
    chain: TesterChain, address: Any
) -> None:
    for method in READS:
        answer = _outcome(chain.node, method, [address, "latest"])
        assert answer[0] == "error"
        assert answer == _tester_answer(chain.node, method, [address, "latest"])


def test_reads_follow_a_send_a_balance_write_and_a_revert(
    chain: TesterChain, account: LocalAccount
) -> None:
    node = chain.node
    nonce = int(node.request("eth_getTransactionCount", [account.address, "latest"]), 16)
    snapshot = node.snapshot()
    chain.w3.eth.send_raw_transaction(
        account.sign_transaction(
            {
                "to": ELSEWHERE,
                "value": 5,
                "gas": 21000,
                "maxFeePerGas": 10**10,
                "maxPriorityFeePerGas": 1,
                "nonce": nonce,
                "chainId": chain.chain_id,
            }
        ).raw_transaction
    )
    assert node.request("eth_getTransactionCount", [account.address, "latest"]) == hex(nonce + 1)
    before = int(node.request("eth_getBalance", [ELSEWHERE, "latest"]), 16)
    node.set_balance(ELSEWHERE, before + 10)
    assert node.request("eth_getBalance", [ELSEWHERE, "latest"]) == hex(before + 10)
    node.revert(snapshot)
    assert node.request("eth_getTransactionCount", [account.address, "latest"]) == hex(nonce)
    assert node.request("eth_getBalance", [ELSEWHERE, "latest"]) == hex(before - 5)


@pytest.mark.parametrize(
    "address",
    [
        "0x" + "ab" * 20,
        "0x" + "AB" * 20,
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    ],
)
def test_a_direct_read_takes_the_address_as_to_canonical_address_does(address):
    from eth_utils import to_canonical_address

    from ogpu_sim.chain.tester_reads import _canonical

    assert _canonical(address) == to_canonical_address(address)


@pytest.mark.parametrize("address", ["0x" + "ab" * 19 + " a", "0x" + "ab" * 19, "0x" + "zz" * 20])
def test_a_direct_read_refuses_what_is_not_twenty_bytes_of_hex(address):
    from ogpu_sim.chain.tester_reads import _canonical

    with pytest.raises(ValueError):
        _canonical(address)
