"""The eth-tester node's lean interpreter loop and trie caches change nothing but speed.

Each call runs on the node's throw-away state twice, once with py-evm's own computation class
and once with the lean one (:mod:`ogpu_sim.chain.tester_evm`), and must end alike: output,
gas, refund, logs, error and the state root the run leaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eth.exceptions import FullStack, InsufficientStack
from eth.vm.forks.prague.computation import PragueComputation
from eth_account.signers.local import LocalAccount
from trie import HexaryTrie
from trie import hexary as py_trie_hexary
from web3.contract import Contract

from ogpu_sim.chain import tester_trie
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_calls import build_call
from ogpu_sim.chain.tester_evm import _LeanStack, lean_computation

from .helpers import deploy_probe, funded_account


@pytest.fixture(scope="module")
def chain() -> Iterator[TesterChain]:
    with TesterChain() as started:
        yield started


@pytest.fixture(scope="module")
def account(chain: TesterChain) -> LocalAccount:
    return funded_account(chain)


@pytest.fixture(scope="module")
def probe(chain: TesterChain, account: LocalAccount) -> Contract:
    return deploy_probe(chain.w3, account)


def run_both(
    chain: TesterChain, call: dict[str, Any], overrides: dict[str, Any] | None = None
) -> tuple[Any, Any]:
    """``call``'s outcome with py-evm's computation class and with the lean one."""
    outcomes = []
    node = chain.node
    for lean in (False, True):
        with chain.lock:
            state, header, vm = node._fresh_state("latest", overrides)
            base = type(state).computation_class.__mro__[1]
            state.computation_class = lean_computation(base) if lean else base
            tx, _sender = build_call(
                vm, state, header.gas_limit, node.chain_id, call, keep_nonce=False
            )
            computation = state.apply_transaction(tx)
            state.persist()
            outcomes.append(
                (
                    computation.output if computation.is_success else b"",
                    computation.get_gas_remaining(),
                    computation.get_gas_refund(),
                    computation.get_log_entries(),
                    repr(computation.error) if computation.is_error else None,
                    state.state_root,
                )
            )
    return outcomes[0], outcomes[1]


def test_the_node_executes_with_the_lean_computation(chain: TesterChain) -> None:
    state = chain.node.chain.get_vm().state
    assert state.computation_class is lean_computation(PragueComputation)


@pytest.mark.parametrize(
    ("function", "args"),
    [
        ("store", (7,)),
        ("spawn", (3,)),
        ("divide", (10, 0)),
        ("revertWithReason", ()),
        ("revertWithCustomError", ()),
    ],
)
def test_a_call_ends_exactly_as_with_py_evms_computation(
    chain: TesterChain,
    account: LocalAccount,
    probe: Contract,
    function: str,
    args: tuple[Any, ...],
) -> None:
    data = probe.encode_abi(function, args)
    call = {"from": account.address, "to": probe.address, "data": data}
    own, lean = run_both(chain, call)
    assert lean == own


def test_running_out_of_gas_fails_with_py_evms_message(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    # 5 gas after the intrinsic 21000: the first PUSH1 (3) runs, the second does not.
    own, lean = run_both(chain, {"from": account.address, "to": probe.address, "gas": hex(21_005)})
    assert lean == own
    assert lean[4] == "OutOfGas('Out of gas: Needed 3 - Remaining 2 - Reason: PUSH1')"


def test_pushing_past_the_stack_limit_fails_as_in_py_evm(
    chain: TesterChain, account: LocalAccount
) -> None:
    # JUMPDEST PUSH1 1 PUSH1 0 JUMP: one more item per loop until the stack is full.
    looping = "0x" + "0000" * 9 + "10ad"
    overrides = {looping: {"code": "0x5b6001600056"}}
    own, lean = run_both(chain, {"from": account.address, "to": looping}, overrides)
    assert lean == own
    assert lean[4] == "FullStack('Stack limit reached')"


def test_a_push_cut_short_by_the_end_of_code_succeeds_as_in_py_evm(
    chain: TesterChain, account: LocalAccount
) -> None:
    # PUSH2 with one byte left: py-evm pads it and stops at the end of the code.
    truncated = "0x" + "0000" * 9 + "10ae"
    overrides = {truncated: {"code": "0x6112"}}
    own, lean = run_both(chain, {"from": account.address, "to": truncated}, overrides)
    assert lean == own
    assert lean[4] is None


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("0x50", "InsufficientStack('Wanted 1 stack item, had none')"),  # POP
        ("0x80", "InsufficientStack('Insufficient stack items for DUP1')"),
        ("0x600190", "InsufficientStack('Insufficient stack items for SWAP1')"),
        ("0x6001600290600055", None),  # PUSH1 1 PUSH1 2 SWAP1 PUSH1 0 SSTORE: slot 0 = 2
        ("0x60016002818155", None),  # PUSH1 1 PUSH1 2 DUP2 DUP2 SSTORE: slot 2 = 1
    ],
)
def test_inlined_stack_operations_end_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, code: str, error: str | None
) -> None:
    target = "0x" + "0000" * 9 + "10af"
    own, lean = run_both(chain, {"from": account.address, "to": target}, {target: {"code": code}})
    assert lean == own
    assert lean[4] == error


def test_the_lean_stack_refuses_what_py_evms_refuses() -> None:
    stack = _LeanStack()
    with pytest.raises(InsufficientStack, match="Wanted 2 stack items, only had 0"):
        stack.pop_ints(2)
    with pytest.raises(InsufficientStack, match="Insufficient stack items for DUP1"):
        stack.dup(1)
    with pytest.raises(InsufficientStack, match="Wanted 1 stack item, had none"):
        stack.pop1_int()
    for value in range(1024):
        stack.push_int(value)
    with pytest.raises(FullStack):
        stack.push_int(1)
    with pytest.raises(FullStack):
        stack.push_bytes(b"\x01")
    with pytest.raises(FullStack):
        stack.dup(1)
    assert stack.pop_ints(3) == (1023, 1022, 1021)


def test_the_lean_stack_converts_bytes_when_popping_ints() -> None:
    stack = _LeanStack()
    stack.push_bytes(b"\x01\x00")
    stack.push_int(5)
    assert stack.pop_ints(2) == (5, 256)


def test_trie_writes_give_the_same_root_with_the_caches() -> None:
    keys = [bytes([i]) * 32 for i in range(40)] + [b"\x01" * 31 + b"\x02"]

    def root() -> bytes:
        trie = HexaryTrie({})
        for index, key in enumerate(keys):
            trie[key] = b"value %d" % index
        for key in keys[::3]:
            del trie[key]
        assert trie[keys[1]] == b"value 1"
        return bytes(trie.root_hash)

    tester_trie.acquire()
    try:
        with py_tries_own():
            without = root()
        first, again = root(), root()  # the second walks cached nodes
    finally:
        tester_trie.release()
    assert (first, again) == (without, without)


@contextmanager
def py_tries_own() -> Iterator[None]:
    """py-trie's own functions for a while, although the caches are installed."""
    installed = [(owner, name, getattr(owner, name)) for owner, name, _ in tester_trie._originals]
    assert py_trie_hexary.decode_node is not tester_trie._originals[1][2]
    for owner, name, original in tester_trie._originals:
        setattr(owner, name, original)
    try:
        yield
    finally:
        for owner, name, cached in installed:
            setattr(owner, name, cached)
