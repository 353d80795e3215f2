"""The eth-tester node's lean loop, trie caches and account codec change nothing but speed.

Each call runs on the node's throw-away state twice, once with py-evm's own computation class
and once with the lean one (:mod:`ogpu_sim.chain.tester_evm`), and must end alike: output,
gas, refund, logs, error and the state root the run leaves.
"""

from __future__ import annotations

import random
from contextlib import suppress
from typing import Any

import pytest
import rlp
from eth.db import account as account_db
from eth.db.backends.memory import MemoryDB
from eth.db.journal import JournalDB
from eth.exceptions import FullStack, InsufficientStack
from eth.rlp.accounts import Account
from eth.vm.computation import memory_gas_cost
from eth.vm.forks.prague.computation import PragueComputation
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from ogpu_sim.chain import tester_calls, tester_storage, tester_trie
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_calls import build_call
from ogpu_sim.chain.tester_evm import _LeanStack, lean_computation, memory_fee

from .helpers import run_both


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


INLINED_TARGET = "0x" + "0000" * 9 + "10b0"
MAX_WORD = "7f" + "ff" * 32  # PUSH32 2**256 - 1
MIN_SIGNED = "7f80" + "00" * 31  # PUSH32 -2**255 (two's complement)
PC_AND_GAS_AFTER_INLINED = (  # py-evm's PC, GAS and SSTORE see what inlined opcodes leave
    "600160020150"  # PUSH1 1 PUSH1 2 ADD POP (inlined)
    "58600055"  # PC PUSH1 0 SSTORE: slot 0 = 6
    "5a600155"  # GAS PUSH1 1 SSTORE: slot 1 = the gas left
    "60125600"  # PUSH1 18 JUMP, over a STOP
    "5b58600255"  # JUMPDEST PC PUSH1 2 SSTORE: slot 2 = 19
)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (MAX_WORD + "6002" + "01" + "600055", None),  # ADD wraps: slot 0 = 1
        ("6001" + "6000" + "03" + "600055", None),  # SUB wraps: 0 - 1
        ("6003" + "6005" + "16" + "6007" + "17" + "6006" + "18" + "600055", None),  # AND OR XOR
        ("6001" + "6002" + "10" + "6001" + "6002" + "11" + "01" + "600055", None),  # LT GT
        ("6002" + "6002" + "14" + "15" + "19" + "600055", None),  # EQ ISZERO NOT
        (MIN_SIGNED + "6001" + "12" + MIN_SIGNED + "6001" + "13" + "600155600055", None),  # SLT SGT
        (MAX_WORD + "61ff00" + "1b" + MAX_WORD + "60ff" + "1c" + "600155600055", None),  # SHL SHR
        ("6001" + "610100" + "1b" + "6001" + "610101" + "1c" + "600155600055", None),  # >= 256
        ("6000" + "6006" + "57" + "6001600055" + "5b", None),  # JUMPI: PUSH1 0 is falsy bytes
        ("6001" + "6007" + "57" + "fe" + "fe" + "5b" + "6002600055", None),  # JUMPI taken
        ("6004" + "56" + "fe" + "5b" + "6003600055", None),  # JUMP
        ("6003" + "56" + "fe", "InvalidJumpDestination('Invalid Jump Destination')"),
        ("6003" + "56" + "5b", None),  # a JUMPDEST at the jump target ends the code
        (
            "605b" + "6001" + "56",  # the target's 0x5b is PUSH1's data
            "InvalidInstruction('Jump resulted in invalid instruction')",
        ),
        ("6001" + "6000" + "57", "InvalidJumpDestination('Invalid Jump Destination')"),
        ("6011" + "6040" + "52" + "6022" + "6000" + "52" + "6040" + "51" + "600055", None),
        ("7f" + "ab" * 32 + "6000" + "52" + "6001" + "51" + "600055", None),  # MLOAD unaligned
        ("6001" + "611000" + "52" + "59" + "600055", None),  # MSTORE grows memory: MSIZE
        ("612001" + "51" + "59" + "600155600055", None),  # MLOAD grows memory
        (MAX_WORD + "51", None),  # MLOAD at 2**256 - 1: OutOfGas (checked below)
        (
            "6000" + "35" + "6020" + "35" + "6004" + "35" + "600255600155600055",
            None,
        ),  # CALLDATALOAD
        ("6001" + "01", "InsufficientStack('Wanted 2 stack items, only had 1')"),  # ADD
        ("15", "InsufficientStack('Wanted 1 stack item, had none')"),  # ISZERO
        ("56", "InsufficientStack('Wanted 1 stack item, had none')"),  # JUMP
        ("6001" + "57", "InsufficientStack('Wanted 2 stack items, only had 1')"),  # JUMPI
        ("6001" + "52", "InsufficientStack('Wanted 1 stack item, had none')"),  # MSTORE
        ("51", "InsufficientStack('Wanted 1 stack item, had none')"),  # MLOAD
        ("35", "InsufficientStack('Wanted 1 stack item, had none')"),  # CALLDATALOAD
        ("6001" + "0c", "InvalidInstruction('Invalid opcode 0xc @ 2')"),  # undefined opcode
        ("6001" + "6000" + "0a" + "600055", None),  # EXP: not inlined, not fixed-cost
        (PC_AND_GAS_AFTER_INLINED, None),
    ],
)
def test_inlined_operations_end_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, code: str, error: str | None
) -> None:
    call = {"from": account.address, "to": INLINED_TARGET, "data": "0x" + "c0ffee" * 12}
    own, lean = run_both(chain, call, {INLINED_TARGET: {"code": "0x" + code}})
    assert lean == own
    if code == MAX_WORD + "51":
        assert lean[4].startswith("OutOfGas('Out of gas: Needed ")
        assert lean[4].endswith(f"Reason: Expanding memory 0 -> {2**256 + 32}')")
    else:
        assert lean[4] == error


