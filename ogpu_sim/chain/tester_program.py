"""Opcode tables and decoded programs for the lean interpreter loop of :mod:`.tester_evm`.

What the loop does at a code position depends only on the code's bytes and the computation's
opcodes, so it is worked out once per code and opcode table and kept: per position, a tuple
``(function, fixed gas, kind, n, step)``. ``kind`` says which inline logic runs (or
``OTHER``: py-evm's function); for a PUSH, ``n`` is the pushed value as an integer (py-evm's
padding of a cut-short PUSH included) and ``step`` how far the program counter moves (1 plus
the PUSH's width). A PUSH directly before a JUMP or JUMPI has its own kind, so the loop can run
the pair in one pass when the gas allows (and each as before otherwise); so have common pairs
of stack opcodes inside a block (``FUSED`` and after: :func:`_fuse`). Opcodes charging their
own gas (``OWN``) and positions not decoded yet (``UNREAD``) have fixed gas 0.

Positions are decoded a block at a time, when the loop first gets to the block (a contract's
creation code carries its runtime code as data, and differs with its constructor's
arguments): a block is the straight run of inlined opcodes from where the loop enters it (the
code's start, a JUMPDEST, the opcode after a JUMPI or after an opcode the loop does not
inline) up to its JUMP or JUMPI, the next JUMPDEST or an opcode not inlined. With it comes the
block's stack bounds (:func:`block`): the stack heights on entry with which none of its
opcodes runs short of items or past py-evm's 1024, so the loop checks the stack once per
block. The block's start then holds its compiled entry (:mod:`.tester_compiled`), pending
until the block has run twice (:func:`promote`) unless its shape is compiled already.
Positions inside PUSH data are never decoded as instructions (the loop never runs them: a
jump there is refused as py-evm refuses it). Past the end of the code come ``END`` entries:
py-evm's STOP, which does not move the program counter (py-evm's code stream yields one STOP
there).

A code as long as one decoded before and differing from it only in PUSH data and positions
not decoded yet (a contract's copies with other immutables, a creation code with other
constructor arguments) starts from a copy of that program with those PUSHes decoded again
(:func:`adapted`) instead of from nothing: per task of the protocol, its Task, its Response
and a read helper's creation code would otherwise be decoded anew, most of the blocks of a
lifecycle.
"""

from __future__ import annotations

import re
from typing import Any

from eth.vm.forks.berlin import logic as berlin_logic
from eth.vm.logic import arithmetic, comparison, context, duplication, flow, memory, swap
from eth.vm.logic import stack as stack_logic
from eth.vm.opcode import _FastOpcode
from eth.vm.opcode_values import STOP

from . import tester_kinds as kinds
from .tester_compiled import HOT, Pending, compile_block
from .tester_kinds import Entry

MAX_CODES = 4096
"""Programs kept per opcode table; the memo starts over when full."""

