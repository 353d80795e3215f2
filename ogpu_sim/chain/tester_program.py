"""Opcode tables and decoded programs for the lean interpreter loop of :mod:`.tester_evm`.

What the loop does at a code position depends only on the code's bytes and the computation's
opcodes, so it is worked out once per code and opcode table and kept: per position, a tuple
``(function, fixed gas or -1, kind, n, step)``. ``kind`` says which inline logic runs (or
``OTHER``: py-evm's function); for a PUSH, ``n`` is the pushed value as an integer (py-evm's
padding of a cut-short PUSH included) and ``step`` how far the program counter moves (1 plus
the PUSH's width). A PUSH directly before a JUMP or JUMPI has its own kind, so the loop can run
the pair in one pass when the gas and the stack allow (and each as before otherwise).
A position is decoded when the loop first gets there (a contract's creation code carries its
runtime code as data, and differs with its constructor's arguments); positions inside PUSH
data decode like any other (the loop never runs them: a jump there is refused as py-evm
refuses it). Past the end of the code come ``END`` entries: py-evm's STOP,
which does not move the program counter (py-evm's code stream yields one STOP there).
"""

from __future__ import annotations

from typing import Any

from eth.vm.forks.berlin import logic as berlin_logic
from eth.vm.logic import arithmetic, comparison, context, duplication, flow, memory, swap
from eth.vm.logic import stack as stack_logic
from eth.vm.opcode import _FastOpcode
from eth.vm.opcode_values import STOP

MAX_CODES = 4096
"""Programs kept per opcode table; the memo starts over when full."""

Entry = tuple[Any, int, int, int, int]
(
    PUSH,
    DUP,
    SWAP,
    POP,
    JUMPDEST,
    BINARY,
    UNARY,
    JUMP,
    JUMPI,
    MSTORE,
    MLOAD,
    CALLDATALOAD,
    SLOAD,
    PUSH_JUMP,
    PUSH_JUMPI,
    END,
) = range(16)
ADD, SUB, AND, OR, XOR, LT, GT, EQ, SLT, SGT, SHL, SHR, ISZERO, NOT = range(14)
OTHER = -1
"""The kind of a fixed-cost opcode the loop does not inline (its py-evm logic runs)."""

INLINE_LOGIC: dict[Any, tuple[int, int]] = {
    **{getattr(stack_logic, f"push{n}"): (PUSH, n) for n in range(33)},
    **{getattr(duplication, f"dup{n}"): (DUP, n) for n in range(1, 17)},
    **{getattr(swap, f"swap{n}"): (SWAP, n) for n in range(1, 17)},
    stack_logic.pop: (POP, 1),
    flow.jumpdest: (JUMPDEST, 0),
    arithmetic.add: (BINARY, ADD),
    arithmetic.sub: (BINARY, SUB),
    comparison.and_op: (BINARY, AND),
    comparison.or_op: (BINARY, OR),
    comparison.xor: (BINARY, XOR),
    comparison.lt: (BINARY, LT),
    comparison.gt: (BINARY, GT),
    comparison.eq: (BINARY, EQ),
    comparison.slt: (BINARY, SLT),
    comparison.sgt: (BINARY, SGT),
    arithmetic.shl: (BINARY, SHL),
    arithmetic.shr: (BINARY, SHR),
    comparison.iszero: (UNARY, ISZERO),
    comparison.not_op: (UNARY, NOT),
    flow.jump: (JUMP, 0),
    flow.jumpi: (JUMPI, 0),
    memory.mstore: (MSTORE, 0),
    memory.mload: (MLOAD, 0),
    context.calldataload: (CALLDATALOAD, 0),
    berlin_logic.sload_eip2929: (SLOAD, 0),
}
"""py-evm's logic the loop runs inline (PUSH0..32, DUP1..16, SWAP1..16, POP, JUMPDEST, the
common arithmetic, comparison and bitwise operations, JUMP, JUMPI, MSTORE and MLOAD (memory
expansion charged as py-evm's ``extend_memory`` charges it), CALLDATALOAD, SLOAD), keyed by
py-evm's function so a fork that changes one is left alone. Where py-evm's function would
raise for too few stack items, the loop calls it instead."""

_tables: dict[int, tuple[Any, list[tuple[Any, int, int, int]], dict[bytes, list[Entry]]]] = {}


def _opcode_table(opcodes: dict[int, Any]) -> list[tuple[Any, int, int, int]]:
    """Per opcode value, ``(function, fixed gas or -1, kind, n)``: a fixed-cost opcode's
    function is its py-evm logic (the loop charges the gas), any other opcode's is the opcode
    itself (it charges its own); ``None`` for an undefined opcode."""
    table: list[tuple[Any, int, int, int]] = []
    for value in range(256):
        opcode = opcodes.get(value)
        if type(opcode) is _FastOpcode:
            kind, n = INLINE_LOGIC.get(opcode.logic_fn, (OTHER, 0))
            table.append((opcode.logic_fn, opcode.gas_cost, kind, n))
        else:
            table.append((opcode, -1, OTHER, 0))
    return table


def tables(opcodes: dict[int, Any]) -> tuple[list[tuple[Any, int, int, int]], dict[bytes, Any]]:
    """The opcode table of ``opcodes`` and the memo of its decoded programs."""
    known = _tables.get(id(opcodes))
    if known is None or known[0] is not opcodes:
        known = _tables[id(opcodes)] = (opcodes, _opcode_table(opcodes), {})
    return known[1], known[2]


UNDECODED: Entry = (None, -1, OTHER, 0, 0)
"""A position not decoded yet (the loop decodes it with :func:`decode` when it gets there)."""


def decode(code: bytes, position: int, table: list[tuple[Any, int, int, int]]) -> Entry:
    """The entry of the instruction at ``position`` (inside the code)."""
    logic, cost, kind, n = table[code[position]]
    if kind != PUSH:
        return (logic, cost, kind, n, 1)
    data = code[position + 1 : position + 1 + n]
    value = int.from_bytes(data, "big") << (8 * (n - len(data)))  # py-evm's ljust padding
    following = position + 1 + n
    if following < len(code):
        after = table[code[following]][2]
        kind = PUSH_JUMP if after == JUMP else PUSH_JUMPI if after == JUMPI else PUSH
    return (logic, cost, kind, value, 1 + n)


def program(code: bytes, opcodes: dict[int, Any]) -> tuple[list[Entry], list[Any]]:
    """The program of ``code`` under ``opcodes`` (positions decoded as the loop reaches them)
    and the opcode table it comes from."""
    table, programs = tables(opcodes)
    known = programs.get(code)
    if known is None:
        if len(programs) >= MAX_CODES:
            programs.clear()
        logic, cost, _kind, _n = table[STOP]
        # a cut-short PUSH32 ends 32 past the code
        known = programs[code] = [UNDECODED] * len(code) + [(logic, cost, END, 0, 0)] * 33
    return known, table


__all__ = [
    "END",
    "INLINE_LOGIC",
    "MAX_CODES",
    "OTHER",
    "UNDECODED",
    "Entry",
    "decode",
    "program",
    "tables",
]