@settings(max_examples=300, deadline=None, database=None)
@given(
    before=st.integers(min_value=0, max_value=2**22),
    grown=st.integers(min_value=0, max_value=2**22),
)
def test_the_memory_fee_in_words_is_py_evms_cost_difference(before: int, grown: int) -> None:
    after = before + grown
    assert memory_fee(before, after) == memory_gas_cost(after * 32) - memory_gas_cost(before * 32)


def test_running_out_of_gas_growing_memory_fails_with_py_evms_message(
    chain: TesterChain, account: LocalAccount
) -> None:
    # PUSH1 1 PUSH1 0 MSTORE: 9 gas of opcodes, then 3 for the first word of memory.
    target = INLINED_TARGET
    call = {"from": account.address, "to": target, "gas": hex(21_011)}
    own, lean = run_both(chain, call, {target: {"code": "0x6001600052"}})
    assert lean == own
    assert (
        lean[4]
        == "OutOfGas('Out of gas: Needed 3 - Remaining 2 - Reason: Expanding memory 0 -> 32')"
    )


@pytest.mark.parametrize("seed", range(12))
def test_memory_grown_by_mstore_and_mload_costs_py_evms_fee(
    chain: TesterChain, account: LocalAccount, seed: int
) -> None:
    # Growth from one size to another, across the quadratic term (past 512 words), then an
    # MSIZE stored; every fourth call is cut short of gas somewhere in the growth.
    rng = random.Random(seed)
    code = ""
    for _ in range(4):
        offset = rng.choice((rng.randrange(64), rng.randrange(40_000), rng.randrange(300_000)))
        code += "6001" + f"62{offset:06x}" + rng.choice(("52", "51"))  # PUSH3: the offset
    code += "59600055"
    gas = 21_000 + rng.randrange(100, 40_000) if seed % 4 == 3 else 5_000_000
    call = {"from": account.address, "to": INLINED_TARGET, "gas": hex(gas)}
    own, lean = run_both(chain, call, {INLINED_TARGET: {"code": "0x" + code}})
    assert lean == own


def _push3(value: int) -> str:
    return f"62{value:06x}"


