"""The simulator's provider fleet: creating simulated providers and recruiting them.

A new provider gets fresh provider and master accounts, paired on chain with a stake, an
optional agent, a runner for the source's handler (from the handler pool) and a registration.
Recruitment adds providers for every source published from now on, so a network driven by an
outside program (``ogpu-sim node --providers N``) answers its tasks.

On an attached (live) network the same providers join it with fresh accounts funded by
transfer from the user's keys: stakes are only what the source and the Vault require, and
recruitment serves only the sources the user's own client published.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ogpu_sim.accounts import ETHER
from ogpu_sim.actors.driver import Driver
from ogpu_sim.actors.provider import Action, HandlerFailure, SimulatedProvider, TaskFacts
from ogpu_sim.chain.base import check_duration, check_flag, check_whole
from ogpu_sim.errors import ConfigError, HandlerInputError
from ogpu_sim.network import Network, pair
from ogpu_sim.network.live import LiveAccounts
from ogpu_sim.sources import SourceFolder, WorkingCopyUrls, check_folder, published_source
from ogpu_sim.vocabulary import BEHAVIOURS, ENVIRONMENT_BITS, RUNTIMES, choices, environments_of

DEFAULT_STAKE = 1 * ETHER

RECRUIT_ACT_AFTER = 3.0
"""Seconds a recruit acting on its own waits before attempting a task it sees: recruits stand
in for a live network's providers, which take a few seconds to pick a task up (a real one
starts the source's container), so a test's own providers answer first, as on that network."""


@dataclass(frozen=True)
class Recruitment:
    """Providers every new source gets (see :meth:`Simulator.recruit`)."""

    count: int
    behaviour: str
    handler: str | Path | None
    runtime: str | None


@dataclass(frozen=True)
class FleetState:
    """A :class:`Fleet`'s memory at a snapshot."""

    folders: dict[str, Any]
    recruits: list[Recruitment]
    recruited: set[str]


