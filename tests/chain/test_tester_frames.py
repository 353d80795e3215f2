"""The lean call opcodes (chain/tester_frames.py), SSTORE and code reads (chain/tester_storage.py)
end every call frame exactly as py-evm's own do: output, gas, refund, logs, error, state root."""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.opcode_values import (
    CALL,
    CALLCODE,
    CREATE,
    CREATE2,
    DELEGATECALL,
    SSTORE,
    STATICCALL,
)
from eth_account.signers.local import LocalAccount
from eth_utils import ValidationError

from ogpu_sim.chain import tester_storage
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_evm import lean_computation
from ogpu_sim.chain.tester_frames import LeanCall, lean_opcodes

from .helpers import run_both

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


def test_the_lean_opcodes_replace_exactly_the_four_call_opcodes_and_sstore() -> None:
    opcodes = lean_computation(PragueComputation).opcodes
    replaced = {value for value, op in opcodes.items() if type(op) is LeanCall}
    assert replaced == {CALL, CALLCODE, DELEGATECALL, STATICCALL}
    sstore = opcodes[SSTORE]
    assert sstore is not PragueComputation.opcodes[SSTORE]
    assert (sstore.mnemonic, sstore.gas_cost) == ("SSTORE", 0)
    replaced.add(SSTORE)
    assert all(
        opcodes[value] is PragueComputation.opcodes[value]
        for value in PragueComputation.opcodes
        if value not in replaced
    )
    assert lean_opcodes({}) == {}


def init_code(prefix: str, runtime: str) -> str:
    """Creation code running ``prefix``, then returning ``runtime`` (copied from its own code)."""
    start = len(prefix) // 2 + 11
    return prefix + f"60{len(runtime) // 2:02x}8060{start:02x}6000396000f3" + runtime


INIT_CODES = [
    init_code("", CALLEE_CODE),
    init_code("6007600155", VIEW_CODE),  # writes its own storage first
    init_code(call_code(CALL, CALLEE) + "50", VIEW_CODE),  # calls out while being created
    init_code("", "ef"),  # EIP-3541: code starting with 0xef is refused
    "60006000fd",  # reverts
    "fe",  # burns its gas
]


def create_code(op: int, init: str, value: int, salt: int) -> str:
    """Write ``init`` to memory at 0x100, run CREATE or CREATE2 with it, note the new address
    (slot 20) and call it, noting the call's result."""
    data = bytes.fromhex(init)
    code = "".join(
        "7f" + data[i : i + 32].ljust(32, b"\0").hex() + f"61{0x100 + i:04x}52"
        for i in range(0, len(data), 32)
    )
    code += (f"60{salt:02x}" if op == CREATE2 else "") + f"60{len(data):02x}610100"
    code += f"60{value:02x}{op:02x}" + "80601455"  # the address (0 if it failed) to slot 20
    code += "6010" + "6000" * 4 + "85" + "5a" + "f1"  # CALL it: DUP6 is the address
    return code + NOTE_RESULT + "50"


def _random_frames(seed: int) -> str:
    """A caller making random calls of all four kinds to the test accounts and random creates
    (CREATE and CREATE2, salts repeating: a collision), noting each result."""
    rng = random.Random(seed)
    targets = [CALLEE, REVERTER, BURNER, VIEW, DELEGATED, NOBODY, IDENTITY, VALUE_CALLER]
    code = ""
    for _ in range(4):
        op = rng.choice((CALL, CALLCODE, DELEGATECALL, STATICCALL, CREATE, CREATE2))
        if op in (CREATE, CREATE2):
            code += create_code(op, rng.choice(INIT_CODES), rng.randrange(60), rng.randrange(2))
            continue
        gas = rng.choice(("5a", "6000", "61c350", "7f" + "ff" * 32))
        data = (rng.randrange(64), rng.randrange(40))
        code += call_code(op, rng.choice(targets), rng.randrange(60), gas, data) + NOTE_RESULT
    return code


@pytest.mark.parametrize(
    ("op", "init"), [(op, init) for op in (CREATE, CREATE2) for init in INIT_CODES]
)
def test_a_create_frame_ends_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, op: int, init: str
) -> None:
    code = create_code(op, init, 3, 1) + create_code(op, init, 0, 1)  # CREATE2: a collision
    call = {"from": account.address, "to": CALLER}
    own, lean = run_both(chain, call, overrides(code))
    assert lean == own
    assert lean[4] is None


@pytest.mark.parametrize("seed", range(32))
def test_random_call_and_create_sequences_end_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, seed: int
) -> None:
    call = {"from": account.address, "to": CALLER}
    own, lean = run_both(chain, call, overrides(_random_frames(seed)))
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


def sstore(value: int, slot: int = 0) -> str:
    return f"61{value:04x}60{slot:02x}55"


