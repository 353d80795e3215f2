"""Who submitted each response and for what payment, from the timeline instead of the chain.

A simulated provider records its ``respond`` action right after the receipt of its
``submitResponse``, whose ``ResponseSubmitted`` event the timeline took in just before, in the
same block; and it asks for the payment it attempted with (its ``Attempted`` event's
``suggestedPayment``: the full task payment, :mod:`ogpu_sim.actors.provider`). So the runner
knows a response's ``ResponseParams.provider`` and ``.payment`` without reading the Response
contract. A response no simulated provider recorded (a live network's own providers) is not
known here, and the runner reads it from the chain.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3

from ogpu_sim.actors.timeline import Entry


@dataclass
class Responders:
    """Pairs ``ResponseSubmitted`` events with the simulated providers' ``respond`` actions."""

    suggested: dict[tuple[str, str], int] = field(default_factory=dict)
    """(task, provider) -> the ``suggestedPayment`` of the provider's attempt."""
    unpaired: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """task -> (response, block) of its ``ResponseSubmitted`` events no action claimed yet."""
    submitted: dict[str, tuple[str, str]] = field(default_factory=dict)
    """response -> (task, provider)."""

    def see(self, entry: Entry) -> None:
        """Take in one timeline entry (every entry, in timeline order)."""
        args = entry.args
        if entry.kind == "event" and entry.emitter == "NEXUS":
            if entry.name == "Attempted":
                key = (address(args["task"]), address(args["provider"]))
                self.suggested[key] = int(args["suggestedPayment"])
            elif entry.name == "ResponseSubmitted":
                task = address(args["task"])
                self.unpaired.setdefault(task, []).append((address(args["response"]), entry.block))
        elif entry.kind == "provider" and entry.name == "respond":
            task = address(args.get("task"))
            waiting = self.unpaired.get(task)
            if waiting and waiting[-1][1] == entry.block:  # the receipt it just recorded
                response, _ = waiting.pop()
                self.submitted[response] = (task, address(entry.emitter))

    def params(self, response: str) -> tuple[str, int] | None:
        """The response's provider and payment (wei), or None when no action claimed it."""
        found = self.submitted.get(response)
        if found is None:
            return None
        payment = self.suggested.get(found)
        return None if payment is None else (found[1], payment)


def address(value: Any) -> str:
    """Checksum form of an address from an event or action (empty for a missing one)."""
    return _checksum(value) if value else ""


@functools.lru_cache(maxsize=65_536)
def _checksum(value: Any) -> str:
    return str(Web3.to_checksum_address(value))  # hashes it: the same few come up in every event
