"""``make bench``: measure ogpu-sim on every chain backend in one process, side by side.

Usage::

    python benchmarks/bench.py [--backends eth-tester,revm,anvil] [--rounds 3] [--repeat 5]
                               [--speedups] [--quick] [--out benchmarks/results/latest.json]

Every round runs every backend once, in turn (``--repeat`` timed runs per row each time), so a
machine whose load changes during the run slows all backends alike; medians are over all
rounds. Prints a table of medians with each backend's speed relative to anvil, then the
issue's targets and whether this run met them, and writes the whole run (every sample) as JSON.
A backend that cannot start (no pyrevm, no anvil binary) is reported as skipped, with why.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from cases import (
    CASES,
    CHAIN_CASES,
    CHAIN_ROWS,
    ROWS,
    TARGETS,
    Bench,
    Settings,
    chain_start_deploy,
)
from harness import (
    BACKENDS,
    Outcome,
    record,
    render,
    render_any,
    render_targets,
    write_json,
)
from runs import (
    CI_TEST_BACKENDS,
    MACHINE_BACKENDS,
    RUNTIME_ROWS,
    ci_property_test,
    long_session,
    machine_steps,
    runtime_dispatch,
    simulate_runner,
    vm_reference,
)

ANY_ROWS = (*RUNTIME_ROWS, "vm.reference")
"""Rows measured once per round with no chain: the table's ``any`` column."""

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="comma-separated, from: " + ", ".join(BACKENDS),
    )
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per row")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="few repeats and a small scenario (a smoke run, not a measurement)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the JSON goes")
    parser.add_argument("--verbose", action="store_true", help="print tracebacks of failures")
    parser.add_argument(
        "--speedups",
        action="store_true",
        help="also run revm with the prototype caches of speedups.py (column revm+speedups)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="rounds; each runs every backend once, in turn, so a machine whose "
        "load changes during the run slows all backends alike",
    )
    args = parser.parse_args(argv)
    unknown = [b for b in args.backends.split(",") if b not in BACKENDS]
    if unknown:
        parser.error(f"unknown backend {unknown[0]!r}; known: {', '.join(BACKENDS)}")
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    """Per-round repeats, rounds and scenario size from the command line."""
    settings = (
        Settings(
            repeat=3,
            rounds=1,
            scenario_tasks=4,
            machine_examples=2,
            long_tasks=4,
            long_tail=2,
            ci_test=False,
        )
        if args.quick
        else Settings()
    )
    if args.repeat is not None:
        settings.repeat = args.repeat
    if args.rounds is not None:
        settings.rounds = args.rounds
    return settings


def merge(into: dict[str, Outcome], more: dict[str, Outcome]) -> None:
    """Add a round's samples to the run's (a skip or error is kept when nothing ran)."""
    for row_id, outcome in more.items():
        kept = into.setdefault(row_id, Outcome())
        kept.samples.extend(outcome.samples)
        if not kept.samples:
            kept.skipped, kept.error = outcome.skipped, outcome.error


def start(backend: str) -> Any:
    """A Simulator on ``backend`` with the inline runtime."""
    from ogpu_sim import Simulator

    return Simulator.start(backend=backend, runtime="inline")


def docker_engine() -> str | None:
    """Why the docker row cannot run here, or ``None`` when an engine answers."""
    from ogpu_sim.runtime import docker_available

    usable, reason = docker_available()
    return None if usable else f"no Docker engine: {reason}"


def run_runtime_rows(settings: Settings, verbose: bool, log: Any) -> dict[str, Outcome]:
    """Handler dispatch to callback per runtime (no chain involved: measured once per round)."""
    outcomes = {}
    for row_id in RUNTIME_ROWS:
        runtime = row_id.split(".")[1]
        why_not = docker_engine() if runtime == "docker" else None
        if why_not is not None:
            outcomes[row_id] = Outcome(skipped=why_not)
            continue
        log(f"  runtimes: {row_id}")
        try:
            outcomes[row_id] = Outcome(samples=runtime_dispatch(runtime, settings))
        except Exception as exc:
            outcomes[row_id] = Outcome(error=_failure(exc, verbose))
    return outcomes


