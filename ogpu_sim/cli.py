"""The ``ogpu-sim`` command: ``simulate``, ``doctor``, ``node`` and ``compile``.

``simulate`` runs a scenario file against a fresh local network and writes a run folder;
``doctor`` checks the machine; ``node`` and ``compile`` hand their arguments to
:func:`ogpu_sim.node.main` and :func:`ogpu_sim.build.main`. Heavy modules are imported inside the
subcommand that needs them, so ``ogpu-sim doctor`` works even when something is broken.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import OgpuSimError

BACKENDS = ("eth-tester", "anvil")
RUNTIMES = ("auto", "inline", "process", "docker")


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

    node = commands.add_parser("node", help="serve a local network over JSON-RPC", add_help=False)
    node.add_argument("args", nargs=argparse.REMAINDER)
    compile_ = commands.add_parser(
        "compile", help="recompile contracts/ into ogpu_sim/artifacts/", add_help=False
    )
    compile_.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ogpu-sim`` command; return its exit code.

    Exit codes: 0 success, 1 an end-of-run check or a doctor check failed, 2 bad usage or
    invalid input (a scenario error names the key and the problem).
    """
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "doctor":
        from . import doctor

        findings = doctor.run_checks(docker=args.docker, compile=args.compile, anvil=args.anvil)
        doctor.render(findings)
        return doctor.exit_code(findings)
    if args.command == "node":
        from . import node

        return int(node.main(args.args) or 0)
    if args.command == "compile":
        from . import build

        return int(build.main(args.args) or 0)
    return _simulate(args)


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
            backend="rpc" if args.rpc else args.backend,
            rpc_url=args.rpc,
            runtime=args.runtime,
            progress=not args.no_progress,
        )
        result = simulate(scenario, args.out or default_out_dir(), options, console=console)
    except OgpuSimError as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 2
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
