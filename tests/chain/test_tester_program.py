"""The lean loop's blocks: stack bounds checked once per block, and fused stack pairs.

A block is entered with the stack inside its bounds (no opcode of it runs short of items or past
1024) or py-evm's own loop runs it; either way a call ends as with py-evm's computation class:
output, gas, refund, logs, error (where and with which gas it happens) and the state root.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth.vm.forks.prague.computation import PragueComputation
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogpu_sim.chain import tester_compiled, tester_kinds, tester_program
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_evm import lean_computation
from ogpu_sim.chain.tester_kinds import FUSED
from ogpu_sim.chain.tester_program import block, program

from .helpers import run_both

TARGET = "0x" + "0000" * 9 + "10b3"
OPCODES = lean_computation(PragueComputation).opcodes


def _outcome(chain: TesterChain, account: LocalAccount, code: str, gas: int | None) -> Any:
    call: dict[str, Any] = {"from": account.address, "to": TARGET}
    if gas is not None:
        call["gas"] = hex(gas)
    own, lean = run_both(chain, call, {TARGET: {"code": "0x" + code}})
    assert lean == own
    return lean


def _bounds(code: str, start: int = 0) -> tuple[range, list[Any]]:
    raw = bytes.fromhex(code)
    tester_program._tables.clear()  # a fresh memo: each test decodes its own code
    prog, bounds, table = program(raw, OPCODES)
    return block(raw, start, table, prog, bounds), prog


def test_a_blocks_bounds_are_the_entry_heights_its_opcodes_run_with() -> None:
    # JUMPDEST DUP2 ADD POP PUSH1 PUSH1 ADD JUMP: needs 2 items, grows by at most 1
    found, _ = _bounds("5b" + "81" + "01" + "50" + "6001" + "6002" + "01" + "56")
    assert found == range(2, 1024)


def test_a_block_ends_before_an_opcode_the_loop_does_not_inline() -> None:
    # POP POP then ADDRESS: the block counts the two POPs only
    found, _ = _bounds("50" + "50" + "30" + "50" * 5)
    assert found == range(2, 1025)


def test_a_block_runs_on_through_the_context_pushes_it_inlines() -> None:
    # CALLDATASIZE CALLVALUE GAS RETURNDATASIZE CALLER, then seven POPs: needs 2 items
    found, _ = _bounds("36" + "34" + "5a" + "3d" + "33" + "50" * 7)
    assert found == range(2, 1020)


def test_a_block_ends_before_the_next_jumpdest() -> None:
    found, _ = _bounds("6001" + "5b" + "50" * 3)
    assert found == range(0, 1024)


def test_common_stack_pairs_are_fused_first_come_first_paired(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tester_program, "compile_block", lambda run, bound: None)
    # PUSH1 PUSH1 PUSH1 DUP1 SWAP1 POP POP POP
    _, prog = _bounds("6001" + "6002" + "6003" + "80" + "90" + "50" + "50" + "50")
    kinds = [(position, prog[position][2]) for position in (0, 4, 7, 9)]
    assert kinds == [
        (0, tester_kinds.PUSH_PUSH),
        (4, tester_kinds.PUSH_DUP),
        (7, tester_kinds.SWAP_POP),
        (9, tester_kinds.POP_POP),
    ]
    assert prog[0][1:] == (6, tester_kinds.PUSH_PUSH, (1, 2), 4)
    assert all(prog[position][2] < FUSED for position in (2, 6, 8, 10))  # kept, unfused


def test_a_blocks_start_holds_its_compiled_entry_with_its_first_opcode_and_fixed_gas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tester_compiled, "HOT", 1)  # compiled when first decoded
    # PUSH1 PUSH1 (a pair) ADD PUSH1 JUMP: 3 + 3 + 3 + 3 + 8 gas
    _, prog = _bounds("6001" + "6002" + "01" + "6009" + "56")
    first, cost, kind, function, step = prog[0]
    assert (cost, kind, step) == (20, tester_kinds.BLOCK, 2)
    assert first[1:] == (3, tester_kinds.PUSH, 1, 2)
    assert (function.span, function.key[1:]) == (8, (0, (1, 2, 9)))
    assert prog[2][2:] == (tester_kinds.PUSH, 2, 2)  # the pair's second opcode, alone


def test_bounds_worked_out_again_ignore_the_fused_entries() -> None:
    code = "6001" + "6002" + "80" + "80" + "90" + "90" + "50" + "50" + "56"
    first, prog = _bounds(code)
    raw = bytes.fromhex(code)
    _, bounds, table = program(raw, OPCODES)
    assert block(raw, 0, table, prog, bounds) == first == range(0, 1021)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("5f" * 1024, None),  # exactly full
        ("5f" * 1024 + "5f", "FullStack('Stack limit reached')"),
        ("5f" * 1023 + "6001" + "6002", "FullStack('Stack limit reached')"),  # fused pair
        ("5f" * 1023 + "6001" + "80", "FullStack('Stack limit reached')"),  # PUSH DUP
        ("5f" * 1024 + "80", "FullStack('Stack limit reached')"),
        ("5f" * 1022 + "80" + "80" + "80", "FullStack('Stack limit reached')"),  # DUP DUP
        ("5f" * 1023 + "610403" + "56" + "5b" + "5f5f", "FullStack('Stack limit reached')"),
        ("5f" * 3 + "50" * 4, "InsufficientStack('Wanted 1 stack item, had none')"),
        (
            "5f" * 3 + "6006" + "56" + "5b" + "92",
            "InsufficientStack('Insufficient stack items for SWAP3')",
        ),
        (
            "5f" + "6004" + "56" + "5b" + "01",
            "InsufficientStack('Wanted 2 stack items, only had 1')",
        ),
        ("5f" + "5b" + "80" + "8f", "InsufficientStack('Insufficient stack items for DUP16')"),
        ("5f" + "5a" + "90" + "91", "InsufficientStack('Insufficient stack items for SWAP2')"),
    ],
)
def test_a_block_past_its_bounds_fails_where_py_evm_fails(
    chain: TesterChain, account: LocalAccount, code: str, error: str | None
) -> None:
    assert _outcome(chain, account, code, None)[4] == error


@pytest.mark.parametrize(
    ("code", "gas", "error"),
    [
        # PUSH1 PUSH1 (fused, 6 gas) with 5: the first runs alone, the second fails
        ("6001" + "6002", 21_005, "OutOfGas('Out of gas: Needed 3 - Remaining 2 - Reason: PUSH1')"),
        ("6001" + "6002", 21_002, "OutOfGas('Out of gas: Needed 3 - Remaining 2 - Reason: PUSH1')"),
        (
            "6001" + "80" + "80",
            21_008,
            "OutOfGas('Out of gas: Needed 3 - Remaining 2 - Reason: DUP1')",
        ),
        (
            "5f5f" + "90" + "50",
            21_008,
            "OutOfGas('Out of gas: Needed 2 - Remaining 1 - Reason: POP')",
        ),
        (
            "5f5f5f" + "50" + "50",
            21_009,
            "OutOfGas('Out of gas: Needed 2 - Remaining 1 - Reason: POP')",
        ),
        (
            "5f5f5f" + "90" + "91",
            21_009,
            "OutOfGas('Out of gas: Needed 3 - Remaining 0 - Reason: SWAP2')",
        ),
    ],
)
def test_a_fused_pair_short_of_gas_fails_at_the_opcode_py_evm_names(
    chain: TesterChain, account: LocalAccount, code: str, gas: int, error: str
) -> None:
    assert _outcome(chain, account, code, gas)[4] == error


_STACK_OPS = (
    [f"{0x80 + n:02x}" for n in range(16)]  # DUP1..16
    + [f"{0x90 + n:02x}" for n in range(16)]  # SWAP1..16
    + ["50", "01", "16", "10", "15", "19"]  # POP ADD AND LT ISZERO NOT
)


def _effect(op: str) -> tuple[int, int]:
    value = int(op[:2], 16)
    if 0x5F <= value <= 0x7F:
        return 0, 1
    if 0x80 <= value <= 0x8F:
        return value - 0x7F, value - 0x7E
    if 0x90 <= value <= 0x9F:
        return value - 0x8E, value - 0x8E
    return {"50": (1, 0), "15": (1, 1), "19": (1, 1)}.get(op, (2, 1))


def _block_program(seed: int) -> tuple[str, int | None]:
    """A block of stack opcodes entered (after a jump, a JUMPI, py-evm's logic, falling into
    its JUMPDEST, or at the code's start) with a stack just inside or just outside its bounds,
    at or near 1024 items too; its top word stored. Half the time with gas running out in it."""
    rng = random.Random(seed)
    ops = []
    for _ in range(rng.randint(1, 12)):
        if rng.random() < 0.35:
            width = rng.choice((0, 1, 2, 32))
            ops.append(f"{0x5F + width:02x}" + rng.randbytes(width).hex())
        else:
            ops.append(rng.choice(_STACK_OPS))
    height = need = most = 0
    for op in ops:
        pops, pushes = _effect(op)
        need = max(need, pops - height)
        height += pushes - pops
        most = max(most, height)
    low, high = need, 1024 - most  # the block's bounds: entry heights low..high
    entry = rng.choice([low - 1, low, low + 1, high - 1, high, high + 1, rng.randint(0, 1024)])
    entry = min(max(entry, 0), 1024)
    mode = rng.choice(("start", "jump", "jumpi", "fallthrough", "not-taken", "logic"))
    fill = "5f" * entry
    if mode == "jump":
        prefix = fill + "61" + (entry + 4).to_bytes(2, "big").hex() + "56" + "5b"
    elif mode == "jumpi":
        prefix = fill + "6001" + "61" + (entry + 6).to_bytes(2, "big").hex() + "57" + "5b"
    elif mode == "fallthrough":
        prefix = fill + "5b"
    elif mode == "not-taken":
        prefix = fill + "5f" + "6100" + "0057"
    elif mode == "logic" and entry:
        prefix = fill[2:] + "30"  # ADDRESS: py-evm's logic pushes the last item
    else:
        prefix = fill
    code = prefix + "".join(ops) + "5f55"  # PUSH0 SSTORE: slot 0 = the top word
    gas = None
    if rng.random() < 0.5:
        gas = 21_000 + rng.randrange(2 * entry + 3 * len(ops) + 20)
    return code, gas


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_generated_blocks_near_their_stack_bounds_end_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, seed: int
) -> None:
    code, gas = _block_program(seed)
    _outcome(chain, account, code, gas)


@pytest.mark.parametrize(
    "code",
    [
        "30" + "80" + "31" + "50" + "80" + "5f" + "55" + "80" + "14" + "6001" + "55",  # ADDRESS
        "30" + "6001" + "5d" + "6001" + "5c" + "6002" + "55",  # TSTORE ADDRESS, TLOAD it
        "33" + "5f" + "52" + "32" + "6020" + "52" + "6040" + "5f" + "f3",  # CALLER ORIGIN
        "30" + "3f" + "6003" + "55" + "30" + "3b" + "6004" + "55",  # EXTCODEHASH/SIZE
        "30" + "61ffff" + "16" + "6001" + "1b" + "6005" + "55",  # AND, SHL of an address
    ],
)
def test_items_py_evms_logic_pushes_as_bytes_read_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, code: str
) -> None:
    assert _outcome(chain, account, code, None)[4] is None


def test_with_debug2_logging_py_evms_loop_logs_py_evms_stack(
    chain: TesterChain, account: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    logger = PragueComputation.logger
    monkeypatch.setitem(logger.__dict__, "show_debug2", True)
    lines: list[str] = []
    monkeypatch.setitem(
        logger.__dict__, "debug2", lambda message, *args: lines.append(message % args)
    )
    _outcome(chain, account, "30" + "6001" + "01" + "5f" + "55", None)
    own, lean = lines[: len(lines) // 2], lines[len(lines) // 2 :]
    assert lean == own
    assert any("0x" + "00" * 18 + "10b3" in line for line in lean)  # ADDRESS as py-evm's bytes


def _push_data(code: bytes) -> list[int]:
    """The positions of ``code`` that are PUSH data (a linear scan, as jump analysis does)."""
    positions, index = [], 0
    while index < len(code):
        width = code[index] - 0x5F if 0x60 <= code[index] <= 0x7F else 0
        positions += range(index + 1, min(index + 1 + width, len(code)))
        index += 1 + width
    return positions


def _run_and_decode(chain: TesterChain, account: LocalAccount, code: bytes) -> list[Any]:
    _outcome(chain, account, code.hex(), None)
    return program(code, OPCODES)[0]


def test_a_copy_differing_in_push_data_gets_the_decoded_program_with_its_own_values(
    chain: TesterChain, account: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PUSH32 a PUSH32 b (a fused pair) ADD PUSH1 PUSH1 (fused) SSTORE, then STOP and data
    def code(a: int, b: int, slot: int, data: bytes) -> bytes:
        words = "7f" + f"{a:064x}" + "7f" + f"{b:064x}" + "01" + "60" + f"{slot:02x}" + "6000"
        return bytes.fromhex(words + "55" + "00") + data

    monkeypatch.setattr(tester_compiled, "HOT", 1)  # compiled when first decoded
    tester_program._tables.clear()
    _run_and_decode(chain, account, code(1, 2, 3, b"\x01" * 8))
    copy = code(7, 9, 4, b"\x02" * 8)
    prog = _run_and_decode(chain, account, copy)  # adapted from the first program
    assert prog[0][2] == tester_kinds.BLOCK  # compiled with the copy's values
    assert prog[0][0][2:4] == (tester_kinds.PUSH, 7)
    assert prog[0][3].key[2] == (7, 9, 4, 0)
    assert prog[33][2:4] == (tester_kinds.PUSH, 9)
    assert prog[67][2:] == (tester_kinds.PUSH_PUSH, (4, 0), 4)
    fresh = dict(tester_program._tables)
    tester_program._tables.clear()
    scratch = _run_and_decode(chain, account, copy)  # as decoded from scratch
    assert [_comparable(entry) for entry in scratch] == [_comparable(entry) for entry in prog]
    tester_program._tables.update(fresh)


def _comparable(entry: Any) -> Any:
    """An entry with a compiled block's function as what it is made of."""
    if entry[2] == tester_kinds.BLOCK:
        return (*entry[:3], entry[3].key, entry[4])
    return entry


def test_a_changed_push_that_is_the_second_of_a_pair_is_paired_again(
    chain: TesterChain, account: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tester_program, "compile_block", lambda run, bound: None)
    tester_program._tables.clear()
    # PUSH1 PUSH2 (fused) ADD PUSH0 SSTORE; the copy differs in the PUSH2's value only
    _run_and_decode(chain, account, bytes.fromhex("6001" + "610100" + "01" + "5f" + "55"))
    prog = _run_and_decode(chain, account, bytes.fromhex("6001" + "610203" + "01" + "5f" + "55"))
    assert prog[0][2:] == (tester_kinds.PUSH_PUSH, (1, 0x0203), 5)
    assert prog[2][2:4] == (tester_kinds.PUSH, 0x0203)


def test_a_copy_differing_in_a_decoded_opcode_is_decoded_from_scratch(
    chain: TesterChain, account: LocalAccount
) -> None:
    tester_program._tables.clear()
    first = bytes.fromhex("6001" + "6002" + "01" + "5f" + "55")
    _run_and_decode(chain, account, first)
    other = bytes.fromhex("6001" + "6002" + "03" + "5f" + "55")  # SUB for ADD
    table, programs = tester_program.tables(OPCODES)
    assert tester_program.adapted(other, first, programs[first], table) is None
    prog = _run_and_decode(chain, account, other)
    assert prog[4][2:4] == (tester_kinds.BINARY, tester_kinds.SUB)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_generated_copies_differing_in_push_data_and_trailing_data_end_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, seed: int
) -> None:
    code, gas = _block_program(seed)
    rng = random.Random(seed)
    original = bytearray(bytes.fromhex(code) + b"\x00" + rng.randbytes(rng.randint(0, 40)))
    copy = bytearray(original)
    data = _push_data(bytes(original[: len(bytes.fromhex(code))]))
    tail = range(len(bytes.fromhex(code)) + 1, len(original))
    for position in rng.sample(data, min(len(data), 3)) + rng.sample(tail, min(len(tail), 3)):
        copy[position] = rng.randrange(256)
    tester_program._tables.clear()
    for version in (original, copy):
        _outcome(chain, account, bytes(version).hex(), gas)
