"""The machine's cast of accounts, its frozen clock, and what the model learns from the chain.

A machine may be bound to a simulator that earlier tests used, so before it acts it reads what
the chain already says about its cast (Vault ledgers, pairing, agents, roles, sources) into the
model with :func:`adopt_chain_state`, and remembers what lies outside the cast (:class:`Outside`)
for the conservation invariants.
"""

from __future__ import annotations

import copy
import pickle
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from eth_account.signers.local import LocalAccount

from ..errors import ChainError
from .chainview import ChainView
from .expected import ROLE_IDS, VAULT_LEDGER_GETTERS, World
from .model import ZERO_ADDRESS, Ledger, ProtocolModel
from .probes import ALL, calldata, decode_result

#: HD index of the machine's first cast member: far from the simulator's own fresh accounts.
CAST_INDEX_BASE = 50_000
#: The cast besides ``client`` (the simulator's client) and ``admin`` (its deployer).
CAST = (
    "client2",
    "master1",
    "master2",
    "master3",
    "provider1",
    "provider2",
    "provider3",
    "agent",
    "stranger",
)
#: How far past the scanned length array getters are read (sources per client, clients).
_SCAN = 32


@dataclass(frozen=True)
class Actor:
    """A named account of the machine's cast (its name is what a failing program shows)."""

    name: str
    account: LocalAccount

    @cached_property
    def address(self) -> str:
        """The checksum address (asked for by nearly every rule and check: kept)."""
        return str(self.account.address)

    def __repr__(self) -> str:
        return self.name


class FrozenClock:
    """A wall clock that stands still, for the in-process chain while a machine runs.

    Block time is wall clock + offset, so an example's outcome could depend on how long it ran,
    and hypothesis needs a deterministic test to replay and shrink. Frozen, chain time moves
    only by :meth:`Simulator.advance_time` and by one second per block. Remote chains (anvil, a
    node) keep their own clock.
    """

    #: How far ahead of the wall clock the start state puts chain time.
    CHAIN_TIME_LEAD = 86_400

    def __init__(self) -> None:
        self.at = int(_time.time())
        self._chain: Any = None

    def time(self) -> float:
        """The frozen wall-clock reading."""
        return float(self.at)

    def install(self, chain: Any) -> None:
        """Make ``chain`` follow this clock (a no-op for chains that cannot)."""
        try:
            chain.set_clock(self.time)
        except ChainError:
            return
        self._chain = chain

    def uninstall(self) -> None:
        """Give the chain its real clock back."""
        if self._chain is not None:
            self._chain.set_clock(None)
            self._chain = None


class Start:
    """The machine's state at the start state (the chain is there between examples).

    Kept pickled when it pickles: every example starts from a fresh copy, and unpickling is
    about five times cheaper than ``copy.deepcopy`` for the model; anything that does not
    pickle (a user's attribute) is deep-copied instead.

    Args:
        state: the attributes to restore for each example (copied now, so later changes to
            the machine do not reach it).
    """

    def __init__(self, state: dict[str, Any]) -> None:
        self._pickled: bytes | None = None
        self._state: dict[str, Any] | None = None
        try:
            self._pickled = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # anything unpicklable (a user's attribute) is deep-copied
            self._state = copy.deepcopy(state)

    @property
    def state(self) -> dict[str, Any]:
        """A fresh copy of the state (each call gives its own)."""
        if self._pickled is not None:
            copied: dict[str, Any] = pickle.loads(self._pickled)
            return copied
        return copy.deepcopy(self._state or {})


@dataclass
class Outside:
    """What the Vault holds for accounts outside the cast, and the cast's totals at start."""

    holdings: int = 0
    frozen: int = 0
    sanctioned: int = 0
    earnings: dict[str, int] = field(default_factory=dict)


def _reader(view: ChainView) -> Callable[[list[tuple[str, str, str, tuple[Any, ...]]]], list[Any]]:
    def read(calls: list[tuple[str, str, str, tuple[Any, ...]]]) -> list[Any]:
        raw = view.read([(target, calldata(kind, fn, args)) for kind, target, fn, args in calls])
        return [
            decode_result(kind, fn, data) if ok else None
            for (kind, _, fn, _), (ok, data) in zip(calls, raw, strict=True)
        ]

    return read