_PAIRS = {
    (kinds.PUSH, kinds.PUSH): kinds.PUSH_PUSH,
    (kinds.PUSH, kinds.DUP): kinds.PUSH_DUP,
    (kinds.DUP, kinds.DUP): kinds.DUP_DUP,
    (kinds.SWAP, kinds.SWAP): kinds.SWAP_SWAP,
    (kinds.SWAP, kinds.POP): kinds.SWAP_POP,
    (kinds.POP, kinds.POP): kinds.POP_POP,
}
INLINE_LOGIC: dict[Any, tuple[int, int]] = {
    **{getattr(stack_logic, f"push{n}"): (kinds.PUSH, n) for n in range(33)},
    **{getattr(duplication, f"dup{n}"): (kinds.DUP, n) for n in range(1, 17)},
    **{getattr(swap, f"swap{n}"): (kinds.SWAP, n) for n in range(1, 17)},
    stack_logic.pop: (kinds.POP, 1),
    flow.jumpdest: (kinds.JUMPDEST, 0),
    arithmetic.add: (kinds.BINARY, kinds.ADD),
    arithmetic.sub: (kinds.BINARY, kinds.SUB),
    comparison.and_op: (kinds.BINARY, kinds.AND),
    comparison.or_op: (kinds.BINARY, kinds.OR),
    comparison.xor: (kinds.BINARY, kinds.XOR),
    comparison.lt: (kinds.BINARY, kinds.LT),
    comparison.gt: (kinds.BINARY, kinds.GT),
    comparison.eq: (kinds.BINARY, kinds.EQ),
    comparison.slt: (kinds.BINARY, kinds.SLT),
    comparison.sgt: (kinds.BINARY, kinds.SGT),
    arithmetic.shl: (kinds.BINARY, kinds.SHL),
    arithmetic.shr: (kinds.BINARY, kinds.SHR),
    comparison.iszero: (kinds.UNARY, kinds.ISZERO),
    comparison.not_op: (kinds.UNARY, kinds.NOT),
    flow.jump: (kinds.JUMP, 0),
    flow.jumpi: (kinds.JUMPI, 0),
    memory.mstore: (kinds.MSTORE, 0),
    memory.mload: (kinds.MLOAD, 0),
    context.calldataload: (kinds.CALLDATALOAD, 0),
    berlin_logic.sload_eip2929: (kinds.SLOAD, 0),
    context.calldatasize: (kinds.CONTEXT, kinds.CALLDATASIZE),
    context.callvalue: (kinds.CONTEXT, kinds.CALLVALUE),
    flow.gas: (kinds.CONTEXT, kinds.GAS),
    context.returndatasize: (kinds.CONTEXT, kinds.RETURNDATASIZE),
    context.caller: (kinds.CONTEXT, kinds.CALLER),
}
"""py-evm's logic the loop runs inline (PUSH0..32, DUP1..16, SWAP1..16, POP, JUMPDEST, the
common arithmetic, comparison and bitwise operations, JUMP, JUMPI, MSTORE and MLOAD (memory
expansion charged as py-evm's ``extend_memory`` charges it), CALLDATALOAD, SLOAD, and the
context pushes CALLDATASIZE, CALLVALUE, GAS, RETURNDATASIZE and CALLER), keyed by
py-evm's function so a fork that changes one is left alone. Where a block's stack bounds are
not met, py-evm's own loop runs instead (:func:`block`)."""

_tables: dict[
    int, tuple[Any, list[tuple[Any, int, int, int]], dict[bytes, Any], dict[int, bytes]]
] = {}
"""Per opcode table (by id): the opcodes, their table, the memo of decoded programs and, per
code length, the code whose program was made last (:func:`adapted`)."""


def _opcode_table(opcodes: dict[int, Any]) -> list[tuple[Any, int, int, int]]:
    """Per opcode value, ``(function, fixed gas, kind, n)``: a fixed-cost opcode's function is
    its py-evm logic (the loop charges the gas), any other opcode's is the opcode itself (kind
    ``OWN``, fixed gas 0: it charges its own); ``None`` for an undefined opcode."""
    table: list[tuple[Any, int, int, int]] = []
    for value in range(256):
        opcode = opcodes.get(value)
        if type(opcode) is _FastOpcode:
            kind, n = INLINE_LOGIC.get(opcode.logic_fn, (kinds.OTHER, 0))
            table.append((opcode.logic_fn, opcode.gas_cost, kind, n))
        else:
            table.append((opcode, 0, kinds.OWN, 0))
    return table


def tables(opcodes: dict[int, Any]) -> tuple[list[tuple[Any, int, int, int]], dict[bytes, Any]]:
    """The opcode table of ``opcodes`` and the memo of its decoded programs."""
    known = _memo(opcodes)
    return known[1], known[2]


def _memo(
    opcodes: dict[int, Any],
) -> tuple[Any, list[tuple[Any, int, int, int]], dict[bytes, Any], dict[int, bytes]]:
    known = _tables.get(id(opcodes))
    if known is None or known[0] is not opcodes:
        known = _tables[id(opcodes)] = (opcodes, _opcode_table(opcodes), {}, {})
    return known


UNDECODED: Entry = (None, 0, kinds.UNREAD, 0, 0)
"""A position not decoded yet (the loop decodes it with :func:`decode` when it gets there)."""


def decode(code: bytes, position: int, table: list[tuple[Any, int, int, int]]) -> Entry:
    """The entry of the instruction at ``position`` (inside the code)."""
    logic, cost, kind, n = table[code[position]]
    if kind != kinds.PUSH:
        return (logic, cost, kind, n, 1)
    data = code[position + 1 : position + 1 + n]
    value = int.from_bytes(data, "big") << (8 * (n - len(data)))  # py-evm's ljust padding
    following = position + 1 + n
    if following < len(code):
        after = table[code[following]][2]
        kind = (
            kinds.PUSH_JUMP
            if after == kinds.JUMP
            else kinds.PUSH_JUMPI
            if after == kinds.JUMPI
            else kinds.PUSH
        )
    return (logic, cost, kind, value, 1 + n)


STACK_LIMIT = 1024
"""py-evm's most stack items (``eth.vm.stack.Stack``)."""

