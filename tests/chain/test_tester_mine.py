"""A sent transaction mined in one step (ogpu_sim.chain.tester_mine) gives py-evm's own chain.

Two eth-tester chains start from the same genesis (its time fixed) and follow the same clock
and the same mix hashes; one mines every sent transaction through py-evm's own
``apply_transaction`` + ``mine_block`` (the fused path switched off), the other through
:func:`~ogpu_sim.chain.tester_mine.apply_and_mine`. After the same sends (transfers of every
type, a deployment, calls with events, reverts, a zero tip, payments to the coinbase, refused
transactions) the two agree on every header byte, block, receipt, log, error and state root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
import rlp
from eth.db.trie import make_trie_root_and_nodes
from eth.vm.forks.cancun.state import CancunTransactionExecutor
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester.backends.pyevm import main as pyevm_main
from eth_tester.utils.address import generate_contract_address
from eth_utils import to_canonical_address
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from ogpu_sim.chain import tester_mine, tester_node
from ogpu_sim.chain.dev_accounts import dev_account
from ogpu_sim.chain.jsonrpc import RpcError
from ogpu_sim.chain.tester import TesterChain

from .helpers import PROBE

GENESIS_TIME = 1_700_000_000
CHAIN_ID = 31337
PROBE_ADDRESS = Web3.to_checksum_address(
    generate_contract_address(to_canonical_address(dev_account(0).address), 0)
)
"""The Probe's address: the first dev account's first creation (nonce 0)."""
PROBE_CONTRACT = Web3().eth.contract(abi=PROBE["abi"])
FUSED: list[Any] = []
"""The transactions the fused path mined in this test."""


def fix_genesis_time_and_mix_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chain made after this starts at :data:`GENESIS_TIME` and mines the same mix hash."""
    monkeypatch.setattr(pyevm_main, "time", SimpleNamespace(time=lambda: float(GENESIS_TIME)))
    fixed_mix = SimpleNamespace(urandom=lambda n: b"\x07" * n)
    monkeypatch.setattr(tester_node, "os", fixed_mix)
    monkeypatch.setattr(pyevm_main, "os", fixed_mix)


@contextmanager
def twin_chains() -> Iterator[tuple[TesterChain, TesterChain]]:
    """Two chains (after :func:`fix_genesis_time_and_mix_hashes`) on one fixed clock."""
    with TesterChain(CHAIN_ID) as theirs, TesterChain(CHAIN_ID) as ours:
        for chain in (theirs, ours):
            chain.node.clock = lambda: GENESIS_TIME + 12
        yield theirs, ours


@pytest.fixture
def pair(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TesterChain, TesterChain]]:
    """(py-evm's path, the fused path): two chains with the same genesis and a fixed clock."""
    fix_genesis_time_and_mix_hashes(monkeypatch)
    fused = tester_node.apply_and_mine

    def counted(*args: Any, **kwargs: Any) -> Any:
        FUSED.append(args[1])
        return fused(*args, **kwargs)

    monkeypatch.setattr(tester_node, "apply_and_mine", counted)
    FUSED.clear()
    with twin_chains() as chains:
        yield chains


def both(
    pair: tuple[TesterChain, TesterChain],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    *params: Any,
) -> Any:
    """``method`` answered by py-evm's path, then by the fused one (the mix hashes in step)."""
    theirs, ours = pair
    with monkeypatch.context() as patch:
        patch.setattr(tester_node, "applies", lambda chain, tx: False)
        expected = answer(theirs, method, params)
    assert answer(ours, method, params) == expected
    return expected


def answer(chain: TesterChain, method: str, params: tuple[Any, ...]) -> Any:
    try:
        return ("ok", chain.node.request(method, list(params)))
    except RpcError as exc:
        return ("error", exc.code, exc.message)


def signed(account: LocalAccount, nonce: int, **fields: Any) -> str:
    tx: dict[str, Any] = {
        "to": "0x000000000000000000000000000000000000dEaD",
        "value": 1,
        "gas": 100_000,
        "nonce": nonce,
        "chainId": CHAIN_ID,
        **fields,
    }
    if "gasPrice" not in tx:
        tx.setdefault("maxFeePerGas", 5 * 10**9)
        tx.setdefault("maxPriorityFeePerGas", 10**9)
    return "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()


