"""A block of the lean loop compiled to one Python function: same results, one dispatch.

The lean loop of :mod:`.tester_evm` dispatches on every entry of a decoded program
(:mod:`.tester_program`): per opcode a tuple unpacked, a gas test and a chain of kind tests.
A block (a straight run of inlined opcodes, :func:`.tester_program.block`) always runs the
same opcodes in the same order, so :func:`compile_block` turns it into Python source once per
shape and compiles it; the program's entry at the block's start becomes a ``BLOCK`` entry
carrying the function and the block's whole fixed gas. What the function does is what the
loop does opcode by opcode, with these differences in how, not in what:

- the block's fixed gas is charged at once (the loop tests it against the gas left; where it
  is not covered, the block's first opcode runs alone, as before, and the loop goes on opcode
  by opcode, so an ``OutOfGas`` names the opcode py-evm's names);
- stack items live in Python locals while the block runs (a PUSH is a name, DUP and SWAP
  rename, an operation is one expression) and the stack list is written once, where the
  block ends or hands over;
- a fee only known when it runs (memory growth, SLOAD's cold or warm cost) is tested against
  the gas left at that opcode (the gas left plus the fixed gas of the opcodes after it); one
  that fits but leaves less than the rest of the block's fixed gas completes its opcode, and
  py-evm's own loop runs the rest of the frame from there (so a later opcode fails where
  py-evm's fails), as the loop hands over where a block's stack bounds are not met;
- GAS pushes the gas left at that opcode, worked out the same way.

PUSH values are arguments of the compiled shape, not part of it: copies of a contract that
differ in their immutables (:func:`.tester_program.adapted`) share the compiled code.
``tests/chain/test_tester_compiled.py`` runs generated blocks with every gas limit around
where they run out and compares them with py-evm's computation. (About 420 lines: the code
generator and the slow paths its code calls stay together.)
"""

from __future__ import annotations

from typing import Any

from eth.constants import GAS_MEMORY, UINT_255_MAX, UINT_256_CEILING, UINT_256_MAX
from eth.constants import GAS_MEMORY_QUADRATIC_DENOMINATOR as QUADRATIC
from eth.exceptions import InvalidInstruction, InvalidJumpDestination, OutOfGas
from eth.vm.opcode_values import JUMPDEST as JUMPDEST_OPCODE

from . import tester_kinds as kinds
from .tester_kinds import Entry
from .tester_storage import plain_storage, slot_fee, stored

STACK_LIMIT = 1024
"""py-evm's most stack items (a block's bounds stop at 1025 when it pushes nothing)."""
MIN_OPCODES = 2
"""The fewest opcodes a block compiles with (one runs as fast through the loop)."""
MAX_SHAPES = 8192
"""Compiled shapes kept at most; the memo starts over when full."""
HOT = 2
"""A block compiles once it has run, or its shape has been decoded, this many times."""
PENDING = 2**256 + 1
"""The gas of a pending block's entry: more than any frame has, so its first opcode runs alone."""

HANDOVER = 2
"""A compiled block's status: py-evm's own loop runs the rest of the frame from the program
counter and gas it returns (the stack bounds are not met, a fee leaves too little gas for
the rest of the block, or the storage is not py-evm's plain one)."""
ENTERED = 1
"""Status: the block ended in a JUMPI not taken; the next block starts at the program counter
returned and its stack bounds are still to be checked."""
NEXT = 0
"""Status: the loop goes on at the program counter returned (a jump's destination, or the
opcode that ended the block, which the loop runs)."""

_shapes: dict[tuple[Any, ...], Any] = {}
_seen: dict[tuple[Any, ...], int] = {}
_PUSHES = (kinds.PUSH, kinds.PUSH_JUMP, kinds.PUSH_JUMPI)
_BINARY = {
    kinds.ADD: "({a} + {b}) & M",
    kinds.SUB: "({a} - {b}) & M",
    kinds.AND: "{a} & {b}",
    kinds.OR: "{a} | {b}",
    kinds.XOR: "{a} ^ {b}",
    kinds.LT: "1 if {a} < {b} else 0",
    kinds.GT: "1 if {a} > {b} else 0",
    kinds.EQ: "1 if {a} == {b} else 0",
    kinds.SHL: "0 if {a} >= 256 else ({b} << {a}) & M",
    kinds.SHR: "0 if {a} >= 256 else {b} >> {a}",
    kinds.SLT: "1 if ({a} - C if {a} > H else {a}) < ({b} - C if {b} > H else {b}) else 0",
    kinds.SGT: "1 if ({a} - C if {a} > H else {a}) > ({b} - C if {b} > H else {b}) else 0",
}
_CONTEXT = {
    kinds.CALLDATASIZE: "len(c.msg.data)",
    kinds.CALLVALUE: "c.msg.value",
    kinds.RETURNDATASIZE: "len(c.return_data)",
    kinds.CALLER: 'int.from_bytes(c.msg.sender, "big")',
}
_GLOBALS = {
    "M": UINT_256_MAX,
    "H": UINT_255_MAX,
    "C": UINT_256_CEILING,
    "plain_storage": plain_storage,
}


