"""Deliberately broken variants of our contracts, compiled once and cached by patch hash.

Each mutant is a small textual patch to ``contracts/``. :func:`mutant_artifacts` copies the
contracts into a temporary directory, applies the patch, compiles it with ``ogpu_sim.dev.build`` and
writes the artifacts to ``.cache/mutants/<name>-<hash>/``, keyed by the hash of the patch and of
every contract source, so repeated runs reuse them. The mutants live here only, never in the
shipped package.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ogpu_sim.testing import LifecycleMachine, RuleStatistics

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "contracts"
CACHE = REPO / ".cache" / "mutants"


class MutantMachine(LifecycleMachine):
    """The stock machine with its own statistics, so mutant runs don't mix with green runs."""

    statistics = RuleStatistics()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the machine exercised while hunting the mutants."""
    stats = MutantMachine.statistics
    if stats.calls:
        terminalreporter.write_sep("-", "LifecycleMachine rule statistics (mutant runs)")
        terminalreporter.write_line(stats.render(title="all mutants together"))


@dataclass(frozen=True)
class Mutant:
    """A bug: replace ``old`` (which must occur exactly once) by ``new`` in ``file``."""

    name: str
    bug: str
    file: str
    old: str
    new: str


MUTANTS = (
    Mutant(
        "cancel_forgets_refund",
        "cancelling a task never refunds the escrow (it stays frozen)",
        "Controller.sol",
        "        INexusOps(nexus).setTaskStatus(task, TaskStatus.CANCELED);\n"
        "        IVaultOps(vault).releasePayment(client, task);\n",
        "        INexusOps(nexus).setTaskStatus(task, TaskStatus.CANCELED);\n",
    ),
    Mutant(
        "cancel_after_attempt",
        "the Controller lets a client cancel a task after providers attempted (until final)",
        "Controller.sol",
        'require(ITaskOps(task).getStatus() == TaskStatus.NEW, "AlreadyFinalized");',
        'require(ITaskOps(task).getStatus() <= TaskStatus.RESPONDED, "AlreadyFinalized");',
    ),
    Mutant(
        "first_response_pays_twice",
        "the Nexus settles a second FIRST_RESPONSE racer on an already finalized task",
        "Nexus.sol",
        "        _requireOpen(status);\n"
        '        require(block.timestamp <= t.getExpiryTime(), "Expired");\n',
        "        if (status != TaskStatus.FINALIZED) _requireOpen(status);\n"
        '        require(block.timestamp <= t.getExpiryTime(), "Expired");\n',
    ),
    Mutant(
        "stake_credited_as_balance",
        "the Vault credits a master's announceProvider stake to the liquid balance",
        "Vault.sol",
        "if (msg.sender == terminal) {",
        "if (msg.sender == address(0)) {",
    ),
)


def patched_source(mutant: Mutant) -> str:
    """The mutated text of ``mutant.file``; fails loudly if the patch no longer applies."""
    text = (CONTRACTS / mutant.file).read_text()
    count = text.count(mutant.old)
    if count != 1:
        raise AssertionError(
            f"mutant {mutant.name}: expected the patched text exactly once in "
            f"contracts/{mutant.file}, found it {count} times (contracts changed?)"
        )
    return text.replace(mutant.old, mutant.new)


def cache_key(mutant: Mutant) -> str:
    """Hash of the patch and every contract source: a changed contract means a recompile."""
    digest = hashlib.sha256(repr((mutant.file, mutant.old, mutant.new)).encode())
    for path in sorted(CONTRACTS.glob("*.sol")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def mutant_artifacts(mutant: Mutant) -> Path:
    """Directory of compiled artifacts for ``mutant`` (compiled on first use, then cached)."""
    from ogpu_sim.dev.build import compile_contracts, write_artifacts

    out = CACHE / f"{mutant.name}-{cache_key(mutant)}"
    if (out / "Nexus.json").is_file():
        return out
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as tmp:
        work = Path(tmp) / "contracts"
        shutil.copytree(CONTRACTS, work)
        (work / mutant.file).write_text(patched_source(mutant))
        artifacts = compile_contracts(work)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    write_artifacts(artifacts, staging)
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out
