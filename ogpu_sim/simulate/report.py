"""What a ``simulate`` run produced, the end-of-run checks, and the run folder.

Everything here works on plain data (:class:`RunData`: task records, actors, Vault ledgers at
the start and end of the workload, decoded events), so the checks and the report can be tested
on synthetic runs. Times are simulated seconds (chain time since the workload started) and
amounts are wei, so a run's report figures are identical for the same scenario and seed; the
wall-clock figures (tx/s, elapsed) live apart in ``timing``.

The run folder holds ``report.json`` (every figure), ``report.md``, ``events.jsonl`` (the decoded
protocol events and provider actions) and four PNG plots drawn with matplotlib's Agg canvas
(no display, no pyplot global state).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ogpu_sim.errors import (
    ReportError,
)
from ogpu_sim.simulate.plots import PLOT_FILES, render_plots

REPORT_SCHEMA = 1
TERMINAL = ("FINALIZED", "EXPIRED", "CANCELED")
STATUSES = ("NEW", "ATTEMPTED", "RESPONDED", "CANCELED", "EXPIRED", "FINALIZED")
BUCKETS = ("balance", "lockup", "unbonding", "frozen", "sanction")
"""Vault buckets that together must equal the Vault's native balance (docs/protocol.md, escrow and payments)."""


@dataclass
class Account:
    """One account's Vault figures (wei) at one moment."""

    balance: int = 0
    lockup: int = 0
    unbonding: int = 0
    frozen: int = 0
    sanction: int = 0
    earnings: int = 0

    @property
    def held(self) -> int:
        """Everything the Vault holds for this account."""
        return sum(getattr(self, name) for name in BUCKETS)


@dataclass
class Ledger:
    """The Vault at one moment: its native balance and every known account's buckets."""

    vault_balance: int
    accounts: dict[str, Account] = field(default_factory=dict)

    def account(self, address: str) -> Account:
        """The figures of ``address`` (zeros when the Vault never saw it)."""
        return self.accounts.get(address, Account())


@dataclass
class TaskRecord:
    """One task of the workload, as the runner saw it. Times are simulated seconds."""

    index: int
    address: str
    source: str
    delivery: str
    client: str
    payment: int
    published_at: int
    expires_at: int
    status: str = "NEW"
    ended_at: int | None = None
    attempts: int = 0
    responses: int = 0
    winner: str | None = None
    paid: int = 0
    cancel_planned: bool = False
    explanation: str | None = None

    @property
    def latency(self) -> int | None:
        """Seconds from publication to finalization (None unless FINALIZED)."""
        if self.status != "FINALIZED" or self.ended_at is None:
            return None
        return self.ended_at - self.published_at


@dataclass
class Actor:
    """A client or provider of the run."""

    name: str
    role: str
    address: str
    behaviour: str = ""
    source: str = ""
    environment: str = ""
    master: str = ""


@dataclass
class RunData:
    """Everything a run produced; the input of :func:`check_run` and :func:`build_report`."""

    scenario: str
    seed: int
    backend: str
    runtime: str
    tasks: list[TaskRecord]
    actors: list[Actor]
    ledger_start: Ledger
    ledger_end: Ledger
    events: list[dict[str, Any]] = field(default_factory=list)
    provider_actions: dict[str, dict[str, int]] = field(default_factory=dict)
    blocks: int = 0
    transactions: int = 0
    duration: int = 0
    timing: dict[str, float] = field(default_factory=dict)

    def by_role(self, role: str) -> list[Actor]:
        """The actors with ``role`` (``client`` or ``provider``), in creation order."""
        return [a for a in self.actors if a.role == role]


@dataclass(frozen=True)
class Check:
    """One end-of-run check: its name, whether it held, and why not."""

    name: str
    ok: bool
    detail: str


