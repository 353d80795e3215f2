"""eth-tester's one-execution estimate is the answer of the search over real executions.

Generated contracts (state overrides: a root and up to three callees) call each other (CALL,
CALLCODE, DELEGATECALL, STATICCALL) with all or a fixed part of their gas, with or without
value (the 2300 stipend), call precompiles,
create children (CREATE and CREATE2, code deposits, a self-destructing constructor, a repeated
salt's collision), store (fresh slots, refunds from clearing), log, read ``gasleft()``, and
check a child's success three ways (ignore it, revert on failure, store it). For each one the
node's estimate equals :func:`~ogpu_sim.chain.gas_search.estimate` with every probe executed;
the answer executes successfully; a traced run's threshold executes the very same way as the
run at the cap (output, logs, gas, refunds and every write), and one gas less fails where only
the root frame's own needs bind.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogpu_sim.chain import tester_gas
from ogpu_sim.chain.gas_search import Measured, estimate
from ogpu_sim.chain.tester import TesterChain
from ogpu_sim.chain.tester_reuse import capture
from ogpu_sim.chain.tester_trace import child_need, traced_run
from ogpu_sim.errors import RpcError

CALLEES = ["0x" + f"{0xC0DE0 + index:040x}" for index in range(4)]
"""The generated contracts' addresses: the root first; a contract calls only later ones."""
SHA256, IDENTITY = 2, 4
STOP, GAS, POP, SSTORE, JUMPI, JUMPDEST, REVERT = 0x00, 0x5A, 0x50, 0x55, 0x57, 0x5B, 0xFD
CALL, CALLCODE, DELEGATECALL, STATICCALL = 0xF1, 0xF2, 0xF4, 0xFA
CREATE, CREATE2 = 0xF0, 0xF5


