"""The ``ogpu-sim`` command: ``simulate``, ``doctor``, ``node`` and ``run``.

``simulate`` runs a scenario file against a fresh local network and writes a run folder (the
work is :mod:`ogpu_sim.simulate`'s), or with ``--init FILE`` writes a commented starting
scenario (:mod:`ogpu_sim.simulate.template`); ``doctor`` checks the machine; ``node`` and
``run`` hand their arguments to :func:`ogpu_sim.cli.node.main` and
:func:`ogpu_sim.cli.node.run_main`.
Choices and help come from :mod:`ogpu_sim.vocabulary`. Heavy modules are imported inside the
subcommand that needs them, so ``ogpu-sim doctor`` works even when something is broken.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ogpu_sim.errors import ConfigError, OgpuSimError
from ogpu_sim.sdk.warnings import quiet_known_warnings
from ogpu_sim.vocabulary import (
    BACKEND_HELP,
    BACKENDS,
    DEFAULT_BACKEND,
    DEFAULT_IMAGE_SOURCE,
    DEFAULT_RUNTIME,
    IMAGE_SOURCE_HELP,
    IMAGE_SOURCES,
    MNEMONIC_ENV,
    RUNTIME_HELP,
    RUNTIMES,
)

PASSTHROUGH = {
    "node": "serve a local network over JSON-RPC for other processes",
    "run": "run a program with its ogpu SDK bound to a running node",
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
        help="scenario file (default: the default scenario shipped with ogpu-sim)",
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
        default=None,
        help="chain backend: "
        + "; ".join(f"{name}: {text}" for name, text in BACKEND_HELP.items()),
    )
    simulate.add_argument(
        "--rpc",
        metavar="URL",
        default=None,
        help="the JSON-RPC node for --backend rpc (implies it); unless it is on this machine, "
        f"your own funded accounts' mnemonic in ${MNEMONIC_ENV}",
    )
    simulate.add_argument(
        "--network",
        metavar="URL",
        default=None,
        help="attach to an already-deployed network instead (a JSON-RPC URL, an ogpu-sim node "
        "connection file, or testnet/mainnet): keys from CLIENT_PRIVATE_KEY and "
        "MASTER_PRIVATE_KEY, never the public test keys; runs in real time",
    )
    simulate.add_argument(
        "--max-spend",
        default=None,  # None: not given, so refused without --network (default in RunOptions)
        help="with --network: the most the run may spend from your keys (default 1 OGPU)",
    )
    simulate.add_argument(
        "--wait-timeout",
        type=float,
        default=None,  # as --max-spend
        metavar="SECONDS",
        help="with --network: the longest the run waits for the live network at once; a "
        "scenario whose tasks may expire later is refused (default 300)",
    )
    simulate.add_argument(
        "--runtime",
        choices=RUNTIMES,
        default=DEFAULT_RUNTIME,
        help="how handlers run: "
        + "; ".join(f"{name}: {text}" for name, text in RUNTIME_HELP.items()),
    )
    simulate.add_argument(
        "--image",
        choices=IMAGE_SOURCES,
        default=DEFAULT_IMAGE_SOURCE,
        help="what the docker runtime runs for a handler service given as an image: "
        + "; ".join(f"{name}: {text}" for name, text in IMAGE_SOURCE_HELP.items()),
    )
    simulate.add_argument(
        "--no-progress", action="store_true", help="no live progress display (CI logs)"
    )
    simulate.add_argument(
        "--init",
        type=Path,
        default=None,
        metavar="FILE",
        help="write a commented starting scenario to FILE (valid as is) and exit",
    )
    simulate.add_argument(
        "--force", action="store_true", help="with --init: overwrite FILE if it exists"
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
    doctor.add_argument("--revm", action="store_true", help="pyrevm is required (--backend revm)")

    for name, text in PASSTHROUGH.items():
        commands.add_parser(name, help=text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ogpu-sim`` command; return its exit code.

    Exit codes: 0 success, 1 an end-of-run check or a doctor check failed, 2 bad usage or
    invalid input (a scenario error names the key and the problem), 130 a simulate run
    interrupted by Ctrl-C (one line, no traceback; its context managers have cleaned up).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    # A user's `python -W error` must not trip over the SDK stack's own known warnings.
    quiet_known_warnings()
    if argv and argv[0] in PASSTHROUGH:
        # Handed over whole (argparse's REMAINDER would refuse a leading "--help").
        return _passthrough(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "doctor":
        from ogpu_sim.cli import doctor

        findings = doctor.run_checks(
            docker=args.docker, compile=args.compile, anvil=args.anvil, revm=args.revm
        )
        doctor.render(findings)
        return doctor.exit_code(findings)
    if args.init is not None or args.force:
        return _init(args)
    try:
        return _simulate(args)
    except KeyboardInterrupt:
        # Raised through the run's `with` blocks, which took down what it started.
        print("interrupted", file=sys.stderr)
        return 130


_RUN_ONLY = {
    "out": "--out",
    "backend": "--backend",
    "rpc": "--rpc",
    "network": "--network",
    "max_spend": "--max-spend",
    "wait_timeout": "--wait-timeout",
    "runtime": "--runtime",
    "image": "--image",
    "no_progress": "--no-progress",
}
"""``simulate`` options that shape a run, not a scenario file: refused with ``--init``."""


_NETWORK_ONLY = {"max_spend": "--max-spend", "wait_timeout": "--wait-timeout"}
"""``simulate`` options that shape an attached run only: refused without ``--network``."""


def _network_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``RunOptions`` fields ``--max-spend`` and ``--wait-timeout`` give, checked before
    anything starts: each value as ``--network`` reads it, whether or not ``--network`` is
    given; then either option without ``--network`` is refused, not ignored.

    Raises:
        ConfigError: naming the option: a bad amount, a timeout that is not a positive finite
            number of seconds, or either one without ``--network``.
    """
    from ogpu_sim.network.spend import parse_amount

    if args.max_spend is not None:
        parse_amount(args.max_spend, "--max-spend")
    timeout = args.wait_timeout
    if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
        raise ConfigError(
            "--wait-timeout", f"must be a finite number of seconds above 0, got {timeout:g}"
        )
    given = {dest: value for dest in _NETWORK_ONLY if (value := getattr(args, dest)) is not None}
    if given and not args.network:
        raise ConfigError(_NETWORK_ONLY[next(iter(given))], "only goes with --network URL")
    return given


