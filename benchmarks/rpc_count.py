"""Count the JSON-RPC calls a Simulator's chain answers, split SDK vs harness.

Every request reaches an in-process chain through its doors: web3's in-process provider
(``chain.provider``) and, once served, the HTTP server; a node in another process (anvil)
through web3's provider and the chain's own control provider (its ``head``, ``logs``, ``now``,
and on anvil the wait that makes a receipt ready when a send returns). What the chain does
inside to answer a call (an ``eth_sendRawTransactionSync`` reads the receipt it answers with)
is not another call.
:func:`counting` wraps those and attributes a call to the harness while the simulator's driver
is stepping (providers discovering, attempting, responding, the timeline polling), and to the
SDK side otherwise (the SDK's own calls and what the chain does to serve them). Reads an
in-process chain answers directly (``Chain.head``, ``Chain.logs``) are not JSON-RPC calls.
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

    def counted_step(*args: Any, **kwargs: Any) -> int:
        acting[0] += 1
        try:
            return int(step(*args, **kwargs))
        finally:
            acting[0] -= 1

    chain = sim.chain
    if getattr(chain, "node", None) is not None:
        doors = [(chain.provider, "_dispatch")]
        server = getattr(chain, "_server", None)
        if server is not None:
            doors.append((server, "_handler"))
    else:
        providers = [chain.w3.provider, getattr(chain, "_control_provider", None)]
        doors = [(p, "make_request") for p in providers if p is not None]

    def counted(original: Any) -> Any:
        def request(method: Any, params: Any) -> Any:
            (count.harness if acting[0] else count.sdk)[str(method)] += 1
            return original(method, params)

        return request

    originals = [(owner, name, vars(owner).get(name)) for owner, name in doors]
    for owner, name in doors:
        setattr(owner, name, counted(getattr(owner, name)))
        _forget_request_func(owner)
    driver.step = counted_step
    try:
        yield count
    finally:
        del driver.step  # the instance attributes go; the class methods show again
        for owner, name, original in originals:
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
            _forget_request_func(owner)


def _forget_request_func(owner: Any) -> None:
    """web3 caches the provider's ``make_request`` inside its middleware chain; drop that."""
    if hasattr(owner, "_request_func_cache"):
        owner._request_func_cache = (None, None)