def chain_contents(chain: TesterChain, hashes: list[str]) -> dict[str, Any]:
    """Every block (header bytes too), receipt, log, the pending header but its time, and
    every key and value of the chain's database."""
    node = chain.node
    py_chain = node.chain

    headers = [
        rlp.encode(py_chain.get_canonical_block_header_by_number(number))
        for number in range(node.head_number + 1)
    ]
    pending = py_chain.header.as_dict()
    pending.pop("timestamp")
    return {
        "headers": headers,
        "blocks": [node.get_block(hex(n), True) for n in range(node.head_number + 1)],
        "receipts": [node.get_receipt(h) for h in hashes],
        "transactions": [node.get_transaction(h) for h in hashes],
        "raw": [node.get_raw_transaction(h) for h in hashes],
        "logs": node.filters.logs({"fromBlock": "0x0", "toBlock": "latest"}),
        "pending": pending,
        "state_root": py_chain.get_canonical_head().state_root,
        "database": dict(py_chain.chaindb.db.wrapped_db.kv_store),
    }


def sends(
    pair: tuple[TesterChain, TesterChain], monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], str]:
    def send(raw: str) -> str:
        before = len(FUSED)
        kind, *value = both(pair, monkeypatch, "eth_sendRawTransaction", raw)
        assert kind == "ok", value
        assert len(FUSED) == before + 1  # mined by the fused path on ``ours``
        return str(value[0])

    return send


def test_transfers_deployments_calls_and_reverts_mine_py_evms_blocks(
    pair: tuple[TesterChain, TesterChain], monkeypatch: pytest.MonkeyPatch
) -> None:
    sender, other = dev_account(0), dev_account(1)
    send = sends(pair, monkeypatch)
    call = PROBE_CONTRACT.encode_abi
    hashes = [
        send(signed(sender, 0, to=None, value=0, data=PROBE["bytecode"], gas=3_000_000)),
        send(signed(sender, 1, to=PROBE_ADDRESS, value=0, data=call("store", (7,)))),
        send(signed(sender, 2, to=PROBE_ADDRESS, value=0, data=call("revertWithReason", ()))),
        send(signed(sender, 3, to=PROBE_ADDRESS, value=0, data=call("spawn", (2,)), gas=900_000)),
        send(signed(sender, 4, gasPrice=2 * 10**9)),  # legacy
        send(signed(sender, 5, gasPrice=2 * 10**9, accessList=[])),  # EIP-2930
        send(signed(other, 0, maxPriorityFeePerGas=0)),  # the coinbase touched with nothing
        send(signed(other, 1, to="0x" + "00" * 20, value=5)),  # paid to the coinbase itself
        send(signed(other, 2, to=other.address, gas=21_000)),
    ]
    theirs, ours = pair
    assert chain_contents(ours, hashes) == chain_contents(theirs, hashes)
    assert ours.node.head_number == 9
    receipts = [ours.node.get_receipt(tx_hash) for tx_hash in hashes[:4]]
    assert [(r["status"], len(r["logs"])) for r in receipts] == [
        ("0x1", 0),
        ("0x1", 1),
        ("0x0", 0),
        ("0x1", 2),
    ]
    assert receipts[0]["contractAddress"] == PROBE_ADDRESS


def test_refused_transactions_give_py_evms_errors_and_change_nothing(
    pair: tuple[TesterChain, TesterChain], monkeypatch: pytest.MonkeyPatch
) -> None:
    sender, poor = dev_account(0), Account.create()
    send = sends(pair, monkeypatch)
    hashes = [send(signed(sender, 0))]
    refused = [
        signed(sender, 0),  # nonce too low
        signed(sender, 5),  # nonce too high
        signed(poor, 0),  # no funds
        signed(sender, 1, gas=20_000),  # intrinsic gas
        signed(sender, 1, gas=40_000_000),  # over the block's gas limit
        signed(sender, 1, chainId=CHAIN_ID + 1),
    ]
    errors = [both(pair, monkeypatch, "eth_sendRawTransaction", raw) for raw in refused]
    assert [error[0] for error in errors] == ["error"] * len(refused)
    hashes.append(send(signed(sender, 1)))
    theirs, ours = pair
    assert chain_contents(ours, hashes) == chain_contents(theirs, hashes)
    assert ours.node.head_number == 2


