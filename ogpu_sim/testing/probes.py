"""Probes: one view call on the chain together with the bytes the model says it must return.

A :class:`Probe` names a contract function and its arguments, and holds the ABI-encoded result
the model predicts (or the revert data it predicts). The machine sends every probe of a step in
one batched ``eth_call`` and compares raw bytes, so a step costs one round trip and no decoding;
only a probe that differs is decoded, for the message.

Calldata and expected results are encoded with the shipped ABIs (the protocol's ABIs are the
SDK's), cached by value: most probes repeat from step to step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, NamedTuple

from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address
from eth_utils.abi import get_abi_input_types, get_abi_output_types

from ..artifacts import load as load_artifact
from .chainview import Part, encode_part

#: ``upper`` for the Paging getters (inclusive, clamped): the whole array.
ALL = 2**256 - 1
_ERROR_STRING = function_signature_to_4byte_selector("Error(string)")
SINGLETON_CONTRACTS = ("Manager", "Terminal", "Nexus", "Vault", "Controller")


#: The batch helper's own view (its native-balance reader), beside the protocol's ABIs.
_HELPER_ABI = [
    {
        "type": "function",
        "name": "balanceOf",
        "stateMutability": "view",
        "inputs": [{"name": "account", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]


@cache
def _functions(contract: str) -> dict[str, dict[str, Any]]:
    abi = _HELPER_ABI if contract == "BatchRead" else load_artifact(contract)["abi"]
    return {str(item["name"]): item for item in abi if item.get("type") == "function"}


@cache
def signature(contract: str, function: str) -> tuple[bytes, tuple[str, ...], tuple[str, ...]]:
    """(selector, input types, output types) of ``contract.function`` in the shipped ABI."""
    item = _functions(contract)[function]
    inputs = tuple(get_abi_input_types(item))  # type: ignore[arg-type]
    outputs = tuple(get_abi_output_types(item))  # type: ignore[arg-type]
    selector = function_signature_to_4byte_selector(f"{function}({','.join(inputs)})")
    return selector, inputs, outputs


_STATIC = {"uint256", "uint8", "bool", "address", "bytes32"}


def _word(kind: str, value: Any) -> bytes:
    if kind == "address":
        return bytes(12) + bytes.fromhex(str(value)[2:])
    if kind == "bytes32":
        return bytes(value)
    return int(value).to_bytes(32, "big")


@cache
def calldata(contract: str, function: str, args: tuple[Any, ...]) -> bytes:
    """The call's data: selector plus ABI-encoded ``args``."""
    selector, inputs, _ = signature(contract, function)
    if all(kind in _STATIC for kind in inputs):
        return selector + b"".join(_word(k, v) for k, v in zip(inputs, args, strict=True))
    return selector + encode(list(inputs), list(args))


@cache
def encode_result(types: tuple[str, ...], value: Any) -> bytes:
    """What a function with output ``types`` returns for ``value`` (a tuple if several)."""
    values = value if len(types) > 1 else (value,)
    if all(kind in _STATIC for kind in types):
        return b"".join(_word(k, v) for k, v in zip(types, values, strict=True))
    return encode(list(types), list(values))


@cache
def revert_data(reason: str) -> bytes:
    """The revert data of ``require(..., reason)`` (an ``Error(string)``)."""
    return _ERROR_STRING + encode(["string"], [reason])


@cache
def custom_error(signature_text: str, args: tuple[Any, ...] = ()) -> bytes:
    """The revert data of a custom error such as ``OwnableUnauthorizedAccount(address)``."""
    types = signature_text[signature_text.index("(") + 1 : -1]
    selector = function_signature_to_4byte_selector(signature_text)
    return selector + (encode(types.split(","), list(args)) if types else b"")


def submission_hash(provider: str, data: str) -> bytes:
    """``keccak256(abi.encodePacked(provider, data))``: the Task's ``isAlreadySubmitted`` key."""
    return keccak(bytes.fromhex(provider[2:]) + data.encode())


