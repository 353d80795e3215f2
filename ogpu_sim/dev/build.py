"""Compile ``contracts/`` into the committed JSON artifacts in ``ogpu_sim/artifacts/``.

Run it as ``python -m ogpu_sim.dev.build`` (``make contracts``). The compile goes through
py-solc-x's ``compile_standard``. A native ``solc`` is used when one is installed (on PATH
or through py-solc-x); otherwise npm's solc-js (``node_modules/.bin/solcjs``) is driven
through a small shim executable, because solc-js lacks the native CLI that py-solc-x
expects (docs/architecture.md, "Contract build").

Every source, including the OpenZeppelin files it imports, is read here and handed to the
compiler as content, so the output does not depend on the compiler's import callback and
the bytecode is identical whichever compiler binary runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError, SolcNotInstalled
from solcx.install import get_executable

from ogpu_sim import artifacts as shipped_artifacts
from ogpu_sim.errors import CompileError, CompilerNotFoundError

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = REPO_ROOT / "contracts"
ARTIFACTS_DIR = Path(shipped_artifacts.__file__).resolve().parent
"""Where the artifacts are loaded from: the ``ogpu_sim.artifacts`` package's folder."""
NODE_MODULES = REPO_ROOT / "node_modules"

SOLC_VERSION = "0.8.37"
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "metadata",
                "storageLayout",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
            ],
            "": ["ast"],
        }
    },
}

_IMPORT_RE = re.compile(r'^\s*import\s+[^"\']*["\']([^"\']+)["\']\s*;', re.MULTILINE)

# Native-CLI shim for solc-js. py-solc-x calls `solc --version` and
# `solc --standard-json [--allow-paths ...]`; solcjs answers neither in the native way.
_SHIM = """#!{python}
import subprocess, sys, tempfile
SOLCJS = {solcjs!r}
args = sys.argv[1:]
if "--version" in args:
    out = subprocess.run([SOLCJS, "--version"], capture_output=True, text=True, check=True).stdout
    print("solc, the solidity compiler commandline interface")
    print("Version: " + out.strip().splitlines()[-1])
    sys.exit(0)
kept, skip = [], False
for a in args:
    if skip:
        skip = False
        continue
    if a == "--allow-paths":
        skip = True
        continue
    if a.startswith("--allow-paths="):
        continue
    kept.append(a)
# solcjs reads stdin with readFileSync (EAGAIN on a pipe) and exits before a piped stdout
# drains (output cut at 64 KiB): give it files for both.
with tempfile.TemporaryFile("w+") as src, tempfile.TemporaryFile("w+") as dst:
    src.write(sys.stdin.read())
    src.seek(0)
    proc = subprocess.run([SOLCJS, *kept, "--base-path", {root!r}, "--include-path", {nm!r}],
                          stdin=src, stdout=dst, stderr=subprocess.PIPE, text=True)
    dst.seek(0)
    stdout = dst.read()
out = "\\n".join(l for l in stdout.splitlines() if not l.startswith(">>> Cannot retry"))
sys.stdout.write(out)
sys.stderr.write(proc.stderr)
sys.exit(proc.returncode)
"""


def find_compiler() -> Path:
    """Return a solc executable py-solc-x can drive, preferring a native one.

    Raises:
        CompilerNotFoundError: if no native solc is installed and solc-js is missing.
    """
    native = shutil.which("solc")
    if native:
        return Path(native)
    try:
        return Path(get_executable())
    except SolcNotInstalled:
        pass
    solcjs = NODE_MODULES / ".bin" / "solcjs"
    if solcjs.exists() and shutil.which("node"):
        return _write_shim(solcjs)
    raise CompilerNotFoundError(["solc on PATH", "py-solc-x installs", str(solcjs)])


def _write_shim(solcjs: Path) -> Path:
    shim_dir = Path(tempfile.gettempdir()) / "ogpu-sim-solc-shim"
    shim_dir.mkdir(exist_ok=True)
    shim = shim_dir / "solc"
    text = _SHIM.format(
        python=sys.executable, solcjs=str(solcjs), root=str(REPO_ROOT), nm=str(NODE_MODULES)
    )
    if not shim.exists() or shim.read_text() != text:
        tmp = shim_dir / f"solc.{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.write_text(text)
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        tmp.replace(shim)
    return shim


def collect_sources(contracts_dir: Path = CONTRACTS_DIR) -> dict[str, dict[str, str]]:
    """Read every ``.sol`` under ``contracts_dir`` and, transitively, what they import.

    Unit names are ``contracts/<file>.sol`` for ours and the package path (e.g.
    ``@openzeppelin/contracts/access/Ownable.sol``) for node_modules imports.

    Raises:
        CompileError: if an import cannot be resolved to a file.
    """
    sources: dict[str, dict[str, str]] = {}
    pending = [f"contracts/{p.name}" for p in sorted(contracts_dir.glob("*.sol"))]
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        path = _unit_path(unit, contracts_dir)
        if not path.is_file():
            raise CompileError(f"cannot resolve Solidity import {unit!r} (looked at {path})")
        text = path.read_text()
        sources[unit] = {"content": text}
        for imported in _IMPORT_RE.findall(text):
            pending.append(_resolve(unit, imported))
    return dict(sorted(sources.items()))