@pytest.mark.parametrize(
    ("original", "code", "refund"),
    [
        (5, sstore(5), 0),  # unchanged: the warm read's cost
        (0, sstore(0), 0),
        (0, sstore(7), 0),  # set
        (5, sstore(7), 0),  # reset
        (5, sstore(0), 4_800),  # cleared: EIP-3529's refund
        (5, sstore(7) + sstore(5), 2_800),  # dirty, back to the original: reset - noop
        (0, sstore(7) + sstore(0), 19_900),  # dirty, back to zero: set - noop
        (5, sstore(0) + sstore(7), 0),  # the clear's refund taken back
        (5, sstore(7) + sstore(0), 4_800),  # dirty, then cleared
        (5, sstore(0) + sstore(5), 2_800),  # cleared, then restored: both refunds undone
        (0, sstore(7) + sstore(8), 0),  # dirty to dirty
        (5, "600054" + sstore(7), 0),  # warmed by SLOAD first: no cold charge
        (5, sstore(7, 1) + sstore(7, 2) + sstore(0, 0), 4_800),  # other slots, cold each
        (5, "600055", 0),  # one stack item: py-evm's InsufficientStack
    ],
)
def test_an_sstore_ends_as_in_py_evm(
    chain: TesterChain, account: LocalAccount, original: int, code: str, refund: int
) -> None:
    storage = {"0x" + "00" * 32: hex(original)} if original else {}
    fields = {"code": "0x" + code, **({"state": storage} if storage else {})}
    call = {"from": account.address, "to": CALLER}
    own, lean = run_both(chain, call, {CALLER: fields}, committed=CALLER)
    assert lean == own
    assert lean[2] == refund
    assert lean[4] == (
        "InsufficientStack('Wanted 2 stack items, only had 1')" if code == "600055" else None
    )


@pytest.mark.parametrize(
    ("gas", "error"),
    [
        (
            21_000 + 6 + 2_300,
            "OutOfGas('Net-metered SSTORE always fails below 2300 gas, per EIP-2200', 2300)",
        ),
        (
            21_000 + 6 + 2_301,
            "OutOfGas('Out of gas: Needed 20000 - Remaining 2301 - Reason: "
            f"SSTORE: {CALLER}[0] -> 7 (current: 0 / original: 0)')",
        ),
        (
            21_000 + 6 + 20_000 + 2_099,
            "OutOfGas('Out of gas: Needed 2100 - Remaining 2099 - "
            "Reason: Implicit SLOAD during SSTORE')",
        ),
        (21_000 + 6 + 22_100, None),
    ],
)
def test_an_sstore_short_of_gas_fails_with_py_evms_error(
    chain: TesterChain, account: LocalAccount, gas: int, error: str | None
) -> None:
    call = {"from": account.address, "to": CALLER, "gas": hex(gas)}
    own, lean = run_both(chain, call, {CALLER: {"code": "0x" + sstore(7)}})
    assert lean == own
    assert lean[4] == error


def test_an_sstore_in_a_static_call_is_refused_as_in_py_evm(
    chain: TesterChain, account: LocalAccount
) -> None:
    code = call_code(STATICCALL, CALLEE) + NOTE_RESULT  # CALLEE writes: WriteProtection
    call = {"from": account.address, "to": CALLER}
    own, lean = run_both(chain, call, overrides(code))
    assert lean == own
    assert lean[4] is None


@pytest.mark.parametrize("seed", range(8))
def test_an_accounts_warmth_is_read_and_marked_as_py_evm_does(
    chain: TesterChain, seed: int
) -> None:
    rng = random.Random(seed)
    pool = [CALLEE, NOBODY, DELEGATED, "0x" + "00" * 19 + "01", "0x" + "00" * 19 + "0a"]
    addresses = [bytes.fromhex(rng.choice(pool)[2:]) for _ in range(12)]
    seen = []
    for lean in (False, True):
        with chain.lock:
            state, _header, _vm = chain.node._fresh_state("latest", overrides("00"))
            assert tester_storage.plain_access(state)
            answers = []
            for address in addresses:
                if lean:
                    answers.append(tester_storage.warmed(state, address))
                elif state.is_address_warm(address):
                    answers.append(True)
                else:
                    state.mark_address_warm(address)
                    answers.append(False)
            accessed = state._account_db._journal_accessed_state
            seen.append((answers, [tester_storage.journal_has(accessed, a) for a in addresses]))
    assert seen[1] == seen[0]
    assert False in seen[0][0]  # cold first, then warm
    assert True in seen[0][0]


@pytest.mark.parametrize("on", ["state", "db"])
@pytest.mark.parametrize("name", ["is_address_warm", "mark_address_warm"])
def test_warmth_tracked_by_a_method_of_its_own_is_not_plain(
    chain: TesterChain, on: str, name: str
) -> None:
    with chain.lock:
        state, _header, _vm = chain.node._fresh_state("latest", None)
        setattr(state if on == "state" else state._account_db, name, lambda *args: None)
        assert not tester_storage.plain_access(state)
