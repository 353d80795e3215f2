"""The ``ogpu-sim`` command: ``simulate``, ``doctor``, ``node``, ``run`` and ``compile``.

``simulate`` runs a scenario file against a fresh local network and writes a run folder;
``doctor`` checks the machine; ``node``, ``run`` and ``compile`` hand their arguments to
:func:`ogpu_sim.node.main`, :func:`ogpu_sim.node.run_main` and :func:`ogpu_sim.build.main`.
Heavy modules are imported inside the subcommand that needs them, so ``ogpu-sim doctor`` works
even when something is broken.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import OgpuSimError

BACKENDS = ("eth-tester", "revm", "anvil")
RUNTIMES = ("auto", "inline", "process", "docker")
PASSTHROUGH = {
    "node": "serve a local network over JSON-RPC for other processes",
    "run": "run a program with its ogpu SDK bound to a running node",
    "compile": "recompile contracts/ into ogpu_sim/artifacts/",
}
"""Subcommands whose arguments go unparsed to the function that implements them."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="ogpu-sim", description="A local OpenGPU network for the unmodified ogpu SDK."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    simulate = commands.add_parser(
        "simulate",
        help="run a marketplace scenario and write a report",
        description="Run a scenario (TOML) against a fresh local network: publish sources and "
        "tasks through the SDK, let simulated providers race, and write report.json, "
        "report.md, events.jsonl and plots. Exits 1 if an end-of-run check fails.",
    )
    simulate.add_argument(
        "scenario",
        nargs="?",
        type=Path,
        default=None,
        help="scenario file (default: fixtures/scenarios/default.toml)",
    )
    simulate.add_argument(
        "--out", type=Path, default=None, help="run folder (default: runs/<UTC timestamp>/)"
    )
    simulate.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    simulate.add_argument(
        "--tasks", type=int, default=None, help="override the scenario's task count"
    )
    simulate.add_argument(
        "--backend",
        choices=BACKENDS,
        default="eth-tester",
        help="chain: in-process eth-tester (default, deterministic) or a local anvil node",
    )
    simulate.add_argument(
        "--rpc", metavar="URL", default=None, help="use a running JSON-RPC node at URL instead"
    )
    simulate.add_argument(
        "--runtime",
        choices=RUNTIMES,
        default="auto",
        help="how handlers run: auto (default), inline, process or docker (real images)",
    )
    simulate.add_argument(
        "--no-progress", action="store_true", help="no live progress display (CI logs)"
    )

    doctor = commands.add_parser(
        "doctor", help="check this machine and print how to fix what is missing"
    )
    doctor.add_argument(
        "--docker", action="store_true", help="the Docker engine is required (--runtime docker)"
    )
    doctor.add_argument(
        "--compile", action="store_true", help="Node.js and solc-js are required (recompiling)"
    )
    doctor.add_argument(
        "--anvil", action="store_true", help="the anvil binary is required (--backend anvil)"
    )

    for name, text in PASSTHROUGH.items():
        commands.add_parser(name, help=text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ogpu-sim`` command; return its exit code.

    Exit codes: 0 success, 1 an end-of-run check or a doctor check failed, 2 bad usage or
    invalid input (a scenario error names the key and the problem).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASSTHROUGH:
        # Handed over whole (argparse's REMAINDER would refuse a leading "--help").
        return _passthrough(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "doctor":
        from . import doctor

        findings = doctor.run_checks(docker=args.docker, compile=args.compile, anvil=args.anvil)
        doctor.render(findings)
        return doctor.exit_code(findings)
    return _simulate(args)


def _passthrough(command: str, argv: list[str]) -> int:
    """Run ``node``, ``run`` or ``compile`` with the rest of the command line."""
    try:
        if command == "compile":
            from . import build

            return int(build.main(argv) or 0)
        from . import node

        return int((node.main if command == "node" else node.run_main)(argv) or 0)
    except OgpuSimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _simulate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .scenario import DEFAULT_SCENARIO, load_scenario
    from .workload import RunOptions, default_out_dir, simulate

    console = Console()
    try:
        scenario = load_scenario(args.scenario or DEFAULT_SCENARIO).with_overrides(
            seed=args.seed, tasks=args.tasks
        )
        options = RunOptions(
            backend="rpc" if args.rpc else args.backend, rpc_url=args.rpc, runtime=args.runtime
        )
        out = args.out or default_out_dir()
        console.print(
            f"[bold]ogpu-sim simulate[/] {scenario.name} (seed {scenario.seed}, "
            f"{scenario.workload.tasks} tasks) on {options.backend}, runtime {options.runtime}"
        )
        with warnings.catch_warnings(), ProgressDisplay(console, enabled=not args.no_progress) as d:
            # The SDK decodes whole receipts with one event ABI; web3 warns about every other
            # log (e.g. the new contract's OwnershipTransferred). Harmless, and noisy here.
            warnings.filterwarnings("ignore", message="The log with transaction hash")
            result = simulate(scenario, out, options, on_progress=d.update)
    except OgpuSimError as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 2
    print_summary(console, result.report, result.out)
    return 0 if result.ok else 1


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
        """Redraw from a :class:`ogpu_sim.workload.Progress`."""
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


def print_summary(console: Any, report: dict[str, Any], out: Path) -> None:
    """The end-of-run summary: statuses, latency per delivery method, providers, checks."""
    from rich.table import Table

    figures = report["figures"]
    table = Table(title=f"{report['scenario']['name']} — {figures['tasks']} tasks")
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
    for behaviour, wei in figures["earnings_by_behaviour_wei"].items():
        table.add_row(f"earned by {behaviour} providers", f"{wei / 10**18:.4f} OGPU")
    table.add_row("transactions", str(figures["transactions"]))
    table.add_row("simulated seconds", str(figures["simulated_seconds"]))
    timing = report["timing"]
    table.add_row("wall seconds", f"{timing.get('wall_seconds', 0):.1f}")
    table.add_row("tx/s (wall)", f"{timing.get('transactions_per_second', 0):.1f}")
    console.print(table)
    for check in report["checks"]:
        mark = "[green]PASS[/]" if check["ok"] else "[red]FAIL[/]"
        console.print(f"{mark} {check['name']}: {check['detail']}", soft_wrap=True)
    console.print(f"run folder: {out}  (report.json, report.md, events.jsonl, plots)")
    if not report["ok"]:
        console.print("[red]end-of-run checks failed[/] (see above and report.md)")


if __name__ == "__main__":
    sys.exit(main())