def compiled_run(run: list[tuple[int, Entry]]) -> list[tuple[int, Entry]]:
    """The opcodes of a decoded block's ``run`` that compile: up to the opcode ending the
    block, which is included where it is a JUMP or JUMPI."""
    start = run[0][0]
    ops = []
    for position, entry in run:
        kind = entry[2]
        if kind < 0 or kind == kinds.END or (kind == kinds.JUMPDEST and position != start):
            break
        ops.append((position, entry))
        if kind in (kinds.JUMP, kinds.JUMPI):
            break
    return ops


class Pending:
    """A block not compiled yet: its first opcode runs alone (its entry's gas is more than any
    frame has) until :func:`.tester_program.promote` has seen it run :data:`HOT` times."""

    __slots__ = ("bound", "runs", "span")

    def __init__(self, span: int, bound: range) -> None:
        self.span = span
        self.bound = bound
        self.runs = 0


def compile_block(run: list[tuple[int, Entry]], bound: range, *, hot: bool = False) -> Entry | None:
    """The ``BLOCK`` entry of a decoded block, or ``None`` where it is too short to gain.

    Compiling a new shape costs about a millisecond, so a block whose shape is new (and not
    seen :data:`HOT` times) gets a :class:`Pending` entry, unless ``hot``.

    Args:
        run: the block's positions and single (not fused) entries, from its start on, as
            :func:`.tester_program.block` decoded them (the opcode ending it last).
        bound: the block's stack bounds.
        hot: compile it now.

    Returns:
        ``(first entry, the block's fixed gas, BLOCK, function, the first entry's step)``: the
        loop runs ``function(stack values, gas left after the fixed gas, computation)``, which
        returns the program counter, the gas left and a status (:data:`NEXT`,
        :data:`ENTERED`, :data:`HANDOVER`). A pending block's gas is :data:`PENDING` and its
        function a :class:`Pending`.
    """
    ops = compiled_run(run)
    if len(ops) < MIN_OPCODES:
        return None
    start = ops[0][0]
    span = ops[-1][0] + ops[-1][1][4] - start  # the code bytes the block covers
    first = run[0][1]
    shape = (
        tuple(
            (
                position - start,
                entry[1],
                entry[2],
                None if entry[2] in _PUSHES else entry[3],
                entry[4],
            )
            for position, entry in ops
        ),
        bound.start,
        bound.stop,
    )
    factory = _shapes.get(shape)
    if factory is None:
        seen = _seen.get(shape, 0) + 1
        if not hot and seen < HOT:
            if len(_seen) >= MAX_SHAPES:
                _seen.clear()
            _seen[shape] = seen
            return (first, PENDING, kinds.BLOCK, Pending(span, bound), first[4])
        if len(_shapes) >= MAX_SHAPES:
            _shapes.clear()
        factory = _shapes[shape] = _factory(shape)
    values = tuple(entry[3] for _, entry in ops if entry[2] in _PUSHES)
    function = factory(start, *values)
    function.span = span
    function.key = (shape, start, values)  # what the function is made of
    return (first, sum(entry[1] for _, entry in ops), kinds.BLOCK, function, first[4])


