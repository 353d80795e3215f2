"""A task's immutable parameters read from its storage on an in-process chain, without the EVM.

``Task.taskParams()`` and ``Task.getDeliveryMethod()`` only copy storage out: the struct's
words, its ``config`` string in Solidity's storage encoding (up to 31 bytes inline, the length
times two in the lowest byte; longer ones at ``keccak(slot)`` with the length times two plus
one in the slot) and one byte of a packed slot. On an in-process chain those slots are read
directly (:meth:`~ogpu_sim.chain.inprocess.InProcessChain.head_storage`), where running the
getters as an ``eth_call`` costs over a millisecond of CPU. The slots come from the compiled
storage layout in ``ogpu_sim/artifacts/Task.json``, and they are trusted only when the code at
the address is that artifact's runtime code (Task has no immutables, so every Task carries the
same code and code hash). Anything else, and any encoding the getters would not return (they
panic on a string whose two length forms disagree), answers ``None``: the caller asks the node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_hash.auto import keccak

from ogpu_sim import artifacts
from ogpu_sim.chain.inprocess import InProcessChain

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
MAX_CONFIG_BYTES = 1 << 16
"""Longest config string read from storage; a longer one is left to the node's getter."""


@dataclass(frozen=True)
class _Layout:
    code_hash: bytes
    source: int  # slot numbers
    config: int
    expiry: int
    payment: int
    delivery: int
    delivery_shift: int  # bits below the delivery method's byte in its slot


def _member_slots(layout: dict[str, Any], label: str) -> tuple[int, int, dict[str, int]]:
    """Slot and byte offset of the top-level variable ``label``, and of its struct members."""
    entry = next(e for e in layout["storage"] if e["label"] == label)
    slot = int(entry["slot"])
    members = layout["types"][entry["type"]].get("members", ())
    return slot, int(entry["offset"]), {m["label"]: slot + int(m["slot"]) for m in members}


@cache
def layout() -> _Layout:
    """Where ``taskParams`` and ``deliveryMethod`` live, from the Task artifact."""
    artifact = artifacts.load("Task")
    storage = artifact["storageLayout"]
    _slot, _offset, params = _member_slots(storage, "taskParams")
    delivery, offset, _members = _member_slots(storage, "deliveryMethod")
    return _Layout(
        code_hash=bytes(keccak(bytes.fromhex(artifact["deployedBytecode"].removeprefix("0x")))),
        source=params["source"],
        config=params["config"],
        expiry=params["expiryTime"],
        payment=params["payment"],
        delivery=delivery,
        delivery_shift=8 * offset,
    )


def read_params(chain: InProcessChain, address: str) -> tuple[str, str, int, int, int] | None:
    """``(source, config, expiryTime, payment, deliveryMethod)`` of the Task at ``address``, as
    its getters answer them (the source as lower-case hex); ``None`` when ``address`` does not
    hold the Task's code or the storage is not what the getters would return."""
    if not isinstance(address, str) or _ADDRESS.fullmatch(address) is None:
        return None
    where = layout()
    with chain.lock:  # one state for the code check and every slot
        if chain.head_code_hash(address) != where.code_hash:
            return None
        source, head, expiry, payment, packed = chain.head_storage(
            address, (where.source, where.config, where.expiry, where.payment, where.delivery)
        )
        raw = _string(chain, address, where.config, head)
    if raw is None:
        return None
    try:
        config = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    delivery = (packed >> where.delivery_shift) & 0xFF
    owner = "0x" + (source & (2**160 - 1)).to_bytes(20, "big").hex()
    return owner, config, expiry, payment, delivery


def _string(chain: InProcessChain, address: str, slot: int, head: int) -> bytes | None:
    """The bytes of a storage string whose first slot holds ``head`` (``None``: not a string
    the getter returns, or longer than :data:`MAX_CONFIG_BYTES`)."""
    if not head & 1:
        length = (head >> 1) & 0x7F
        return head.to_bytes(32, "big")[:length] if length < 32 else None
    length = head >> 1
    if length < 32 or length > MAX_CONFIG_BYTES:
        return None
    start = int.from_bytes(keccak(slot.to_bytes(32, "big")), "big")
    count = (length + 31) // 32
    words = chain.head_storage(address, [(start + i) % 2**256 for i in range(count)])
    return b"".join(w.to_bytes(32, "big") for w in words)[:length]


__all__ = ["MAX_CONFIG_BYTES", "layout", "read_params"]
