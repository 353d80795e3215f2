"""What ``ogpu-sim simulate`` shows a person: a live progress bar and the end-of-run summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ProgressDisplay:
    """A ``rich`` progress bar of a run: tasks published, finalized / expired / canceled, tx/s.

    Phase changes (set-up, writing the report) are printed as lines above the bar.
    """

    def __init__(self, console: Any, *, enabled: bool = True) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.console = console
        self.enabled = enabled
        self.bar = Progress(
            TextColumn("published"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            console=console,
        )
        self.task_id: Any = None
        self.phase = ""

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.bar.stop()

    def update(self, progress: Any) -> None:
        """Redraw from a :class:`ogpu_sim.simulate.runner.Progress`."""
        if not self.enabled:
            return
        if progress.phase != self.phase and progress.phase != "running":
            self.bar.console.print(f"[dim]{progress.phase}...[/]")
        self.phase = progress.phase
        stats = (
            f"finalized {progress.finalized} · expired {progress.expired} · "
            f"canceled {progress.canceled} · {progress.tx_per_second:.1f} tx/s · "
            f"{progress.wall_seconds:.0f}s"
        )
        if self.task_id is None:
            self.task_id = self.bar.add_task("tasks", total=progress.planned, stats="")
        self.bar.update(self.task_id, completed=progress.published, stats=stats)


def print_attach_header(console: Any, lines: list[str]) -> None:
    """Before an attached run spends anything: the network, the spend cap, the accounts it
    spends from with their native and Vault balances."""
    from rich.markup import escape

    console.print(escape(lines[0]), soft_wrap=True)
    for line in lines[1:]:
        console.print(f"  {escape(line)}", soft_wrap=True)


def attach_lines(attach: dict[str, Any]) -> list[str]:
    """The spend figures of an attached run's report, for people."""
    from ogpu_sim.network.spend import show_wei

    cap = attach["spend_cap_wei"]
    lines = [
        f"spend cap {'none' if cap is None else show_wei(cap)}; counted spend "
        f"{show_wei(attach['counted_spend_wei'])}; your keys hold "
        f"{show_wei(attach['own_loss_wei'])} less than before the run",
    ]
    for address, wei in attach["left_in_vault_wei"].items():
        lines.append(
            f"  still in the Vault under fresh account {address}: {show_wei(wei)} (a stake "
            "still locked or an escrow still frozen)"
        )
    if attach.get("kept_keys_file"):
        lines.append(f"  their keys are kept in {attach['kept_keys_file']}: unbond and claim later")
    return lines


def print_summary(console: Any, report: dict[str, Any], out: Path) -> None:
    """The end-of-run summary: statuses, latency per delivery method, providers, checks."""
    from rich.markup import escape
    from rich.table import Table

    figures = report["figures"]
    table = Table(title=f"{escape(report['scenario']['name'])} — {figures['tasks']} tasks")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("tasks published", str(figures["tasks"]))
    for status, count in figures["status"].items():
        if count:
            table.add_row(f"tasks {status}", str(count))
    for delivery, stats in figures["latency_seconds"].items():
        if stats["count"]:
            table.add_row(
                f"latency {delivery} (sim s)",
                f"p50 {stats['p50']}  p90 {stats['p90']}  max {stats['max']}",
            )
    table.add_row("responses rejected by review", str(figures["responses_rejected"]))
    for behaviour, wei in figures["earnings_by_behaviour_wei"].items():
        table.add_row(f"earned by {escape(behaviour)} providers", f"{wei / 10**18:.4f} OGPU")
    table.add_row("transactions", str(figures["transactions"]))
    table.add_row("simulated seconds", str(figures["simulated_seconds"]))
    timing = report["timing"]
    table.add_row("wall seconds", f"{timing.get('wall_seconds', 0):.1f}")
    table.add_row("tx/s (wall)", f"{timing.get('transactions_per_second', 0):.1f}")
    console.print(table)
    for check in report["checks"]:
        mark = "[green]PASS[/]" if check["ok"] else "[red]FAIL[/]"
        console.print(f"{mark} {check['name']}: {escape(check['detail'])}", soft_wrap=True)
    for check in report.get("skipped_checks", []):
        console.print(
            f"[yellow]NOT RUN[/] {check['name']} (shared chain): {escape(check['reason'])}",
            soft_wrap=True,
        )
    attach = report.get("attach")
    if attach is not None:
        for line in attach_lines(attach):
            console.print(escape(line), soft_wrap=True)
    console.print(f"run folder: {escape(str(out))}  (report.json, report.md, events.jsonl, plots)")
    if not report["ok"]:
        console.print("[red]end-of-run checks failed[/] (see above and report.md)")