@pytest.mark.parametrize("seed", range(16))
def test_memory_grown_and_written_by_py_evms_opcodes_ends_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, seed: int
) -> None:
    # CODECOPY, CALLDATACOPY, MCOPY, LOG0 and a closing RETURN at generated offsets and sizes
    # (empty ones too), then MSIZE stored; every fourth call is cut short of gas.
    rng = random.Random(seed)

    def place() -> int:
        return rng.choice((0, rng.randrange(64), rng.randrange(5_000), rng.randrange(200_000)))

    def size() -> int:
        return rng.choice((0, 1, 32, rng.randrange(100), rng.randrange(3_000)))

    code = ""
    for _ in range(5):
        op = rng.choice(("39", "37", "5e", "a0"))
        if op in ("39", "37", "5e"):  # (destination, source, size) popped in that order
            code += _push3(size()) + _push3(rng.randrange(64)) + _push3(place()) + op
        else:  # LOG0 (offset, size)
            code += _push3(size()) + _push3(place()) + op
    code += "59600055" + _push3(size()) + _push3(place()) + "f3"
    gas = 21_000 + rng.randrange(100, 60_000) if seed % 4 == 3 else 5_000_000
    call = {"from": account.address, "to": INLINED_TARGET, "gas": hex(gas), "data": "0x1234"}
    own, lean = run_both(chain, call, {INLINED_TARGET: {"code": "0x" + code}})
    assert lean == own


def test_the_lean_computations_stack_proxies_are_its_stacks_methods_kept_once() -> None:
    lean = lean_computation(PragueComputation)
    computation = lean.__new__(lean)
    computation._stack = _LeanStack()
    names = [
        "stack_pop_ints",
        "stack_pop_bytes",
        "stack_pop_any",
        "stack_pop1_int",
        "stack_pop1_bytes",
        "stack_pop1_any",
        "stack_push_int",
        "stack_push_bytes",
    ]
    for name in names:
        read = getattr(computation, name)
        assert read == getattr(computation._stack, name.removeprefix("stack_"))
        assert computation.__dict__[name] is read
        assert getattr(computation, name) is read


CONTEXT_PUSHES = (
    "36" + "34" + "5a" + "3d" + "33"
)  # CALLDATASIZE CALLVALUE GAS RETURNDATASIZE CALLER
STORE_FIVE = "".join(f"60{slot:02x}55" for slot in range(5))


@pytest.mark.parametrize(
    ("code", "value", "data", "gas"),
    [
        (CONTEXT_PUSHES + STORE_FIVE, 0, "", None),
        (CONTEXT_PUSHES + STORE_FIVE, 12345, "c0ffee" * 11, None),
        # a STATICCALL to the identity precompile first: RETURNDATASIZE is its output's size
        (
            "6020"
            + "5f"
            + "6007"
            + "5f"
            + "6004"
            + "5a"
            + "fa"
            + "50"
            + CONTEXT_PUSHES
            + STORE_FIVE,
            0,
            "",
            None,
        ),
        ("5a" + "5a" + "5a" + "60005560015560025500", 0, "", 21_000 + 80_000),
        (CONTEXT_PUSHES + STORE_FIVE, 0, "", 21_000 + 5),  # out of gas at GAS
        ("36" * 1025, 0, "", None),  # past the stack limit: py-evm's error
    ],
)
def test_the_inlined_context_pushes_push_py_evms_words(
    chain: TesterChain, account: LocalAccount, code: str, value: int, data: str, gas: int | None
) -> None:
    call: dict[str, Any] = {"from": account.address, "to": INLINED_TARGET, "value": hex(value)}
    call["data"] = "0x" + data
    if gas is not None:
        call["gas"] = hex(gas)
    own, lean = run_both(chain, call, {INLINED_TARGET: {"code": "0x" + code}})
    assert lean == own


SLOT_0 = "0x" + "00" * 32
SLOT_1 = "0x" + "00" * 31 + "01"