class _Writer:
    """The source of one compiled shape: the stack as names while the block runs."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: list[str] = []  # the stack's top items, as Python expressions
        self.taken = 0  # items of the stack list already read into names (from its top)
        self.count = 0

    def emit(self, line: str, indent: int = 2) -> None:
        self.lines.append("    " * indent + line)

    def fresh(self, prefix: str = "t") -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def reach(self, depth: int) -> None:
        """Make the top ``depth`` items names (reading list items below the names)."""
        while len(self.names) < depth:
            self.taken += 1
            name = self.fresh("s")
            self.emit(f"{name} = values[-{self.taken}]")
            self.names.insert(0, name)

    def pop(self) -> str:
        self.reach(1)
        return self.names.pop()

    def drop(self) -> None:
        if self.names:
            self.names.pop()
        else:
            self.taken += 1  # the list's item is never read

    def push(self, expression: str) -> None:
        name = self.fresh()
        self.emit(f"{name} = {expression}")
        self.names.append(name)

    def written(self, indent: int = 2) -> list[str]:
        """The lines writing the stack list as the names say it is."""
        pad = "    " * indent
        items = ", ".join(self.names)
        if self.taken and self.names:
            return [f"{pad}values[-{self.taken}:] = ({items},)"]
        if self.taken:
            return [f"{pad}del values[-{self.taken}:]"]
        if len(self.names) == 1:
            return [f"{pad}values.append({items})"]
        if self.names:
            return [f"{pad}values += ({items},)"]
        return []

    def handover(self, offset: int, gas: str, indent: int) -> None:
        """Write the stack, then hand the frame over to py-evm's loop at ``offset``."""
        self.lines.extend(self.written(indent))
        self.emit(f"return S + {offset}, {gas}, {HANDOVER}", indent)


def grown(c: Any, start: int, gas: int, rest: int, pc: int) -> tuple[int, bytearray]:
    """``extend_memory(start, 32)`` as the loop inlines it, for a memory shorter than
    ``start + 32``: py-evm's fee in words against the gas left at the opcode (``gas + rest``),
    its ``OutOfGas`` (at program counter ``pc``) where it does not fit.

    Returns:
        The gas less the fee and the memory's bytes.
    """
    held = c._memory._bytes
    size = len(held)
    before = (size + 31) >> 5
    after = (start + 63) >> 5
    fee = (after - before) * GAS_MEMORY + after * after // QUADRATIC - before * before // QUADRATIC
    if fee > 0:
        if fee > gas + rest:
            c.code.program_counter = pc
            c._gas_meter.gas_remaining = gas + rest
            raise OutOfGas(
                f"Out of gas: Needed {fee} - Remaining {gas + rest} - Reason: "
                f"Expanding memory {before << 5} -> {after << 5}"
            )
        gas -= fee
    try:
        held.extend(bytes((after << 5) - size))
    except BufferError:  # a memoryview of it is alive: py-evm's copy
        c._memory.extend(start, 32)
        held = c._memory._bytes
    return gas, held


def loaded(c: Any, slot: int, gas: int, rest: int, pc: int) -> tuple[int, int]:
    """SLOAD as the loop inlines it (storage of :func:`.tester_storage.plain_storage`): the slot
    marked warm, its fee against the gas left at the opcode (``gas + rest``) with py-evm's
    ``OutOfGas`` (at program counter ``pc``), the word read.

    Returns:
        The gas less the fee and the word.
    """
    fee = slot_fee(c, slot)
    if fee > gas + rest:
        c.code.program_counter = pc
        c._gas_meter.gas_remaining = gas + rest
        raise OutOfGas(f"Out of gas: Needed {fee} - Remaining {gas + rest} - Reason: SLOAD")
    gas -= fee
    c.code.program_counter = pc  # where a storage error comes
    c._gas_meter.gas_remaining = gas + rest
    word = stored(c.state._account_db, c.msg.storage_address, slot)
    if not 0 <= word <= UINT_256_MAX:
        c._stack.push_int(word)  # raises as py-evm's push does
    return gas, word


def bad_jump(c: Any, dest: int, gas: int) -> None:
    """Raise py-evm's error for a jump to ``dest``, which is not a JUMPDEST it may run."""
    code = c.code
    code.program_counter = dest
    c._gas_meter.gas_remaining = gas
    raw = code._raw_code_bytes
    if dest >= len(raw) or raw[dest] != JUMPDEST_OPCODE:
        raise InvalidJumpDestination("Invalid Jump Destination")
    raise InvalidInstruction("Jump resulted in invalid instruction")


