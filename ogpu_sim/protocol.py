"""Deploy and wire the OpenGPU protocol contracts on any web3 connection.

A leaf module: it knows web3 and the compiled artifacts, nothing above them. Every
transaction is signed locally by the deployer's key, so it works on an in-process
eth-tester chain and on a remote node that has no unlocked accounts.

Deployment (docs/protocol.md, contracts and wiring; one improvement is recorded in
docs/protocol-decisions.md):
contract addresses are derived from the deployer's nonce up front, so Terminal and Nexus
are constructed with the Vault's final address and no ``setVault`` calls are needed. The
transactions are all sent first and their receipts collected afterwards, which lets a
remote node mine them together.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import requests
import rlp
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import Web3RPCError
from web3.types import TxParams, TxReceipt

from ogpu_sim import artifacts as shipped
from ogpu_sim.errors import ArtifactNotFoundError, ConfigError

from .errors import DeploymentError, TransactionRevertedError

SINGLETONS = ("MANAGER", "TERMINAL", "NEXUS", "VAULT", "CONTROLLER")
INSTANCE_KINDS = ("Source", "Task", "Response")
CONTROLLER_ROLE = keccak(text="CONTROLLER")
PROVIDER_ROLE = keccak(text="PROVIDER")
JUDGE_ROLE = keccak(text="JUDGE")

_CALL_GAS = 300_000
_RECEIPT_TIMEOUT = 120.0


@dataclass(frozen=True)
class ProtocolConfig:
    """Admin settings applied right after deployment.

    Attributes:
        unbonding_period: seconds between ``Vault.unbond`` and a successful ``claim``.
        min_lockup_per_source: wei of lockup a provider needs to register to any source.
    """

    unbonding_period: int = 10
    min_lockup_per_source: int = 0

    def __post_init__(self) -> None:
        for option in ("unbonding_period", "min_lockup_per_source"):
            value = getattr(self, option)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(option, f"must be a non-negative integer, got {value!r}")


@dataclass
class Deployment:
    """A deployed, wired protocol.

    Attributes:
        addresses: checksummed addresses keyed NEXUS, CONTROLLER, TERMINAL, VAULT, MANAGER.
        contracts: web3 contract handles, same keys.
        deployer: the account that deployed (admin and judge in Manager, owner elsewhere).
        config: the settings applied.
        block_number: block of the last deployment transaction.
    """

    addresses: dict[str, ChecksumAddress]
    contracts: dict[str, Contract]
    deployer: ChecksumAddress
    config: ProtocolConfig
    block_number: int
    receipts: list[TxReceipt] = field(default_factory=list, repr=False)


def create_address(sender: str, nonce: int) -> ChecksumAddress:
    """Address of the contract ``sender`` creates with transaction ``nonce`` (CREATE)."""
    raw = keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:]
    return to_checksum_address(raw)


def contract(w3: Web3, name: str, address: str) -> Contract:
    """Return a web3 handle on the deployed contract ``name`` at ``address``."""
    return w3.eth.contract(address=to_checksum_address(address), abi=shipped.load(name)["abi"])


def instance(w3: Web3, kind: Literal["Source", "Task", "Response"], address: str) -> Contract:
    """Return a handle on a per-instance contract (a Source, Task or Response).

    Raises:
        ConfigError: ``kind`` is not one of Source, Task, Response.
    """
    if kind not in INSTANCE_KINDS:
        raise ConfigError("kind", f"must be one of {', '.join(INSTANCE_KINDS)}, got {kind!r}")
    return contract(w3, kind, address)


def load_artifacts(directory: str | Path | None = None) -> Callable[[str], dict[str, Any]]:
    """Return an artifact loader: the shipped artifacts, or ``<directory>/<Name>.json``.

    Raises:
        ConfigError: ``directory`` is not a directory.
    """
    if directory is None:
        return shipped.load
    folder = Path(directory)
    if not folder.is_dir():
        raise ConfigError("artifacts", f"{folder} is not a directory of compiled artifacts")

    def load(name: str) -> dict[str, Any]:
        path = folder / f"{name}.json"
        if not path.is_file():
            raise ArtifactNotFoundError(name, sorted(p.stem for p in folder.glob("*.json")))
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    return load


def _deploy_gas(art: dict[str, Any]) -> int:
    # An upper bound, so no estimate round-trip is needed: creation + calldata at the
    # EIP-7623 floor price + code deposit + generous constructor work.
    initcode = (len(art["bytecode"]) - 2) // 2 + 32 * 4
    runtime = (len(art["deployedBytecode"]) - 2) // 2
    return 53_000 + 40 * initcode + 200 * runtime + 600_000


def _signed(w3: Web3, account: LocalAccount, tx: TxParams) -> bytes:
    return bytes(account.sign_transaction(dict(tx)).raw_transaction)  # type: ignore[arg-type]


def deploy(
    w3: Web3,
    deployer: LocalAccount,
    config: ProtocolConfig = ProtocolConfig(),
    artifacts: str | Path | None = None,
) -> Deployment:
    """Deploy Manager, Terminal, Nexus, Vault and Controller, wire roles and apply ``config``.

    Args:
        w3: any connected web3 (in-process eth-tester or a JSON-RPC node).
        deployer: funded local account; it becomes Manager admin and judge and the owner of
            the Ownable singletons.
        config: admin settings (defaults: 10 s unbonding, no minimum lockup).
        artifacts: a directory of ``<Name>.json`` artifacts (as ``ogpu_sim.dev.build`` writes)
            to deploy instead of the shipped ones, e.g. a modified protocol.

    Returns:
        The deployment with addresses and contract handles.

    Raises:
        DeploymentError: a transaction reverted or a contract landed at an unexpected address.
        ConfigError: ``artifacts`` is not a directory.
        ArtifactNotFoundError: ``artifacts`` lacks one of the five singletons.
    """
    me = deployer.address
    nonce = w3.eth.get_transaction_count(me, "pending")
    base: dict[str, Any] = {"chainId": w3.eth.chain_id, "gasPrice": w3.eth.gas_price, "from": me}
    addr = {key: create_address(me, nonce + i) for i, key in enumerate(SINGLETONS)}
    args = {
        "MANAGER": (),
        "TERMINAL": (addr["MANAGER"], addr["VAULT"]),
        "NEXUS": (addr["MANAGER"], addr["TERMINAL"], addr["VAULT"]),
        "VAULT": (addr["MANAGER"], addr["NEXUS"], addr["TERMINAL"]),
        "CONTROLLER": (addr["NEXUS"], addr["TERMINAL"], addr["VAULT"]),
    }
    load = load_artifacts(artifacts)
    compiled = {key: load(key.title()) for key in SINGLETONS}
    handles = {
        key: w3.eth.contract(address=addr[key], abi=compiled[key]["abi"]) for key in SINGLETONS
    }
    raw: list[tuple[str, bytes]] = []
    for key in SINGLETONS:
        name = key.title()
        art = compiled[key]
        factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        tx = factory.constructor(*args[key]).build_transaction(
            {**base, "nonce": nonce + len(raw), "gas": _deploy_gas(art)}
        )
        raw.append((f"{name} deployment", _signed(w3, deployer, tx)))
    calls: list[tuple[str, ContractFunction]] = [
        (
            "grantRole(CONTROLLER, Controller)",
            handles["MANAGER"].functions.grantRole(CONTROLLER_ROLE, addr["CONTROLLER"]),
        ),
        (
            "grantRole(CONTROLLER, Nexus)",
            handles["MANAGER"].functions.grantRole(CONTROLLER_ROLE, addr["NEXUS"]),
        ),
    ]
    if config.unbonding_period:
        calls.append(
            (
                "setMaxUnbondingPeriod",
                handles["VAULT"].functions.setMaxUnbondingPeriod(config.unbonding_period),
            )
        )
    if config.min_lockup_per_source:
        calls.append(
            (
                "setMinLockupPerSource",
                handles["VAULT"].functions.setMinLockupPerSource(config.min_lockup_per_source),
            )
        )
    for description, fn in calls:
        tx = fn.build_transaction(
            {**base, "nonce": nonce + len(raw), "gas": _CALL_GAS}  # type: ignore[arg-type]
        )
        raw.append((description, _signed(w3, deployer, tx)))

    hashes = [(d, w3.eth.send_raw_transaction(r)) for d, r in raw]
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=_RECEIPT_TIMEOUT) for _, h in hashes]
    for (description, tx_hash), receipt in zip(hashes, receipts, strict=True):
        if receipt["status"] != 1:
            raise DeploymentError(f"{description} reverted (transaction {Web3.to_hex(tx_hash)})")
    for key, receipt in zip(SINGLETONS, receipts, strict=False):
        if receipt["contractAddress"] != addr[key]:
            raise DeploymentError(
                f"{key.title()} landed at {receipt['contractAddress']}, expected {addr[key]}"
            )
    return Deployment(
        addresses=addr,
        contracts=handles,
        deployer=me,
        config=config,
        block_number=max(r["blockNumber"] for r in receipts),
        receipts=receipts,
    )


_SEND_ATTEMPTS = 4


def send_raw(w3: Web3, raw: bytes) -> Any:
    """Send a signed transaction, resending the same bytes after a transport error.

    Resending one signed transaction is idempotent (same hash, same nonce), so a connection
    reset or a lost answer — a flaky node, or an injected chain fault — is retried without any
    risk of a second transaction; a node that already has it answers "already known".
    """
    tx_hash = keccak(raw)
    for attempt in range(_SEND_ATTEMPTS):
        try:
            return w3.eth.send_raw_transaction(raw)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ):
            if attempt == _SEND_ATTEMPTS - 1:
                raise
        except (Web3RPCError, ValueError) as exc:
            if attempt and ("already known" in str(exc) or "nonce too low" in str(exc)):
                return tx_hash  # an earlier attempt reached the node after all
            raise
    return tx_hash  # pragma: no cover (the loop returns or raises)


def send(
    w3: Web3, account: LocalAccount, fn: ContractFunction, value: int = 0, gas: int | None = None
) -> TxReceipt:
    """Sign ``fn`` with ``account``, send it, wait for the receipt and check it succeeded.

    Gas is estimated unless given, so a revert surfaces at estimation with the node's own
    error (eth-tester: ``TransactionFailed("execution reverted: <reason>")``).

    Raises:
        TransactionRevertedError: the transaction was mined with status 0.
    """
    params: dict[str, Any] = {
        "from": account.address,
        "value": value,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": w3.eth.chain_id,
        "gasPrice": w3.eth.gas_price,
    }
    if gas is not None:
        params["gas"] = gas
    tx = fn.build_transaction(params)  # type: ignore[arg-type]
    tx_hash = send_raw(w3, _signed(w3, account, tx))
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=_RECEIPT_TIMEOUT)
    if receipt["status"] != 1:
        raise TransactionRevertedError(Web3.to_hex(tx_hash), fn.fn_name)
    return receipt


__all__ = [
    "CONTROLLER_ROLE",
    "INSTANCE_KINDS",
    "JUDGE_ROLE",
    "PROVIDER_ROLE",
    "SINGLETONS",
    "Deployment",
    "DeploymentError",
    "ProtocolConfig",
    "TransactionRevertedError",
    "contract",
    "create_address",
    "deploy",
    "instance",
    "load_artifacts",
    "send",
]
