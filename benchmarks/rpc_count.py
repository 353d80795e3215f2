"""Count the JSON-RPC calls a Simulator's chain answers, split SDK vs harness.

Every request reaches the node through one place: the in-process node's ``request`` (web3's
in-process provider, the HTTP server and any direct call all end there), or, for a node in
another process (anvil), web3's provider. :func:`counting` wraps that place and attributes a
call to the harness while the simulator's driver is stepping (providers discovering,
attempting, responding, the timeline polling), and to the SDK otherwise.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallCount:
    """Calls seen while :func:`counting` was active, per side and method."""

    sdk: Counter[str] = field(default_factory=Counter)
    harness: Counter[str] = field(default_factory=Counter)

    def total(self, side: str) -> int:
        """All calls of ``side`` (``sdk`` or ``harness``)."""
        return sum(getattr(self, side).values())


@contextlib.contextmanager
def counting(sim: Any) -> Iterator[CallCount]:
    """Count every JSON-RPC call the chain of ``sim`` answers inside the block."""
    count = CallCount()
    driver = sim.driver
    acting = [0]
    step = driver.step

    def counted_step() -> int:
        acting[0] += 1
        try:
            return int(step())
        finally:
            acting[0] -= 1

    chain = sim.chain
    node = getattr(chain, "node", None)
    owner, name = (node, "request") if node is not None else (chain.w3.provider, "make_request")
    original = getattr(owner, name)

    def request(method: Any, params: Any) -> Any:
        (count.harness if acting[0] else count.sdk)[str(method)] += 1
        return original(method, params)

    setattr(owner, name, request)
    _forget_request_func(owner)
    driver.step = counted_step
    try:
        yield count
    finally:
        del driver.step  # the instance attributes go; the class methods show again
        delattr(owner, name)
        _forget_request_func(owner)


def _forget_request_func(owner: Any) -> None:
    """web3 caches the provider's ``make_request`` inside its middleware chain; drop that."""
    if hasattr(owner, "_request_func_cache"):
        owner._request_func_cache = (None, None)