def _unit_path(unit: str, contracts_dir: Path) -> Path:
    if unit.startswith("contracts/"):
        return contracts_dir / unit.removeprefix("contracts/")
    return NODE_MODULES / unit


def _resolve(importer: str, imported: str) -> str:
    if not imported.startswith("."):
        return imported
    parts = importer.split("/")[:-1]
    for piece in imported.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def compile_contracts(contracts_dir: Path = CONTRACTS_DIR) -> dict[str, dict[str, Any]]:
    """Compile ``contracts_dir`` and return one artifact dict per deployable contract.

    Raises:
        CompilerNotFoundError: no compiler is available.
        CompileError: the compiler reported errors.
    """
    solc = find_compiler()
    input_data = {
        "language": "Solidity",
        "sources": collect_sources(contracts_dir),
        "settings": SETTINGS,
    }
    try:
        output = solcx.compile_standard(input_data, solc_binary=solc)
    except SolcError as exc:
        raise CompileError(str(exc)) from exc
    deployable = _deployable_contracts(output)
    artifacts: dict[str, dict[str, Any]] = {}
    for unit, contracts in sorted(output["contracts"].items()):
        if not unit.startswith("contracts/"):
            continue
        for name, data in sorted(contracts.items()):
            if (unit, name) not in deployable:
                continue
            artifacts[name] = {
                "contractName": name,
                "sourceName": unit,
                "abi": data["abi"],
                "bytecode": "0x" + data["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
                "storageLayout": data["storageLayout"],
                "compiler": {"name": "solc", "version": _compiler_version(data)},
                "settings": {k: v for k, v in SETTINGS.items() if k != "outputSelection"},
            }
    return artifacts


HELPER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "metadata": {"bytecodeHash": "none"},
    "outputSelection": {"*": {"*": ["evm.bytecode.object"]}},
}
"""How the read helpers run as creation code (``actors/TaskFactsRead.sol``,
``testing/BatchRead.sol``) are compiled: no metadata hash, so the embedded bytes are stable."""


def compile_helper(source: Path) -> bytes:
    """The creation code of the contract ``source`` holds (named as the file), compiled with
    :data:`HELPER_SETTINGS`; the tests compare it with the bytes a module embeds.

    Raises:
        CompilerNotFoundError: no compiler is available.
        CompileError: the compiler reported errors.
    """
    input_data = {
        "language": "Solidity",
        "sources": {source.name: {"content": source.read_text()}},
        "settings": HELPER_SETTINGS,
    }
    try:
        output = solcx.compile_standard(input_data, solc_binary=find_compiler())
    except SolcError as exc:
        raise CompileError(str(exc)) from exc
    code = output["contracts"][source.name][source.stem]["evm"]["bytecode"]["object"]
    return bytes.fromhex(code)


def _compiler_version(data: dict[str, Any]) -> str:
    """Full compiler version (with commit) from the contract's metadata; no extra solc run."""
    version: str = json.loads(data["metadata"])["compiler"]["version"]
    return version


def _deployable_contracts(output: dict[str, Any]) -> set[tuple[str, str]]:
    """(unit, name) of every non-abstract ``contract`` (not interface/library)."""
    found: set[tuple[str, str]] = set()
    for unit, source in output["sources"].items():
        for node in source["ast"]["nodes"]:
            if (
                node.get("nodeType") == "ContractDefinition"
                and node.get("contractKind") == "contract"
                and not node.get("abstract", False)
            ):
                found.add((unit, node["name"]))
    return found


def write_artifacts(artifacts: dict[str, dict[str, Any]], out_dir: Path = ARTIFACTS_DIR) -> None:
    """Write ``<Name>.json`` per artifact and drop stale ones (``__init__.py`` is kept)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.json"):
        if stale.stem not in artifacts:
            stale.unlink()
    for name, artifact in artifacts.items():
        (out_dir / f"{name}.json").write_text(json.dumps(artifact, indent=1) + "\n")


def runtime_sizes(artifacts: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Runtime code size in bytes per contract (EIP-170 caps it at 24576)."""
    return {n: (len(a["deployedBytecode"]) - 2) // 2 for n, a in artifacts.items()}


def main(argv: list[str] | None = None) -> int:
    """Compile, write the artifacts and print each contract's runtime size.

    Args:
        argv: command-line arguments (``--contracts DIR``, ``--out DIR``); defaults compile
            the shipped ``contracts/`` into ``ogpu_sim/artifacts/``.

    Returns:
        0 on success, 1 when no compiler is found or compilation fails (message on stderr).
    """
    parser = argparse.ArgumentParser(
        prog="ogpu-sim compile", description="Compile the Solidity protocol into JSON artifacts."
    )
    parser.add_argument(
        "--contracts",
        type=Path,
        default=CONTRACTS_DIR,
        help="folder of .sol files (default: the repository's contracts/)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ARTIFACTS_DIR,
        help="where to write <Name>.json (default: ogpu_sim/artifacts/)",
    )
    args = parser.parse_args(argv)
    try:
        artifacts = compile_contracts(args.contracts)
    except (CompilerNotFoundError, CompileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    write_artifacts(artifacts, args.out)
    for name, size in sorted(runtime_sizes(artifacts).items()):
        print(f"{name:<12} {size:>6} bytes runtime")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "CompileError",
    "CompilerNotFoundError",
    "collect_sources",
    "compile_contracts",
    "find_compiler",
    "runtime_sizes",
    "write_artifacts",
]