def push(value: int, width: int = 0) -> bytes:
    """PUSHn of ``value`` (the least width holding it, or ``width`` bytes)."""
    size = width or max(1, (value.bit_length() + 7) // 8)
    return bytes([0x5F + size]) + value.to_bytes(size, "big")


def initcode(kind: str, size: int) -> bytes:
    """A constructor returning ``size`` zero bytes of code, self-destructing, or reading gas."""
    if kind == "selfdestruct":
        return push(0) + bytes([0xFF])
    if kind == "gasleft":
        return bytes([GAS, POP]) + push(size, 2) + push(0) + bytes([0xF3])
    return push(size, 2) + push(0) + bytes([0xF3])


class Program:
    """Bytecode assembled from generated actions; a failed check jumps to a final REVERT."""

    def __init__(self, index: int) -> None:
        self.index, self.code, self.fixups = index, bytearray(), []

    def check(self, how: str, slot: int) -> None:
        if how == "ignore":
            self.code += bytes([POP])
        elif how == "store":
            self.code += push(slot) + bytes([SSTORE])
        else:  # revert on a zero result (a failed call, a failed creation's zero address)
            self.code += bytes([0x15]) + push(0, 2)  # ISZERO, PUSH2 <revert>
            self.fixups.append(len(self.code) - 2)
            self.code += bytes([JUMPI])

    def add(self, action: tuple[Any, ...], callees: int) -> None:
        kind = action[0]
        if kind == "work":
            self.code += push(action[1], 2) + push(0) + bytes([0x20, POP])  # KECCAK256 memory
        elif kind == "sstore":
            self.code += push(action[2]) + push(action[1]) + bytes([SSTORE])
        elif kind == "log":
            self.code += push(action[1]) + push(0) + bytes([0xA0])
        elif kind == "gasleft":
            self.code += bytes([GAS, POP])
        elif kind == "call":
            _kind, target, opcode, gas, value, length, how, slot = action
            later = [CALLEES[i] for i in range(self.index + 1, self.index + 1 + callees)]
            if target < 0:
                address = -target  # a precompile
            else:
                address = int(later[target % len(later)], 16) if later else IDENTITY
            self.code += push(0) + push(0) + push(length) + push(0)
            if opcode in (CALL, CALLCODE):
                self.code += push(value)
            self.code += push(address, 20)
            self.code += bytes([GAS]) if gas is None else push(gas, 3)
            self.code += bytes([opcode])
            self.check(how, slot)
        elif kind == "create":
            _kind, opcode, init, size, value, how, slot = action
            code = initcode(init, size)
            self.code += push(int.from_bytes(code, "big"), len(code)) + push(0) + bytes([0x52])
            if opcode == CREATE2:
                self.code += push(slot)  # the salt: a repeated one collides
            self.code += push(len(code)) + push(32 - len(code)) + push(value) + bytes([opcode])
            self.check(how, slot)

    def assemble(self, deposit: int | None = None) -> bytes:
        """The code: STOP (or, as initcode, RETURN ``deposit`` bytes), then the REVERT block."""
        if deposit is None:
            self.code += bytes([STOP])
        else:
            self.code += push(deposit, 2) + push(0) + bytes([0xF3])
        target = len(self.code).to_bytes(2, "big")
        for at in self.fixups:
            self.code[at : at + 2] = target
        return bytes(self.code) + bytes([JUMPDEST]) + push(0) + push(0) + bytes([REVERT])


HOW = st.sampled_from(["ignore", "revert", "revert", "store"])
ACTIONS = st.one_of(
    st.tuples(st.just("work"), st.integers(0, 3000)),
    st.tuples(st.just("sstore"), st.integers(0, 3), st.integers(0, 2)),
    st.tuples(st.just("log"), st.integers(0, 64)),
    st.tuples(st.just("gasleft")),
    st.tuples(
        st.just("call"),
        st.sampled_from([0, 1, 2, -SHA256, -IDENTITY]),
        st.sampled_from([CALL, CALL, CALLCODE, DELEGATECALL, STATICCALL]),
        st.one_of(st.none(), st.integers(0, 120_000)),
        st.sampled_from([0, 0, 1]),
        st.integers(0, 200),
        HOW,
        st.integers(4, 7),
    ),
    st.tuples(
        st.just("create"),
        st.sampled_from([CREATE, CREATE2]),
        st.sampled_from(["deposit", "deposit", "selfdestruct", "gasleft"]),
        st.integers(0, 600),
        st.sampled_from([0, 1]),
        HOW,
        st.integers(8, 9),
    ),
)
PROGRAMS = st.lists(st.lists(ACTIONS, max_size=5), min_size=1, max_size=4)


def scenario(
    programs: list[list[tuple[Any, ...]]], create: bool, deposit: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The root call (or creation) and the state overrides placing its callees."""
    codes = []
    for index, actions in enumerate(programs):
        program = Program(index)
        for action in actions:
            program.add(action, len(programs) - index - 1)
        codes.append(program.assemble(deposit if create and index == 0 else None))
    overrides = {
        CALLEES[index]: {
            "code": "0x" + code.hex(),
            "balance": hex(10**6),
            "stateDiff": {"0x" + f"{slot:064x}": "0x" + f"{7:064x}" for slot in (1, 2)},
        }
        for index, code in enumerate(codes)
        if not (create and index == 0)
    }
    call = {"data": "0x" + codes[0].hex()} if create else {"to": CALLEES[0], "data": "0x01"}
    return call, overrides


def succeeds(state: Any, tx: Any, gas: int) -> bool:
    try:
        return not tester_gas._run(state, tx, gas).is_error
    except ValidationError:
        return False


def executed(state: Any, tx: Any, gas: int) -> tuple[Any, ...]:
    """What a run with ``gas`` did: output, logs, consumption, refund and every write."""
    writes: list[Any] = []

    def keep(run: Any, computation: Any, least: int) -> None:
        writes.append(capture(None, None, state, run, computation))

    computation = tester_gas._run(state, tx, gas, keep)
    recorded = writes[0] if writes else None
    return (
        computation.is_error,
        computation.output,
        computation.get_log_entries(),
        gas - computation.get_gas_remaining(),
        computation.get_gas_refund(),
        None if recorded is None else (recorded.accounts, recorded.code, recorded.storage),
    )


def reference_and_answer(
    chain: TesterChain, account: LocalAccount, programs: list[list[tuple[Any, ...]]], **kw: Any
) -> tuple[int, int, list[int]]:
    """The search over real executions, the node's estimate and the gas of each execution the
    node's estimate ran (its traced run at the cap first)."""
    call, overrides = scenario(programs, kw.get("create", False), kw.get("deposit", 0))
    call = {"from": account.address, **call}
    node = chain.node
    state, tx, _sender = node._state_and_tx(call, "latest", overrides, keep_nonce=True)
    cap = int(tx.gas)
    first = tester_gas._run(state, tx, cap, gas_price=0)
    consumed = cap - first.get_gas_remaining()
    refunded = min(first.get_gas_refund(), consumed // 5)
    reference = estimate(
        Measured(consumed - refunded, refunded), cap, lambda gas: succeeds(state, tx, gas)
    )
    limits: list[int] = []
    real = tester_gas._run

    def counted(state: Any, tx: Any, gas: int, *keep: Any, **overrides: Any) -> Any:
        limits.append(gas)
        return real(state, tx, gas, *keep, **overrides)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tester_gas, "_run", counted)
        answer = int(node.estimate_gas(call, "latest", overrides), 16)
    return reference, answer, limits


CALL_ALL_IGNORED = ("call", 0, CALL, None, 0, 0, "ignore", 4)


def test_a_caller_ignoring_a_child_short_of_gas_gets_the_probes_executed(
    chain: TesterChain, account: LocalAccount
) -> None:
    # the callee's SSTORE fails below its sentry and the root carries on: a lower answer
    programs = [[CALL_ALL_IGNORED, CALL_ALL_IGNORED], [("sstore", 0, 0)]]
    reference, answer, limits = reference_and_answer(chain, account, programs)
    assert answer == reference
    assert len(limits) > 1


@pytest.mark.parametrize(
    "child",
    [
        ("call", 0, CALL, None, 0, 0, "revert", 4),
        ("create", CREATE, "deposit", 300, 0, "revert", 8),
    ],
    ids=["call", "create"],
)
def test_a_child_whose_share_the_callers_own_work_covers_is_answered_from_one_run(
    chain: TesterChain, account: LocalAccount, child: tuple[Any, ...]
) -> None:
    programs = [[child, ("work", 3000), ("sstore", 1, 5)], [("sstore", 0, 0)]]
    reference, answer, limits = reference_and_answer(chain, account, programs)
    assert (answer, len(limits)) == (reference, 1)


def test_a_repeated_salts_collision_is_not_answered_from_the_trace(
    chain: TesterChain, account: LocalAccount
) -> None:
    create2 = ("create", CREATE2, "deposit", 10, 0, "ignore", 8)
    reference, answer, limits = reference_and_answer(chain, account, [[create2, create2]])
    assert answer == reference
    assert len(limits) > 1


@settings(
    max_examples=int(__import__("os").environ.get("ONE_RUN_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(programs=PROGRAMS, create=st.booleans(), deposit=st.integers(0, 300))
def test_the_one_run_estimate_is_the_search_over_real_executions(
    chain: TesterChain,
    account: LocalAccount,
    programs: list[list[tuple[Any, ...]]],
    create: bool,
    deposit: int,
) -> None:
    call, overrides = scenario(programs, create, deposit)
    call = {"from": account.address, **call}
    node = chain.node
    state, tx, _sender = node._state_and_tx(call, "latest", overrides, keep_nonce=True)
    cap = int(tx.gas)
    first = tester_gas._run(state, tx, cap, gas_price=0)
    if first.is_error:
        with pytest.raises(RpcError):
            node.estimate_gas(call, "latest", overrides)
        return
    consumed = cap - first.get_gas_remaining()
    refunded = min(first.get_gas_refund(), consumed // 5)
    reference = estimate(
        Measured(consumed - refunded, refunded), cap, lambda gas: succeeds(state, tx, gas)
    )

    answer = int(node.estimate_gas(call, "latest", overrides), 16)

    assert answer == reference
    assert succeeds(state, tx, answer)
    traced, root = traced_run(state, lambda: tester_gas._run(state, tx, cap, gas_price=0))
    if root is not None:
        least = cap - traced.msg.gas + root
        at_cap = executed(state, tx, cap)
        assert executed(state, tx, least) == at_cap
        if answer >= least:
            assert executed(state, tx, answer) == at_cap
        children = cap - traced.msg.gas + child_need(traced)
        for below in {least - 1, answer - 1}:
            if children <= below < least:  # only the root frame's own needs unmet: out of gas
                assert not succeeds(state, tx, below)