_EFFECTS = {
    kinds.PUSH: (0, 1),
    kinds.PUSH_JUMP: (0, 1),  # the JUMP after it is an entry of its own
    kinds.PUSH_JUMPI: (0, 1),
    kinds.POP: (1, 0),
    kinds.JUMPDEST: (0, 0),
    kinds.BINARY: (2, 1),
    kinds.UNARY: (1, 1),
    kinds.JUMP: (1, 0),
    kinds.JUMPI: (2, 0),
    kinds.MSTORE: (2, 0),
    kinds.MLOAD: (1, 1),
    kinds.CALLDATALOAD: (1, 1),
    kinds.SLOAD: (1, 1),
    kinds.CONTEXT: (0, 1),
}
"""Items an inlined kind pops and pushes (DUP and SWAP depend on their ``n``)."""


def block(
    code: bytes,
    start: int,
    table: list[tuple[Any, int, int, int]],
    prog: list[Entry],
    bounds: list[range | None],
) -> range:
    """Decode the block entered at ``start`` into ``prog`` and keep its stack bounds.

    Returns:
        The stack heights on entry with which every inlined opcode of the block has the items
        it pops and stays within :data:`STACK_LIMIT` (also kept as ``bounds[start]``). The
        opcode ending the block unless it is a JUMP or JUMPI (one not inlined, a JUMPDEST, the
        code's end) is not counted: the loop checks again before it.
    """
    height = need = most = 0
    position = start
    run: list[tuple[int, Entry]] = []
    while True:
        entry = prog[position]
        if entry is UNDECODED:
            entry = prog[position] = decode(code, position, table)
        elif entry[2] >= kinds.FUSED:
            entry = entry[0]  # worked out before: the pair's first opcode
        run.append((position, entry))
        kind, n = entry[2], entry[3]
        if kind < 0 or kind == kinds.END or (kind == kinds.JUMPDEST and position != start):
            break
        if kind == kinds.DUP:
            pops, pushes = n, n + 1
        elif kind == kinds.SWAP:
            pops = pushes = n + 1
        else:
            pops, pushes = _EFFECTS[kind]
        need = max(need, pops - height)
        height += pushes - pops
        most = max(most, height)
        if kind in (kinds.JUMP, kinds.JUMPI):
            break
        position += entry[4]
    _fuse(run, prog)
    found = bounds[start] = range(need, STACK_LIMIT + 1 - most)
    compiled = compile_block(run, found)
    if compiled is not None:
        prog[start] = compiled
    return found


def _fuse(run: list[tuple[int, Entry]], prog: list[Entry]) -> None:
    """Pair up a block's common stack opcodes (:data:`_PAIRS`, first come first paired): the
    pair's entry carries the first opcode's own entry as its function, the sum of both gas
    costs and both steps; the second opcode's entry stays, for when the gas covers only one
    (the loop then runs the first alone, so an ``OutOfGas`` names the opcode py-evm's names).
    """
    index = 0
    while index + 1 < len(run):
        (position, first), (_, second) = run[index], run[index + 1]
        fused = _PAIRS.get((first[2], second[2]))
        if fused is None:
            index += 1
            continue
        prog[position] = _pair(first, second, fused)
        index += 2


def _pair(first: Entry, second: Entry, fused: int) -> Entry:
    """The entry of ``first`` and ``second`` run in one pass as the kind ``fused``."""
    if fused == kinds.SWAP_POP:
        n: Any = first[3]
    elif fused == kinds.POP_POP:
        n = 0
    else:
        n = (first[3], second[3])
    return (first, first[1] + second[1], fused, n, first[4] + second[4])


def program(
    code: bytes, opcodes: dict[int, Any]
) -> tuple[list[Entry], list[range | None], list[Any]]:
    """The program of ``code`` under ``opcodes`` (blocks decoded as the loop reaches them,
    :func:`block`), its blocks' stack bounds by entry position (``None`` until worked out)
    and the opcode table it comes from."""
    _opcodes, table, programs, lengths = _memo(opcodes)
    known: tuple[list[Entry], list[range | None]] | None = programs.get(code)
    if known is None:
        if len(programs) >= MAX_CODES:
            programs.clear()
            lengths.clear()
        like = lengths.get(len(code))
        if like is not None:
            known = adapted(code, like, programs[like], table)
        if known is None:
            logic, cost, _kind, _n = table[STOP]
            # a cut-short PUSH32 ends 32 past the code
            size = len(code) + 33
            bounds: list[range | None] = [None] * size
            known = ([UNDECODED] * len(code) + [(logic, cost, kinds.END, 0, 0)] * 33, bounds)
        programs[code] = known
        lengths[len(code)] = code
    return known[0], known[1], table