@pytest.mark.parametrize(
    ("code", "storage", "gas", "error"),
    [
        ("600054" + "600054" + "01" + "600255", {SLOT_0: "0x05"}, None, None),  # cold, warm
        ("600154" + "600255", {}, None, None),  # a slot never written reads 0
        ("6007600055" + "600054" + "600155", {}, None, None),  # the journal's new value
        ("6000600055" + "600054" + "600155", {SLOT_0: "0x05"}, None, None),  # a deleted slot
        ("7f" + "ff" * 32 + "54" + "600055", {}, None, None),  # the highest slot
        ("54", {}, None, "InsufficientStack('Wanted 1 stack item, had none')"),
        (
            "600054",
            {SLOT_0: "0x05"},
            21_000 + 3 + 2099,
            "OutOfGas('Out of gas: Needed 2100 - Remaining 2099 - Reason: SLOAD')",
        ),
    ],
)
def test_an_inlined_sload_ends_as_in_py_evm(
    chain: TesterChain,
    account: LocalAccount,
    code: str,
    storage: dict[str, str],
    gas: int | None,
    error: str | None,
) -> None:
    call: dict[str, Any] = {"from": account.address, "to": INLINED_TARGET}
    if gas is not None:
        call["gas"] = hex(gas)
    fields = {"code": "0x" + code, **({"state": storage} if storage else {})}
    own, lean = run_both(chain, call, {INLINED_TARGET: fields})
    assert lean == own
    assert lean[4] == error


def test_an_sload_runs_py_evms_logic_where_access_is_tracked(
    chain: TesterChain, account: LocalAccount, probe: Contract
) -> None:
    # eth_createAccessList replaces the warm-slot tracking: the slot read is still listed.
    with chain.lock:
        state, _header, _vm = chain.node._fresh_state("latest", None)
        assert tester_storage.plain_storage(state)
        tester_calls._tracking(state)
        assert not tester_storage.plain_storage(state)
    call = {"from": account.address, "to": probe.address, "data": probe.encode_abi("stored", ())}
    answer = chain.node.create_access_list(call)
    assert answer["accessList"] == [{"address": probe.address, "storageKeys": [SLOT_0]}]


@pytest.mark.parametrize(
    ("on", "name"),
    [
        (on, name)
        for on in ("state", "db")
        for name in ("get_storage", "is_storage_warm", "mark_storage_warm", "_get_address_store")
    ],
)
def test_storage_with_a_method_of_its_own_is_not_plain(
    chain: TesterChain, on: str, name: str
) -> None:
    with chain.lock:
        state, _header, _vm = chain.node._fresh_state("latest", None)
        assert tester_storage.plain_storage(state)
        setattr(state if on == "state" else state._account_db, name, lambda *args: None)
        assert not tester_storage.plain_storage(state)


SELF_DESTRUCTING = "0x" + "0000" * 9 + "10b1"


@pytest.mark.filterwarnings("ignore:SELFDESTRUCT opcode:DeprecationWarning")
def test_selfdestruct_beneficiaries_of_nested_frames_are_py_evms(
    chain: TesterChain, account: LocalAccount
) -> None:
    # The target calls SELF_DESTRUCTING twice (each call a frame that selfdestructs to 0xaa),
    # then selfdestructs itself to 0xbb.
    call_child = "6000600060006000600073" + SELF_DESTRUCTING[2:] + "5af150"
    overrides = {
        INLINED_TARGET: {"code": "0x" + call_child * 2 + "60bbff", "balance": "0x64"},
        SELF_DESTRUCTING: {"code": "0x60aaff", "balance": "0x07"},
    }
    call = {"from": account.address, "to": INLINED_TARGET}
    own, lean = run_both(chain, call, overrides)
    assert lean == own
    assert lean[4] is None
    answers = []
    for lean_class in (False, True):
        with chain.lock:
            state, header, vm = chain.node._fresh_state("latest", overrides)
            base = type(state).computation_class.__mro__[1]
            state.computation_class = lean_computation(base) if lean_class else base
            tx, _sender = build_call(
                vm, state, header.gas_limit, chain.node.chain_id, call, keep_nonce=False
            )
            computation = state.apply_transaction(tx)
            answers.append(
                [sorted(computation.get_self_destruct_beneficiaries()) for _ in range(2)]
                + [
                    sorted(child.get_self_destruct_beneficiaries())
                    for child in computation.children
                ]
            )
    assert answers[1] == answers[0]
    assert answers[1][0] == [b"\x00" * 19 + b"\xaa", b"\x00" * 19 + b"\xbb"]


