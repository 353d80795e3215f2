"""Our compiled ABIs are the SDK's ABIs (docs/protocol.md, contracts and wiring).

Compared order-insensitively on type, name, inputs (name, type, internalType, indexed,
components), outputs, stateMutability and anonymous. The mainnet ABIs must match exactly;
every testnet ABI entry must exist in ours (testnet is a subset of mainnet).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ogpu
import pytest

from ogpu_sim import artifacts

CONTRACTS = ["Manager", "Terminal", "Nexus", "Vault", "Controller", "Source", "Task", "Response"]
SDK_ABIS = Path(ogpu.__file__).parent / "chain" / "abis"


def _param(p: dict[str, Any]) -> dict[str, Any]:
    out = {"name": p.get("name", ""), "type": p["type"], "internalType": p.get("internalType")}
    if "indexed" in p:
        out["indexed"] = p["indexed"]
    if "components" in p:
        out["components"] = [_param(c) for c in p["components"]]
    return out


def canonical(entry: dict[str, Any]) -> str:
    """One ABI entry as a canonical JSON string of the fields the SDK depends on."""
    return json.dumps(
        {
            "type": entry["type"],
            "name": entry.get("name"),
            "inputs": [_param(p) for p in entry.get("inputs", [])],
            "outputs": [_param(p) for p in entry["outputs"]] if "outputs" in entry else None,
            "stateMutability": entry.get("stateMutability"),
            "anonymous": entry.get("anonymous"),
        },
        sort_keys=True,
    )


def sdk_abi(network: str, name: str) -> list[dict[str, Any]]:
    return json.loads((SDK_ABIS / network / f"{name}Abi.json").read_text())


def describe(entries: set[str]) -> list[str]:
    return sorted(f"{json.loads(e)['type']} {json.loads(e)['name']}: {e}" for e in entries)


@pytest.mark.parametrize("name", CONTRACTS)
def test_abi_equals_sdk_mainnet_abi(name: str) -> None:
    ours = {canonical(e) for e in artifacts.load(name)["abi"]}
    theirs = {canonical(e) for e in sdk_abi("mainnet", name)}
    only_ours, only_sdk = describe(ours - theirs), describe(theirs - ours)
    assert not only_ours and not only_sdk, (
        f"{name} ABI differs.\nOnly in ours:\n  "
        + "\n  ".join(only_ours)
        + "\nOnly in the SDK's:\n  "
        + "\n  ".join(only_sdk)
    )
    assert len(artifacts.load(name)["abi"]) == len(sdk_abi("mainnet", name))


@pytest.mark.parametrize("name", CONTRACTS)
def test_sdk_testnet_abi_is_a_subset_of_ours(name: str) -> None:
    ours = {canonical(e) for e in artifacts.load(name)["abi"]}
    missing = describe({canonical(e) for e in sdk_abi("testnet", name)} - ours)
    assert missing == [], f"{name}: testnet entries we lack:\n  " + "\n  ".join(missing)


def test_vault_abi_declares_no_errors() -> None:
    assert [e for e in artifacts.load("Vault")["abi"] if e["type"] == "error"] == []


@pytest.mark.parametrize("name", ["Nexus", "Terminal", "Vault"])
def test_hub_events_have_no_indexed_arguments(name: str) -> None:
    indexed = [
        (e["name"], p["name"])
        for e in artifacts.load(name)["abi"]
        if e["type"] == "event" and e["name"] != "OwnershipTransferred"
        for p in e["inputs"]
        if p["indexed"]
    ]
    assert indexed == []


def test_a_differing_entry_is_named_in_the_comparison() -> None:
    abi = artifacts.load("Task")["abi"]
    renamed = [dict(e, name="getPaymentX") if e.get("name") == "getPayment" else e for e in abi]
    ours = {canonical(e) for e in renamed}
    theirs = {canonical(e) for e in sdk_abi("mainnet", "Task")}
    assert [json.loads(e)["name"] for e in ours - theirs] == ["getPaymentX"]
    assert [json.loads(e)["name"] for e in theirs - ours] == ["getPayment"]