_CHANGED = re.compile(b"[^\\x00]+")


def adapted(
    code: bytes, like: bytes, known: tuple[list[Entry], list[range | None]], table: Any
) -> tuple[list[Entry], list[range | None]] | None:
    """The program of ``code`` made from the program ``known`` of ``like`` (as long), or ``None``
    where the bytes that differ are not all PUSH data or positions not decoded yet.

    A contract's copies differ in their immutables (PUSH data of their runtime code), a
    creation code in its constructor's arguments (data past the code the loop runs): what the
    loop decoded of one copy is the other's but for the values of those PUSHes. An entry
    depends only on its opcode's byte, its PUSH data and, for a PUSH, the next opcode's byte
    (:func:`decode`); a block's bounds only on its entries' kinds and DUP/SWAP widths. So the
    decoded entries whose data differ are decoded again from ``code`` (with the pairs they are
    part of), the bounds are kept, and the positions not decoded yet stay so (decoded from
    ``code`` when the loop gets there).
    """
    diff = (int.from_bytes(code, "big") ^ int.from_bytes(like, "big")).to_bytes(len(code), "big")
    old = known[0]
    pushes: list[int] = []
    for run in _CHANGED.finditer(diff):
        start, end = run.span()
        if any(old[p] is not UNDECODED for p in range(start, end)):
            return None  # an opcode decoded differs
        for q in range(start - 1, max(start - 34, -1), -1):  # the nearest decoded position
            entry = old[q]
            if entry is UNDECODED:
                continue
            step = (entry[0] if entry[2] >= kinds.FUSED else entry)[4]
            if q + step > start:  # the run starts inside this PUSH's data
                if q + step < end:
                    return None
                if not pushes or pushes[-1] != q:
                    pushes.append(q)
            break
    prog = old.copy()
    fresh = {q: decode(code, q, table) for q in pushes}
    for q in pushes:
        if old[q][2] < kinds.FUSED:
            prog[q] = fresh[q]
    pairs = set(pushes)
    for q in pushes:  # the pair a changed PUSH is the second opcode of
        p = next((p for p in range(q - 1, max(q - 34, -1), -1) if old[p] is not UNDECODED), -1)
        if p >= 0:
            pairs.add(p)
    for p in pairs:
        entry = old[p]
        if kinds.FUSED <= entry[2] < kinds.BLOCK:
            first: Entry = fresh[p] if p in fresh else entry[0]
            second = p + first[4]
            prog[p] = _pair(first, fresh.get(second, old[second]), entry[2])
    bounds = known[1].copy()
    for q in pushes:  # the compiled block a changed PUSH is part of, compiled with its value
        p = next((p for p in range(q, -1, -1) if bounds[p] is not None), -1)
        bound = bounds[p] if p >= 0 else None
        if bound is not None and prog[p][2] == kinds.BLOCK and q < p + prog[p][3].span:
            _recompile(prog, p, fresh, bound)
    return prog, bounds


def promote(prog: list[Entry], start: int) -> None:
    """Count a run of the pending block at ``start`` (:class:`.tester_compiled.Pending`) and
    compile it once it is hot."""
    pending = prog[start][3]
    pending.runs += 1
    if pending.runs >= HOT:
        _recompile(prog, start, {}, pending.bound)


def _recompile(prog: list[Entry], start: int, fresh: Any, bound: range) -> None:
    """Compile again the block at ``start`` of ``prog`` from its entries (``fresh`` ones for
    the PUSHes decoded again); a pending block only gets its first entry from ``fresh``."""
    block_entry = prog[start]
    if type(block_entry[3]) is Pending and fresh:
        if start in fresh:
            prog[start] = (fresh[start], *block_entry[1:])
        return
    end = start + block_entry[3].span
    run = []
    position = start
    while position < end:
        entry = fresh.get(position) or prog[position]
        if entry[2] >= kinds.FUSED:
            entry = entry[0]
        run.append((position, entry))
        position += entry[4]
    compiled = compile_block(run, bound, hot=True)
    if compiled is not None:
        prog[start] = compiled


__all__ = [
    "INLINE_LOGIC",
    "MAX_CODES",
    "STACK_LIMIT",
    "UNDECODED",
    "Entry",
    "adapted",
    "block",
    "decode",
    "program",
    "promote",
    "tables",
]