def test_the_inlined_arithmetic_stores_py_evms_results(
    chain: TesterChain, account: LocalAccount
) -> None:
    # 0 - 1 wraps to 2**256 - 1, as py-evm computes it.
    code = "0x6001600003600055"
    call = {"from": account.address, "to": INLINED_TARGET}
    overrides = {INLINED_TARGET: {"code": code}}
    with chain.lock:
        state, header, vm = chain.node._fresh_state("latest", overrides)
        tx, _sender = build_call(
            vm, state, header.gas_limit, chain.node.chain_id, call, keep_nonce=False
        )
        computation = state.apply_transaction(tx)
        stored = state.get_storage(bytes.fromhex(INLINED_TARGET[2:]), 0)
    assert computation.is_success
    assert stored == 2**256 - 1


_RANDOM_OPS = ["01", "03", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "1b", "1c"]


def _random_program(seed: int) -> str:
    """Random words pushed and combined by inlined operations (never short of stack items),
    then up to four of the results stored, so the state root shows them."""
    rng = random.Random(seed)
    code, depth = "", 0
    for _ in range(40):
        roll = rng.random()
        if roll < 0.35 or depth < 2:
            width = rng.choice((1, 2, 32))
            code += f"{0x5F + width:02x}" + rng.randbytes(width).hex()
            depth += 1
        elif roll < 0.8:
            code += rng.choice(_RANDOM_OPS)
            depth -= 0 if code[-2:] in ("15", "19") else 1
        elif roll < 0.85:
            code += f"60{rng.randrange(96):02x}52"  # MSTORE (memory grows or not)
            depth -= 1
        elif roll < 0.9:
            code += f"60{rng.randrange(96):02x}51"  # MLOAD
            depth += 1
        elif roll < 0.93:
            code += f"60{rng.randrange(64):02x}35"  # CALLDATALOAD, partly past the data
            depth += 1
        elif roll < 0.95:
            code += rng.choice(("36", "34", "5a", "3d", "33"))  # the inlined context pushes
            depth += 1
        else:
            code += "6000" + f"60{rng.randrange(200):02x}57"  # JUMPI, not taken
    return code + "".join(f"60{slot:02x}55" for slot in range(min(depth, 4)))


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_of_inlined_operations_end_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, seed: int
) -> None:
    call = {"from": account.address, "to": INLINED_TARGET, "data": "0x" + "5a" * 40}
    overrides = {INLINED_TARGET: {"code": "0x" + _random_program(seed)}}
    own, lean = run_both(chain, call, overrides)
    assert lean == own
    assert lean[4] is None


def test_the_account_codec_answers_as_rlp_with_the_caches() -> None:
    accounts = [Account(), Account(nonce=3, balance=10**18), Account(nonce=3, balance=10**18 + 1)]
    tester_trie.acquire()
    try:
        codec = account_db.rlp
        assert codec is not rlp
        twice = [(codec.encode(a, sedes=Account), codec.encode(a, sedes=Account)) for a in accounts]
        assert twice == [(rlp.encode(a, sedes=Account),) * 2 for a in accounts]
        for encoded, _ in twice:
            assert codec.decode(encoded, sedes=Account) == rlp.decode(encoded, sedes=Account)
            assert tuple(codec.decode(encoded, sedes=Account)) == tuple(
                rlp.decode(encoded, sedes=Account)
            )
        assert codec.encode([b"\x01"]) == rlp.encode([b"\x01"])  # other values go to rlp
        with pytest.raises(rlp.exceptions.DeserializationError):
            codec.decode(b"\xc0", sedes=Account)
    finally:
        tester_trie.release()


FUSED_TARGET = "0x" + "0000" * 9 + "10b2"
JUMP_TO_6 = "6006" + "56"  # PUSH1 6 JUMP (one pass of the loop with the JUMPDEST at 6)