def check_run(run: RunData) -> list[Check]:
    """Run the end-of-run checks: conservation of funds, terminal tasks, provider earnings."""
    return [
        _check_vault_backed(run.ledger_start, "start"),
        _check_vault_backed(run.ledger_end, "end"),
        _check_value_conserved(run),
        _check_payments(run),
        _check_escrow(run),
        _check_terminal(run),
        _check_earnings(run),
    ]


def _check_vault_backed(ledger: Ledger, when: str) -> Check:
    held = sum(a.held for a in ledger.accounts.values())
    ok = held == ledger.vault_balance
    detail = f"Vault native balance {ledger.vault_balance} wei == sum of account buckets {held} wei"
    if not ok:
        detail = (
            f"Vault native balance {ledger.vault_balance} wei != sum of account buckets {held} "
            f"wei (difference {ledger.vault_balance - held} wei)"
        )
    return Check(f"funds_conserved_{when}", ok, detail)


def _check_value_conserved(run: RunData) -> Check:
    addresses = set(run.ledger_start.accounts) | set(run.ledger_end.accounts)
    moved = sum(
        run.ledger_end.account(a).held - run.ledger_start.account(a).held for a in addresses
    )
    vault = run.ledger_end.vault_balance - run.ledger_start.vault_balance
    ok = moved == vault
    verb = "==" if ok else "!="
    return Check(
        "value_conserved",
        ok,
        f"change of all accounts' Vault holdings {moved} wei {verb} change of the Vault's native "
        f"balance {vault} wei",
    )


def _check_payments(run: RunData) -> Check:
    providers = {a.address for a in run.by_role("provider")}
    earned = sum(
        run.ledger_end.account(p).earnings - run.ledger_start.account(p).earnings for p in providers
    )
    paid = sum(t.paid for t in run.tasks if t.status == "FINALIZED")
    ok = earned == paid
    verb = "==" if ok else "!="
    return Check(
        "payments_match",
        ok,
        f"providers' earnings {earned} wei {verb} payments of finalized tasks {paid} wei",
    )


def _check_escrow(run: RunData) -> Check:
    clients = {a.address for a in run.by_role("client")}
    frozen = sum(
        run.ledger_end.account(c).frozen - run.ledger_start.account(c).frozen for c in clients
    )
    open_payments = sum(t.payment for t in run.tasks if t.status not in TERMINAL)
    ok = frozen == open_payments
    verb = "==" if ok else "!="
    return Check(
        "escrow_released",
        ok,
        f"clients' frozen payments {frozen} wei {verb} payments of unfinished tasks "
        f"{open_payments} wei",
    )


def _check_terminal(run: RunData) -> Check:
    stuck = [t for t in run.tasks if t.status not in TERMINAL and not t.explanation]
    explained = [t for t in run.tasks if t.status not in TERMINAL and t.explanation]
    if stuck:
        listed = ", ".join(f"#{t.index} {t.address} {t.status}" for t in stuck[:5])
        return Check(
            "tasks_terminal", False, f"{len(stuck)} task(s) unfinished, unexplained: {listed}"
        )
    detail = f"{len(run.tasks)} tasks terminal"
    if explained:
        detail = f"{len(run.tasks) - len(explained)} tasks terminal, {len(explained)} explained"
    return Check("tasks_terminal", True, detail)


def _check_earnings(run: RunData) -> Check:
    wrong = []
    for provider in run.by_role("provider"):
        earned = (
            run.ledger_end.account(provider.address).earnings
            - run.ledger_start.account(provider.address).earnings
        )
        confirmed = sum(t.paid for t in run.tasks if t.winner == provider.address)
        if earned != confirmed:
            wrong.append(
                f"{provider.name} earned {earned} wei but its confirmed responses sum to "
                f"{confirmed} wei"
            )
    if wrong:
        return Check("provider_earnings", False, "; ".join(wrong))
    return Check(
        "provider_earnings",
        True,
        f"{len(run.by_role('provider'))} providers' earnings equal their confirmed responses",
    )


