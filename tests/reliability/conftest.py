"""The reliability suite's tally and summary table, and its shared simulator.

Each test records what it tried with the ``tally`` fixture: ``load`` (requests or calls that
had to be answered), ``faults`` (signals and kills survived), ``bad_inputs`` (hostile or careless
inputs answered with a typed error), and how many of those were ``lost`` (unanswered, wrong) or
``leaked`` (processes, ports, files left behind). The figures travel in each report's
``user_properties``, so they add up under xdist too; when the suite runs on its own
(``make reliability``) the terminal summary prints them as a table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from ogpu_sim import Simulator

KINDS = {
    "load": "load held (requests answered)",
    "faults": "faults survived (signals, kills)",
    "bad_inputs": "bad inputs tried (typed error, still serving)",
}
PROPERTY = "ogpu-sim-reliability"


@dataclass
class Figures:
    """What one area of the suite tried, lost and leaked."""

    tried: int = 0
    lost: int = 0
    leaked: int = 0
    tests: set[str] = field(default_factory=set)


_FIGURES: dict[str, Figures] = {}


Tally = Callable[..., None]


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Tally:
    """``tally("load", 200, lost=0, leaked=0)``: add this test's figures to the summary."""

    def record(kind: str, tried: int, *, lost: int = 0, leaked: int = 0) -> None:
        assert kind in KINDS, kind
        request.node.user_properties.append((PROPERTY, (kind, tried, lost, leaked)))

    return record


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == PROPERTY:
            kind, tried, lost, leaked = value
            figures = _FIGURES.setdefault(kind, Figures())
            figures.tried += tried
            figures.lost += lost
            figures.leaked += leaked
            figures.tests.add(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _FIGURES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("ogpu-sim reliability")
    write(f"{'':<48} {'tests':>6} {'tried':>8} {'lost':>6} {'leaked':>7}")
    for kind, label in KINDS.items():
        figures = _FIGURES.get(kind, Figures())
        write(
            f"{label:<48} {len(figures.tests):>6} {figures.tried:>8} {figures.lost:>6} "
            f"{figures.leaked:>7}"
        )
    lost = sum(f.lost for f in _FIGURES.values())
    leaked = sum(f.leaked for f in _FIGURES.values())
    write(f"{'lost/leaked (must be 0)':<48} {'':>6} {'':>8} {lost:>6} {leaked:>7}")


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    """One simulator per worker for the tests that need a network (eth-tester, in process)."""
    with Simulator.start() as simulator:
        yield simulator


@pytest.fixture
def isolated(sim: Simulator) -> Iterator[Simulator]:
    """The simulator, reverted to its state before the test afterwards."""
    with sim.isolated():
        yield sim


def in_ci() -> bool:
    """Whether a missing optional tool must fail rather than skip (``CI=true``)."""
    return os.environ.get("CI", "").lower() == "true"