@pytest.mark.parametrize(
    ("code", "gas", "error"),
    [
        (JUMP_TO_6 + "fefefe" + "5b" + "6001600055", None, None),  # PUSH JUMP JUMPDEST
        ("6001" + "6007" + "57" + "fefe" + "5b" + "6002600055", None, None),  # PUSH JUMPI taken
        ("6000" + "6007" + "57" + "6003600055" + "5b", None, None),  # PUSH JUMPI not taken
        ("6007" + "57", None, "InsufficientStack('Wanted 2 stack items, only had 1')"),
        ("6004" + "56" + "fe", None, "InvalidJumpDestination('Invalid Jump Destination')"),
        ("6009" + "56", None, "InvalidJumpDestination('Invalid Jump Destination')"),  # past end
        (
            "605b" + "6001" + "56",
            None,
            "InvalidInstruction('Jump resulted in invalid instruction')",
        ),
        # gas for the PUSH only: the JUMP fails on its own with py-evm's message
        (
            JUMP_TO_6,
            21_000 + 3 + 7,
            "OutOfGas('Out of gas: Needed 8 - Remaining 7 - Reason: JUMP')",
        ),
        # gas for PUSH and JUMP, none left for the JUMPDEST at the target
        (
            JUMP_TO_6 + "fefefe" + "5b",
            21_000 + 3 + 8,
            "OutOfGas('Out of gas: Needed 1 - Remaining 0 - Reason: JUMPDEST')",
        ),
        (
            "6001" + "6007" + "57" + "fefe" + "5b",
            21_000 + 3 + 3 + 10,
            "OutOfGas('Out of gas: Needed 1 - Remaining 0 - Reason: JUMPDEST')",
        ),
        (
            "6001" + "6007" + "57",
            21_000 + 3 + 3 + 10,
            "InvalidJumpDestination('Invalid Jump Destination')",
        ),
        ("6001" + "60", None, None),  # PUSH1 cut short: pads, then the code stream's STOP
        ("7f" + "01" * 5, None, None),  # PUSH32 cut short, 27 bytes past the end
        ("58" + "6000" + "55" + "5f" + "58" + "17" + "600155", None, None),  # PC, PUSH0
    ],
)
def test_fused_pushes_and_jumps_end_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, code: str, gas: int | None, error: str | None
) -> None:
    call: dict[str, Any] = {"from": account.address, "to": FUSED_TARGET}
    if gas is not None:
        call["gas"] = hex(gas)
    own, lean = run_both(chain, call, {FUSED_TARGET: {"code": "0x" + code}})
    assert lean == own
    assert lean[4] == error


def _push(rng: random.Random, value: int | None = None) -> str:
    """A PUSH of ``value`` (random if None) in a random width that holds it (PUSH0 for 0)."""
    if value is None:
        value = rng.choice((0, 1, 0x5B, 2**160 - 1, 2**255, 2**256 - 1, rng.randrange(2**64)))
    least = (value.bit_length() + 7) // 8
    width = rng.randint(least, 32) if least or rng.random() < 0.5 else 0
    return f"{0x5F + width:02x}" + value.to_bytes(width, "big").hex()


# Consumers of pushed words that are not inlined, each with how many words it pops and
# pushes: py-evm reads these items as bytes or ints in its own way.
_CONSUMERS = [
    ("53", 2, 0),  # MSTORE8 (offset, value): the item as bytes, its last byte
    ("5d", 2, 0),  # TSTORE (slot, value): kept as bytes, read back by TLOAD
    ("5c", 1, 1),  # TLOAD
    ("1a", 2, 1),  # BYTE
    ("0b", 2, 1),  # SIGNEXTEND
    ("02", 2, 1),  # MUL
    ("04", 2, 1),  # DIV
    ("06", 2, 1),  # MOD
    ("08", 3, 1),  # ADDMOD
    ("0a", 2, 1),  # EXP
    ("1d", 2, 1),  # SAR
    ("31", 1, 1),  # BALANCE (the item as an address)
    ("3b", 1, 1),  # EXTCODESIZE
    ("3f", 1, 1),  # EXTCODEHASH
    ("a1", 3, 0),  # LOG1 (offset, size, topic)
    ("52", 2, 0),  # MSTORE (inlined: the item as a word)
    ("51", 1, 1),  # MLOAD
    ("15", 1, 1),  # ISZERO
]


