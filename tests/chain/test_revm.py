"""What the revm chain does about pyrevm's pitfalls, beyond the shared conformance suite.

Each test names one pitfall (see ``ogpu_sim/chain/revm.py``) and asserts the node-like result.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyrevm
import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3RPCError

from ogpu_sim.chain.base import SnapshotError
from ogpu_sim.chain.revm import RevmChain
from ogpu_sim.chain.revm_exec import FEE_SINK, PRIORITY_FEE, SPEC_ID
from ogpu_sim.chain.revm_history import REORG_WINDOW, Checkpoints
from ogpu_sim.chain.revm_node import RevmNode
from ogpu_sim.errors import ChainError

from .helpers import send, transact

CHAIN_ID = 1071
RECEIVER = to_checksum_address("0x" + "5e" * 20)

MCOPY_RUNTIME = bytes.fromhex("6020600060005e00")  # PUSH1 32 PUSH1 0 PUSH1 0 MCOPY STOP
BASEFEE_RUNTIME = bytes.fromhex("4860005260206000f3")  # BASEFEE PUSH1 0 MSTORE; RETURN 32 bytes


def _initcode(runtime: bytes) -> bytes:
    """Initcode that returns ``runtime`` (CODECOPY + RETURN; at most 255 bytes)."""
    size = len(runtime)
    return bytes.fromhex(f"60{size:02x}600c60003960{size:02x}6000f3") + runtime


@pytest.fixture(scope="module")
def chain() -> Iterator[RevmChain]:
    """The module's revm chain (overrides the conftest's eth-tester chain)."""
    with RevmChain(chain_id=CHAIN_ID) as revm:
        yield revm


@pytest.fixture(autouse=True)
def isolated(chain: RevmChain) -> Iterator[None]:
    snapshot_id = chain.snapshot()
    yield
    chain.revert(snapshot_id)


def _runs_mcopy(spec_id: str) -> bool:
    evm = pyrevm.EVM(spec_id=spec_id)
    deployer = "0x" + "11" * 20
    evm.set_balance(deployer, 10**18)
    contract = evm.deploy(deployer, _initcode(MCOPY_RUNTIME))
    try:
        evm.message_call(deployer, contract, b"")
    except RuntimeError:
        return False
    return True


def test_pyrevm_reads_a_misspelled_spec_id_as_the_latest_spec() -> None:
    # Why SPEC_ID is spelled exactly: "SHANGHAI" silently runs a later spec (MCOPY is Cancun's).
    assert (_runs_mcopy("Shanghai"), _runs_mcopy("SHANGHAI")) == (False, True)


def test_the_node_runs_cancun_opcodes(chain: RevmChain, account: LocalAccount) -> None:
    receipt = send(chain.w3, account, {"data": _initcode(MCOPY_RUNTIME), "gas": 100_000})
    assert receipt["status"] == 1
    assert chain.w3.eth.call({"to": receipt["contractAddress"]}) == b""
    assert SPEC_ID == "Cancun"


def test_a_call_transaction_bumps_the_sender_nonce_by_one(
    chain: RevmChain, account: LocalAccount
) -> None:
    before = chain.w3.eth.get_transaction_count(account.address)
    send(chain.w3, account, {"to": RECEIVER, "value": 1})
    assert chain.w3.eth.get_transaction_count(account.address) == before + 1


def test_a_transaction_charges_gas_used_times_effective_price_plus_value(
    chain: RevmChain, account: LocalAccount
) -> None:
    before = chain.w3.eth.get_balance(account.address)
    receipt = send(chain.w3, account, {"to": RECEIVER, "value": 7})
    assert receipt["gasUsed"] == 21_000
    assert receipt["effectiveGasPrice"] == PRIORITY_FEE
    assert chain.w3.eth.get_balance(account.address) == before - 21_000 * PRIORITY_FEE - 7


def test_a_revert_undoes_nonce_gas_and_transfers(chain: RevmChain, account: LocalAccount) -> None:
    w3 = chain.w3
    nonce = w3.eth.get_transaction_count(account.address)
    balance = w3.eth.get_balance(account.address)
    receiver = w3.eth.get_balance(RECEIVER)
    snapshot_id = chain.snapshot()
    send(w3, account, {"to": RECEIVER, "value": 10**18})
    chain.revert(snapshot_id)
    assert w3.eth.get_transaction_count(account.address) == nonce
    assert w3.eth.get_balance(account.address) == balance
    assert w3.eth.get_balance(RECEIVER) == receiver


def test_a_revert_undoes_set_balance_of_a_known_account(
    chain: RevmChain, account: LocalAccount
) -> None:
    balance = chain.w3.eth.get_balance(account.address)
    snapshot_id = chain.snapshot()
    chain.set_balance(account.address, 5)
    assert chain.w3.eth.get_balance(account.address) == 5
    chain.revert(snapshot_id)
    assert chain.w3.eth.get_balance(account.address) == balance


def test_a_revert_undoes_set_balance_of_an_account_first_seen_after_the_snapshot(
    chain: RevmChain,
) -> None:
    fresh = to_checksum_address(keccak(b"first seen after the snapshot")[-20:])
    snapshot_id = chain.snapshot()
    chain.set_balance(fresh, 123)
    chain.revert(snapshot_id)
    assert chain.w3.eth.get_balance(fresh) == 0


def test_a_revert_undoes_a_lowered_balance(chain: RevmChain, account: LocalAccount) -> None:
    balance = chain.w3.eth.get_balance(account.address)
    snapshot_id = chain.snapshot()
    chain.set_balance(account.address, 0)
    chain.revert(snapshot_id)
    assert chain.w3.eth.get_balance(account.address) == balance


def test_a_snapshot_id_stays_valid_after_reverting_to_it(
    chain: RevmChain, account: LocalAccount
) -> None:
    block = chain.w3.eth.block_number
    snapshot_id = chain.snapshot()
    for _ in range(2):
        send(chain.w3, account, {"to": RECEIVER, "value": 1})
        chain.revert(snapshot_id)
        assert chain.w3.eth.block_number == block
    chain.revert(snapshot_id)


def test_reverting_to_an_older_snapshot_invalidates_younger_ones(chain: RevmChain) -> None:
    older = chain.snapshot()
    younger = chain.snapshot()
    chain.revert(older)
    with pytest.raises(SnapshotError, match=f"cannot revert to snapshot {younger!r}"):
        chain.revert(younger)
    chain.revert(older)


def test_nested_snapshots_leave_no_journal_depth_behind() -> None:
    # revm checkpoints nest by depth; commit() at depth 0 would underflow it, so none is made.
    node = RevmNode(CHAIN_ID)
    outer = node.snapshot()
    node.snapshot()
    node.snapshot()
    node.revert(outer)
    assert node.evm.journal_depth == 1  # only `outer`, re-opened so its id stays valid


def test_reverting_to_a_middle_snapshot_keeps_the_older_ones_and_invalidates_the_younger(
    chain: RevmChain, account: LocalAccount
) -> None:
    ids, balances = [], []
    for _ in range(4):
        ids.append(chain.snapshot())
        balances.append(chain.w3.eth.get_balance(RECEIVER))
        send(chain.w3, account, {"to": RECEIVER, "value": 1})

    chain.revert(ids[1])

    assert chain.w3.eth.get_balance(RECEIVER) == balances[1]
    for younger in ids[2:]:
        with pytest.raises(SnapshotError, match=f"cannot revert to snapshot {younger!r}"):
            chain.revert(younger)
    chain.revert(ids[0])
    assert chain.w3.eth.get_balance(RECEIVER) == balances[0]


def test_many_kept_snapshots_leave_the_reorg_window_and_the_journal_depth_intact() -> None:
    node = RevmNode(CHAIN_ID)
    for _ in range(50):  # a session: each test takes a snapshot and reverts to it
        snapshot_id = node.snapshot()
        node.mine(1)
        node.revert(snapshot_id)
    node.mine(REORG_WINDOW + 5)
    kept = 50 + REORG_WINDOW  # every snapshot's checkpoint, one per recent block

    assert node.evm.journal_depth == kept
    raws, hashes = node.reorg(REORG_WINDOW)
    assert (raws, hashes) == ([], [])
    assert node.evm.journal_depth == 50


def test_a_checkpoint_no_longer_open_cannot_be_reverted_to() -> None:
    checkpoints = Checkpoints(pyrevm.EVM(spec_id=SPEC_ID))
    older = checkpoints.open()
    checkpoints.open()
    checkpoints.revert_to(older)

    assert not checkpoints.is_open(older)
    with pytest.raises(ChainError, match="no longer open"):
        checkpoints.revert_to(older)


def test_basefee_reads_zero_and_blocks_report_a_zero_base_fee(
    chain: RevmChain, account: LocalAccount
) -> None:
    receipt = send(chain.w3, account, {"data": _initcode(BASEFEE_RUNTIME), "gas": 100_000})
    basefee = chain.w3.eth.call({"to": receipt["contractAddress"]})
    assert int.from_bytes(basefee, "big") == 0
    assert chain.w3.eth.get_block("latest")["baseFeePerGas"] == 0


def test_advance_time_moves_the_next_block_timestamp_forward_by_the_offset(
    chain: RevmChain, probe: Contract
) -> None:
    before = chain.now()
    chain.advance_time(3600)
    timestamp = probe.functions.timestamp().call()
    assert before + 3600 <= timestamp <= before + 3601  # the wall clock may tick once
    assert chain.now() == timestamp


def test_a_new_chain_stamps_its_next_block_with_the_wall_clock() -> None:
    with RevmChain(chain_id=CHAIN_ID) as fresh:
        assert abs(fresh.now() - time.time()) <= 2


def test_a_failing_transaction_is_mined_with_status_0_and_still_consumes_the_nonce(
    chain: RevmChain, account: LocalAccount, probe: Contract
) -> None:
    nonce = chain.w3.eth.get_transaction_count(account.address)
    receipt = transact(chain.w3, account, probe.functions.revertWithReason(), gas=100_000)
    assert receipt["status"] == 0
    assert chain.w3.eth.get_transaction_count(account.address) == nonce + 1


def test_a_stale_nonce_is_rejected_with_geth_wording(
    chain: RevmChain, account: LocalAccount
) -> None:
    nonce = chain.w3.eth.get_transaction_count(account.address)
    send(chain.w3, account, {"to": RECEIVER, "value": 1})
    wording = f"nonce too low: address {account.address}, tx: {nonce} state: {nonce + 1}"
    with pytest.raises(Web3RPCError, match=wording):
        send(chain.w3, account, {"to": RECEIVER, "value": 1, "nonce": nonce})


def test_a_transaction_the_sender_cannot_afford_is_rejected(
    chain: RevmChain, account: LocalAccount
) -> None:
    with pytest.raises(Web3RPCError, match="insufficient funds for gas \\* price \\+ value"):
        send(chain.w3, account, {"to": RECEIVER, "value": 10**30, "gas": 21_000})


def test_gas_fees_go_to_the_fee_sink_not_a_user_account(
    chain: RevmChain, account: LocalAccount
) -> None:
    before = chain.w3.eth.get_balance(FEE_SINK)
    receipt = send(chain.w3, account, {"to": RECEIVER, "value": 1})
    assert chain.w3.eth.get_balance(FEE_SINK) == before + receipt["gasUsed"] * PRIORITY_FEE


def test_the_chain_id_is_configurable() -> None:
    with RevmChain(chain_id=4242) as other:
        assert other.w3.eth.chain_id == 4242


def test_serve_answers_the_same_node_over_http_on_loopback() -> None:
    with RevmChain(chain_id=CHAIN_ID) as served:
        url = served.serve()
        remote = Web3(Web3.HTTPProvider(url))
        served.mine(3)
        assert url.startswith("http://127.0.0.1:")
        assert (remote.eth.chain_id, remote.eth.block_number) == (CHAIN_ID, 3)
        assert served.rpc_url == url
    assert served.rpc_url is None


def test_a_call_sending_more_value_than_the_caller_has_says_insufficient_funds(
    chain: RevmChain,
) -> None:
    poor = to_checksum_address("0x" + "77" * 20)
    with pytest.raises(
        Web3RPCError, match="insufficient funds for gas \\* price \\+ value: have 0 want 5"
    ):
        chain.w3.eth.call({"from": poor, "to": RECEIVER, "value": 5})
