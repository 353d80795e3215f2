"""Timing, the comparison table and the JSON record for ``make bench``.

Every row is measured on every backend in the same process and run, so ratios compare like
with like. A row's samples are seconds per operation (``better="lower"``) or operations per
second (``better="higher"``); the table shows medians and each backend's speed relative to
anvil (the native node users would otherwise pick): ``anvil time / backend time``, or
``backend rate / anvil rate``, so above 1 always means faster than anvil.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from ogpu_sim.vocabulary import LOCAL_BACKENDS

BACKENDS = LOCAL_BACKENDS
"""The backends a bench run compares (the ones ogpu-sim starts itself)."""
REFERENCE = "anvil"


@dataclass(frozen=True)
class Row:
    """One benchmarked operation.

    Attributes:
        id: stable key in the JSON (``lifecycle.first_response``).
        label: what the table shows.
        unit: ``ms``, ``s`` or ``tasks/s``; samples are stored in this unit.
        better: ``lower`` for times, ``higher`` for throughput.
    """

    id: str
    label: str
    unit: str
    better: str = "lower"


@dataclass(frozen=True)
class Target:
    """A goal from the issue, checked against the run (reported, never asserted in tests).

    Attributes:
        row: the row id it applies to.
        backend: the backend it applies to.
        goal: human wording, e.g. ``<= 25 ms``.
        check: ``(medians by backend) -> value`` and the predicate on it, as one callable
            returning ``(value, met)`` or ``None`` when a needed median is missing.
    """

    row: str
    backend: str
    goal: str
    check: Callable[[dict[str, float]], tuple[float, bool] | None]


@dataclass
class Outcome:
    """What one row produced on one backend: samples, or why there are none."""

    samples: list[float] = field(default_factory=list)
    skipped: str | None = None
    error: str | None = None

    @property
    def median(self) -> float | None:
        """The median sample, or ``None`` when the row did not run."""
        return statistics.median(self.samples) if self.samples else None

    def to_json(self) -> dict[str, Any]:
        """The JSON record of this outcome."""
        if not self.samples:
            return {"skipped": self.skipped} if self.skipped else {"error": self.error}
        return {
            "median": self.median,
            "min": min(self.samples),
            "max": max(self.samples),
            "n": len(self.samples),
            "samples": self.samples,
        }


def timed(
    operation: Callable[[], Any],
    repeat: int,
    warmup: int = 1,
    setup: Callable[[], Any] | None = None,
    scale: float = 1000.0,
) -> list[float]:
    """Run ``operation`` ``warmup + repeat`` times; return the timed ones (ms by default).

    Args:
        operation: the work measured.
        repeat: timed runs.
        warmup: untimed runs first (imports, caches, first-touch costs).
        setup: untimed work before every run (e.g. the transaction a revert undoes).
        scale: multiplier applied to seconds (1000 gives ms, 1 gives s).
    """
    samples = []
    for index in range(warmup + repeat):
        if setup is not None:
            setup()
        started = time.perf_counter()
        operation()
        elapsed = time.perf_counter() - started
        if index >= warmup:
            samples.append(elapsed * scale)
    return samples


def speed_vs_reference(row: Row, medians: dict[str, float], backend: str) -> float | None:
    """How many times faster than anvil ``backend`` is on ``row`` (above 1 = faster)."""
    mine, reference = medians.get(backend), medians.get(REFERENCE)
    if mine is None or reference is None or mine == 0 or reference == 0:
        return None
    return reference / mine if row.better == "lower" else mine / reference


def environment() -> dict[str, Any]:
    """Machine and package versions, so results from different machines are not confused."""
    versions = {}
    for package in ("ogpu", "web3", "eth-tester", "py-evm", "pyrevm", "coincurve"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1_5_15min": [round(x, 2) for x in os.getloadavg()],
        "packages": versions,
    }


def evaluate(targets: list[Target], medians: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """Check every target against the run's medians."""
    checked = []
    for target in targets:
        verdict = target.check(medians.get(target.row, {}))
        checked.append(
            {
                "row": target.row,
                "backend": target.backend,
                "goal": target.goal,
                "value": None if verdict is None else verdict[0],
                "met": None if verdict is None else verdict[1],
            }
        )
    return checked


