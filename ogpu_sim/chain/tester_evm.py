"""A leaner py-evm interpreter loop for the eth-tester node: same results, less per opcode.

py-evm interprets the EVM in Python, so most of an eth-tester lifecycle is spent per opcode.
:func:`lean_computation` derives, from a fork's computation class, one that differs only in
how it gets there:

- the opcode loop reads the code itself (no generator), charges a fixed-cost opcode's gas on
  the gas meter directly (py-evm goes through ``_FastOpcode.__call__``,
  ``computation.consume_gas`` and ``GasMeter.consume_gas``) with py-evm's own ``OutOfGas``
  message, and runs inline the fixed-cost opcodes whose py-evm logic is simple (PUSH, DUP,
  SWAP, POP, JUMPDEST, the common arithmetic, comparison and bitwise operations, JUMP, JUMPI,
  MSTORE and MLOAD with py-evm's memory expansion fee, CALLDATALOAD: see ``_INLINE_LOGIC``),
  with the same items, results, gas and errors (where py-evm's function would raise for too
  few stack items, it runs); other opcodes run as before;
- which code positions are valid jump destinations is a function of the code alone, so it is
  remembered per code (py-evm works it out again in every call frame);
- the program counter and the gas left are locals of the loop, written back before py-evm's
  logic (or an error) can see them and read again after it;
- the stack pops and pushes without a generator and a validation call per item;
- a memory access within the memory already allocated skips the expansion arithmetic
  (it costs nothing and grows nothing, as in py-evm);
- a frame that ran answers its SELFDESTRUCT beneficiaries (its own and its descendants')
  once: py-evm's EIP-161 collection asks every frame, and each frame asks its descendants.

With py-evm's debug2 logging on, the loop is py-evm's own, so the log is unchanged. The loop
follows ``BaseComputation.apply_computation`` of the py-evm version pyproject.toml pins;
``tests/chain/test_tester_evm.py`` runs calls both ways and compares how they end. (About
390 lines: the loop must stay one function to be fast, and its tables stay beside it.)
:func:`~ogpu_sim.chain.tester_node.TesterNode` installs the class in its chain's VMs only.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from eth._utils.numeric import ceil32
from eth.constants import UINT_255_MAX, UINT_256_CEILING, UINT_256_MAX
from eth.exceptions import (
    FullStack,
    Halt,
    InsufficientStack,
    InvalidInstruction,
    InvalidJumpDestination,
    OutOfGas,
)
from eth.vm.code_stream import CodeStream
from eth.vm.computation import NO_RESULT, memory_gas_cost
from eth.vm.logic.invalid import InvalidOpcode
from eth.vm.opcode_values import JUMP as JUMP_OPCODE
from eth.vm.opcode_values import JUMPDEST as JUMPDEST_OPCODE
from eth.vm.opcode_values import JUMPI as JUMPI_OPCODE
from eth.vm.opcode_values import STOP
from eth.vm.stack import Stack, to_bytes, to_int

from .tester_program import (
    ADD,
    AND,
    BINARY,
    CALLDATALOAD,
    DUP,
    END,
    EQ,
    GT,
    ISZERO,
    JUMP,
    JUMPDEST,
    JUMPI,
    LT,
    MLOAD,
    MSTORE,
    OR,
    POP,
    PUSH,
    PUSH_JUMP,
    PUSH_JUMPI,
    SHL,
    SHR,
    SLOAD,
    SLT,
    SUB,
    SWAP,
    UNARY,
    XOR,
    decode,
    program,
)
from .tester_storage import plain_storage, slot_fee, stored

MAX_CODES = 4096
"""Codes whose jump-destination analysis is kept; the memo starts over when full."""

_positions: dict[bytes, tuple[set[int], set[int]]] = {}


class _AnalysedCode(CodeStream):
    """A code stream sharing its valid/invalid position sets with every stream of the same code.

    The sets only ever gain positions whose validity py-evm itself decided from the bytes.
    """

    __slots__ = ()

    def __init__(self, code_bytes: bytes) -> None:
        super().__init__(code_bytes)
        known = _positions.get(code_bytes)
        if known is None:
            if len(_positions) >= MAX_CODES:
                _positions.clear()
            known = _positions[code_bytes] = (self.valid_positions, self.invalid_positions)
        self.valid_positions, self.invalid_positions = known


class _LeanStack(Stack):
    """py-evm's stack with the common pops and pushes inlined (same errors otherwise)."""

    __slots__ = ()

    def push_int(self, value: int) -> None:
        values = self.values
        if len(values) < 1024 and 0 <= value <= UINT_256_MAX:
            values.append(value)
        else:
            super().push_int(value)  # raises FullStack or ValidationError as py-evm does

    def push_bytes(self, value: bytes) -> None:
        values = self.values
        if len(values) < 1024 and len(value) <= 32:
            values.append(value)
        else:
            super().push_bytes(value)

    def pop1_int(self) -> int:
        values = self.values
        if not values:
            return super().pop1_int()  # raises InsufficientStack as py-evm does
        item = values.pop()
        if type(item) is int:
            return item
        return int.from_bytes(item, "big") if type(item) is bytes else to_int(item)

    def pop_ints(self, num_items: int) -> tuple[int, ...]:
        values = self.values
        if not 0 < num_items <= len(values):
            return super().pop_ints(num_items)
        items = values[-num_items:]
        del values[-num_items:]
        items.reverse()
        return tuple(
            [
                item
                if type(item) is int
                else (int.from_bytes(item, "big") if type(item) is bytes else to_int(item))
                for item in items
            ]
        )

    def dup(self, position: int) -> None:
        values = self.values
        if 0 < position <= len(values) < 1024:
            values.append(values[-position])
        else:
            super().dup(position)


