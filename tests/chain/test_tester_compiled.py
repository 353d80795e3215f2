"""A compiled block ends as py-evm's opcodes end: with every gas limit, at every stack height.

Each call runs twice on the node's throw-away state, once with py-evm's computation class and
once with the lean one (whose blocks are compiled, :mod:`ogpu_sim.chain.tester_compiled`), and
must end alike: output, gas left, refund, logs, error (its message names the opcode and the
gas py-evm's names) and the state root.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth.vm.forks.prague.computation import PragueComputation
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogpu_sim.chain import tester_compiled, tester_program
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_evm import lean_computation
from ogpu_sim.chain.tester_kinds import ADD, BINARY, BLOCK, JUMP, PUSH, PUSH_JUMP

from .helpers import run_both

TARGET = "0x" + "0000" * 9 + "10c1"
DATA = "c3" * 40
INTRINSIC = 21_000 + 16 * 40  # and 40 non-zero bytes of call data
OPCODES = lean_computation(PragueComputation).opcodes


def _outcome(chain: TesterChain, account: LocalAccount, code: str, gas: int | None) -> Any:
    call: dict[str, Any] = {"from": account.address, "to": TARGET, "data": "0x" + DATA}
    if gas is not None:
        call["gas"] = hex(gas)
    own, lean = run_both(chain, call, {TARGET: {"code": "0x" + code, "balance": "0x05"}})
    assert lean == own
    return lean


def _least_gas(chain: TesterChain, account: LocalAccount, code: str) -> int:
    """The least gas limit the call succeeds with (its outcome checked on the way)."""
    low, high = INTRINSIC, INTRINSIC + 200_000
    while low < high:
        middle = (low + high) // 2
        if _outcome(chain, account, code, middle)[4] is None:
            high = middle
        else:
            low = middle + 1
    return low


def _push(rng: random.Random, value: int) -> str:
    width = max((value.bit_length() + 7) // 8, rng.choice((0, 1, 2, 32)))
    return "5f" if width == 0 else f"{0x5F + width:02x}" + value.to_bytes(width, "big").hex()


def _word(rng: random.Random) -> int:
    return rng.choice((0, 1, 7, 255, 256, 2**160 - 1, 2**255, 2**256 - 1, rng.randrange(2**256)))


_BINARIES = ["01", "03", "16", "17", "18", "10", "11", "14", "12", "13", "1b", "1c"]


def _program(seed: int) -> str:
    """Blocks of inlined opcodes with the fees known only as they run (memory growth, cold and
    warm SLOADs), GAS, CALLDATALOAD and the context pushes, jumps taken and not taken into
    JUMPDESTs, then the top words stored (SSTORE is py-evm's logic: it ends a block)."""
    rng = random.Random(seed)
    code, depth = "6005" + "6001" + "55", 0  # slot 1 = 5, so an SLOAD reads a word
    for _ in range(rng.randint(4, 30)):
        roll = rng.random()
        if roll < 0.25 or depth < 2:
            code += _push(rng, _word(rng))
            depth += 1
        elif roll < 0.45:
            code += rng.choice(_BINARIES)
            depth -= 1
        elif roll < 0.5:
            code += rng.choice(("15", "19"))  # ISZERO NOT
        elif roll < 0.58:
            code += f"{0x80 + rng.randrange(min(depth, 16)):02x}"  # DUP
            depth += 1
        elif roll < 0.66:
            code += f"{0x90 + rng.randrange(min(depth - 1, 16)):02x}"  # SWAP
        elif roll < 0.7:
            code += "50"  # POP
            depth -= 1
        elif roll < 0.76:
            code += _push(rng, rng.choice((0, 32, 64, 96, 200, 1000))) + "52"  # MSTORE
            depth -= 1
        elif roll < 0.8:
            code += _push(rng, rng.choice((0, 32, 300, 2000))) + "51"  # MLOAD
        elif roll < 0.86:
            code += _push(rng, rng.randrange(4)) + "54"  # SLOAD: cold, then warm
        elif roll < 0.89:
            code += _push(rng, rng.choice((0, 4, 30, 2**255))) + "35"  # CALLDATALOAD
        elif roll < 0.93:
            code += rng.choice(("5a", "36", "34", "3d", "33"))  # GAS and the context pushes
            depth += 1
        else:
            conditional = rng.random() < 0.6
            taken = rng.random() < 0.6
            here = len(code) // 2
            condition = _push(rng, int(taken)) if conditional else ""
            dead = "fe" if taken or not conditional else ""
            target = here + len(condition) // 2 + 4 + len(dead) // 2
            code += condition + "61" + target.to_bytes(2, "big").hex()
            code += ("57" if conditional else "56") + dead + "5b"
    return code + "".join(f"60{slot + 2:02x}55" for slot in range(min(max(depth, 0), 3)))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_generated_blocks_end_as_in_py_evm_with_every_gas_limit_near_their_end(
    chain: TesterChain, account: LocalAccount, seed: int
) -> None:
    code = _program(seed)
    least = _least_gas(chain, account, code)
    rng = random.Random(seed)
    limits = set(range(max(INTRINSIC, least - 24), least + 2))
    limits |= {rng.randint(INTRINSIC, least) for _ in range(8)}
    for gas in sorted(limits):
        _outcome(chain, account, code, gas)


RETURN_TOP = "5f" + "52" + "6020" + "5f" + "f3"  # PUSH0 MSTORE PUSH1 32 PUSH0 RETURN


@pytest.mark.parametrize(
    ("code", "fee"),
    [
        # MSTORE growing memory, then PUSH1/ADD: the fee fits, the rest of the block not
        ("6001" + "6040" + "52" + "6001" + "6002" + "01" + "6003" + "01" + RETURN_TOP, 0),
        # a cold SLOAD (2100) with opcodes after it in the same block
        ("6001" + "54" + "6001" + "01" + "6002" + "01" + RETURN_TOP, 2100),
        # GAS among fixed-cost opcodes: the word it pushes is returned
        ("6001" + "6002" + "5a" + "90" + "50" + RETURN_TOP, 0),
        # MLOAD past memory, then a JUMPI taken
        ("6080" + "51" + "6001" + "6009" + "57" + "fe" + "5b" + RETURN_TOP, 0),
    ],
)
def test_a_block_short_of_gas_anywhere_ends_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, code: str, fee: int
) -> None:
    least = _least_gas(chain, account, code)
    limits = set(range(INTRINSIC, INTRINSIC + 80)) | set(range(least - 80, least + 1))
    limits |= set(range(INTRINSIC + fee - 20, INTRINSIC + fee + 40))
    for gas in sorted(gas for gas in limits if gas >= INTRINSIC):
        _outcome(chain, account, code, gas)


