"""The ``simulate`` runner: drive a :class:`~ogpu_sim.Simulator` through a scenario.

The runner is a discrete-event loop on a simulated clock. It plans the whole workload up front
from the scenario's seed (arrival times, sources, payments, expiries, payloads, which tasks the
client cancels, think times, which response the client picks), then processes events in time
order: publish a task through the SDK (and cancel it at once if planned), confirm one of a
MANUAL task's responses after the client's think time, expire a task nobody finished. After
each event the simulated providers act (``run_until_idle``) and the protocol events mined
meanwhile update the task records.

Simulated time is deterministic: it jumps to each event's planned time and every transaction
adds :data:`BLOCK_SECONDS`. Chain time is pushed forward to follow it (``advance_time``), so
expiry on chain agrees with the plan. Wall-clock figures go to the report's ``timing`` only.

Attached to a live network (``RunOptions.network``), chain time cannot move: the clock follows
the blocks' timestamps, an expiry is waited for on the wall clock (the scenario is refused up
front when one could take longer than the wait timeout, :mod:`ogpu_sim.simulate.attached`),
only the run's own transactions are counted, and the checks are the attach ones.

Over 450 lines because the event loop and the folding of chain events into task records share
the run's state (:class:`_Run`); set-up, planning, review and records live in their own modules.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ogpu.types import TaskStatus
from web3 import Web3

from ogpu_sim.actors.lean import rpc
from ogpu_sim.errors import (
    ConfigError,
    LiveWaitTimeoutError,
    ReportError,
    SimulationError,
    SpendCapError,
)
from ogpu_sim.network.live import kept_keys_file
from ogpu_sim.simulate.attached import OwnAccounts, check_attachable, run_facts, withdraw_fresh
from ogpu_sim.simulate.limits import in_ogpu
from ogpu_sim.simulate.market import set_up_market
from ogpu_sim.simulate.plan import PlannedTask, pause_before, plan
from ogpu_sim.simulate.report import Account as LedgerAccount
from ogpu_sim.simulate.report import (
    Actor,
    Check,
    Ledger,
    RunData,
    TaskRecord,
    check_run,
    check_run_folder,
    skipped_checks,
    write_run_folder,
)
from ogpu_sim.simulate.responders import Responders
from ogpu_sim.simulate.responders import address as _address
from ogpu_sim.simulate.review import Reviewer
from ogpu_sim.simulate.spec import Scenario, SourceSpec
from ogpu_sim.vocabulary import (
    BACKENDS,
    DEFAULT_BACKEND,
    DEFAULT_IMAGE_SOURCE,
    DEFAULT_RUNTIME,
    choices,
)

BLOCK_SECONDS = 1
"""Simulated seconds each transaction takes (the local chains mine one block per transaction)."""
STATUS_NAMES = tuple(status.name for status in TaskStatus)


@dataclass(frozen=True)
class RunOptions:
    """How to run a scenario (not part of the scenario: the same file runs on every backend)."""

    backend: str = DEFAULT_BACKEND
    rpc_url: str | None = None
    runtime: str = DEFAULT_RUNTIME
    image: str = DEFAULT_IMAGE_SOURCE
    """What the docker runtime runs for an ``image:`` handler service: ``working-copy`` or
    ``published``."""
    slow_delay: float = 0.2
    """Wall seconds a ``slow`` provider waits between attempt and response."""
    network: str | None = None
    """Attach to this already-deployed network instead (URL, connection file, testnet/mainnet):
    keys from the SDK's variables, the run in real time (a live clock cannot be moved)."""
    max_spend: str = "1 OGPU"
    """The spend cap of an attached run."""
    max_spend_option: str = "max_spend="
    """How the caller names ``max_spend`` (the CLI: ``--max-spend``), for ``SpendCapError``."""
    wait_timeout: float = 300.0
    """The longest an attached run waits for the live network at once (seconds); a scenario
    whose tasks may expire later is refused."""
    mnemonic: str | None = field(default=None, repr=False)
    """The user's own funded accounts for ``rpc`` (None: the public test keys, which sign for a
    node on this machine only)."""