def _apply_computation(
    cls: Any,
    state: Any,
    message: Any,
    transaction_context: Any,
    parent_computation: Any = None,
) -> Any:
    """py-evm's ``BaseComputation.apply_computation`` with fixed gas charged in the loop."""
    with cls(state, message, transaction_context) as computation:
        if computation.is_origin_computation:
            computation.contracts_created = []
            if message.is_create:
                cls.consume_initcode_gas_cost(computation)
        if parent_computation is not None:
            computation.contracts_created = parent_computation.contracts_created
        if message.is_create:
            computation.contracts_created.append(message.storage_address)
        precompile = computation.precompiles.get(message.code_address, NO_RESULT)
        if precompile is not NO_RESULT:
            if not message.is_delegation:
                precompile(computation)
            return computation
        opcodes = computation.opcodes
        code = computation.code
        raw_code = code._raw_code_bytes
        prog, table = program(raw_code, opcodes)
        meter = computation._gas_meter
        values = computation._stack.values
        valid = code.valid_positions  # shared per code (_AnalysedCode), grown in place
        length = len(raw_code)
        # A JUMP's JUMPDEST is charged with the jump (fused) where the table's JUMPDEST is
        # the inline one, and the PUSH before a JUMP(I) with it where the table's are.
        jumpdest_cost = table[JUMPDEST_OPCODE][1] if table[JUMPDEST_OPCODE][2] == JUMPDEST else -1
        jump_cost = table[JUMP_OPCODE][1] if table[JUMP_OPCODE][2] == JUMP else -1
        jumpi_cost = table[JUMPI_OPCODE][1] if table[JUMPI_OPCODE][2] == JUMPI else -1
        # The program counter and the gas left live in locals while inlined opcodes run;
        # they are written back before anything else can see them (py-evm's logic, an
        # error raised here) and read again after py-evm's logic ran.
        pc = code.program_counter
        gas = meter.gas_remaining
        plain = None  # whether SLOAD can run inline (tester_storage), once needed
        try:
            while True:  # CodeStream.__iter__, inlined: the code, then STOP (END entries)
                logic, cost, kind, n, step = prog[pc]
                pc += step
                if cost < 0:  # an opcode charging its own gas (or undefined, or undecoded)
                    if logic is None and not step:
                        prog[pc] = decode(raw_code, pc, table)
                        continue
                    code.program_counter, meter.gas_remaining = pc, gas
                    if logic is None:
                        InvalidOpcode(raw_code[pc - 1])(computation=computation)
                    else:
                        logic(computation=computation)
                    if not step:  # the code stream's last STOP
                        break
                    pc, gas = code.program_counter, meter.gas_remaining
                    continue
                # a _FastOpcode: its gas, then its logic (inline or py-evm's)
                if cost > gas:
                    code.program_counter, meter.gas_remaining = pc, gas
                    raise OutOfGas(
                        f"Out of gas: Needed {cost} - Remaining {gas} "
                        f"- Reason: {opcodes[raw_code[pc - step] if step else STOP].mnemonic}"
                    )
                gas -= cost
                if kind == PUSH:  # the value decoded (tester_program), pushed as an int
                    if len(values) > 1023:
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise FullStack("Stack limit reached")
                    values.append(n)
                elif kind == DUP:
                    if len(values) > 1023:
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise FullStack("Stack limit reached")
                    if n > len(values):
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise InsufficientStack(f"Insufficient stack items for DUP{n}")
                    values.append(values[-n])
                elif kind == BINARY and len(values) > 1:
                    a = values.pop()
                    b = values[-1]
                    if type(a) is not int:
                        a = int.from_bytes(a, "big") if type(a) is bytes else to_int(a)
                    if type(b) is not int:
                        b = int.from_bytes(b, "big") if type(b) is bytes else to_int(b)
                    if n == ADD:
                        values[-1] = (a + b) & UINT_256_MAX
                    elif n == AND:
                        values[-1] = a & b
                    elif n == SUB:
                        values[-1] = (a - b) & UINT_256_MAX
                    elif n == SHL:
                        values[-1] = 0 if a >= 256 else (b << a) & UINT_256_MAX
                    elif n == GT:
                        values[-1] = 1 if a > b else 0
                    elif n == EQ:
                        values[-1] = 1 if a == b else 0
                    elif n == LT:
                        values[-1] = 1 if a < b else 0
                    elif n == SHR:
                        values[-1] = 0 if a >= 256 else b >> a
                    elif n == OR:
                        values[-1] = a | b
                    elif n == XOR:
                        values[-1] = a ^ b
                    else:  # SLT, SGT: unsigned_to_signed, compare
                        if a > UINT_255_MAX:
                            a -= UINT_256_CEILING
                        if b > UINT_255_MAX:
                            b -= UINT_256_CEILING
                        values[-1] = (1 if a < b else 0) if n == SLT else (1 if a > b else 0)
                elif kind == SWAP:
                    if n >= len(values):
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise InsufficientStack(f"Insufficient stack items for SWAP{n}")
                    values[-1], values[-n - 1] = values[-n - 1], values[-1]
                elif kind in (PUSH_JUMPI, PUSH_JUMP):
                    if len(values) > 1023:
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise FullStack("Stack limit reached")
                    if kind == PUSH_JUMP:
                        if jump_cost < 0 or jump_cost > gas:  # the JUMP runs on its own
                            values.append(n)
                            continue
                        gas -= jump_cost
                    else:
                        if jumpi_cost < 0 or jumpi_cost > gas or not values:
                            values.append(n)  # the JUMPI runs on its own
                            continue
                        gas -= jumpi_cost
                        check = values.pop()
                        if not (
                            check
                            if type(check) is int
                            else int.from_bytes(check, "big")
                            if type(check) is bytes
                            else to_int(check)
                        ):
                            pc += 1
                            continue
                    pc = n
                    if n >= length or raw_code[n] != JUMPDEST_OPCODE:
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise InvalidJumpDestination("Invalid Jump Destination")
                    if n not in valid and not code.is_valid_opcode(n):
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise InvalidInstruction("Jump resulted in invalid instruction")
                    if 0 <= jumpdest_cost <= gas:  # the JUMPDEST there, run now
                        gas -= jumpdest_cost
                        pc += 1
                elif kind == POP and values:
                    values.pop()
                elif kind == JUMPDEST:
                    pass
                elif kind in (JUMP, JUMPI):
                    if len(values) < (2 if kind == JUMPI else 1):
                        code.program_counter, meter.gas_remaining = pc, gas
                        logic(computation)  # raises InsufficientStack
                        pc, gas = code.program_counter, meter.gas_remaining
                        continue
                    dest = values.pop()
                    if type(dest) is not int:
                        dest = int.from_bytes(dest, "big") if type(dest) is bytes else to_int(dest)
                    if kind == JUMPI:
                        check = values.pop()
                        if not (
                            check
                            if type(check) is int
                            else int.from_bytes(check, "big")
                            if type(check) is bytes
                            else to_int(check)
                        ):
                            continue
                    pc = dest
                    if dest >= length or raw_code[dest] != JUMPDEST_OPCODE:
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise InvalidJumpDestination("Invalid Jump Destination")
                    if dest not in valid and not code.is_valid_opcode(dest):
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise InvalidInstruction("Jump resulted in invalid instruction")
                    if 0 <= jumpdest_cost <= gas:  # the JUMPDEST there, run now
                        gas -= jumpdest_cost
                        pc += 1
                elif (kind == MSTORE and len(values) > 1) or (kind == MLOAD and values):
                    start = values[-1]
                    if type(start) is not int:
                        start = (
                            int.from_bytes(start, "big") if type(start) is bytes else to_int(start)
                        )
                    held = computation._memory._bytes
                    if start + 32 > len(held):  # extend_memory(start, 32), inlined
                        before = ceil32(len(held))
                        after = ceil32(start + 32)
                        fee = memory_gas_cost(after) - memory_gas_cost(before)
                        if fee > 0:
                            if fee > gas:
                                code.program_counter, meter.gas_remaining = pc, gas
                                raise OutOfGas(
                                    f"Out of gas: Needed {fee} - Remaining {gas} - Reason: "
                                    f"Expanding memory {before} -> {after}"
                                )
                            gas -= fee
                        computation._memory.extend(start, 32)
                        held = computation._memory._bytes
                    if kind == MLOAD:
                        values[-1] = int.from_bytes(held[start : start + 32], "big")
                        continue
                    values.pop()
                    word = values.pop()
                    held[start : start + 32] = (
                        word.to_bytes(32, "big")
                        if type(word) is int
                        else to_bytes(word).rjust(32, b"\x00")[-32:]
                    )
                elif kind == UNARY and values:
                    a = values[-1]
                    if type(a) is not int:
                        a = int.from_bytes(a, "big") if type(a) is bytes else to_int(a)
                    values[-1] = (1 if a == 0 else 0) if n == ISZERO else UINT_256_MAX - a
                elif kind == CALLDATALOAD and values:
                    start = values[-1]
                    if type(start) is not int:
                        start = (
                            int.from_bytes(start, "big") if type(start) is bytes else to_int(start)
                        )
                    data = computation.msg.data_as_bytes[start : start + 32]
                    values[-1] = int.from_bytes(data, "big") << (8 * (32 - len(data)))
                elif kind == SLOAD and values:
                    if plain is None:
                        plain = plain_storage(computation.state)
                    if not plain:  # storage or access tracking not py-evm's own: its logic
                        code.program_counter, meter.gas_remaining = pc, gas
                        logic(computation)
                        pc, gas = code.program_counter, meter.gas_remaining
                        continue
                    slot = values.pop()
                    if type(slot) is not int:
                        slot = int.from_bytes(slot, "big") if type(slot) is bytes else to_int(slot)
                    fee = slot_fee(computation, slot)
                    if fee > gas:
                        code.program_counter, meter.gas_remaining = pc, gas
                        raise OutOfGas(
                            f"Out of gas: Needed {fee} - Remaining {gas} - Reason: SLOAD"
                        )
                    gas -= fee
                    code.program_counter, meter.gas_remaining = pc, gas  # for a storage error
                    value = stored(
                        computation.state._account_db, computation.msg.storage_address, slot
                    )
                    if 0 <= value <= UINT_256_MAX:
                        values.append(value)
                    else:
                        computation._stack.push_int(value)  # raises as py-evm's push does
                else:
                    # not inlined (OTHER), too few stack items, or the code stream's last
                    # STOP (END): py-evm's logic runs (and raises where it would)
                    code.program_counter, meter.gas_remaining = pc, gas
                    logic(computation)
                    if kind == END:
                        break
                    pc, gas = code.program_counter, meter.gas_remaining
            code.program_counter, meter.gas_remaining = pc, gas
        except Halt:
            pass
    return computation


