"""The lean call opcodes (chain/tester_frames.py) and code reads (chain/tester_storage.py) end
every call frame exactly as py-evm's own do: output, gas, refund, logs, error, state root."""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.opcode_values import CALL, CALLCODE, DELEGATECALL, STATICCALL
from eth_account.signers.local import LocalAccount
from eth_utils import ValidationError

from ogpu_sim.chain import tester_storage
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_evm import lean_computation
from ogpu_sim.chain.tester_frames import LeanCall, lean_opcodes

from .test_tester_evm import run_both

CALLER = "0x" + "0000" * 9 + "20a0"
CALLEE = "0x" + "0000" * 9 + "20a1"
REVERTER = "0x" + "0000" * 9 + "20a2"
BURNER = "0x" + "0000" * 9 + "20a3"
VIEW = "0x" + "0000" * 9 + "20a4"
DELEGATED = "0x" + "0000" * 9 + "20a5"
VALUE_CALLER = "0x" + "0000" * 9 + "20a6"
NOBODY = "0x" + "0000" * 9 + "20af"
IDENTITY = "0x" + "00" * 19 + "04"

# The callee notes CALLER, CALLVALUE and ADDRESS in slots 0-2 and returns the word 0x42.
CALLEE_CODE = "336000553460015530600255" + "604260005260206000f3"
REVERTER_CODE = "7f" + "ab" * 32 + "60005260206000fd"  # REVERT with 32 bytes of data
VIEW_CODE = "604260005260206000f3"  # returns 0x42, writes nothing


def call_code(
    op: int, to: str, value: int = 0, gas: str = "5a", data: tuple[int, int] = (0, 0)
) -> str:
    """Push a call's arguments in py-evm's pop order (last pushed: gas) and run ``op``."""
    out = "6010" + "6000"  # out size 16, out start 0: a longer answer is cut
    inputs = f"60{data[1]:02x}60{data[0]:02x}"
    moved = f"60{value:02x}" if op in (CALL, CALLCODE) else ""
    return out + inputs + moved + "73" + to[2:] + gas + f"{op:02x}"


# After a call: its flag (slot 10), RETURNDATASIZE (11), the output word (12), GAS left (13).
NOTE_RESULT = "600a55" + "3d600b55" + "600051600c55" + "5a600d55"


def overrides(code: str, balance: int = 100) -> dict[str, Any]:
    return {
        CALLER: {"code": "0x" + code, "balance": hex(balance)},
        CALLEE: {"code": "0x" + CALLEE_CODE},
        REVERTER: {"code": "0x" + REVERTER_CODE},
        BURNER: {"code": "0xfe"},
        VIEW: {"code": "0x" + VIEW_CODE},
        DELEGATED: {"code": "0xef0100" + CALLEE[2:]},  # EIP-7702: runs CALLEE's code
        VALUE_CALLER: {"code": "0x" + call_code(CALL, CALLEE, 1) + NOTE_RESULT},
    }


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (call_code(CALL, CALLEE) + NOTE_RESULT, None),
        (call_code(CALL, CALLEE, 5) + NOTE_RESULT, None),  # a value transfer: the stipend
        (call_code(CALL, NOBODY, 5) + NOTE_RESULT, None),  # a new account: its fee
        (call_code(CALL, NOBODY) + NOTE_RESULT, None),  # no value: no new-account fee
        (call_code(CALL, CALLEE, 200) + NOTE_RESULT, None),  # more than the balance
        (call_code(CALL, CALLEE) + call_code(CALL, CALLEE) + NOTE_RESULT, None),  # warm
        (call_code(CALLCODE, CALLEE, 3) + NOTE_RESULT, None),  # the callee's code, own storage
        (call_code(DELEGATECALL, CALLEE) + NOTE_RESULT, None),
        (call_code(STATICCALL, CALLEE) + NOTE_RESULT, None),  # its SSTORE: WriteProtection
        (call_code(STATICCALL, VIEW) + NOTE_RESULT, None),
        (call_code(STATICCALL, VALUE_CALLER) + NOTE_RESULT, None),  # CALL with value: refused
        (call_code(CALL, REVERTER) + NOTE_RESULT, None),  # revert data, cut to 16 bytes
        (call_code(CALL, BURNER) + NOTE_RESULT, None),  # all its gas burnt, data erased
        (call_code(CALL, IDENTITY, data=(0, 8)) + NOTE_RESULT, None),  # a precompile
        (call_code(CALL, DELEGATED, 2) + NOTE_RESULT, None),  # a delegation designation
        (call_code(DELEGATECALL, DELEGATED) + NOTE_RESULT, None),
        (call_code(CALL, CALLEE, gas="6000") + NOTE_RESULT, None),  # no gas: the stipend only
        (call_code(CALL, CALLEE, gas="7f" + "ff" * 32) + NOTE_RESULT, None),  # all but 1/64
        (call_code(CALL, CALLEE, data=(0x40, 0x20)) + NOTE_RESULT, None),  # memory grows
        ("6000" * 5 + "f1", "InsufficientStack('Wanted 5 stack items, only had 3')"),
        ("6000" * 4 + "fa", "InsufficientStack('Wanted 4 stack items, only had 2')"),
    ],
)
def test_a_call_frame_ends_exactly_as_with_py_evms_opcodes(
    chain: TesterChain, account: LocalAccount, code: str, error: str | None
) -> None:
    call = {"from": account.address, "to": CALLER}
    own, lean = run_both(chain, call, overrides(code))
    assert lean == own
    assert lean[4] == error