class Probe(NamedTuple):
    """A view call and the model's answer (a named tuple: a check builds hundreds).

    Attributes:
        contract: the artifact name (``Vault``, ``Source``...).
        target: the contract's address.
        function: the function name.
        args: its arguments.
        expected: the encoded return value, or the revert data when ``reverts``; ``None`` when
            any revert will do (an index past an array's end).
        reverts: the model predicts the call reverts.
    """

    contract: str
    target: str
    function: str
    args: tuple[Any, ...]
    expected: bytes | None
    reverts: bool = False

    def call(self) -> tuple[str, bytes]:
        """(target, calldata) for the batch."""
        return self.target, calldata(self.contract, self.function, self.args)

    def answer(self) -> tuple[bool, bytes | None]:
        """(reverts, expected): what the model predicts, as :class:`Verified` keeps it."""
        return self.reverts, self.expected

    def matches(self, ok: bool, data: bytes) -> bool:
        """Whether the chain's answer is the model's."""
        if ok == self.reverts:
            return False
        return self.expected is None or data == self.expected

    def label(self, name: Callable[[Any], str]) -> str:
        """``Vault.balanceOf(provider1)``: the probe in the model's names."""
        args = ", ".join(name(a) for a in self.args)
        owner = self.contract
        if owner not in SINGLETON_CONTRACTS:
            owner = f"{owner}[{name(self.target)}]"
        return f"{owner}.{self.function}({args})"

    def show(self, ok: bool, data: bytes, expected: bool) -> str:
        """A readable rendering of an answer (``expected``: the model's, else the chain's)."""
        if expected:
            ok, data = not self.reverts, self.expected or b""
            if self.expected is None:
                return "a revert"
        if not ok:
            return f"revert {_reason(data)}"
        _, _, outputs = signature(self.contract, self.function)
        try:
            values = decode(list(outputs), data)
        except Exception:  # the chain returned something that does not parse
            return f"0x{data.hex()}"
        shown = tuple(_plain(v) for v in values)
        return repr(shown[0] if len(shown) == 1 else shown)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def _reason(data: bytes) -> str:
    if data[:4] == _ERROR_STRING:
        return str(decode(["string"], data[4:])[0])
    return "0x" + data.hex() if data else "(no data)"


def differences(
    probes: Sequence[Probe], results: Iterable[tuple[bool, bytes]], name: Callable[[Any], str]
) -> list[str]:
    """One line per probe whose chain answer differs from the model's (empty if none do)."""
    lines = []
    for probe, (ok, data) in zip(probes, results, strict=True):
        if not probe.matches(ok, data):
            lines.append(
                f"{probe.label(name)}: chain {probe.show(ok, data, False)} "
                f"!= model {probe.show(ok, data, True)}"
            )
    return lines


#: Each call (target, calldata) with the model's answer the chain last agreed with.
Verified = dict[tuple[str, bytes], tuple[bool, bytes | None]]


def neighbourhood(probe: Probe) -> tuple[Any, ...]:
    """What a probe is about: its instance contract, or its first argument (an account, mostly)
    at a singleton. :func:`unverified` reads a whole neighbourhood when one of its views moved."""
    if probe.contract in SINGLETON_CONTRACTS and probe.args:
        return probe.target, probe.args[0]
    return (probe.target,)


def unverified(probes: Sequence[Probe], verified: Verified) -> list[Probe]:
    """The probes to read: each whose model answer is not the one the chain last agreed with
    for that call, and every other probe of the same :func:`neighbourhood`.

    A call the chain agreed on whose prediction has not changed since needs no read while
    the chain has not changed it either: a comparison that reads these checks every change
    the model predicts, and the views beside it (a status forced elsewhere shows a flag beside
    it that went wrong), and a full read finds the rest.
    """
    known = verified.get
    moved = [
        known((p.target, calldata(p.contract, p.function, p.args))) != (p.reverts, p.expected)
        for p in probes
    ]
    near = {neighbourhood(p) for p, m in zip(probes, moved, strict=True) if m}
    if not near:
        return []
    return [p for p, m in zip(probes, moved, strict=True) if m or neighbourhood(p) in near]


class Section(NamedTuple):
    """The probes of one part of the protocol (the singletons, an account, a source, a task,
    a response, the access checks), as :func:`~ogpu_sim.testing.expected.probe_sections`
    lists them.

    Attributes:
        key: which part: ``("account", address)``, ``("task", address)``, ``("singletons",)``...
        probes: its probes.
        hoods: the :func:`neighbourhood` of each of its probes.
        calls: each probe's :meth:`Probe.call`, in order (a section is built once and read
            at many checks).
        part: the calls and the model's answers encoded for the batch read
            (:meth:`~ogpu_sim.testing.chainview.ChainView.read_parts`), when the section is
            read whole (a full check's).
    """

    key: tuple[str, ...]
    probes: tuple[Probe, ...]
    hoods: frozenset[tuple[Any, ...]]
    calls: tuple[tuple[str, bytes], ...] = ()
    part: Part | None = None