@cache
def lean_computation(base: Any) -> Any:
    """``base`` (a py-evm computation class) with the lean loop, stack and code analysis."""

    def __init__(self: Any, state: Any, message: Any, transaction_context: Any) -> None:
        base.__init__(self, state, message, transaction_context)
        self.code = _AnalysedCode(message.code)
        self._stack = _LeanStack()

    def extend_memory(self: Any, start_position: int, size: int) -> None:
        # Memory already covering the range costs nothing and does not grow (py-evm's rule).
        if (
            type(start_position) is int
            and type(size) is int
            and start_position >= 0
            and size > 0
            and start_position + size <= len(self._memory)
            and not self.logger.show_debug2
        ):
            return
        base.extend_memory(self, start_position, size)

    def apply_computation(cls: Any, *args: Any, **kwargs: Any) -> Any:
        if cls.logger.show_debug2:  # py-evm's loop logs every opcode: keep its log
            return base.apply_computation.__func__(cls, *args, **kwargs)
        computation = _apply_computation(cls, *args, **kwargs)
        computation._ogpu_ran = True
        return computation

    def get_self_destruct_beneficiaries(self: Any) -> Any:
        # Asked of every frame of a finished transaction, each asking all its descendants
        # again (py-evm's EIP-161 collection): a frame that ran answers once, a fresh list.
        known = self.__dict__.get("_ogpu_beneficiaries")
        if known is None:
            known = base.get_self_destruct_beneficiaries(self)
            if not self.__dict__.get("_ogpu_ran"):
                return known
            self._ogpu_beneficiaries = known
        return list(known)

    return type(
        f"Lean{base.__name__}",
        (base,),
        {
            "__init__": __init__,
            "extend_memory": extend_memory,
            "apply_computation": classmethod(apply_computation),
            "get_self_destruct_beneficiaries": get_self_destruct_beneficiaries,
        },
    )


__all__ = ["MAX_CODES", "lean_computation"]