def test_running_out_of_gas_at_each_point_of_a_call_ends_as_in_py_evm(
    chain: TesterChain, account: LocalAccount
) -> None:
    code = call_code(CALL, NOBODY, 5) + NOTE_RESULT
    errors = set()
    for gas in [*range(21_000 + 21 + 2_500, 21_000 + 21 + 2_600 + 34_000, 1_500), 300_000]:
        call = {"from": account.address, "to": CALLER, "gas": hex(gas)}
        own, lean = run_both(chain, call, overrides(code))
        assert lean == own
        errors.add(lean[4])
    assert any(  # the value transfer's 9000 and the new account's 25000, not there
        error and error.startswith("OutOfGas('Out of gas: Needed 34000 - Remaining ")
        for error in errors
    )
    assert any(
        error and error.endswith("Reason: CALL charges implicit account load for reading code')")
        for error in errors
    )
    assert None in errors


def test_the_lean_opcodes_replace_exactly_the_four_call_opcodes() -> None:
    opcodes = lean_computation(PragueComputation).opcodes
    replaced = {value for value, op in opcodes.items() if type(op) is LeanCall}
    assert replaced == {CALL, CALLCODE, DELEGATECALL, STATICCALL}
    assert all(
        opcodes[value] is PragueComputation.opcodes[value]
        for value in PragueComputation.opcodes
        if value not in replaced
    )
    assert lean_opcodes({}) == {}


def _random_calls(seed: int) -> str:
    """A caller making random calls of all four kinds to the test accounts, noting each result."""
    rng = random.Random(seed)
    targets = [CALLEE, REVERTER, BURNER, VIEW, DELEGATED, NOBODY, IDENTITY, VALUE_CALLER]
    code = ""
    for _ in range(4):
        op = rng.choice((CALL, CALLCODE, DELEGATECALL, STATICCALL))
        gas = rng.choice(("5a", "6000", "61c350", "7f" + "ff" * 32))
        data = (rng.randrange(64), rng.randrange(40))
        code += call_code(op, rng.choice(targets), rng.randrange(60), gas, data) + NOTE_RESULT
    return code


@pytest.mark.parametrize("seed", range(24))
def test_random_call_sequences_end_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, seed: int
) -> None:
    call = {"from": account.address, "to": CALLER}
    own, lean = run_both(chain, call, overrides(_random_calls(seed)))
    assert lean == own


def test_a_code_read_is_py_evms_with_its_bookkeeping(chain: TesterChain) -> None:
    reads = []
    for lean in (False, True):
        with chain.lock:
            state, _header, _vm = chain.node._fresh_state("latest", overrides("00"))
            db = state._account_db
            answers = [
                tester_storage.code(state, bytes.fromhex(a[2:]))
                if lean
                else db.get_code(bytes.fromhex(a[2:]))
                for a in (CALLEE, NOBODY, DELEGATED, CALLEE)
            ]
            reads.append((answers, set(db._accessed_bytecodes), set(db._accessed_accounts)))
    assert reads[1] == reads[0]
    assert reads[1][0][0] == bytes.fromhex(CALLEE_CODE)
    assert reads[1][0][1] == b""


def test_a_code_read_runs_py_evms_where_its_database_is_not_py_evms(chain: TesterChain) -> None:
    with chain.lock:
        state, _header, _vm = chain.node._fresh_state("latest", None)
        state._account_db.get_code = lambda address: b"\x01"
        assert tester_storage.code(state, b"\x00" * 20) == b"\x01"
    with pytest.raises(ValidationError, match="Storage Address"), chain.lock:
        state, _header, _vm = chain.node._fresh_state("latest", None)
        tester_storage.code(state, b"\x00" * 19)


def test_the_node_reads_code_with_the_lean_read(chain: TesterChain) -> None:
    state = chain.node.chain.get_vm().state
    assert type(state).get_code is tester_storage.code
    assert tester_storage.state_methods(type(state)) == {}  # already replaced: kept as is