def _summary(values: list[int]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "min": ordered[0],
        "p50": statistics.median_low(ordered),
        "p90": ordered[min(len(ordered) - 1, (len(ordered) * 9) // 10)],
        "max": ordered[-1],
        "mean": round(statistics.fmean(ordered), 3),
    }


def status_over_time(tasks: list[TaskRecord], duration: int) -> list[dict[str, int]]:
    """How many tasks were open/finalized/expired/canceled at each simulated second boundary.

    Sampled at up to 200 evenly spaced points from 0 to ``duration`` (inclusive).
    """
    points = sorted({round(duration * i / 200) for i in range(201)}) if duration else [0]
    rows = []
    for t in points:
        row = {"time": t, "open": 0, "FINALIZED": 0, "EXPIRED": 0, "CANCELED": 0}
        for task in tasks:
            if task.published_at > t:
                continue
            if task.status in TERMINAL and task.ended_at is not None and task.ended_at <= t:
                row[task.status] += 1
            else:
                row["open"] += 1
        rows.append(row)
    return rows


def vault_flows(run: RunData) -> list[dict[str, Any]]:
    """Per actor: what went into escrow, what was paid or refunded, earned, and the net change."""
    rows = []
    for actor in run.actors:
        start, end = run.ledger_start.account(actor.address), run.ledger_end.account(actor.address)
        row: dict[str, Any] = {"name": actor.name, "role": actor.role, "address": actor.address}
        if actor.role == "client":
            own = [t for t in run.tasks if t.client == actor.name]
            row["escrowed"] = sum(t.payment for t in own)
            row["paid"] = sum(t.paid for t in own if t.status == "FINALIZED")
            row["refunded"] = sum(t.payment for t in own if t.status in ("EXPIRED", "CANCELED"))
            row["returned_remainder"] = sum(
                t.payment - t.paid for t in own if t.status == "FINALIZED"
            )
        else:
            row["earned"] = end.earnings - start.earnings
            row["lockup"] = end.lockup
        row["net_change"] = end.held - start.held
        rows.append(row)
    return rows


def build_report(run: RunData, checks: list[Check]) -> dict[str, Any]:
    """The report as a JSON-able dict: deterministic figures first, wall-clock ``timing`` last."""
    statuses = Counter(t.status for t in run.tasks)
    deliveries = sorted({t.delivery for t in run.tasks})
    latency = {
        d: _summary([t.latency for t in run.tasks if t.delivery == d and t.latency is not None])
        for d in deliveries
    }
    providers = []
    for actor in run.by_role("provider"):
        won = [t for t in run.tasks if t.winner == actor.address]
        earned = (
            run.ledger_end.account(actor.address).earnings
            - run.ledger_start.account(actor.address).earnings
        )
        providers.append(
            {
                **asdict(actor),
                "earnings": earned,
                "confirmed_responses": len(won),
                "actions": dict(sorted(run.provider_actions.get(actor.address, {}).items())),
            }
        )
    by_behaviour: dict[str, int] = {}
    for row in providers:
        by_behaviour[row["behaviour"]] = by_behaviour.get(row["behaviour"], 0) + row["earnings"]
    return {
        "schema": REPORT_SCHEMA,
        "scenario": {
            "name": run.scenario,
            "seed": run.seed,
            "backend": run.backend,
            "runtime": run.runtime,
        },
        "figures": {
            "tasks": len(run.tasks),
            "status": {s: statuses.get(s, 0) for s in STATUSES},
            "by_delivery": {
                d: {
                    s: sum(1 for t in run.tasks if t.delivery == d and t.status == s)
                    for s in STATUSES
                }
                for d in deliveries
            },
            "latency_seconds": latency,
            "cancellations_planned": sum(1 for t in run.tasks if t.cancel_planned),
            "attempts": sum(t.attempts for t in run.tasks),
            "responses": sum(t.responses for t in run.tasks),
            "paid_wei": sum(t.paid for t in run.tasks),
            "escrowed_wei": sum(t.payment for t in run.tasks),
            "earnings_by_behaviour_wei": dict(sorted(by_behaviour.items())),
            "blocks": run.blocks,
            "transactions": run.transactions,
            "simulated_seconds": run.duration,
            "events": len(run.events),
        },
        "providers": providers,
        "vault_flows": vault_flows(run),
        "status_over_time": status_over_time(run.tasks, run.duration),
        "tasks": [{**asdict(t), "latency": t.latency} for t in run.tasks],
        "ledger": {
            "start": _ledger_json(run.ledger_start),
            "end": _ledger_json(run.ledger_end),
        },
        "checks": [asdict(c) for c in checks],
        "ok": all(c.ok for c in checks),
        "timing": dict(sorted(run.timing.items())),
    }


def deterministic_part(report: dict[str, Any]) -> dict[str, Any]:
    """The report without its wall-clock ``timing`` section: equal for equal scenario and seed."""
    return {k: v for k, v in report.items() if k != "timing"}


def _ledger_json(ledger: Ledger) -> dict[str, Any]:
    return {
        "vault_balance": ledger.vault_balance,
        "accounts": {a: asdict(v) for a, v in sorted(ledger.accounts.items())},
    }


def render_markdown(report: dict[str, Any]) -> str:
    """A human-readable ``report.md`` from the report dict."""
    fig, scenario = report["figures"], report["scenario"]
    lines = [
        f"# ogpu-sim run: {scenario['name']} (seed {scenario['seed']})",
        "",
        f"Backend `{scenario['backend']}`, runtime `{scenario['runtime']}`; "
        f"{fig['tasks']} tasks over {fig['simulated_seconds']} simulated seconds, "
        f"{fig['transactions']} transactions in {fig['blocks']} blocks.",
        "",
        "## Checks",
        "",
        *[
            f"- {'PASS' if c['ok'] else 'FAIL'} `{c['name']}`: {c['detail']}"
            for c in report["checks"]
        ],
        "",
        "## Task status",
        "",
        "| status | tasks |",
        "|---|---|",
        *[f"| {s} | {n} |" for s, n in fig["status"].items()],
        "",
        "## Latency (simulated seconds, publication to finalization)",
        "",
        "| delivery | count | min | p50 | p90 | max | mean |",
        "|---|---|---|---|---|---|---|",
    ]
    for delivery, s in fig["latency_seconds"].items():
        cells = [s.get(k, "-") for k in ("count", "min", "p50", "p90", "max", "mean")]
        lines.append(f"| {delivery} | " + " | ".join(str(c) for c in cells) + " |")
    lines += [
        "",
        "## Providers",
        "",
        "| provider | behaviour | source | confirmed responses | earnings (OGPU) |",
        "|---|---|---|---|---|",
        *[
            f"| {p['name']} | {p['behaviour']} | {p['source']} | {p['confirmed_responses']} | "
            f"{p['earnings'] / 10**18:g} |"
            for p in report["providers"]
        ],
        "",
        "## Timing (wall clock, not deterministic)",
        "",
        *[f"- {k}: {v}" for k, v in report["timing"].items()],
        "",
        "Plots: " + ", ".join(f"`{name}`" for name in PLOT_FILES),
        "",
    ]
    return "\n".join(lines)


def write_run_folder(run: RunData, out: Path, checks: list[Check] | None = None) -> dict[str, Any]:
    """Write report.json, report.md, events.jsonl and the plots into ``out``; return the report.

    Raises:
        ReportError: ``out`` cannot be created or written.
    """
    checks = check_run(run) if checks is None else checks
    report = build_report(run, checks)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
        (out / "report.md").write_text(render_markdown(report))
        with (out / "events.jsonl").open("w") as stream:
            for event in run.events:
                stream.write(json.dumps(event, sort_keys=True) + "\n")
        render_plots(report, out)
    except OSError as exc:
        raise ReportError(f"cannot write the run folder {out}: {exc}") from exc
    return report