def record(
    rows: list[Row],
    outcomes: dict[str, dict[str, Outcome]],
    targets: list[Target],
    settings: dict[str, Any],
) -> dict[str, Any]:
    """The whole run as JSON-ready data (what ``latest.json`` holds)."""
    medians = {
        row.id: {b: m for b, o in outcomes.get(row.id, {}).items() if (m := o.median) is not None}
        for row in rows
    }
    return {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": environment(),
        "settings": settings,
        "reference": REFERENCE,
        "rows": [
            {
                "id": row.id,
                "label": row.label,
                "unit": row.unit,
                "better": row.better,
                "results": {b: o.to_json() for b, o in outcomes.get(row.id, {}).items()},
                "speed_vs_anvil": {
                    b: speed_vs_reference(row, medians[row.id], b)
                    for b in outcomes.get(row.id, {})
                    if b not in (REFERENCE, "any")
                },
            }
            for row in rows
        ],
        "targets": evaluate(targets, medians),
    }


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write the run's record, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    digits = 3 if abs(value) < 1 else 2 if abs(value) < 100 else 0
    return f"{value:.{digits}f}{unit}"


def render(data: dict[str, Any], backends: list[str]) -> Any:
    """The comparison table (a ``rich`` renderable): medians, then speed relative to anvil."""
    from rich.table import Table

    table = Table(title="ogpu-sim benchmarks (median; 'x anvil' above 1 = faster than anvil)")
    table.add_column("operation")
    table.add_column("unit")
    for backend in backends:
        table.add_column(backend, justify="right")
    others = [b for b in backends if b != REFERENCE]
    if REFERENCE in backends:
        for backend in others:
            table.add_column(f"{backend} x anvil", justify="right")
    for row in data["rows"]:
        if "any" in row["results"]:
            continue  # backend-independent rows: see render_any
        cells = [row["label"], row["unit"]]
        for backend in backends:
            result = row["results"].get(backend, {})
            cells.append(
                _fmt(result.get("median"))
                if "median" in result
                else "skip"
                if "skipped" in result
                else "error"
                if "error" in result
                else "-"
            )
        if REFERENCE in backends:
            cells += [_fmt(row["speed_vs_anvil"].get(b), "x") for b in others]
        table.add_row(*cells)
    return table


def render_any(data: dict[str, Any]) -> Any:
    """The rows that involve no chain (handler runtimes), measured once per round."""
    from rich.table import Table

    table = Table(title="no chain involved (median)")
    for column in ("operation", "unit", "median", "n"):
        table.add_column(column)
    for row in data["rows"]:
        result = row["results"].get("any")
        if result is None:
            continue
        shown = (
            _fmt(result["median"])
            if "median" in result
            else f"skip: {result['skipped']}"
            if "skipped" in result
            else f"error: {result['error']}"
        )
        table.add_row(row["label"], row["unit"], shown, str(result.get("n", "-")))
    return table


def reference_caption(data: dict[str, Any]) -> str | None:
    """How fast the machine was during the run, from its ``vm.reference`` row (None without)."""
    for row in data["rows"]:
        result = row["results"].get("any", {}) if row["id"] == "vm.reference" else {}
        if "median" in result:
            return (
                f"this machine's reference workload: {_fmt(result['median'])} ms median, "
                f"{_fmt(result['min'])}-{_fmt(result['max'])} over the run (lower is faster)"
            )
    return None


def render_targets(data: dict[str, Any]) -> Any:
    """The goals from the issue and whether this run met them; the caption gives the run's
    reference workload (``vm.reference``), since the absolute goals move with the machine."""
    from rich.table import Table

    table = Table(title="targets (goals, not assertions)", caption=reference_caption(data))
    for column in ("operation", "backend", "goal", "measured", "met"):
        table.add_column(column)
    for target in data["targets"]:
        met = {None: "n/a", True: "yes", False: "NO"}[target["met"]]
        table.add_row(target["row"], target["backend"], target["goal"], _fmt(target["value"]), met)
    return table
