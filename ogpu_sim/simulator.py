"""The :class:`Simulator`: one handle on a running local OpenGPU network, or an attached one.

It composes the leaves (a chain with the protocol deployed, deterministic accounts, a mock IPFS,
a callback server and handler runtimes) and the actors (simulated providers), binds the real
``ogpu`` SDK to them, and isolates work with snapshots. The pytest plugin, ``ogpu-sim simulate``
and the hypothesis machine are thin faces over it.

:meth:`Simulator.attach` gives the same handle on a live, already-deployed network (attach
mode). What a live network cannot do is refused with
:class:`~ogpu_sim.errors.AttachModeError` (snapshots, time travel, the admin expiry route);
isolation only scopes which tasks :meth:`Simulator.run_until_idle` waits for; and
``run_until_idle`` watches the chain for the live providers' answers.

The module is over 400 lines because it is the whole surface users call, documented method by
method; the work itself lives in :mod:`ogpu_sim.network`, :mod:`ogpu_sim.fleet` and the actors.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ogpu.types import TaskStatus
from web3 import Web3

from ogpu_sim.accounts import DEFAULT_MNEMONIC, Accounts
from ogpu_sim.actors.addresses import address_of, is_source, mismatch
from ogpu_sim.actors.driver import Driver
from ogpu_sim.actors.provider import (
    SimulatedProvider,
    TaskFacts,
    read_task_facts,
)
from ogpu_sim.actors.timeline import Timeline
from ogpu_sim.chain import Chain
from ogpu_sim.chain.base import MAX_TIME_JUMP, check_duration, check_flag, check_whole
from ogpu_sim.errors import (
    AttachModeError,
    ChainError,
    ConfigError,
    IdleTimeoutError,
    SpendCapError,
    UnsafeSignerError,
)
from ogpu_sim.fleet import Fleet, FleetState
from ogpu_sim.ipfs import IpfsServer
from ogpu_sim.network import Network, NetworkOptions
from ogpu_sim.network.attach import Attachment, AttachOptions, attach, release_fresh
from ogpu_sim.network.live_ipfs import LiveIpfs
from ogpu_sim.network.spend import spend_cap_unwrapped
from ogpu_sim.network.watch import TaskWatch
from ogpu_sim.protocol import Deployment

_NOT_EXPIRING = {
    TaskStatus.RESPONDED: "the protocol never expires a task with a response (its client can "
    "still confirm one after expiry, and attempts past expiry revert Expired)",
    TaskStatus.FINALIZED: "it is settled; nothing is left to expire or refund",
    TaskStatus.CANCELED: "it was cancelled and refunded; nothing is left to expire",
}
"""Why ``Simulator.expire`` refuses a task in each status the protocol never expires."""


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


@dataclass(repr=False)
class Simulator:
    """A running OpenGPU network with the SDK bound to it: build it with :meth:`start` (a local
    network) or :meth:`attach` (a live, already-deployed one)."""

    network: Network
    seed: int = 0
    driver: Driver = field(init=False, repr=False)
    fleet: Fleet = field(init=False, repr=False)
    _facts: dict[str, TaskFacts] = field(default_factory=dict, repr=False)
    _saved: dict[str, _Saved] = field(default_factory=dict, repr=False)
    _watch: TaskWatch | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        # One line and no keys: hypothesis prints it in every falsifying example of a test
        # that takes the ogpu_sim fixture, and tracebacks show it.
        return f"Simulator({self.network!r}, seed={self.seed}, providers={len(self.providers)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's and hypothesis's pretty printers: the repr, not every field."""
        printer.text(repr(self))

    def __post_init__(self) -> None:
        self.driver = Driver(self.network.timeline, seed=self.seed)
        self.fleet = Fleet(self.network, self.driver, self.now, self.task_facts, seed=self.seed)
        if self.network.live is not None:
            self._watch = TaskWatch.over(
                self.network, self.task_facts, self.now, lambda: {p.address for p in self.providers}
            )
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
                ``image``, ``chain_id``, ``unbonding_period``, ...). Unknown names raise
                ``ConfigError``; ``rpc_url`` without ``backend`` means ``backend="rpc"`` (as
                ``--rpc`` and ``--ogpu-rpc-url`` do); ``image="published"`` runs the image an
                ``image:`` handler service names instead of building the working copy (docker
                or auto runtime).
        """
        known = set(NetworkOptions.__dataclass_fields__)
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(
                unknown[0], f"unknown Simulator option; known options: {', '.join(sorted(known))}"
            )
        check_seed(seed)
        check_flag(autorun, "autorun")
        if options.get("rpc_url") and "backend" not in options:
            options["backend"] = "rpc"
        network = Network.start(NetworkOptions(**options))
        sim = cls(network=network, seed=seed)
        if autorun:
            sim.start_autorun()
        return sim

    @classmethod
    def attach(
        cls,
        rpc_url: str | None = None,
        *,
        addresses: Mapping[str, str] | None = None,
        chain: Any = None,
        connection_file: str | Path | None = None,
        ipfs: str | None = None,
        keys: Mapping[str, Any] | None = None,
        seed: int = 0,
        autorun: bool = False,
        quiet: bool = False,
        **options: Any,
    ) -> Simulator:
        """Bind the SDK to a live, already-deployed protocol (attach mode); deploy nothing.

        The protocol's addresses are ``addresses=``, else those of an ``ogpu-sim node``
        ``connection_file=`` (or the one ``$OGPU_SIM_NODE`` or the default path names for
        ``rpc_url``), else the SDK's ``ChainConfig`` ones for ``chain=`` or the node's chain id.
        Keys are ``keys=`` and the SDK's ``*_PRIVATE_KEY`` variables, never ogpu-sim's public
        test keys. Before returning it prints (unless ``quiet``) the accounts it spends from,
        their balances and the spend cap.

        Args:
            rpc_url: the network's JSON-RPC URL.
            addresses: ``NEXUS``, ``CONTROLLER``, ``TERMINAL``, ``VAULT`` addresses.
            chain: an ``ogpu.chain.config.ChainId`` (or its id or name, ``"testnet"``).
            connection_file: an ``ogpu-sim node`` connection file (its keys are not used).
            ipfs: the IPFS pinning endpoint (``.../file/create``).
            keys: private keys by role: ``client`` is required; ``master`` funds and stakes
                local providers (without it :meth:`add_provider` is refused).
            seed: orders racers among local providers.
            autorun: let local providers act in a background thread.
            quiet: do not print the account summary.
            **options: :class:`~ogpu_sim.network.attach.AttachOptions` fields (``max_spend``,
                ``runtime``, ``image``, ``handler_timeout``, ``wait_timeout``, ``expire_wait``).

        Raises:
            MissingKeysError: no client key.
            UnsafeSignerError: a public test key for a non-loopback endpoint.
            ConfigError: an unknown option, or nothing (or no contract) where the protocol
                should be.
        """
        known = set(AttachOptions.__dataclass_fields__)
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(
                unknown[0], f"not an attach option; attach options: {', '.join(sorted(known))}"
            )
        check_seed(seed)
        check_flag(autorun, "autorun")
        check_flag(quiet, "quiet")
        network = attach(
            AttachOptions(
                rpc_url=rpc_url,
                addresses=addresses,
                chain=chain,
                connection_file=connection_file,
                ipfs=ipfs,
                keys=keys,
                **options,
            )
        )
        sim = cls(network=network, seed=seed)
        if not quiet:
            print("ogpu-sim: " + "\n  ".join(sim.attach_summary()), file=sys.stderr)
        if autorun:
            sim.start_autorun()
        return sim

    @property
    def attached(self) -> bool:
        """True in attach mode (a live network ogpu-sim did not start)."""
        return self.network.live is not None

    @property
    def attachment(self) -> Attachment:
        """What attach mode knows: options, where the protocol came from, the spend ledger.

        Raises:
            ConfigError: not in attach mode.
        """
        if self.network.live is None:
            raise ConfigError("attachment", "this simulator started its own network")
        return self.network.live

    def attach_summary(self) -> list[str]:
        """The network, the accounts the run spends from with their balances, and the cap."""
        live = self.attachment
        accounts: Any = self.network.accounts
        return live.summary(accounts, self.w3, self.network.contract("VAULT"))

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
    def ipfs(self) -> IpfsServer | LiveIpfs:
        """The mock IPFS server (``.url``, ``.add``, ``.get``, ``.faults``, ``.requests``); in
        attach mode the live network's IPFS (no ``.faults``)."""
        return self.network.ipfs

    @property
    def timeline(self) -> Timeline:
        return self.network.timeline

    def handler_logs(self, tail: int = 50, since: Mark | None = None) -> dict[str, str]:
        """The tail of every running handler's log, or only what it wrote after ``since``."""
        check_whole(tail, "tail", "lines")
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
        """Move chain time forward by ``seconds`` (expiry, unbonding).

        Args:
            seconds: a whole number of seconds, 0 to 2**40 (about 34,800 years) per call.

        Raises:
            ConfigError: ``seconds`` is not such a number (a float is refused, not truncated).
            AttachModeError: in attach mode (use :meth:`pass_time`, which waits there).
        """
        check_time_jump(seconds)
        self.network.chain.advance_time(seconds)

    def pass_time(self, seconds: int) -> None:
        """Let ``seconds`` of chain time pass: time travel locally; in attach mode wait for it,
        local providers acting meanwhile (a live chain's time moves with its blocks).

        Raises:
            ConfigError: ``seconds`` is not a whole number of seconds, 0 to 2**40.
        """
        check_time_jump(seconds)
        if not self.attached:
            self.advance_time(seconds)
            return
        target = self.now() + int(seconds)
        while self.now() < target:
            if not self.driver.step():
                time.sleep(0.2)

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
        example) with it. After the revert the snapshot is released (on revm it holds one of
        the 1,024 journal checkpoints a node can have open), so the id is valid only inside the
        block. In attach mode nothing can go back: the block's providers stop acting and its
        tasks are no longer waited for, and the snapshot id is ``""``.
        """
        if self._watch is not None:
            with self.driver.lock:
                providers, fleet = list(self.providers), self.fleet.save()
                tasks, fresh = self._watch.mark(), len(getattr(self.accounts, "fresh", ()))
            try:
                yield ""
            finally:
                with self.driver.lock:
                    self.driver.providers = providers
                    self.fleet.restore(fleet)
                    self._watch.truncate(tasks)
                    release_fresh(self.network, fresh)
            return
        snapshot_id = self.snapshot()
        try:
            yield snapshot_id
        finally:
            self.revert(snapshot_id)
            with self.driver.lock:
                self._saved.pop(snapshot_id, None)
                self.network.chain.release(snapshot_id)

    def task_facts(self, address: Any) -> TaskFacts:
        """A task's immutable facts (expiry, payment, delivery, config), read once per task.

        Args:
            address: the task's address (the providers' hot path: a cached one costs a lookup)
                or the SDK's ``Task``.

        Raises:
            ConfigError: ``address`` is not an address, or not a task of this network.
        """
        facts = self._facts.get(address) if isinstance(address, str) else None
        if facts is None:
            task = address_of("task_facts", address, "Task")
            try:
                facts = read_task_facts(self.w3, task)
            except ChainError as exc:
                self._refuse("task_facts", task, "Task", exc)
                raise
            self._facts[address if isinstance(address, str) else task] = facts
        return facts

    def _source(self, operation: str, value: Any) -> str:
        """The checksummed address of ``value`` (an SDK ``Source`` or an address) once this
        network's Nexus knows it as a source: one ``eth_call``, for calls off the hot path.

        Raises:
            ConfigError: it is not an address, or not a source here (the message says what
                is there instead: nothing, a Task, the VAULT ...).
        """
        address = address_of(operation, value, "Source")
        if not is_source(self.w3, self.deployment.addresses["NEXUS"], address):
            raise mismatch(
                operation, self.w3, self.deployment.addresses, address, "Source"
            ) or ConfigError(operation, f"{address} is not a Source of this network")
        return address

    def _refuse(self, operation: str, address: str, wanted: str, cause: BaseException) -> None:
        """After ``cause``, raise a :class:`ConfigError` when ``address`` is not a ``wanted``
        (``Source``, ``Task``) of this network; return when it is one, for the caller to
        re-raise ``cause``. The error path of calls that do not check up front (hot ones)."""
        error = mismatch(operation, self.w3, self.deployment.addresses, address, wanted)
        if error is not None:
            raise error from cause

    def _task(self, address: Any) -> Any:
        address = Web3.to_checksum_address(getattr(address, "address", address))
        return self.network.instance("Task", address)

    # -- sources and tasks ------------------------------------------------------------------

    def publish_source_from_folder(self, folder: str | Path, **overrides: Any) -> Any:
        """Publish a source from a folder of handler + compose files through the SDK.

        Each compose file is pinned to the mock IPFS; the source's environments are the ones the
        folder declares (or ``environments=[...]``). Other keyword arguments override
        ``SourceInfo`` fields (``minPayment``, ``maxExpiryDuration``, ``deliveryMethod``, ...);
        ``private_key=`` publishes as another client.

        Returns:
            The SDK's ``ogpu.protocol.source.Source``.

        Raises:
            ConfigError: ``folder`` is not a path, or an override is invalid (naming the
                field: ``minPayment: must be a whole number of wei, 0 or more; got -1``).
            SpendCapError: attach mode, the run's spend cap would be passed.
        """
        from .publishing import publish_source_folder

        with spend_cap_unwrapped():
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
        """Publish a task through ``ogpu.client.publish_task``; returns the SDK ``Task``.

        Args:
            source: an SDK ``Source`` or its address (checked only when publishing fails, so a
                valid one costs no extra call).
            function_name: the handler function the task calls.
            data: its input (a dict or a pydantic model).
            payment: wei (0 to 2**256 - 1); default the source's ``minPayment`` (at least 1).
            expires_in: whole seconds from now, 1 to 2**40.
            private_key: publish as another client.

        Raises:
            ConfigError: ``source`` is not an address, or not a source of this network; or
                another argument is invalid (the error names it).
            SpendCapError: attach mode, the run's spend cap would be passed.
        """
        from .publishing import publish_task

        address = address_of("publish_task", source, "Source")
        check_whole(
            expires_in, "expires_in", "seconds", least=1, most=MAX_TIME_JUMP, most_text="2**40"
        )
        try:
            with spend_cap_unwrapped():
                return publish_task(
                    source,
                    function_name,
                    data,
                    payment=payment,
                    expiry=self.now() + expires_in,
                    private_key=private_key,
                )
        except Exception as exc:  # an unknown source fails as web3 or the SDK words it
            self._refuse("publish_task", address, "Source", exc)
            raise

    def expire(self, task: Any) -> None:
        """Move chain time past the task's expiry, then let the protocol's lazy expiry happen.

        With a simulated provider serving the task's source, its next attempt marks the task
        EXPIRED and refunds the client. Without one, the deployer uses the admin route
        (``Nexus.setTaskStatus(EXPIRED)`` + ``Vault.forceReleasePayment``). Locally, an EXPIRED
        task is left as it is and one the protocol never expires is refused before time moves.

        In attach mode chain time cannot move: a task that expires within ``expire_wait``
        seconds is waited for, then its expiry is left to an attempt (a local provider's or a
        live one's) within ``wait_timeout``; a later expiry is refused.

        Raises:
            ConfigError: ``task`` is not an address, or not a task of this network, or (locally)
                it is RESPONDED (its client can still confirm a response after expiry),
                FINALIZED or CANCELED.
            AttachModeError: attach mode, the task expires later than ``expire_wait`` allows.
            LiveWaitTimeoutError: attach mode, nothing expired the task in time.
        """
        from .publishing import admin_expire

        address = address_of("expire", task, "Task")
        contract = self.network.instance("Task", address)
        try:
            expiry = contract.functions.getExpiryTime().call()
        except Exception as exc:  # no code there raises BadFunctionCallOutput, a Source reverts
            self._refuse("expire", address, "Task", exc)
            raise
        if self._watch is not None:
            options = self.attachment.options
            self._watch.expire(address, options, self.pass_time, self.driver.step, self._busy)
            return
        status = TaskStatus(contract.functions.getStatus().call())
        if status == TaskStatus.EXPIRED:
            return
        if status not in (TaskStatus.NEW, TaskStatus.ATTEMPTED):
            raise ConfigError("task", f"{address} is {status.name}: {_NOT_EXPIRING[status]}")
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
            stake: wei its master locks for it (default enough for the source); a local
                master is funded with it on top of the usual native balance.
            via_agent: sign provider-side calls with an agent authorised by the master.
            delay: seconds (finite, 0 or more) a ``slow`` provider waits before responding.
            act_after: seconds (finite, 0 or more) to wait before attempting a newly seen task
                (default 0, or 1 s in autorun mode so async watchers see the attempt).

        Returns:
            The :class:`~ogpu_sim.actors.provider.SimulatedProvider` (``.address``, ``.master``,
            ``.account``, ``.source``, ``.behaviour``).

        Raises:
            ConfigError: ``source`` is not an address or not a source of this network, an
                unknown behaviour, environment or runtime, or an argument of the wrong type or
                range (all checked before any account is made).
            ogpu.types.errors.OGPUError: the SDK's typed error when registration reverts (e.g.
                ``InsufficientLockupError``, ``SourceInactiveError``).
        """
        return self.fleet.add(
            self._source("add_provider", source),
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
        folder the source was published from, else a canned echo. In autorun mode recruits
        wait :data:`~ogpu_sim.fleet.RECRUIT_ACT_AFTER` seconds before attempting a task, as a
        live network's providers take a while to pick one up. In attach mode only sources the
        user's own client published are recruited for.

        Raises:
            ConfigError: ``count`` not a whole number 1 or more, an unknown behaviour or
                runtime, or a ``handler`` that is not a folder.
        """
        self.fleet.recruit(count, behaviour, handler=handler, runtime=runtime)

    # -- driving ------------------------------------------------------------------------------

    def step(self) -> int:
        """Let every provider act once (discover/attempt, then respond); return the actions."""
        return self.driver.step()

    def run_until_idle(self, timeout: float | None = None) -> int:
        """Drive providers in the caller's thread until no work is due; return the actions.

        Work that only moving chain time can unblock (a ``late`` provider's response) does not
        count as due. Deterministic for a given seed and call sequence.

        In attach mode it also watches the chain until every task the run published (in the
        current isolation scope) is answered, ended or past its expiry, logging progress;
        ``timeout`` defaults to the attachment's ``wait_timeout`` there (60 s locally).

        Raises:
            ConfigError: ``timeout`` is not a finite number of seconds above 0 (or None).
            IdleTimeoutError: providers were still busy when ``timeout`` seconds ran out
                (attach mode: :class:`~ogpu_sim.errors.LiveWaitTimeoutError`, naming the tasks).
        """
        if timeout is not None:
            check_duration(timeout, "timeout")
        if self._watch is None:
            return self.driver.run_until_idle(60.0 if timeout is None else timeout)
        wait = self.attachment.options.wait_timeout if timeout is None else timeout
        return self._watch.wait(self.driver.step, self._busy, wait)

    def _busy(self) -> list[str]:
        return [p.address for p in self.providers if p.busy()]

    def start_autorun(self, interval: float = 0.2) -> None:
        """Let providers act on their own in a background thread until :meth:`stop_autorun`.

        Raises:
            ConfigError: ``interval`` is not a finite number of seconds above 0.
        """
        check_duration(interval, "interval")
        self.driver.start_autorun(interval)

    def stop_autorun(self) -> None:
        """Stop the background provider thread (idempotent)."""
        self.driver.stop_autorun()


__all__ = [
    "DEFAULT_MNEMONIC",
    "AttachModeError",
    "IdleTimeoutError",
    "Mark",
    "Simulator",
    "SpendCapError",
    "UnsafeSignerError",
]


def check_seed(seed: Any) -> None:
    """Refuse a ``seed`` that is not an integer 0 or more (it orders racers and derives fresh
    accounts), as ``ogpu-sim simulate --seed`` does.

    Raises:
        ConfigError: ``seed`` is negative, a bool, a float, a string or anything else.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError("seed", f"must be an integer >= 0, got {seed!r}")


def check_time_jump(seconds: Any) -> None:
    """Refuse a time jump that is not a whole number of seconds, 0 to 2**40.

    Raises:
        ConfigError: ``seconds: must be a whole number of seconds, 0 or more; got 1.5``.
    """
    check_whole(seconds, "seconds", "seconds", most=MAX_TIME_JUMP, most_text="2**40")