def _init(args: argparse.Namespace) -> int:
    """``simulate --init FILE [--force] [--seed N] [--tasks N]``: write the starting scenario
    (with that seed and task count), say how to run it. A run option is refused, not ignored."""
    from ogpu_sim.simulate.template import write_template

    try:
        if args.init is None:
            raise ConfigError("--force", "only goes with --init FILE")
        if args.scenario is not None:
            raise ConfigError("--init", f"writes a new scenario; drop {str(args.scenario)!r}")
        defaults = vars(build_parser().parse_args(["simulate"]))
        given = [flag for dest, flag in _RUN_ONLY.items() if getattr(args, dest) != defaults[dest]]
        if given:
            raise ConfigError(
                "--init",
                f"writes a scenario file and exits; give {' and '.join(given)} when you run "
                f"it: ogpu-sim simulate {args.init} ...",
            )
        path = write_template(args.init, force=args.force, seed=args.seed, tasks=args.tasks)
    except OgpuSimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote a starting scenario to {path}; run it with: ogpu-sim simulate {path}")
    return 0


def _passthrough(command: str, argv: list[str]) -> int:
    """Run ``node`` or ``run`` with the rest of the command line."""
    try:
        from ogpu_sim.cli import node

        return int((node.main if command == "node" else node.run_main)(argv) or 0)
    except OgpuSimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _give_back(folders: list[Path]) -> None:
    """Remove the run folder ``simulate`` created (and ``runs/`` itself when it created that
    too) for a run that wrote nothing into it, innermost first."""
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty (or gone): keep it
            folder.rmdir()


def _simulate(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from ogpu_sim.simulate.console import ProgressDisplay, print_attach_header, print_summary
    from ogpu_sim.simulate.report import check_run_folder
    from ogpu_sim.simulate.runner import RunOptions, default_out_dir, simulate
    from ogpu_sim.simulate.scenario import DEFAULT_SCENARIO, load_scenario

    console = Console()
    claimed: list[Path] = []
    try:
        scenario = load_scenario(args.scenario or DEFAULT_SCENARIO).with_overrides(
            seed=args.seed, tasks=args.tasks
        )
        backend = args.backend or ("rpc" if args.rpc else DEFAULT_BACKEND)
        if backend == "rpc" and not args.rpc:
            raise ConfigError("--backend rpc", "needs --rpc URL (the node to run on)")
        if args.rpc and backend != "rpc":
            raise ConfigError("--rpc", f"names a node; it cannot go with --backend {backend}")
        if args.network and (args.backend or args.rpc):
            raise ConfigError("--network", "attaches to a deployed network; drop --backend/--rpc")
        attach = _network_options(args)
        mnemonic = None
        if backend == "rpc":
            from ogpu_sim.network.keys import own_mnemonic

            mnemonic = own_mnemonic(args.rpc, "--rpc")
        from ogpu_sim.runtime import check_image_source

        check_image_source(args.image, args.runtime, "--image")
        options = RunOptions(
            backend=backend,
            rpc_url=args.rpc,
            runtime=args.runtime,
            image=args.image,
            network=args.network,
            max_spend_option="--max-spend",
            mnemonic=mnemonic,
            **attach,
        )
        if args.out:
            out = args.out
            check_run_folder(out)  # before the run, not after it
        else:  # the new empty folders a failed run takes back
            root_was_there = Path("runs").is_dir()
            out = default_out_dir()
            claimed = [out] if root_was_there else [out, out.parent]
        console.print(
            f"[bold]ogpu-sim simulate[/] {escape(scenario.name)} (seed {scenario.seed}, "
            f"{scenario.workload.tasks} tasks) on {escape(options.network or options.backend)}, "
            f"runtime {options.runtime}"
        )
        with ProgressDisplay(console, enabled=not args.no_progress) as d:
            result = simulate(
                scenario,
                out,
                options,
                on_progress=d.update,
                on_attach=lambda lines: print_attach_header(console, lines),
            )
    except OgpuSimError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        _give_back(claimed)
        return 2
    except KeyboardInterrupt:
        _give_back(claimed)
        raise
    print_summary(console, result.report, result.out)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
