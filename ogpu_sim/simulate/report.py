"""The report of a ``simulate`` run and its run folder (records and checks live beside it).

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

import contextlib
import json
import statistics
import tempfile
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ogpu_sim.errors import (
    ReportError,
)
from ogpu_sim.simulate.checks import Check, check_run, skipped_checks
from ogpu_sim.simulate.plots import PLOT_FILES, render_plots
from ogpu_sim.simulate.records import (
    BUCKETS,
    STATUSES,
    TERMINAL,
    Account,
    Actor,
    Ledger,
    RunData,
    Skipped,
    TaskRecord,
)

REPORT_SCHEMA = 1


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


def build_report(
    run: RunData, checks: list[Check], skipped: list[Skipped] | None = None
) -> dict[str, Any]:
    """The report as a JSON-able dict: deterministic figures first, wall-clock ``timing`` last.

    An attached run's report also has ``skipped_checks`` (each local check not run, and why)
    and ``attach`` (the spend cap, what was spent, the user's keys before and after).
    """
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
                "rejected_responses": sum(t.rejected.count(actor.address) for t in run.tasks),
                "actions": dict(sorted(run.provider_actions.get(actor.address, {}).items())),
            }
        )
    by_behaviour: dict[str, int] = {}
    for row in providers:
        by_behaviour[row["behaviour"]] = by_behaviour.get(row["behaviour"], 0) + row["earnings"]
    report = {
        "schema": REPORT_SCHEMA,
        "scenario": {
            "name": run.scenario,
            "seed": run.seed,
            "backend": run.backend,
            "runtime": run.runtime,
            "runtimes_used": {key: list(kinds) for key, kinds in sorted(run.runtimes_used.items())},
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
            "responses_rejected": sum(len(t.rejected) for t in run.tasks),
            "chain_faults": run.chain_faults,
            "reviews_unavailable": dict(sorted(run.reviews_unavailable.items())),
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
    if run.attach is None:
        return report
    skipped = skipped_checks(run) if skipped is None else skipped
    attached = {
        "skipped_checks": [asdict(s) for s in skipped],
        "attach": {
            "network": run.attach.network,
            "spend_cap_wei": run.attach.cap,
            "counted_spend_wei": run.attach.counted_spend,
            "own_loss_wei": run.attach.own_loss,
            "own_accounts": {
                address: {"start_wei": held, "end_wei": run.attach.own_end.get(address)}
                for address, held in run.attach.own_start.items()
            },
            "left_in_vault_wei": dict(run.attach.left_in_vault),
            "kept_keys_file": run.attach.kept_keys,
        },
    }
    keys = list(report)
    at = keys.index("ok")
    ordered = keys[:at] + list(attached) + keys[at:]
    return {key: attached[key] if key in attached else report[key] for key in ordered}


def deterministic_part(report: dict[str, Any]) -> dict[str, Any]:
    """The report without its wall-clock ``timing`` section: equal for equal scenario and seed."""
    return {k: v for k, v in report.items() if k != "timing"}


def _ledger_json(ledger: Ledger) -> dict[str, Any]:
    return {
        "vault_balance": ledger.vault_balance,
        "accounts": {a: asdict(v) for a, v in sorted(ledger.accounts.items())},
    }


def _runtimes_used(scenario: dict[str, Any]) -> str:
    """`` (inline)`` when every handler ran on one runtime other than the one named, else each
    ``source:environment`` with its own; nothing when no handler started or all ran on the
    runtime named."""
    used: dict[str, list[str]] = scenario.get("runtimes_used") or {}
    kinds = sorted({kind for each in used.values() for kind in each})
    if not kinds or kinds == [scenario["runtime"]]:
        return ""
    if len(kinds) == 1:
        return f" ({kinds[0]})"
    return " (" + ", ".join(f"{key} {'+'.join(each)}" for key, each in used.items()) + ")"


def render_markdown(report: dict[str, Any]) -> str:
    """A human-readable ``report.md`` from the report dict."""
    fig, scenario = report["figures"], report["scenario"]
    lines = [
        f"# ogpu-sim run: {scenario['name']} (seed {scenario['seed']})",
        "",
        f"Backend `{scenario['backend']}`, runtime `{scenario['runtime']}`"
        f"{_runtimes_used(scenario)}; "
        f"{fig['tasks']} tasks over {fig['simulated_seconds']} simulated seconds, "
        f"{fig['transactions']} transactions in {fig['blocks']} blocks.",
        "",
        "## Checks",
        "",
        *[
            f"- {'PASS' if c['ok'] else 'FAIL'} `{c['name']}`: {c['detail']}"
            for c in report["checks"]
        ],
        *[
            f"- NOT RUN `{c['name']}` (attached to a shared chain): {c['reason']}"
            for c in report.get("skipped_checks", [])
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
        "| provider | behaviour | source | confirmed responses | rejected responses | "
        "earnings (OGPU) |",
        "|---|---|---|---|---|---|",
        *[
            f"| {p['name']} | {p['behaviour']} | {p['source']} | {p['confirmed_responses']} | "
            f"{p['rejected_responses']} | {p['earnings'] / 10**18:g} |"
            for p in report["providers"]
        ],
        "",
        f"Responses rejected by the clients' review: {fig['responses_rejected']}"
        + "".join(
            f"; {name} went unreviewed ({why})" for name, why in fig["reviews_unavailable"].items()
        ),
        "",
        "## Timing (wall clock, not deterministic)",
        "",
        *[f"- {k}: {v}" for k, v in report["timing"].items()],
        "",
        "Plots: " + ", ".join(f"`{name}`" for name in PLOT_FILES),
        "",
    ]
    return "\n".join(lines)


def check_run_folder(out: Path) -> None:
    """Refuse a run folder that cannot be written, before the run starts rather than after it.

    Creates what is missing of ``out`` and a temporary file in it, as :func:`write_run_folder`
    will, then removes all of it again: nothing is left behind, whether it can be written or not.

    Raises:
        ReportError: ``out`` cannot be created or written (the error ``write_run_folder`` raises).
    """
    missing: list[Path] = []  # innermost first, the order to remove them in
    try:
        folder = out
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise ReportError(f"cannot write the run folder {out}: {exc}") from exc
    finally:
        for made in missing:
            with contextlib.suppress(OSError):  # not made after all
                made.rmdir()


def write_run_folder(
    run: RunData,
    out: Path,
    checks: list[Check] | None = None,
    skipped: list[Skipped] | None = None,
) -> dict[str, Any]:
    """Write report.json, report.md, events.jsonl and the plots into ``out``; return the report.

    Raises:
        ReportError: ``out`` cannot be created or written.
    """
    checks = check_run(run) if checks is None else checks
    report = build_report(run, checks, skipped)
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


__all__ = [
    "BUCKETS",
    "PLOT_FILES",
    "REPORT_SCHEMA",
    "STATUSES",
    "TERMINAL",
    "Account",
    "Actor",
    "Check",
    "Ledger",
    "RunData",
    "Skipped",
    "TaskRecord",
    "build_report",
    "check_run",
    "check_run_folder",
    "deterministic_part",
    "render_markdown",
    "skipped_checks",
    "status_over_time",
    "vault_flows",
    "write_run_folder",
]