@dataclass
class Fleet:
    """Makes the simulator's providers and keeps what they need to know about sources.

    Args:
        network: the started network.
        driver: where new providers join the loop.
        now: chain time of the next block.
        task_facts: cached immutable facts of a task.
        seed: makes racers' order reproducible.
    """

    network: Network
    driver: Driver
    now: Callable[[], int]
    task_facts: Callable[[str], TaskFacts]
    seed: int = 0
    folders: dict[str, Any] = field(default_factory=dict)
    """The source folder each source was published from (checksummed address -> folder)."""
    recruits: list[Recruitment] = field(default_factory=list)
    recruited: set[str] = field(default_factory=set)
    urls: WorkingCopyUrls = field(default_factory=WorkingCopyUrls)
    """URL prefixes of the author's repository served from the working copy: a source whose
    compose URLs point there runs that folder's handler (``ogpu-sim node --source-dir``)."""

    def __post_init__(self) -> None:
        self.driver.before_step.append(self._recruit)

    def save(self) -> FleetState:
        """What a snapshot keeps: folders, recruitment rules and the sources recruited for."""
        return FleetState(dict(self.folders), list(self.recruits), set(self.recruited))

    def restore(self, saved: FleetState) -> None:
        """Go back to a :meth:`save`."""
        self.folders = dict(saved.folders)
        self.recruits = list(saved.recruits)
        self.recruited = set(saved.recruited)

    def add(
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
        """A new registered provider; see :meth:`ogpu_sim.Simulator.add_provider`.

        Raises:
            ConfigError: an argument of the wrong type or range, checked before any account
                is made.
        """
        check_name(behaviour, "behaviour", BEHAVIOURS)
        check_name(environment, "environment", ENVIRONMENT_BITS)
        check_handler(handler, runtime)
        if stake is not None:
            check_whole(stake, "stake", "wei")
        check_flag(via_agent, "via_agent")
        check_duration(delay, "delay", zero_ok=True)
        if act_after is not None:
            check_duration(act_after, "act_after", zero_ok=True)
        address = Web3.to_checksum_address(getattr(source, "address", source))
        with self.driver.lock:
            account, master, agent = self._pair_new(
                self._default_stake(address) if stake is None else stake, via_agent
            )
            provider = SimulatedProvider(
                w3=self.network.chain.w3,
                contracts=self.network.instance,
                now=self.now,
                pin=self.network.ipfs.add,
                source=address,
                account=account,
                master=master,
                environment=environment,
                behaviour=behaviour,
                runner=self._runner(address, handler, environment, runtime, account),
                agent=agent,
                delay=delay,
                act_after=self._act_after(act_after),
                seed=self.seed,
                record=self._record,
                static=self.task_facts,
            )
            provider.register()
            self.driver.providers.append(provider)
            return provider

    def recruit(
        self,
        count: int = 1,
        behaviour: str = "honest",
        *,
        handler: str | Path | None = None,
        runtime: str | None = None,
    ) -> None:
        """Give every source published from now on ``count`` providers of ``behaviour``.

        Raises:
            ConfigError: ``count`` not a whole number 1 or more, an unknown behaviour or
                runtime, or a ``handler`` that is not a source folder.
        """
        check_whole(count, "count", least=1)
        check_name(behaviour, "behaviour", BEHAVIOURS)
        check_handler(handler, runtime)
        with self.driver.lock:
            self.recruits.append(Recruitment(count, behaviour, handler, runtime))
            # Sources published before this call are not recruited for.
            for entry in self.network.timeline.events("SourcePublished"):
                self.recruited.add(Web3.to_checksum_address(entry.args["source"]))

    def _recruit(self) -> int:
        if not self.recruits:
            return 0
        added = 0
        for entry in self.network.timeline.events("SourcePublished"):
            source = Web3.to_checksum_address(entry.args["source"])
            if source in self.recruited:
                continue
            self.recruited.add(source)
            if not self._ours(source):
                continue
            params = self.network.instance("Source", source).functions.getSourceParams().call()
            declared = environments_of(int(params[2])) or ("cpu",)
            spec = self.working_copy_of(source)
            served = [e for e in declared if spec is None or e in spec.environments]
            environment = (served or list(declared))[0]
            for recruitment in self.recruits:
                for _ in range(recruitment.count):
                    self.add(
                        source,
                        environment,
                        recruitment.behaviour,
                        handler=recruitment.handler,
                        runtime=recruitment.runtime,
                        act_after=RECRUIT_ACT_AFTER if self.driver.autorunning else None,
                    )
                    added += 1
        return added

    def working_copy_of(self, source: str) -> SourceFolder | None:
        """The working-copy folder a published source's compose URLs point into, if any.

        Read once per source from its metadata (through the SDK) and remembered in
        :attr:`folders`.
        """
        if source in self.folders:
            found: SourceFolder | None = self.folders[source]
            return found
        if not self.urls:
            return None
        from ogpu.protocol.source import Source

        try:
            metadata = Source(source).get_metadata()
        except Exception as exc:  # unreadable metadata: the source runs canned, and says why
            self.network.timeline.add("note", "metadata-unreadable", source=source, error=str(exc))
            return None
        found = published_source(metadata, self.urls)
        if found is not None:
            self.folders[source] = found
            self.network.timeline.add("note", "working-copy", source=source, folder=str(found.path))
        return found

    def _ours(self, source: str) -> bool:
        """Locally every source; on a live network only those the user's client published."""
        if self.network.live is None:
            return True
        client = self.network.instance("Source", source).functions.getClient().call()
        return Web3.to_checksum_address(client) in self.network.live.ledger.own

    def _pair_new(
        self, stake: int, via_agent: bool
    ) -> tuple[LocalAccount, LocalAccount, LocalAccount | None]:
        """Fresh provider and master accounts, paired with ``stake`` locked; optionally an agent
        the master authorises to act for the provider."""
        accounts = self.network.accounts
        if isinstance(accounts, LiveAccounts):  # gas for its transactions, plus the stake
            master_balance = accounts.budget() + stake
        else:  # the usual balance to spend on gas, plus the stake it locks
            master_balance = accounts.native_balance + stake
        provider, master = accounts.new("provider"), accounts.new("master", balance=master_balance)
        pair(self.network.chain.w3, self.network.deployment, provider, master, stake)
        agent = None
        if via_agent:
            agent = accounts.new("agent")
            terminal = self.network.contract("TERMINAL")
            self.network.send(master, terminal.functions.setAgent(agent.address, True))
        return provider, master, agent

    def _act_after(self, requested: float | None) -> float:
        # In autorun mode a second's pause lets async watchers see the attempt.
        if requested is not None:
            return requested
        return 1.0 if self.driver.autorunning else 0.0

    def _default_stake(self, source: str) -> int:
        """Enough to register: locally at least 1 OGPU; on a live network only what is needed."""
        params = self.network.instance("Source", source).functions.getSourceParams().call()
        minimum = self.network.deployment.config.min_lockup_per_source
        if self.network.live is None:
            minimum = self.network.contract("VAULT").functions.MIN_LOCKUP_PER_SOURCE().call()
            return max(DEFAULT_STAKE, int(params[4]), int(minimum))
        return max(int(params[4]), int(minimum))

    def _runner(
        self,
        source: str,
        handler: str | Path | None,
        environment: str,
        runtime: str | None,
        account: LocalAccount,
    ) -> Any:
        folder = handler if handler is not None else self.folders.get(source)
        if folder is None:
            folder = self.working_copy_of(source)
        if folder is None:
            return None
        instance = self.network.handlers.handler(
            folder, environment, runtime, source=source, provider=account.address
        )
        if instance.emulated:
            self.network.timeline.add(
                "note",
                "gpu-emulated",
                emitter=account.address,
                source=source,
                environment=environment,
                detail=f"no {environment} GPU on this machine: its handler runs without the "
                "device, told the environment it emulates (OGPU_SIM_ENVIRONMENT)",
            )
        timeout = self.network.options.handler_timeout

        def run(
            function_name: str, task: str, data: dict[str, Any], **wait: Any
        ) -> dict[str, Any] | None:
            try:
                return instance.run(function_name, task, data, timeout=timeout, **wait)  # type: ignore[no-any-return]
            except HandlerInputError as exc:  # bad data or an unknown function_name, alike
                raise HandlerFailure(str(exc)) from exc

        return run

    def _record(self, action: Action) -> None:
        self.network.timeline.add(
            "provider", action.kind, emitter=action.provider, task=action.task, detail=action.detail
        )


def check_name(value: Any, option: str, known: Iterable[str]) -> None:
    """Refuse what is not one of the ``known`` names (a behaviour, an environment).

    Raises:
        ConfigError: ``option: must be a name (a str)`` or ``option: unknown 'x'; known: ...``.
    """
    if not isinstance(value, str):
        raise ConfigError(option, f"must be a name (a str); got {value!r}")
    if value not in known:
        raise ConfigError(option, f"unknown {value!r}; known: {choices(known)}")


def check_handler(handler: Any, runtime: Any) -> None:
    """Refuse a provider's ``handler`` that is not a source folder and an unknown ``runtime``.

    Raises:
        ConfigError: naming ``handler`` or ``runtime``.
    """
    if handler is not None:
        check_folder(handler, "handler")
    if runtime is not None and (not isinstance(runtime, str) or runtime not in RUNTIMES):
        raise ConfigError("runtime", f"unknown {runtime!r}; known: {choices(RUNTIMES)}")