def _failure(exc: BaseException, verbose: bool) -> str:
    if verbose:
        traceback.print_exc()
    return f"{type(exc).__name__}: {exc}"


def run_cases(
    cases: dict[str, Any], bench: Any, settings: Settings, label: str, verbose: bool, log: Any
) -> dict[str, Outcome]:
    """Run each case on ``bench``; a failing case is recorded and the others still run."""
    outcomes = {}
    for row_id, case in cases.items():
        log(f"  {label}: {row_id}")
        try:
            outcomes[row_id] = Outcome(samples=case(bench, settings))
        except Exception as exc:
            outcomes[row_id] = Outcome(error=_failure(exc, verbose))
    return outcomes


def run_chain_rows(
    backend: str, settings: Settings, verbose: bool, log: Any, tune: Any
) -> dict[str, Outcome]:
    """The bare-chain rows: start + deploy, then transfer, call, snapshot/revert."""
    try:
        starts, bench = chain_start_deploy(backend, settings)
        tune(bench.chain.w3)
    except Exception as exc:
        reason = f"{backend} did not start: {_failure(exc, verbose)}"
        return {row.id: Outcome(skipped=reason) for row in CHAIN_ROWS}
    try:
        outcomes = run_cases(CHAIN_CASES, bench, settings, backend, verbose, log)
    finally:
        bench.chain.close()
    return {"chain.start_deploy": Outcome(samples=starts), **outcomes}


def run_simulator_rows(
    backend: str, settings: Settings, verbose: bool, log: Any, tune: Any
) -> dict[str, Outcome]:
    """Session starts first, then the SDK/lifecycle cases on the last session."""
    starts: list[float] = []
    sim = None
    try:
        for index in range(settings.session_repeat):
            began = time.perf_counter()
            sim = start(backend)
            starts.append(time.perf_counter() - began)
            if index < settings.session_repeat - 1:
                sim.stop()
                sim = None
    except Exception as exc:
        reason = f"Simulator on {backend} did not start: {_failure(exc, verbose)}"
        if sim is not None:
            sim.stop()
        return {row.id: Outcome(skipped=reason) for row in ROWS if row not in CHAIN_ROWS}
    assert sim is not None
    outcomes = {"session.start": Outcome(samples=starts)}
    try:
        tune(sim.w3)
        bench = Bench(sim)
        outcomes.update(run_cases(CASES, bench, settings, backend, verbose, log))
    except Exception as exc:
        failed = f"set-up failed: {_failure(exc, verbose)}"
        for row in ROWS:
            if row not in CHAIN_ROWS:
                outcomes.setdefault(row.id, Outcome(error=failed))
    finally:
        sim.stop()
    return outcomes


def planned_runs(
    backend: str, settings: Settings, first_round: bool, tuned: bool
) -> tuple[list[tuple[str, Any]], dict[str, Outcome]]:
    """The whole runs (on fresh simulators) a round makes on ``backend``, in order, and the rows
    it skips with why.

    The long-session row is measured in the first round only; the LifecycleMachine and the
    CI-profile property test run in every round, so their medians are over the rounds too
    (a single run of either moves with the machine's speed at that minute).
    """
    runs: list[tuple[str, Any]] = [("simulate.runner", simulate_runner)]
    skipped: dict[str, Outcome] = {}
    if first_round:
        runs.append(("lifecycle.first_response_long", long_session))
    if backend in MACHINE_BACKENDS:
        runs.append(("machine.steps", machine_steps))
    else:
        skipped["machine.steps"] = Outcome(
            skipped="the machine freezes the chain clock: in-process backends only"
        )
    if backend not in CI_TEST_BACKENDS:
        skipped["machine.ci_test"] = Outcome(
            skipped="the property tests run on " + ", ".join(CI_TEST_BACKENDS) + " in CI"
        )
    elif not settings.ci_test:
        skipped["machine.ci_test"] = Outcome(skipped="--quick: a smoke run leaves it out")
    elif tuned:
        skipped["machine.ci_test"] = Outcome(skipped="its pytest process has no --speedups")
    else:
        runs.append(("machine.ci_test", ci_property_test))
    return runs, skipped


