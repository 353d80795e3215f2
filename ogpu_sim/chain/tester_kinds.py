"""The kinds of a decoded program's entries, shared by :mod:`.tester_program` (which decodes
programs), :mod:`.tester_compiled` (which compiles their blocks) and :mod:`.tester_evm` (the
loop that runs them).

An entry is ``(function, fixed gas, kind, n, step)`` (:mod:`.tester_program`); ``kind`` says
which inline logic runs and ``n`` its operand.
"""

from __future__ import annotations

from typing import Any

Entry = tuple[Any, int, int, Any, int]
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
    CONTEXT,
) = range(17)
PUSH_PUSH, PUSH_DUP, DUP_DUP, SWAP_SWAP, SWAP_POP, POP_POP = range(17, 23)
FUSED = PUSH_PUSH
"""Kinds from here on are two stack opcodes of one block run in one pass, or a whole block."""
BLOCK = 23
"""A compiled block (:mod:`.tester_compiled`): its function is the block's first entry alone
(run when the gas does not cover the whole block), ``n`` the compiled function."""
ADD, SUB, AND, OR, XOR, LT, GT, EQ, SLT, SGT, SHL, SHR, ISZERO, NOT = range(14)
CALLDATASIZE, CALLVALUE, GAS, RETURNDATASIZE, CALLER = range(5)
"""What a ``CONTEXT`` opcode pushes (its ``n``)."""
OTHER = -1
"""The kind of a fixed-cost opcode the loop does not inline (its py-evm logic runs)."""
OWN = -2
"""The kind of an opcode charging its own gas (py-evm's opcode runs; fixed gas 0), or of an
undefined one (function ``None``: py-evm's ``InvalidOpcode`` runs)."""
UNREAD = -3
"""The kind of a position not decoded yet."""

__all__ = [
    "ADD",
    "AND",
    "BINARY",
    "BLOCK",
    "CALLDATALOAD",
    "CALLDATASIZE",
    "CALLER",
    "CALLVALUE",
    "CONTEXT",
    "DUP",
    "DUP_DUP",
    "END",
    "EQ",
    "FUSED",
    "GAS",
    "GT",
    "ISZERO",
    "JUMP",
    "JUMPDEST",
    "JUMPI",
    "LT",
    "MLOAD",
    "MSTORE",
    "NOT",
    "OR",
    "OTHER",
    "OWN",
    "POP",
    "POP_POP",
    "PUSH",
    "PUSH_DUP",
    "PUSH_JUMP",
    "PUSH_JUMPI",
    "PUSH_PUSH",
    "RETURNDATASIZE",
    "SGT",
    "SHL",
    "SHR",
    "SLT",
    "SUB",
    "SWAP",
    "SWAP_POP",
    "SWAP_SWAP",
    "UNARY",
    "UNREAD",
    "XOR",
    "Entry",
]
