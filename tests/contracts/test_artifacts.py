"""The committed artifacts: loading, their contents, size limits, and freshness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from solcx.exceptions import SolcNotInstalled

from ogpu_sim import artifacts
from ogpu_sim.dev import build
from ogpu_sim.errors import ArtifactNotFoundError

CONTRACTS = ["Controller", "Manager", "Nexus", "Response", "Source", "Task", "Terminal", "Vault"]
EIP170_LIMIT = 24_576


def test_the_build_writes_where_the_artifacts_are_loaded_from() -> None:
    assert Path(artifacts.__file__).resolve().parent == build.ARTIFACTS_DIR
    assert build.ARTIFACTS_DIR == build.REPO_ROOT / "ogpu_sim" / "artifacts"
    assert sorted(p.stem for p in build.ARTIFACTS_DIR.glob("*.json")) == CONTRACTS


def test_names_lists_every_shipped_contract() -> None:
    assert artifacts.names() == CONTRACTS


def test_load_returns_abi_bytecode_compiler_and_settings() -> None:
    art = artifacts.load("Nexus")
    assert art["contractName"] == "Nexus"
    assert art["sourceName"] == "contracts/Nexus.sol"
    assert art["bytecode"].startswith("0x60") and art["deployedBytecode"].startswith("0x60")
    assert art["compiler"]["version"].startswith(build.SOLC_VERSION + "+commit.")
    assert art["settings"] == {"optimizer": {"enabled": True, "runs": 200}, "evmVersion": "cancun"}
    assert {e["name"] for e in art["abi"] if e["type"] == "event"} >= {"TaskPublished"}


def test_load_of_an_unknown_name_raises_with_the_known_names() -> None:
    with pytest.raises(ArtifactNotFoundError) as info:
        artifacts.load("Nexsu")
    assert info.value.name == "Nexsu"
    assert info.value.known == CONTRACTS
    assert str(info.value) == (
        "no artifact named 'Nexsu'; known contracts: " + ", ".join(CONTRACTS)
    )


def test_load_returns_an_independent_copy() -> None:
    artifacts.load("Task")["abi"].clear()
    assert len(artifacts.load("Task")["abi"]) == 29


@pytest.mark.parametrize("name", CONTRACTS)
def test_runtime_code_fits_eip170(name: str) -> None:
    size = build.runtime_sizes({name: artifacts.load(name)})[name]
    assert 0 < size < EIP170_LIMIT


@pytest.mark.slow
def test_recompiling_reproduces_the_committed_artifacts(
    fresh_compile: dict[str, dict[str, Any]],
) -> None:
    assert sorted(fresh_compile) == CONTRACTS
    stale = [
        name
        for name, art in fresh_compile.items()
        if art["bytecode"] != artifacts.load(name)["bytecode"]
        or art["deployedBytecode"] != artifacts.load(name)["deployedBytecode"]
        or art["abi"] != artifacts.load(name)["abi"]
    ]
    assert stale == [], f"artifacts out of date for {stale}: run `make contracts`"


@pytest.mark.slow
def test_write_artifacts_writes_one_json_per_contract_and_drops_stale_ones(
    fresh_compile: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    (tmp_path / "Old.json").write_text("{}")
    build.write_artifacts(fresh_compile, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{n}.json" for n in CONTRACTS]
    assert json.loads((tmp_path / "Vault.json").read_text()) == fresh_compile["Vault"]


def test_collect_sources_includes_openzeppelin_imports_by_package_path() -> None:
    units = build.collect_sources()
    assert "contracts/Nexus.sol" in units
    assert "@openzeppelin/contracts/access/Ownable.sol" in units
    assert "@openzeppelin/contracts/utils/Context.sol" in units
    assert "@openzeppelin/contracts/access/IAccessControl.sol" in units


def test_an_unresolvable_import_is_a_compile_error(tmp_path: Path) -> None:
    (tmp_path / "Broken.sol").write_text('import "./Missing.sol";\ncontract Broken {}\n')
    with pytest.raises(
        build.CompileError, match=r"cannot resolve Solidity import 'contracts/Missing.sol'"
    ):
        build.collect_sources(tmp_path)


def test_a_solidity_error_is_a_compile_error(tmp_path: Path) -> None:
    (tmp_path / "Bad.sol").write_text("pragma solidity ^0.8.24;\ncontract Bad { uint x = ; }\n")
    with pytest.raises(build.CompileError, match="ParserError"):
        build.compile_contracts(tmp_path)


def test_no_compiler_found_names_the_install_commands(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def not_installed() -> None:
        raise SolcNotInstalled("no solc installed")

    monkeypatch.setattr(build.shutil, "which", lambda _name: None)
    monkeypatch.setattr(build, "get_executable", not_installed)
    monkeypatch.setattr(build, "NODE_MODULES", tmp_path)
    with pytest.raises(build.CompilerNotFoundError) as info:
        build.find_compiler()
    assert "make install" in str(info.value) and "npm ci" in str(info.value)
    assert info.value.searched[-1] == str(tmp_path / ".bin" / "solcjs")


def test_the_solcjs_shim_answers_version_in_the_native_format() -> None:
    import subprocess

    shim = build.find_compiler()
    out = subprocess.run([str(shim), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1].startswith(f"Version: {build.SOLC_VERSION}+commit.")


def test_names_returns_an_independent_list() -> None:
    artifacts.names().clear()
    assert artifacts.names() == CONTRACTS


def test_main_compiles_the_given_folder_into_the_given_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[Path] = []

    def compile_stub(contracts_dir: Path) -> dict[str, dict[str, Any]]:
        seen.append(contracts_dir)
        return {"Nexus": artifacts.load("Nexus")}

    monkeypatch.setattr(build, "compile_contracts", compile_stub)
    assert build.main(["--contracts", str(tmp_path / "src"), "--out", str(tmp_path / "out")]) == 0
    assert seen == [tmp_path / "src"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["Nexus.json"]
    size = build.runtime_sizes({"Nexus": artifacts.load("Nexus")})["Nexus"]
    assert capsys.readouterr().out == f"Nexus        {size:>6} bytes runtime\n"


def test_main_reports_a_missing_compiler_and_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_compiler(contracts_dir: Path) -> dict[str, dict[str, Any]]:
        raise build.CompilerNotFoundError(["solc on PATH"])

    monkeypatch.setattr(build, "compile_contracts", no_compiler)
    assert build.main([]) == 1
    assert capsys.readouterr().err == (
        "error: no Solidity compiler found (looked for: solc on PATH); "
        "run `make install` (or `npm ci` for solc-js) and try again\n"
    )