def _generated_program(seed: int) -> str:
    """Pushes of assorted widths feeding inlined and py-evm operations, jumps (fused and not,
    taken and not) over dead bytes, then the top words stored so the state root shows them."""
    rng = random.Random(seed)
    parts: list[str] = []
    depth = 0
    for _ in range(rng.randint(5, 25)):
        roll = rng.random()
        if roll < 0.3 or depth < 3:
            parts.append(_push(rng))
            depth += 1
        elif roll < 0.7:
            op, pops, pushes = rng.choice(_CONSUMERS)
            if op in ("53", "52", "51", "a1"):  # keep memory offsets and sizes small
                args = [_push(rng, rng.randrange(64)) for _ in range(pops)]
                if op == "a1":
                    args[0] = _push(rng)  # the topic
                parts.append("".join(args) + op)
                depth += pushes
            else:
                parts.append(op)
                depth += pushes - pops
        else:
            parts.append(None)  # a jump over dead bytes, placed below
    code = ""
    for part in parts:
        if part is not None:
            code += part
            continue
        taken = rng.random() < 0.7
        dead = "fe" * rng.randint(0, 2) if taken else ""  # INVALID, never reached
        conditional = rng.random() < 0.5
        # the target: after this jump's own bytes and the dead bytes; PUSH2 for the target
        here = len(code) // 2
        cond = _push(rng, 1 if taken else 0) if conditional else ""
        target = here + len(cond) // 2 + 3 + 1 + len(dead) // 2
        code += cond + "61" + target.to_bytes(2, "big").hex() + ("57" if conditional else "56")
        code += dead + "5b"
    return code + "".join(f"60{slot:02x}55" for slot in range(min(max(depth, 0), 4)))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_generated_programs_end_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, seed: int
) -> None:
    call = {"from": account.address, "to": FUSED_TARGET, "data": "0x" + "a5" * 36}
    overrides = {FUSED_TARGET: {"code": "0x" + _generated_program(seed), "balance": "0x01"}}
    own, lean = run_both(chain, call, overrides)
    assert lean == own


JOURNAL_STEPS = st.lists(
    st.tuples(
        st.sampled_from(("set", "delete", "record", "commit", "discard", "clear", "flatten")),
        st.sampled_from((b"a", b"b", b"c")),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None, database=None)
@given(steps=JOURNAL_STEPS, nested=st.booleans())
def test_a_journals_keys_are_found_as_py_evm_finds_them(
    steps: list[tuple[str, bytes]], nested: bool
) -> None:
    inner = JournalDB(MemoryDB({b"a": b"1", b"b": b""}))
    db = JournalDB(inner) if nested else inner
    checkpoints = []
    for step, key in steps:
        if step == "set":
            db[key] = b"v"
        elif step == "delete":
            with suppress(KeyError):
                del db[key]
        elif step == "record":
            checkpoints.append(db.record())
        elif step in ("commit", "discard") and checkpoints:
            getattr(db, step)(checkpoints.pop())
        elif step == "clear":
            db.clear()
        elif step == "flatten":
            db.flatten()
            checkpoints.clear()
        for probe in (b"a", b"b", b"c", b"d"):
            assert tester_storage.journal_has(db, probe) is (probe in db)


def touched_root(lean: bool, written: bool) -> tuple[bytes, bool, int, bool]:
    """A block's state root after touches of an account (``written`` in the block before
    them, or not): whether the account exists after the first touch, its nonce once that
    touch's frame reverted, and whether the last touch wrote to the account journal."""
    from types import SimpleNamespace

    from eth.db.account import AccountDB
    from eth.db.atomic import AtomicDB
    from eth_typing import Address

    db = AccountDB(AtomicDB())
    address = Address(b"\x07" * 20)
    db.set_balance(Address(b"\x08" * 20), 3)
    db.persist()
    if written:
        db.set_nonce(address, 4)

    def touch() -> None:
        if lean:
            tester_storage.touch(SimpleNamespace(_account_db=db), address)
        else:
            db.touch_account(address)

    checkpoint = db.record()
    touch()
    exists = db.account_exists(address)
    db.discard(checkpoint)
    nonce = db.get_nonce(address)
    db.record()
    touch()
    journal = db._journaltrie._journal
    wrote = address in journal._journal_data[journal.last_checkpoint]
    return bytes(db.make_state_root()), exists, nonce, wrote


@pytest.mark.parametrize("written", [True, False])
def test_a_touch_ends_as_py_evms_touch(written: bool) -> None:
    lean, own = touched_root(lean=True, written=written), touched_root(lean=False, written=written)
    assert lean[:3] == own[:3]
    assert lean[1:3] == (True, 4 if written else 0)


def test_a_touch_of_an_account_the_block_wrote_writes_nothing() -> None:
    assert touched_root(lean=True, written=True)[3] is False
    assert touched_root(lean=False, written=True)[3] is True