def run_backend(
    backend: str,
    settings: Settings,
    verbose: bool,
    log: Any,
    tune: Any = None,
    first_round: bool = True,
) -> dict[str, Outcome]:
    """Every row on one backend (:func:`planned_runs` for the whole runs); ``tune(w3)`` runs on
    each web3 before its cases."""
    runs, skipped = planned_runs(backend, settings, first_round, tune is not None)
    tune = tune or (lambda w3: None)
    outcomes = run_chain_rows(backend, settings, verbose, log, tune)
    outcomes.update(run_simulator_rows(backend, settings, verbose, log, tune))
    if not outcomes["session.start"].samples:
        return outcomes
    outcomes.update(skipped)
    for row_id, run in runs:
        log(f"  {backend}: {row_id}")
        try:
            outcomes[row_id] = Outcome(samples=run(backend, settings))
        except Exception as exc:
            outcomes[row_id] = Outcome(error=_failure(exc, verbose))
    return outcomes


def warm_imports() -> float:
    """Import what every backend shares before any clock runs (web3 alone takes ~2 s cold)."""
    import importlib

    started = time.perf_counter()
    for module in (
        "ogpu.client",
        "ogpu_sim.simulator",
        "ogpu_sim.protocol",
        "ogpu_sim.chain.tester",
        "ogpu_sim.chain.anvil",
        "ogpu_sim.chain.revm",
    ):
        with contextlib.suppress(ImportError):  # that backend then reports why it cannot start
            importlib.import_module(module)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the tables, write the JSON; 0 unless nothing could run."""
    from rich.console import Console

    args = parse_args(argv)
    # web3 warns for every foreign log the SDK's receipt parsing skips; it is noise here.
    warnings.filterwarnings("ignore", message="The log with transaction hash", category=UserWarning)
    settings = settings_from(args)
    backends = args.backends.split(",")
    console = Console(width=max(Console().width, 132))
    imports = warm_imports()
    load_before = [round(x, 2) for x in os.getloadavg()]
    variants = [(b, b, None) for b in backends]
    if args.speedups and "revm" in backends:
        from speedups import cache_contracts, memoize_keccak

        variants.append(("revm+speedups", "revm", cache_contracts))
        backends.append("revm+speedups")
    by_backend: dict[str, dict[str, Outcome]] = {label: {} for label, _b, _t in variants}
    runtimes: dict[str, Outcome] = {}
    for round_index in range(settings.rounds):
        # how fast the machine is as this round starts (the same workload every time)
        merge(runtimes, {"vm.reference": Outcome(samples=vm_reference(settings))})
        for label, backend, tune in variants:
            console.print(f"[bold]{label}[/bold] (round {round_index + 1}/{settings.rounds})")
            undo = memoize_keccak() if tune is not None else None
            try:
                merge(
                    by_backend[label],
                    run_backend(
                        backend, settings, args.verbose, console.print, tune, round_index == 0
                    ),
                )
            finally:
                if undo is not None:
                    undo()
    for _ in range(settings.rounds):
        merge(runtimes, run_runtime_rows(settings, args.verbose, console.print))
    outcomes = {
        row.id: {"any": runtimes[row.id]}
        if row.id in ANY_ROWS
        else {b: by_backend[b][row.id] for b in backends}
        for row in ROWS
    }
    data = record(
        ROWS,
        outcomes,
        TARGETS,
        {
            **vars(settings),
            "backends": backends,
            "import_seconds": imports,
            "load_average_at_start": load_before,
        },
    )
    write_json(data, args.out)
    console.print(render(data, backends))
    console.print(render_any(data))
    console.print(render_targets(data))
    load = data["environment"]["load_average_1_5_15min"]
    if load[0] > (os.cpu_count() or 1):
        console.print(
            f"[yellow]note: load average {load} on {os.cpu_count()} CPUs during the run; "
            f"absolute times are inflated, ratios less so[/yellow]"
        )
    console.print(f"wrote {args.out}")
    ran = any(o.samples for per in outcomes.values() for o in per.values())
    return 0 if ran else 1


if __name__ == "__main__":
    sys.exit(main())