def test_the_gas_opcode_in_a_compiled_block_pushes_the_gas_left_at_it(
    chain: TesterChain, account: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tester_compiled, "HOT", 1)  # compiled when first decoded
    tester_program._tables.clear()
    # PUSH1 PUSH1 GAS SWAP1 POP PUSH0 SSTORE: slot 0 = the gas GAS saw
    code = "6001" + "6002" + "5a" + "90" + "50" + "5f" + "55"
    call = {"from": account.address, "to": TARGET, "data": "0x" + DATA, "gas": hex(50_000)}
    own, lean = run_both(chain, call, {TARGET: {"code": "0x" + code}}, committed=TARGET)
    assert lean == own
    assert lean[-1] == 50_000 - INTRINSIC - 3 - 3 - 2  # after PUSH1, PUSH1 and GAS itself
    assert tester_program.program(bytes.fromhex(code), OPCODES)[0][0][2] == BLOCK


def test_a_compiled_sload_hands_over_where_access_is_tracked(
    chain: TesterChain, account: LocalAccount, probe: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tester_compiled, "HOT", 1)  # compiled when first decoded
    tester_program._tables.clear()
    call = {"from": account.address, "to": probe.address, "data": probe.encode_abi("stored", ())}
    expected = [{"address": probe.address, "storageKeys": ["0x" + "00" * 32]}]
    for _ in range(2):  # decoded and compiled, then run compiled: the tracer still sees it
        assert chain.node.create_access_list(call)["accessList"] == expected


def _decoded(value: int) -> list[Any]:
    """The program of PUSH1 value PUSH1 2 ADD PUSH1 8 JUMP STOP JUMPDEST, its first block
    decoded."""
    code = bytes.fromhex(f"60{value:02x}" + "6002" + "01" + "6008" + "56" + "00" + "5b")
    prog, bounds, table = tester_program.program(code, OPCODES)
    tester_program.block(code, 0, table, prog, bounds)
    return prog


def test_a_block_of_a_new_shape_compiles_once_it_has_run_twice() -> None:
    tester_program._tables.clear()
    tester_compiled._shapes.clear()
    tester_compiled._seen.clear()
    prog = _decoded(1)
    assert prog[0][1:3] == (tester_compiled.PENDING, BLOCK)
    assert prog[0][0][2:4] == (PUSH, 1)  # what runs meanwhile: the first opcode alone
    tester_program.promote(prog, 0)
    assert prog[0][1] == tester_compiled.PENDING
    tester_program.promote(prog, 0)
    assert prog[0][1:3] == (3 + 3 + 3 + 3 + 8, BLOCK)
    assert prog[0][3].key[2] == (1, 2, 8)


def test_copies_differing_in_push_values_share_one_compiled_shape() -> None:
    tester_program._tables.clear()
    tester_compiled._shapes.clear()
    tester_compiled._seen.clear()
    first = _decoded(1)
    assert type(first[0][3]) is tester_compiled.Pending  # the shape seen once
    for value in (2, 3):
        prog = _decoded(value)
        assert prog[0][3].key[2] == (value, 2, 8)
    assert len(tester_compiled._shapes) == 1


def test_a_block_of_one_opcode_is_left_to_the_loop() -> None:
    run = [(0, (None, 3, BINARY, ADD, 1)), (1, (None, 0, -1, 0, 1))]
    assert tester_compiled.compile_block(run, range(2, 1025)) is None


def test_a_compiled_jump_block_includes_its_jump_and_its_fixed_gas() -> None:
    run = [
        (0, (None, 3, PUSH, 1, 2)),
        (2, (None, 3, PUSH_JUMP, 9, 2)),
        (4, (None, 8, JUMP, 0, 1)),
    ]
    entry = tester_compiled.compile_block(run, range(0, 1023), hot=True)
    assert entry is not None
    assert (entry[1], entry[2], entry[3].span, entry[3].key[2]) == (14, BLOCK, 5, (1, 9))


def test_a_copy_runs_a_pending_blocks_first_push_with_its_own_value(
    chain: TesterChain, account: LocalAccount
) -> None:
    tester_program._tables.clear()
    tester_compiled._seen.clear()
    tester_compiled._shapes.clear()
    # PUSH1 v PUSH1 2 ADD PUSH0 SSTORE: the block is pending after one run
    first = bytes.fromhex("6001" + "6002" + "01" + "5f" + "55")
    _outcome(chain, account, first.hex(), None)
    copy = bytes.fromhex("6007" + "6002" + "01" + "5f" + "55")
    _outcome(chain, account, copy.hex(), None)  # adapted from the first: slot 0 = 9
    prog = tester_program.program(copy, OPCODES)[0]
    assert prog[0][2] == BLOCK
    assert prog[0][0][2:4] == (PUSH, 7)
