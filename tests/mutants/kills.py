"""Reading a shrunk counterexample: the rule sequence that killed a mutant, and the matrix."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

#: Rules that set the machine up (not steps of the counterexample).
SET_UP = ("the_sources", "the_tasks", "teardown")
_STEP = re.compile(r"^\s*(?:\w+(?:, \w+)* = )?state\.(\w+)\((.*)\)\s*$")
_VIA = re.compile(r"via='([^']+)'")
_DRAW = re.compile(r"^\s*Draw \d+ \((function|via)\): '([^']+)'")


@dataclass(frozen=True)
class Kill:
    """One row of the kill matrix."""

    mutant: str
    contract: str
    bug: str
    steps: tuple[str, ...]
    check: str

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (for pytest's user properties, which cross xdist workers)."""
        row = asdict(self)
        row["steps"] = list(self.steps)
        return row


def steps_in(program: str) -> list[str]:
    """The rule calls of a printed hypothesis program, each as ``rule`` or ``rule(entry)``.

    The entry is the SDK or contract function the step went through (its ``via`` argument or
    its ``function`` draw), where the rule has several.
    """
    steps: list[str] = []
    entry = None  # hypothesis prints a step's draws before the step itself
    for line in program.splitlines():
        draw = _DRAW.match(line)
        if draw:
            entry = entry or draw.group(2)
            continue
        step = _STEP.match(line)
        if not step:
            continue
        rule, pending, entry = step.group(1), entry, None
        if rule in SET_UP or rule.startswith("chain_matches"):
            continue
        via = _VIA.search(step.group(2))
        entry_point = via.group(1) if via else pending
        steps.append(f"{rule}({entry_point})" if entry_point else rule)
    return steps


def render(rows: list[Kill]) -> str:
    """The kill matrix as a Markdown table (the run summary prints it; docs quote it)."""
    lines = [
        "| mutant | contract | steps | counterexample (after shrinking) | caught by |",
        "|---|---|---|---|---|",
    ]
    for row in sorted(rows, key=lambda r: (r.contract, r.mutant)):
        program = " → ".join(row.steps) or (
            "(while building the start state)" if "start state" in row.check else "(none)"
        )
        lines.append(
            f"| `{row.mutant}` | {row.contract} | {len(row.steps)} | {program} | {row.check} |"
        )
    return "\n".join(lines)