@dataclass
class SimulationResult:
    """What :func:`simulate` returns: the report dict, the run folder and whether checks held."""

    report: dict[str, Any]
    out: Path
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass(frozen=True)
class Progress:
    """Where a run is, for a progress display."""

    phase: str
    planned: int
    published: int = 0
    finalized: int = 0
    expired: int = 0
    canceled: int = 0
    transactions: int = 0
    simulated_seconds: int = 0
    wall_seconds: float = 0.0

    @property
    def tx_per_second(self) -> float:
        """Transactions per wall-clock second so far."""
        return self.transactions / self.wall_seconds if self.wall_seconds > 0 else 0.0


def default_out_dir(root: Path = Path("runs")) -> Path:
    """A new, empty ``runs/<UTC timestamp>/`` under the working directory, created here, so
    runs started in the same second each get their own (``<timestamp>-2``, ``-3`` ...).

    Raises:
        ReportError: the folder cannot be created.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for index in itertools.count(1):
        candidate = root / (stamp if index == 1 else f"{stamp}-{index}")
        try:
            candidate.mkdir(parents=True)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ReportError(f"cannot write the run folder {candidate}: {exc}") from exc
        return candidate
    raise AssertionError("unreachable")  # itertools.count never ends


@dataclass
class _Run:
    """State of one run while it goes (the simulator, clock, records, event queue)."""

    scenario: Scenario
    sim: Any
    options: RunOptions
    clock: int = 0
    chain_start: int = 0
    first_block: int = 0
    last_block: int = 0
    transactions: int = 0
    queue: list[tuple[float, int, str, int]] = field(default_factory=list)
    seq: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    client_actors: dict[str, Actor] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    records: list[TaskRecord] = field(default_factory=list)
    by_address: dict[str, TaskRecord] = field(default_factory=dict)
    response_task: dict[str, str] = field(default_factory=dict)
    responses: dict[str, list[str]] = field(default_factory=dict)
    responders: Responders = field(default_factory=Responders)
    confirmed: list[tuple[TaskRecord, str]] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_NAMES, 0))
    block_time: dict[int, int] = field(default_factory=dict)
    seen_entries: int = 0
    planned: list[PlannedTask] = field(default_factory=list)
    providers: list[Actor] = field(default_factory=list)
    reviewer: Reviewer = field(default_factory=Reviewer)

    # -- set-up ---------------------------------------------------------------------------

    def set_up(self) -> None:
        """Fund clients' Vaults, publish sources, add providers (all through the SDK)."""
        if self.sim.attached:  # fresh clients are funded by transfer: give them their deposit
            deposits = [spec.deposit for spec in self.scenario.clients]
            self.sim.accounts.extra["client"] = max(deposits, default=0)
        market = set_up_market(
            self.sim, self.scenario, self.options.runtime, self.options.slow_delay
        )
        self.keys, self.client_actors = market.keys, market.clients
        self.sources, self.providers = market.sources, market.providers

    def actors(self) -> list[Actor]:
        return [*self.client_actors.values(), *self.providers]

    # -- the event loop -------------------------------------------------------------------

    def push(self, at: float, kind: str, index: int) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (at, self.seq, kind, index))

    def start_clock(self) -> None:
        """Simulated time 0 is now: plan the workload and queue its publications."""
        self.sim.run_until_idle()
        self.first_block = self.last_block = self.sim.chain.head()
        self.seen_entries = len(self.sim.timeline)
        self.chain_start = self.sim.now()
        self.planned = plan(self.scenario)
        for task in self.planned:
            self.push(task.at, "publish", task.index)

    def process_next(self, wall_start: float) -> None:
        """Handle the earliest event, let providers act, and fold in what happened."""
        at, _, kind, index = heapq.heappop(self.queue)
        pause = pause_before(at, self.scenario.time_compression, time.monotonic() - wall_start)
        if pause > 0:
            time.sleep(pause)
        self.clock = max(self.clock, int(at))
        lag = self.chain_start + self.clock - self.sim.now()
        if self.sim.attached:
            if kind == "expire" and self.records[index].status in ("NEW", "ATTEMPTED"):
                self._wait_for_expiry(self.records[index])
        elif lag > 0:
            self.sim.advance_time(lag)
        getattr(self, f"_on_{kind}")(index)
        self.sim.run_until_idle()
        self._collect()

    def _wait_for_expiry(self, record: TaskRecord) -> None:
        """Attached: wait on the wall clock until the task's expiry has passed on chain (a live
        clock cannot be moved), local providers acting meanwhile; then fold in what happened."""
        remaining = self.sim.task_facts(record.address).expiry - self.sim.now() + 1
        if remaining > self.options.wait_timeout:
            raise LiveWaitTimeoutError(
                self.options.wait_timeout, [f"{record.address} expiring in {remaining}s"]
            )
        if remaining > 0:
            self.sim.pass_time(remaining)
        self._collect()

    def _on_publish(self, index: int) -> None:
        from ogpu.client import cancel_task, publish_task
        from ogpu.types import TaskInfo, TaskInput
        from ogpu.types.errors import InsufficientBalanceError, OGPUError

        task = self.planned[index]
        key = self.keys[task.source.client]
        expiry = self.sim.now() + task.duration
        info = TaskInfo(
            source=self.sources[task.source.name],
            config=TaskInput(function_name=task.source.function, data=task.data),
            expiryTime=expiry,
            payment=task.payment,
        )
        try:
            address = Web3.to_checksum_address(publish_task(info, private_key=key).address)
        except InsufficientBalanceError as exc:
            client = self.client_actors[task.source.client].address
            left = self.sim.deployment.contracts["VAULT"].functions.balanceOf(client)
            raise SimulationError(
                f"task #{index}: client {task.source.client!r} has {in_ogpu(left.call())} left "
                f"in the Vault, too little to pay {in_ogpu(task.payment)}; raise its deposit in "
                "the scenario"
            ) from exc
        except OGPUError as exc:
            if isinstance(exc.__cause__, SpendCapError):
                raise exc.__cause__ from None
            raise SimulationError(f"task #{index}: the SDK refused to publish it: {exc}") from exc
        record = TaskRecord(
            index=index,
            address=address,
            source=task.source.name,
            delivery=task.source.delivery,
            client=task.source.client,
            payment=task.payment,
            published_at=self.clock,
            expires_at=self.clock + task.duration,
            cancel_planned=task.cancel,
        )
        self.records.append(record)
        self.by_address[address] = record
        self.status_counts[record.status] += 1
        if task.cancel:
            cancel_task(address, private_key=key)

    def _on_confirm(self, index: int) -> None:
        from ogpu.client import confirm_response
        from ogpu.types.errors import OGPUError

        record = self.records[index]
        if record.status != "RESPONDED":
            return
        key = self.keys[record.client]
        responses = self._reviewed(record, self.planned[index].source)
        if not responses:
            record.explanation = "the client's review rejected every response"
            return
        chosen = responses[int(self.planned[index].pick * len(responses))]
        try:
            confirm_response(chosen, private_key=key)
        except OGPUError as exc:
            record.explanation = f"the client's confirmation reverted: {exc}"

    def _reviewed(self, record: TaskRecord, source: SourceSpec) -> list[str]:
        """The task's responses the client accepts (all of them when it does not review)."""
        responses = self.responses[record.address]
        if not self.scenario.client(record.client).review:
            return responses
        from ogpu.protocol.response import Response

        accepted = []
        for address in responses:
            response = Response(address)
            reason = self.reviewer.review(source, response.fetch_data())
            if reason is None:
                accepted.append(address)
            else:
                known = None if self.sim.attached else self.responders.params(address)
                provider = known[0] if known else str(response.get_params().provider)
                record.rejected.append(provider)
                self.sim.timeline.add(
                    "note",
                    "response-rejected",
                    emitter=record.client,
                    response=address,
                    provider=provider,
                    reason=reason,
                )
        return accepted

    def _on_expire(self, index: int) -> None:
        record = self.records[index]
        if record.status in ("NEW", "ATTEMPTED"):
            try:
                self.sim.expire(record.address)
            except LiveWaitTimeoutError as exc:  # attached: nobody attempted it past its expiry
                record.explanation = (
                    f"past its expiry; no provider's attempt ended it within {exc.timeout:g}s"
                )
        elif record.status == "RESPONDED" and record.rejected and self.sim.attached:
            record.explanation = (
                "the client's review rejected every response; a live network has no judge here "
                "to refund it, so its escrow stays frozen"
            )
        elif record.status == "RESPONDED" and record.rejected:
            # A RESPONDED task never expires on its own and its escrow stays frozen: the client
            # disputes, and the judge's route (Nexus.setTaskStatus + Vault.forceReleasePayment)
            # refunds it, as an arbiter would on the live network.
            from ogpu_sim.publishing import admin_expire

            admin_expire(self.sim.network, record.address)
            record.explanation = (
                "the client's review rejected every response; the judge refunded the escrow "
                "at expiry"
            )

    # -- folding chain events into records ------------------------------------------------

    def _collect(self) -> None:
        """Give new blocks their simulated time and apply the new protocol events.

        Only transactions move the simulated clock: an empty block (anvil mines one to move its
        time) takes no simulated time, so every backend reports the same figures. A local run
        asks only for each block's transaction count (no web3 block formatting).
        """
        w3 = self.sim.w3
        latest = self.sim.chain.head()
        for block in range(self.last_block + 1, latest + 1):
            if self.sim.attached:  # a shared chain: count the run's own, time from the blocks
                header = w3.eth.get_block(block)
                sent = self.sim.attachment.ledger.sent
                self.transactions += sum(Web3.to_hex(h) in sent for h in header["transactions"])
                self.clock = max(self.clock, int(header["timestamp"]) - self.chain_start)
            else:
                count = int(rpc(w3, "eth_getBlockTransactionCountByNumber", [hex(block)]), 16)
                self.transactions += count
                self.clock += BLOCK_SECONDS * count
            self.block_time[block] = self.clock
        self.last_block = latest
        new = self.sim.timeline.since((self.seen_entries, self.last_block))  # not a full copy
        for entry in new:
            self.responders.see(entry)
            if entry.kind == "event" and entry.emitter == "NEXUS":
                self._apply(entry.name, entry.args, self.block_time.get(entry.block, 0))
        self.seen_entries += len(new)
        # After the whole batch: a provider's ``respond`` action follows the events of its
        # receipt, so the winner of a FIRST_RESPONSE task is known only once it is taken in.
        confirmed, self.confirmed = self.confirmed, []
        for record, response in confirmed:
            self._confirmed(record, response)

    def _apply(self, name: str, args: dict[str, Any], at: int) -> None:
        record = self.by_address.get(_address(args.get("task")))
        if name == "ResponseStatusChanged" and args["status"] == 1:
            response = _address(args["response"])
            record = self.by_address.get(self.response_task.get(response, ""))
            if record is not None:
                self.confirmed.append((record, response))
            return
        if record is None:
            return
        if name == "TaskPublished":
            record.published_at = at
            record.expires_at = at + self.planned[record.index].duration
            self.push(record.expires_at + 1, "expire", record.index)
        elif name == "Attempted":
            record.attempts += 1
        elif name == "ResponseSubmitted":
            record.responses += 1
            response = _address(args["response"])
            self.response_task[response] = record.address
            self.responses.setdefault(record.address, []).append(response)
            if record.responses == 1 and record.delivery == "MANUAL_CONFIRMATION":
                self.push(at + self.planned[record.index].think, "confirm", record.index)
        elif name == "TaskStatusChanged":
            self.status_counts[record.status] -= 1
            record.status = TaskStatus(int(args["status"])).name
            self.status_counts[record.status] += 1
            if record.status == "EXPIRED":
                record.ended_at = record.expires_at
            elif record.status in ("FINALIZED", "CANCELED"):
                record.ended_at = at

    def _confirmed(self, record: TaskRecord, response: str) -> None:
        """The winner and payment of a confirmed response: from the timeline when one of the
        run's simulated providers submitted it on a local chain (:mod:`.responders`), else the
        Response's own ``ResponseParams`` through the SDK."""
        known = None if self.sim.attached else self.responders.params(response)
        if known is not None:
            record.winner, record.paid = known
            return
        from ogpu.protocol.response import Response

        params = Response(response).get_params()
        record.winner = str(params.provider)
        record.paid = int(params.payment)

    # -- ledgers and results --------------------------------------------------------------

    def ledger(self) -> Ledger:
        """The Vault's native balance and the buckets of every account the run knows of."""
        vault = self.sim.deployment.contracts["VAULT"].functions
        known = getattr(self.sim.accounts, "keys", None)  # attached: the roles given keys
        roles = [
            self.sim.accounts.role(r).address
            for r in ("client", "provider", "master")
            if known is None or r in known
        ]
        addresses = {
            *roles,
            *(a.address for a in self.actors()),
            *(a.master for a in self.providers),
        }
        for entry in [] if self.sim.attached else self.sim.timeline:  # attached: the run's own
            if entry.kind == "event" and entry.emitter == "VAULT" and "account" in entry.args:
                addresses.add(str(entry.args["account"]))
        accounts = {
            address: LedgerAccount(
                balance=vault.balanceOf(address).call(),
                lockup=vault.lockupOf(address).call(),
                unbonding=vault.unbondingOf(address).call(),
                frozen=vault.frozenPayment(address).call(),
                sanction=vault.sanctionOf(address).call(),
                earnings=vault.totalEarningsOf(address).call(),
            )
            for address in sorted(addresses)
        }
        balance = self.sim.w3.eth.get_balance(self.sim.deployment.addresses["VAULT"])
        return Ledger(int(balance), accounts)

    def events(self) -> list[dict[str, Any]]:
        """Every timeline entry as a JSON-able dict, with the simulated time of its block."""
        rows = []
        for entry in self.sim.timeline:
            row = {
                "kind": entry.kind,
                "name": entry.name,
                "emitter": entry.emitter,
                "block": entry.block,
                "tx": entry.tx,
                "args": entry.args,
                "sim_time": self.block_time.get(entry.block),
            }
            rows.append(row)
        return rows

    def provider_actions(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for entry in self.sim.timeline:
            if entry.kind == "provider":
                mine = counts.setdefault(entry.emitter, {})
                mine[entry.name] = mine.get(entry.name, 0) + 1
        return counts

    def progress(self, wall_seconds: float) -> Progress:
        counts = self.status_counts  # kept as statuses change: no pass over every record
        return Progress(
            "running",
            len(self.planned),
            len(self.records),
            counts["FINALIZED"],
            counts["EXPIRED"],
            counts["CANCELED"],
            self.transactions,
            self.clock,
            wall_seconds,
        )


def simulate(
    scenario: Scenario,
    out: Path,
    options: RunOptions | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_attach: Callable[[list[str]], None] | None = None,
) -> SimulationResult:
    """Run ``scenario`` on a fresh simulator and write the run folder ``out``.

    Args:
        scenario: a validated scenario (:func:`ogpu_sim.simulate.scenario.load_scenario`).
        out: the run folder (created; checked writable before anything starts).
        options: backend and runtime.
        on_progress: called with a :class:`Progress` after set-up and after every event (the
            CLI draws its progress display from it).
        on_attach: attached runs: called with the lines naming the network, the spend cap and
            the accounts the run spends from with their balances, before anything is spent.

    Returns:
        The report, the folder and the end-of-run checks.

    Raises:
        ConfigError: an option is invalid (unknown backend or runtime).
        ReportError: ``out`` cannot be written (refused before anything starts).
        AttachScenarioError: attached, the scenario needs what a live network cannot do.
        SpendCapError: attached, a transaction would have passed the spend cap.
        OgpuSimError: the network could not start.
    """
    from ogpu_sim.simulator import Simulator

    options = options or RunOptions()
    if options.backend not in BACKENDS:
        raise ConfigError("backend", f"unknown {options.backend!r}; known: {choices(BACKENDS)}")
    check_run_folder(out)
    notify = on_progress or (lambda progress: None)
    wall_start = time.monotonic()
    start_options: dict[str, Any] = {
        "backend": options.backend,
        "runtime": options.runtime,
        "image": options.image,
    }
    if options.rpc_url:
        start_options["rpc_url"] = options.rpc_url
    if options.mnemonic:
        start_options["mnemonic"] = options.mnemonic
    own: OwnAccounts | None = None
    own_start: dict[str, int] = {}
    if options.network:
        from ogpu_sim.network.attach import network_options

        check_attachable(scenario, options.network, options.wait_timeout)
        sim = Simulator.attach(
            seed=scenario.seed,
            runtime=options.runtime,
            image=options.image,
            max_spend=options.max_spend,
            max_spend_option=options.max_spend_option,
            wait_timeout=options.wait_timeout,
            quiet=True,
            **network_options(options.network),
        )
    else:
        sim = Simulator.start(seed=scenario.seed, **start_options)
    with sim:
        if sim.attached:
            (on_attach or (lambda lines: None))(sim.attach_summary())
            own = OwnAccounts.of(sim)
            own_start = own.holdings()
        notify(Progress("setting up", scenario.workload.tasks))
        run = _Run(scenario, sim, options)
        run.set_up()
        setup_seconds = time.monotonic() - wall_start
        ledger_start = run.ledger()
        run.start_clock()
        loop_start = time.monotonic()
        if scenario.chain_fault_rate:
            # Transient send failures during the workload, as on a flaky live node; the SDK
            # (clients and providers alike) retries them before broadcasting.
            sim.chain.faults.fail_rate(
                scenario.chain_fault_rate, method="eth_sendRawTransaction", seed=scenario.seed
            )
        try:
            while run.queue:
                run.process_next(loop_start)
                notify(run.progress(time.monotonic() - loop_start))
        finally:
            sim.chain.faults.reset()
        faults_injected = sum(1 for e in sim.timeline if e.kind == "fault")
        blocks = sim.w3.eth.block_number - run.first_block
        workload_seconds = time.monotonic() - loop_start
        notify(dataclasses.replace(run.progress(workload_seconds), phase="writing the report"))
        data = RunData(
            scenario=scenario.name,
            seed=scenario.seed,
            backend=f"attach {options.network}" if options.network else options.backend,
            runtime=options.runtime,
            runtimes_used=sim.network.handlers.runtimes_used(),
            tasks=run.records,
            actors=run.actors(),
            ledger_start=ledger_start,
            ledger_end=run.ledger(),
            events=run.events(),
            provider_actions=run.provider_actions(),
            blocks=blocks,
            transactions=run.transactions,
            duration=run.clock,
            reviews_unavailable=dict(run.reviewer.unavailable),
            chain_faults=faults_injected,
            attach=run_facts(sim, str(options.network), own_start) if own is not None else None,
            timing={
                "setup_seconds": round(setup_seconds, 3),
                "workload_seconds": round(workload_seconds, 3),
                "transactions_per_second": round(run.transactions / max(workload_seconds, 1e-9), 2),
            },
        )
        if data.attach is not None:
            data.attach.left_in_vault = withdraw_fresh(sim)
            if data.attach.left_in_vault:  # the stop keeps their keys there (network/live.py)
                data.attach.kept_keys = str(
                    kept_keys_file(
                        sim.network.options.chain_id, sim.network.deployment.addresses["NEXUS"]
                    )
                )
    if own is not None and data.attach is not None:  # after the stop swept fresh accounts back
        data.attach.own_end = own.holdings()
        data.attach.counted_spend = sim.attachment.ledger.spent
    data.timing["wall_seconds"] = round(time.monotonic() - wall_start, 3)
    checks = check_run(data)
    report = write_run_folder(data, out, checks, skipped_checks(data))
    return SimulationResult(report, out, checks)


__all__ = [
    "BLOCK_SECONDS",
    "PlannedTask",
    "Progress",
    "RunOptions",
    "SimulationResult",
    "default_out_dir",
    "pause_before",
    "plan",
    "simulate",
]