def test_mined_blocks_between_sends_time_and_balances_keep_py_evms_chain(
    pair: tuple[TesterChain, TesterChain], monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = dev_account(2)
    send = sends(pair, monkeypatch)
    hashes = [send(signed(sender, 0))]
    both(pair, monkeypatch, "evm_increaseTime", hex(3600))
    both(pair, monkeypatch, "anvil_mine", "0x2")
    hashes.append(send(signed(sender, 1)))
    both(pair, monkeypatch, "anvil_setBalance", sender.address, hex(10**21))
    hashes.append(send(signed(sender, 2, value=10**20)))
    snapshot = both(pair, monkeypatch, "evm_snapshot")
    hashes.append(send(signed(sender, 3)))
    both(pair, monkeypatch, "evm_revert", snapshot[1])
    hashes.append(send(signed(sender, 3, value=2)))
    theirs, ours = pair
    assert chain_contents(ours, hashes) == chain_contents(theirs, hashes)
    assert ours.node.head_number == 7


def test_the_fused_path_applies_to_a_sent_transaction_on_an_empty_pending_block(
    pair: tuple[TesterChain, TesterChain],
) -> None:
    _, ours = pair
    raw = bytes.fromhex(signed(dev_account(0), 0)[2:])
    py_chain = ours.node.chain
    tx = py_chain.get_vm().get_transaction_builder().decode(raw)
    assert tester_mine.applies(py_chain, tx) is True
    py_chain.header = py_chain.header.copy(gas_used=1)
    assert tester_mine.applies(py_chain, tx) is False


def test_a_fused_send_builds_its_message_without_py_evms_debug_line(
    pair: tuple[TesterChain, TesterChain], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The block-by-block equality of the tests above then holds for the message built by
    # tester_view.build_message: py-evm's build_evm_message runs only on py-evm's path.
    built: list[str] = []
    stock = CancunTransactionExecutor.build_evm_message

    def counted(self: Any, transaction: Any) -> Any:
        built.append("py-evm")
        return stock(self, transaction)

    monkeypatch.setattr(CancunTransactionExecutor, "build_evm_message", counted)
    theirs, ours = pair
    ours.node.request("eth_sendRawTransaction", [signed(dev_account(0), 0)])
    fused = (len(FUSED), list(built))
    with monkeypatch.context() as patch:
        patch.setattr(tester_node, "applies", lambda chain, tx: False)
        theirs.node.request("eth_sendRawTransaction", [signed(dev_account(0), 0)])
    assert (fused, built) == ((1, []), ["py-evm"])


def test_the_next_pending_header_is_py_evms_after_every_kind_of_block(
    pair: tuple[TesterChain, TesterChain], monkeypatch: pytest.MonkeyPatch
) -> None:
    import eth._utils.headers as py_evm_headers

    sender = dev_account(3)
    send = sends(pair, monkeypatch)
    send(signed(sender, 0, to=None, value=0, data=PROBE["bytecode"], gas=3_000_000))
    both(pair, monkeypatch, "anvil_mine", "0x3")  # the base fee falls over empty blocks
    send(signed(sender, 1, gas=21_000))
    _, ours = pair
    py_chain = ours.node.chain
    parents = [
        py_chain.get_canonical_block_header_by_number(n) for n in range(ours.node.head_number + 1)
    ]
    parents += [  # blob gas carried over from a parent (this node's blocks have none)
        parents[-1].copy(blob_gas_used=6 * 2**17, excess_blob_gas=excess)
        for excess in (0, 5 * 2**17, 10**7)
    ]
    for now in (GENESIS_TIME - 60, GENESIS_TIME + 10**6):  # before the parents, long after
        monkeypatch.setattr(py_evm_headers, "eth_now", lambda now=now: now)
        ours_next = [tester_mine.next_header(py_chain, parent) for parent in parents]
        theirs_next = [py_chain.create_header_from_parent(parent) for parent in parents]
        assert [rlp.encode(header) for header in ours_next] == [
            rlp.encode(header) for header in theirs_next
        ]
        assert [type(header) for header in ours_next] == [type(h) for h in theirs_next]
    assert len({header.base_fee_per_gas for header in parents}) >= 3
    assert len({header.excess_blob_gas for header in ours_next}) == 3


@settings(max_examples=60, deadline=None, database=None)
@given(item=st.binary(max_size=300))
def test_a_one_item_trie_is_py_evms_root_and_nodes(item: bytes) -> None:
    class Encoded:
        def encode(self) -> bytes:
            return item

    assert tester_mine.one_item_trie(item) == make_trie_root_and_nodes((Encoded(),))  # type: ignore[arg-type]
