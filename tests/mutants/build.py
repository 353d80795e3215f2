"""Compiling the mutants: all missing ones in one compiler run, cached by source hash.

A mutant's artifacts are the shipped ones with the contracts the patch changes recompiled: the
patched contract and the contracts that deploy it with ``new`` (a Task bug is in the
Controller's code too). Every mutant still to be built goes into one standard-JSON input, each
under its own ``mutants/<name>/contracts/`` tree, so solc-js starts and parses the shared
OpenZeppelin sources once. The result lands in ``.cache/mutants/<name>-<hash>/``, keyed by the
hash of the patch and of every contract source; a file lock lets one pytest-xdist worker build
while the others wait for it.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ogpu_sim.artifacts import load as load_shipped
from ogpu_sim.artifacts import names as shipped_names

from .catalogue import EMBEDDED_IN, Mutant

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "contracts"
CACHE = REPO / ".cache" / "mutants"
_OUTPUTS = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]


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


def artifact_dir(mutant: Mutant) -> Path:
    """Where ``mutant``'s artifacts are cached."""
    return CACHE / f"{mutant.name}-{cache_key(mutant)}"


def changed_files(mutant: Mutant) -> tuple[str, ...]:
    """The contract files whose bytecode the patch changes."""
    return (mutant.file, *EMBEDDED_IN.get(mutant.file, ()))


def _compile(mutants: list[Mutant]) -> dict[str, dict[str, dict[str, Any]]]:
    """One compiler run for ``mutants``: name -> contract -> artifact (changed contracts)."""
    import solcx

    from ogpu_sim.dev.build import SETTINGS, collect_sources, find_compiler

    shared = collect_sources(CONTRACTS)
    sources = {unit: body for unit, body in shared.items() if not unit.startswith("contracts/")}
    selection: dict[str, dict[str, list[str]]] = {}
    for mutant in mutants:
        for unit, body in shared.items():
            if unit.startswith("contracts/"):
                sources[f"mutants/{mutant.name}/{unit}"] = dict(body)
        sources[f"mutants/{mutant.name}/contracts/{mutant.file}"] = {
            "content": patched_source(mutant)
        }
        for file in changed_files(mutant):
            selection[f"mutants/{mutant.name}/contracts/{file}"] = {"*": _OUTPUTS}
    settings = copy.deepcopy(SETTINGS)
    settings["outputSelection"] = selection
    output = solcx.compile_standard(
        {"language": "Solidity", "sources": sources, "settings": settings},
        solc_binary=find_compiler(),
    )
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise AssertionError("a mutant does not compile:\n" + json.dumps(errors, indent=1))
    built: dict[str, dict[str, dict[str, Any]]] = {m.name: {} for m in mutants}
    for unit, contracts in output["contracts"].items():
        name = unit.split("/")[1]
        for contract, data in contracts.items():
            if not data["evm"]["bytecode"]["object"]:
                continue  # an interface or library in the same file
            built[name][contract] = {
                "contractName": contract,
                "abi": data["abi"],
                "bytecode": "0x" + data["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
            }
    return built


def _write(mutant: Mutant, changed: dict[str, dict[str, Any]]) -> None:
    out = artifact_dir(mutant)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for contract in shipped_names():
        artifact = changed.get(contract) or load_shipped(contract)
        (staging / f"{contract}.json").write_text(json.dumps(artifact))
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)


def build(mutants: Iterable[Mutant]) -> dict[str, Path]:
    """Artifact directories of ``mutants``, compiling (once, together) those not cached."""
    mutants = list(mutants)
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one xdist worker compiles, the others wait
        missing = [m for m in mutants if not (artifact_dir(m) / "Nexus.json").is_file()]
        if missing:
            for name, changed in _compile(missing).items():
                _write(next(m for m in missing if m.name == name), changed)
    return {m.name: artifact_dir(m) for m in mutants}
