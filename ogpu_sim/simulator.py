"""The :class:`Simulator`: one handle on a running local OpenGPU network.

It composes the leaves (a chain with the protocol deployed, deterministic accounts, a mock IPFS,
a callback server and handler runtimes) and the actors (simulated providers), binds the real
``ogpu`` SDK to them, and isolates work with snapshots. The pytest plugin, ``ogpu-sim simulate``
and the hypothesis machine are thin faces over it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ogpu.types import TaskStatus
from web3 import Web3

from ogpu_sim.accounts import DEFAULT_MNEMONIC, Accounts
from ogpu_sim.actors.driver import Driver
from ogpu_sim.actors.provider import (
    SimulatedProvider,
    TaskFacts,
    read_task_facts,
)
from ogpu_sim.actors.timeline import Timeline
from ogpu_sim.chain import Chain
from ogpu_sim.errors import ConfigError, IdleTimeoutError, UnsafeSignerError
from ogpu_sim.fleet import Fleet, FleetState
from ogpu_sim.ipfs import IpfsServer
from ogpu_sim.network import Network, NetworkOptions
from ogpu_sim.protocol import Deployment


@dataclass(frozen=True)
class Mark:
    """A point in a simulator's activity, from :meth:`Simulator.mark`.

    Attributes:
        timeline: the timeline position (see :meth:`Timeline.mark`).
        time: wall-clock time (``time.time()``) when the mark was taken.
        handler_logs: a position in each running handler's log.
    """

    timeline: tuple[int, int]
    time: float
    handler_logs: dict[str, int]


@dataclass
class _Saved:
    providers: tuple[list[SimulatedProvider], list[Any]]
    timeline: tuple[int, int]
    fleet: FleetState


@dataclass
class Simulator:
    """A started local OpenGPU network with the SDK bound to it. Build it with :meth:`start`."""

    network: Network
    seed: int = 0
    driver: Driver = field(init=False, repr=False)
    fleet: Fleet = field(init=False, repr=False)
    _facts: dict[str, TaskFacts] = field(default_factory=dict, repr=False)
    _saved: dict[str, _Saved] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.driver = Driver(self.network.timeline, seed=self.seed)
        self.fleet = Fleet(self.network, self.driver, self.now, self.task_facts, seed=self.seed)
        self.network.chain.faults.on_fault = self._on_fault

    def _on_fault(self, record: Any) -> None:
        """An injected chain fault: on the timeline; after a reorg, forget what it undid."""
        self.timeline.record(
            "fault", record.kind, method=record.method, detail=record.detail, tx=record.tx
        )
        if record.kind == "reorg":
            # Undone blocks may have published tasks and used nonces: as after a revert.
            self._facts.clear()
            self.network.binding.reset()

    @property
    def providers(self) -> list[SimulatedProvider]:
        """The simulated providers, in the order they were added."""
        return self.driver.providers

    # -- life cycle -----------------------------------------------------------------------

    @classmethod
    def start(cls, *, autorun: bool = False, seed: int = 0, **options: Any) -> Simulator:
        """Start a network, deploy the protocol, bind the SDK; see :class:`NetworkOptions`.

        Args:
            autorun: let providers act on their own in a background thread (as on a live
                network, so async SDK watchers see events); otherwise call :meth:`run_until_idle`.
            seed: makes provider ordering (racers) and fresh accounts reproducible.
            **options: :class:`NetworkOptions` fields (``backend``, ``rpc_url``, ``runtime``,
                ``chain_id``, ``unbonding_period``, ...). Unknown names raise ``ConfigError``.
        """
        known = set(NetworkOptions.__dataclass_fields__)
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(
                unknown[0], f"unknown Simulator option; known options: {', '.join(sorted(known))}"
            )
        network = Network.start(NetworkOptions(**options))
        sim = cls(network=network, seed=seed)
        if autorun:
            sim.start_autorun()
        return sim

    def stop(self) -> None:
        """Stop providers, unbind the SDK and release every server, process and container."""
        self.stop_autorun()
        self.network.stop()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the surface users touch ------------------------------------------------------------

    @property
    def w3(self) -> Web3:
        """Sync web3 bound to the chain (reverts raise like a geth/anvil node)."""
        return self.network.chain.w3

    @property
    def chain(self) -> Chain:
        """The chain backend (:class:`ogpu_sim.chain.Chain`)."""
        return self.network.chain

    @property
    def rpc_url(self) -> str:
        """HTTP JSON-RPC URL of the chain (other processes and async watchers use it)."""
        return self.network.rpc_url

    @property
    def chain_id(self) -> int:
        return int(self.network.chain.chain_id)

    @property
    def deployment(self) -> Deployment:
        """Addresses and contract handles of the deployed protocol (:mod:`ogpu_sim.protocol`)."""
        return self.network.deployment

    @property
    def accounts(self) -> Accounts:
        return self.network.accounts

    @property
    def ipfs(self) -> IpfsServer:
        """The mock IPFS server (``.url``, ``.add``, ``.get``, ``.faults``, ``.requests``)."""
        return self.network.ipfs

    @property
    def timeline(self) -> Timeline:
        return self.network.timeline

    def handler_logs(self, tail: int = 50, since: Mark | None = None) -> dict[str, str]:
        """The tail of every running handler's log, or only what it wrote after ``since``."""
        if since is None:
            return self.network.handlers.logs(tail)
        return self.network.handlers.logs_since(since.handler_logs, tail)

    def mark(self) -> Mark:
        """Where the simulator's activity stands now, to ask later what happened since."""
        return Mark(
            timeline=self.timeline.mark(),
            time=time.time(),
            handler_logs=self.network.handlers.log_marks(),
        )

    def ipfs_requests(self, since: Mark | None = None) -> list[Any]:
        """The mock IPFS's request records, or only those that arrived after ``since``."""
        records = list(self.network.ipfs.requests)
        return records if since is None else [r for r in records if r.time >= since.time]

    def now(self) -> int:
        """Chain time the next block will carry (unix seconds)."""
        return int(self.network.chain.now())

    def advance_time(self, seconds: int) -> None:
        """Move chain time forward by ``seconds`` (expiry, unbonding)."""
        if seconds < 0:
            raise ConfigError("seconds", f"time only moves forward, got {seconds}")
        self.network.chain.advance_time(int(seconds))

    def snapshot(self) -> str:
        """Snapshot chain and simulator state; :meth:`revert` returns to it (repeatedly)."""
        with self.driver.lock:
            snapshot_id = str(self.network.chain.snapshot())
            self._saved[snapshot_id] = _Saved(
                providers=self.driver.save(),
                timeline=self.timeline.mark(),
                fleet=self.fleet.save(),
            )
            return snapshot_id

    def revert(self, snapshot_id: str) -> None:
        """Go back to a snapshot: chain, providers, timeline; SDK nonce caches are cleared."""
        with self.driver.lock:
            self.network.chain.revert(snapshot_id)
            saved = self._saved.get(snapshot_id)
            if saved is not None:
                self.driver.restore(saved.providers)
                self.timeline.truncate(saved.timeline)
                self.fleet.restore(saved.fleet)
            self._facts.clear()  # a reverted chain can reuse a task's address for another task
            self.network.binding.reset()

    @contextmanager
    def isolated(self) -> Iterator[str]:
        """Run a block of work and then undo it: snapshot, yield the snapshot id, revert.

        Chain, providers, timeline and the SDK's nonce caches go back to where they were, even
        when the block raises. The pytest plugin isolates every test (and every hypothesis
        example) with it.
        """
        snapshot_id = self.snapshot()
        try:
            yield snapshot_id
        finally:
            self.revert(snapshot_id)

    def task_facts(self, address: str) -> TaskFacts:
        """A task's immutable facts (expiry, payment, delivery, config), read once per task."""
        facts = self._facts.get(address)
        if facts is None:
            facts = self._facts[address] = read_task_facts(self.w3, address)
        return facts

    # -- sources and tasks ------------------------------------------------------------------

    def publish_source_from_folder(self, folder: str | Path, **overrides: Any) -> Any:
        """Publish a source from a folder of handler + compose files through the SDK.

        Each compose file is pinned to the mock IPFS; the source's environments are the ones the
        folder declares (or ``environments=[...]``). Other keyword arguments override
        ``SourceInfo`` fields (``minPayment``, ``maxExpiryDuration``, ``deliveryMethod``, ...);
        ``private_key=`` publishes as another client.

        Returns:
            The SDK's ``ogpu.protocol.source.Source``.
        """
        from .publishing import publish_source_folder

        source, spec = publish_source_folder(self.network.ipfs, folder, **overrides)
        self.fleet.folders[Web3.to_checksum_address(source.address)] = spec
        return source

    def publish_task(
        self,
        source: Any,
        function_name: str,
        data: dict[str, Any],
        *,
        payment: int | None = None,
        expires_in: int = 3600,
        private_key: str | None = None,
    ) -> Any:
        """Publish a task through ``ogpu.client.publish_task``; returns the SDK ``Task``."""
        from .publishing import publish_task

        return publish_task(
            source,
            function_name,
            data,
            payment=payment,
            expiry=self.now() + expires_in,
            private_key=private_key,
        )

    def expire(self, task: Any) -> None:
        """Move chain time past the task's expiry, then let the protocol's lazy expiry happen.

        With a simulated provider serving the task's source, its next attempt marks the task
        EXPIRED and refunds the client. Without one, the deployer uses the admin route
        (``Nexus.setTaskStatus(EXPIRED)`` + ``Vault.forceReleasePayment``).
        """
        from .publishing import admin_expire

        address = Web3.to_checksum_address(getattr(task, "address", task))
        contract = self.network.instance("Task", address)
        expiry = contract.functions.getExpiryTime().call()
        if self.now() <= expiry:
            self.advance_time(expiry - self.now() + 1)
        source = Web3.to_checksum_address(contract.functions.getSource().call())
        if any(p.source == source for p in self.providers):
            self.run_until_idle()
        status = TaskStatus(contract.functions.getStatus().call())
        if status in (TaskStatus.NEW, TaskStatus.ATTEMPTED):
            admin_expire(self.network, address)

    # -- providers --------------------------------------------------------------------------

    def add_provider(
        self,
        source: Any,
        environment: str = "cpu",
        behaviour: str = "honest",
        handler: str | Path | None = None,
        runtime: str | None = None,
        *,
        stake: int | None = None,
        via_agent: bool = False,
        delay: float = 1.0,
        act_after: float | None = None,
    ) -> SimulatedProvider:
        """Add a simulated provider serving ``source``; it is paired, staked and registered.

        Args:
            source: an SDK ``Source`` or its address.
            environment: ``cpu``, ``nvidia`` or ``amd`` (must be one the source declares, else
                the SDK raises on registration).
            behaviour: one of :data:`ogpu_sim.vocabulary.BEHAVIOURS` (README: provider
                behaviours).
            handler: a source folder whose handler it runs; default: the folder the source was
                published from with :meth:`publish_source_from_folder`, else a canned echo.
            runtime: ``inline``, ``process``, ``docker`` or ``auto`` (default: the simulator's).
            stake: wei its master locks for it (default enough for the source).
            via_agent: sign provider-side calls with an agent authorised by the master.
            delay: seconds a ``slow`` provider waits before responding.
            act_after: seconds to wait before attempting a newly seen task (default 0, or 1 s in
                autorun mode so async watchers see the attempt).

        Returns:
            The :class:`~ogpu_sim.actors.provider.SimulatedProvider` (``.address``, ``.master``,
            ``.account``, ``.source``, ``.behaviour``).

        Raises:
            ConfigError: unknown behaviour or environment.
            ogpu.types.errors.OGPUError: the SDK's typed error when registration reverts (e.g.
                ``InsufficientLockupError``, ``SourceInactiveError``).
        """
        return self.fleet.add(
            source,
            environment,
            behaviour,
            handler,
            runtime,
            stake=stake,
            via_agent=via_agent,
            delay=delay,
            act_after=act_after,
        )

    def recruit(
        self,
        count: int = 1,
        behaviour: str = "honest",
        *,
        handler: str | Path | None = None,
        runtime: str | None = None,
    ) -> None:
        """From now on, give every newly published source ``count`` providers of its own.

        The stand-in for a live network's provider fleet (``ogpu-sim node --providers N``): a
        program that publishes through the SDK gets its tasks answered. Each recruit serves the
        source's first declared environment and runs ``handler`` (a source folder), else the
        folder the source was published from, else a canned echo.

        Raises:
            ConfigError: ``count`` below 1 or an unknown behaviour.
        """
        self.fleet.recruit(count, behaviour, handler=handler, runtime=runtime)

    # -- driving ------------------------------------------------------------------------------

    def step(self) -> int:
        """Let every provider act once (discover/attempt, then respond); return the actions."""
        return self.driver.step()

    def run_until_idle(self, timeout: float = 60.0) -> int:
        """Drive providers in the caller's thread until no work is due; return the actions.

        Work that only moving chain time can unblock (a ``late`` provider's response) does not
        count as due. Deterministic for a given seed and call sequence.

        Raises:
            IdleTimeoutError: providers were still busy when ``timeout`` seconds ran out.
        """
        return self.driver.run_until_idle(timeout)

    def start_autorun(self, interval: float = 0.2) -> None:
        """Let providers act on their own in a background thread until :meth:`stop_autorun`."""
        self.driver.start_autorun(interval)

    def stop_autorun(self) -> None:
        """Stop the background provider thread (idempotent)."""
        self.driver.stop_autorun()


__all__ = ["DEFAULT_MNEMONIC", "IdleTimeoutError", "Mark", "Simulator", "UnsafeSignerError"]
