"""Deliberately broken variants of our contracts, and the kill matrix in the run summary.

The mutants are in :mod:`.catalogue`; :mod:`.build` compiles them once per session (cached by
source hash in ``.cache/mutants/``). Each test records its kill (rule sequence, check, steps)
as a user property, which pytest-xdist carries to the controller, so the summary can print the
whole matrix; ``OGPU_SIM_KILL_MATRIX=path`` also writes it there as Markdown.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from .build import build
from .catalogue import MUTANTS
from .kills import Kill, render


@pytest.fixture(scope="session")
def mutant_dirs() -> dict[str, Path]:
    """Every mutant's artifact directory (compiled together on first use, then cached)."""
    return build(MUTANTS)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the kill matrix: which rules and which check caught each mutant."""
    rows = []
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for key, value in getattr(report, "user_properties", ()):
                if key == "kill":
                    row = json.loads(value)
                    rows.append(Kill(**{**row, "steps": tuple(row["steps"])}))
    if not rows:
        return
    matrix = render(rows)
    terminalreporter.write_sep("-", f"kill matrix: {len(rows)} mutants caught")
    terminalreporter.write_line(matrix)
    target = os.environ.get("OGPU_SIM_KILL_MATRIX")
    if target:
        Path(target).write_text(matrix + "\n")