def adopt_chain_state(model: ProtocolModel, view: ChainView, world: World) -> Outside:
    """Load what the chain says about the cast into a fresh ``model``.

    Returns:
        The Vault's holdings, frozen payments and sanctions outside the cast, and the cast's
        earnings so far.
    """
    read = _reader(view)
    a = world.addresses
    vault, terminal, nexus, manager = a["VAULT"], a["TERMINAL"], a["NEXUS"], a["MANAGER"]
    per_account = [
        *(("Vault", vault, g) for g in VAULT_LEDGER_GETTERS),
        *(
            ("Terminal", terminal, g)
            for g in ("isProvider", "isMaster", "masterOf", "providerOf", "defaultAgentDisabled")
        ),
        ("Terminal", terminal, "baseDataOf"),
        ("Terminal", terminal, "liveDataOf"),
        ("Nexus", nexus, "activeSourceCountOf"),
    ]
    calls: list[tuple[str, str, str, tuple[Any, ...]]] = []
    for account in world.accounts:
        calls += [(kind, target, fn, (account,)) for kind, target, fn in per_account]
        calls += [("Terminal", terminal, "isAgentOf", (account, g)) for g in world.agents]
        calls += [("Manager", manager, "hasRole", (r, account)) for r in ROLE_IDS.values()]
        calls += [("Nexus", nexus, "sourcesOf", (account, i)) for i in range(_SCAN)]
    calls += [("Nexus", nexus, "clients", (i,)) for i in range(_SCAN)]
    calls += [
        ("Nexus", nexus, "getSources", (0, ALL)),
        ("Vault", vault, "sanctionedAmount", ()),
        ("BatchRead", world.helper, "balanceOf", (vault,)),
    ]
    values = iter(read(calls))
    outside = Outside()
    for account in world.accounts:
        ledger = Ledger(*(next(values) for _ in VAULT_LEDGER_GETTERS))
        model.ledgers[account] = ledger
        outside.earnings[account] = ledger.earnings
        provider, master, master_of, provider_of, disabled = (next(values) for _ in range(5))
        if provider:
            model.is_provider.add(account)
        if master:
            model.is_master.add(account)
        if master_of != ZERO_ADDRESS:
            model.master_of[account] = master_of
        if provider_of != ZERO_ADDRESS:
            model.provider_of[account] = provider_of
        if disabled:
            model.default_agent_disabled.add(account)
        for table in (model.base_data, model.live_data):
            data = next(values)
            if data:
                table[account] = data
        model.outside_active[account] = next(values)
        for agent in world.agents:
            if next(values):
                model.agents.add((account, agent))
        for role in ROLE_IDS:
            held = next(values)
            if account != model.admin:  # the deployment defines the admin's roles
                (model.roles[role].add if held else model.roles[role].discard)(account)
        owned = [next(values) for _ in range(_SCAN)]
        model.sources_of[account] = [s for s in owned if s is not None]
    model.clients = [c for c in (next(values) for _ in range(_SCAN)) if c is not None]
    model.source_list = list(next(values))
    model.sanctioned_amount = next(values)
    model.vault_native = next(values)
    for master, provider in model.provider_of.items():
        if model.master_of.get(provider, master) == master and provider in model.is_provider:
            model.pending_master_of[provider] = master
    outside.holdings = model.vault_native - model.ledger_total()
    outside.frozen = sum(ledger.frozen for ledger in model.ledgers.values())
    outside.sanctioned = model.sanctioned_amount - sum(
        ledger.sanction for ledger in model.ledgers.values()
    )
    return outside


def learn_pinned_values(model: ProtocolModel, network: Any) -> None:
    """Fill in what the model left to the chain (``None``): a task's config URL, a source's
    metadata URL and update time, which the SDK computes while it publishes."""
    for task in model.tasks.values():
        if task.config is None and task.address.startswith("0x"):
            handle = network.instance("Task", task.address)
            task.config = handle.functions.taskParams().call()[1]
    for source in model.sources.values():
        p = source.params
        unknown = p.image_metadata_url is None or p.last_update_time is None
        if unknown and source.address.startswith("0x"):
            stored = network.instance("Source", source.address).functions.getSourceParams().call()
            url = stored[1] if p.image_metadata_url is None else p.image_metadata_url
            updated = stored[9] if p.last_update_time is None else p.last_update_time
            source.params = replace(p, image_metadata_url=url, last_update_time=updated)