def _factory(shape: tuple[Any, ...]) -> Any:
    """Compile one shape: ``factory(start, *push values) -> function``."""
    ops, need, stop = shape
    writer = _Writer()
    costs = [op[1] for op in ops]
    pushes = [f"k{index}" for index, op in enumerate(ops) if op[2] in _PUSHES]
    total = sum(costs)
    tests = ([f"h < {need}"] if need else []) + ([f"h >= {stop}"] if stop <= STACK_LIMIT else [])
    if tests:  # a height outside the block's bounds: py-evm's loop runs it
        writer.emit("h = len(values)")
        writer.emit(f"if {' or '.join(tests)}:")
        writer.emit(f"return S, gas + {total}, {HANDOVER}", 3)
    ended = False
    for index, (offset, _cost, kind, n, step) in enumerate(ops):
        rest = sum(costs[index + 1 :])  # the fixed gas of the opcodes after this one
        after = offset + step
        if kind in _PUSHES:
            writer.names.append(f"k{index}")
        elif kind == kinds.DUP:
            writer.reach(n)
            writer.names.append(writer.names[-n])
        elif kind == kinds.SWAP:
            writer.reach(n + 1)
            names = writer.names
            names[-1], names[-n - 1] = names[-n - 1], names[-1]
        elif kind == kinds.POP:
            writer.drop()
        elif kind == kinds.JUMPDEST:
            pass
        elif kind == kinds.BINARY:
            a = writer.pop()
            b = writer.pop()
            writer.push(_BINARY[n].format(a=a, b=b))
        elif kind == kinds.UNARY:
            a = writer.pop()
            writer.push(f"1 if {a} == 0 else 0" if n == kinds.ISZERO else f"M - {a}")
        elif kind == kinds.CONTEXT:
            writer.push(f"gas + {rest}" if n == kinds.GAS else _CONTEXT[n])
        elif kind == kinds.CALLDATALOAD:
            a = writer.pop()
            writer.emit(f"data = c.msg.data_as_bytes[{a} : {a} + 32]")
            writer.push('int.from_bytes(data, "big") << (8 * (32 - len(data)))')
        elif kind in (kinds.MSTORE, kinds.MLOAD):
            a = writer.pop()
            value = writer.pop() if kind == kinds.MSTORE else ""
            writer.emit("mem = c._memory._bytes")
            writer.emit(f"if {a} + 32 > len(mem):")
            writer.emit(f"gas, mem = grown(c, {a}, gas, {rest}, S + {after})", 3)
            if kind == kinds.MSTORE:
                writer.emit(f'mem[{a} : {a} + 32] = {value}.to_bytes(32, "big")')
            else:
                writer.push(f'int.from_bytes(mem[{a} : {a} + 32], "big")')
            if rest:
                writer.emit("if gas < 0:")
                writer.handover(after, f"gas + {rest}", 3)
        elif kind == kinds.SLOAD:
            writer.reach(1)
            writer.emit("plain = c._ogpu_plain")
            writer.emit("if plain is None:")
            writer.emit("plain = c._ogpu_plain = plain_storage(c.state)", 3)
            writer.emit("if not plain:")
            writer.handover(offset, f"gas + {rest + _cost}", 3)
            slot = writer.pop()
            name = writer.fresh()
            writer.emit(f"gas, {name} = loaded(c, {slot}, gas, {rest}, S + {after})")
            writer.names.append(name)
            if rest:
                writer.emit("if gas < 0:")
                writer.handover(after, f"gas + {rest}", 3)
        elif kind in (kinds.JUMP, kinds.JUMPI):
            dest = writer.pop()
            condition = writer.pop() if kind == kinds.JUMPI else ""
            writer.lines.extend(writer.written())
            indent = 2
            if kind == kinds.JUMPI:
                writer.emit(f"if {condition}:")
                indent = 3
            writer.emit("code = c.code", indent)
            writer.emit("raw = code._raw_code_bytes", indent)
            writer.emit(
                f"if {dest} >= len(raw) or raw[{dest}] != 0x5B or ({dest} not in"
                f" code.valid_positions and not code.is_valid_opcode({dest})):",
                indent,
            )
            writer.emit(f"bad_jump(c, {dest}, gas)", indent + 1)
            writer.emit(f"return {dest}, gas, {NEXT}", indent)
            if kind == kinds.JUMPI:
                writer.emit(f"return S + {after}, gas, {ENTERED}")
            ended = True
        else:  # pragma: no cover - compiled_run keeps only the kinds above
            raise AssertionError(f"kind {kind} does not compile")
    if not ended:
        writer.lines.extend(writer.written())
        last = ops[-1]
        writer.emit(f"return S + {last[0] + last[4]}, gas, {NEXT}")
    source = "\n".join(
        [
            f"def factory(S, {', '.join(pushes)}):" if pushes else "def factory(S):",
            "    def block(values, gas, c):",
            *writer.lines,
            "    return block",
        ]
    )
    namespace: dict[str, Any] = dict(_GLOBALS, grown=grown, loaded=loaded, bad_jump=bad_jump)
    exec(compile(source, f"<tester_compiled block {len(ops)} opcodes>", "exec"), namespace)
    factory = namespace["factory"]
    factory.source = source
    return factory


__all__ = [
    "ENTERED",
    "HANDOVER",
    "HOT",
    "MAX_SHAPES",
    "MIN_OPCODES",
    "NEXT",
    "PENDING",
    "Pending",
    "compile_block",
]