#: Each section's key with the very :class:`Section` object the chain last agreed with.
Agreed = dict[tuple[str, ...], Section]


def unverified_sections(
    sections: Sequence[Section], verified: Verified, agreed: Agreed
) -> list[Probe]:
    """:func:`unverified` of all the sections' probes, skipping the work for each section that
    is the very object the chain last agreed with (in ``agreed``): none of its predictions
    moved, so it only adds its probes of a neighbourhood another section's move reaches.

    After a check that found no difference every current section is agreed (each probe was
    either read and remembered, or already what the chain last said), so the caller sets
    ``agreed[s.key] = s`` for all of them.
    """
    known = verified.get
    moves: list[list[bool] | None] = []
    near: set[tuple[Any, ...]] = set()
    for section in sections:
        if agreed.get(section.key) is section:
            moves.append(None)
            continue
        moved = [
            known(call) != (p.reverts, p.expected)
            for p, call in zip(section.probes, _calls(section), strict=True)
        ]
        near.update(neighbourhood(p) for p, m in zip(section.probes, moved, strict=True) if m)
        moves.append(moved)
    if not near:
        return []
    read: list[Probe] = []
    for section, flags in zip(sections, moves, strict=True):
        if flags is None:
            if not near.isdisjoint(section.hoods):
                read += [p for p in section.probes if neighbourhood(p) in near]
        else:
            read += [
                p
                for p, m in zip(section.probes, flags, strict=True)
                if m or neighbourhood(p) in near
            ]
    return read


def section_part(probes: Sequence[Probe], calls: Sequence[tuple[str, bytes]]) -> Part:
    """The probes' calls (their :meth:`Probe.call`) and answers encoded for the batch read:
    each must succeed unless it ``reverts``, with its ``expected`` bytes (any, if None)."""
    return encode_part(calls, [(not p.reverts, p.expected) for p in probes])


def section_parts(sections: Iterable[Section]) -> list[Part]:
    """Each section's :attr:`Section.part` (encoded here for a section built without one)."""
    return [s.part or section_part(s.probes, _calls(s)) for s in sections]


def _calls(section: Section) -> tuple[tuple[str, bytes], ...]:
    return section.calls or tuple(p.call() for p in section.probes)


def remember(
    verified: Verified,
    probes: Iterable[Probe],
    calls: Iterable[tuple[str, bytes]] | None = None,
) -> None:
    """Record that the chain agreed with each of ``probes`` (see :func:`unverified`);
    ``calls`` are their :meth:`Probe.call` when the caller has them already."""
    if calls is None:
        calls = (p.call() for p in probes)
    for p, call in zip(probes, calls, strict=True):
        verified[call] = p.reverts, p.expected


class Expect:
    """Collects probes: ``expect.value("Vault", vault, "balanceOf", (a,), 5)``."""

    def __init__(self) -> None:
        self.probes: list[Probe] = []

    def value(
        self, contract: str, target: str, function: str, args: tuple[Any, ...], value: Any
    ) -> None:
        """The call returns ``value`` (a tuple for several outputs or a struct)."""
        _, _, outputs = signature(contract, function)
        self.probes.append(Probe(contract, target, function, args, encode_result(outputs, value)))

    def revert(
        self,
        contract: str,
        target: str,
        function: str,
        args: tuple[Any, ...],
        data: bytes | None = None,
    ) -> None:
        """The call reverts with ``data`` (any revert if None)."""
        self.probes.append(Probe(contract, target, function, args, data, reverts=True))

    def array(
        self, contract: str, target: str, getter: str, arg: tuple[Any, ...], items: Sequence[Any]
    ) -> None:
        """A public array getter: ``items[i]`` at each index, a revert one past the end."""
        for i, item in enumerate(items):
            self.value(contract, target, getter, (*arg, i), item)
        self.revert(contract, target, getter, (*arg, len(items)))


def decode_result(contract: str, function: str, data: bytes) -> Any:
    """Decode what ``contract.function`` returned (a tuple when it has several outputs)."""
    _, _, outputs = signature(contract, function)
    values = decode(list(outputs), data)
    return values[0] if len(values) == 1 else tuple(values)
