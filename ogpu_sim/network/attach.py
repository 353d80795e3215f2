"""Attach to a live, already-deployed network: the :class:`Network` of attach mode.

:func:`attach` resolves where the protocol is and whose keys sign (:mod:`.live`), checks that
the contracts are there, and returns a complete :class:`~ogpu_sim.network.Network` whose leaves
are the live stand-ins: nothing is deployed, nothing is funded from the public test mnemonic,
and the SDK is bound to the live addresses, RPC and IPFS with the user's keys. Every signed
transaction passes the spend ledger (:mod:`.spend`) first. Start-up is all-or-nothing, like the
local network's; stopping sweeps what the run's fresh accounts hold back to the funder.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3

from ogpu_sim.actors.timeline import Timeline
from ogpu_sim.chain.base import check_duration, is_loopback_url, unreachable_node
from ogpu_sim.errors import ConfigError
from ogpu_sim.network import Network, NetworkOptions, transfer
from ogpu_sim.network.keys import resolve_keys
from ogpu_sim.network.live import (
    LiveAccounts,
    LiveChain,
    gas_budget,
    keep_keys,
    kept_keys_file,
    sweep,
)
from ogpu_sim.network.live_ipfs import LiveIpfs
from ogpu_sim.network.spend import SpendLedger, parse_amount, show_wei
from ogpu_sim.network.target import Target, no_node_file_hint, resolve_target
from ogpu_sim.protocol import SINGLETONS, Deployment, ProtocolConfig
from ogpu_sim.protocol import contract as contract_handle
from ogpu_sim.protocol import send as protocol_send
from ogpu_sim.runtime import check_image_source
from ogpu_sim.runtime.pool import HandlerPool
from ogpu_sim.sdk.binding import SdkBinding
from ogpu_sim.vocabulary import (
    DEFAULT_IMAGE_SOURCE,
    DEFAULT_RUNTIME,
    RUNTIMES,
    VAULT_BUCKET_GETTERS,
    choices,
)

log = logging.getLogger("ogpu_sim")

DEFAULT_MAX_SPEND = "1 OGPU"
"""The spend cap unless told otherwise (``max_spend=None`` / ``--ogpu-max-spend=none`` lifts it)."""

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class AttachOptions:
    """What configures attach mode; see :meth:`ogpu_sim.Simulator.attach`.

    Attributes:
        rpc_url: the live network's JSON-RPC URL.
        addresses: contract addresses (``NEXUS``, ``CONTROLLER``, ``TERMINAL``, ``VAULT``).
        chain: a ``ChainId`` (or its id or name): the SDK's own RPC URL and addresses for it.
        connection_file: an ``ogpu-sim node`` connection file (addresses, RPC, IPFS; its keys
            are never used).
        ipfs: the IPFS pinning endpoint (default: from the connection file, else the SDK's).
        keys: the user's private keys by role; missing roles come from ``CLIENT_PRIVATE_KEY``,
            ``PROVIDER_PRIVATE_KEY``, ``MASTER_PRIVATE_KEY``, ``AGENT_PRIVATE_KEY``.
        max_spend: the most the run may spend (wei, or ``"0.5 OGPU"``); ``None``: no cap.
        runtime: how local providers run handlers.
        image: ``working-copy`` or ``published``: what local providers' docker runtime runs for
            an ``image:`` handler service (see :class:`~ogpu_sim.network.NetworkOptions`).
        handler_timeout: seconds a local provider waits for its handler.
        wait_timeout: seconds ``run_until_idle`` waits for the live network by default.
        expire_wait: the longest ``sim.expire`` waits for a task's expiry (else it refuses).
        max_spend_option: how the caller's face names ``max_spend`` (``--ogpu-max-spend``,
            ``--max-spend``), so :class:`~ogpu_sim.errors.SpendCapError` names the right knob.
    """

    rpc_url: str | None = None
    addresses: Mapping[str, str] | None = None
    chain: Any = None
    connection_file: str | Path | None = None
    ipfs: str | None = None
    keys: Mapping[str, Any] | None = None
    max_spend: int | str | None = DEFAULT_MAX_SPEND
    runtime: str = DEFAULT_RUNTIME
    image: str = DEFAULT_IMAGE_SOURCE
    handler_timeout: float = 30.0
    wait_timeout: float = 300.0
    expire_wait: float = 30.0
    max_spend_option: str = "max_spend="

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise ConfigError("runtime", f"unknown {self.runtime!r}; known: {choices(RUNTIMES)}")
        check_image_source(self.image, self.runtime, "image")
        parse_amount(self.max_spend, self.max_spend_option.rstrip("="))
        check_duration(self.handler_timeout, "handler_timeout")
        check_duration(self.wait_timeout, "wait_timeout")
        check_duration(self.expire_wait, "expire_wait", zero_ok=True)  # 0: never wait

    @property
    def cap(self) -> int | None:
        """The spend cap in wei (``None``: none)."""
        return parse_amount(self.max_spend)


@dataclass
class Attachment:
    """What a :class:`Network` in attach mode knows beyond a local one.

    Attributes:
        options: what it was attached with.
        target: endpoint, addresses, IPFS and where they came from.
        ledger: what the user's keys have spent, against the cap.
        block: the block the run attached at.
    """

    options: AttachOptions
    target: Target
    ledger: SpendLedger
    block: int

    def summary(self, accounts: LiveAccounts, w3: Any, vault: Any) -> list[str]:
        """Lines for people: the network, the accounts the run spends from, their balances."""
        return summary_lines(self.target, self.ledger.cap, accounts.keys, w3, vault)


def summary_lines(
    target: Target, cap: int | None, keys: Mapping[str, Any], w3: Any, vault: Any
) -> list[str]:
    """The network, the spend cap, and each key's address with its native and Vault balance."""
    lines = [
        f"attached to {target.rpc_url} (chain id {w3.eth.chain_id}), protocol from "
        f"{target.origin}; IPFS {target.ipfs_publish_url}",
        f"spend cap {show_wei(cap) if cap is not None else 'none'}; "
        "spending from (native / Vault balance):",
    ]
    for role, account in keys.items():
        native = int(w3.eth.get_balance(account.address))
        held = int(vault.functions.balanceOf(account.address).call())
        lines.append(f"  {role:<8} {account.address}  {show_wei(native)} / {show_wei(held)}")
    return lines


def describe(options: AttachOptions) -> list[str]:
    """:func:`summary_lines` before attaching (the pytest header): read-only, binds nothing.

    Raises:
        the errors of :func:`attach` for a network or keys it would refuse.
    """
    target = _resolve(options)
    keys = resolve_keys(options.keys, target.rpc_url)
    w3 = Web3(Web3.HTTPProvider(target.rpc_url, request_kwargs={"timeout": 10}))
    vault = contract_handle(w3, "Vault", target.addresses["VAULT"])
    return summary_lines(target, options.cap, keys, w3, vault)


def _resolve(options: AttachOptions) -> Target:
    return resolve_target(
        options.rpc_url,
        options.addresses,
        options.chain,
        options.connection_file,
        options.ipfs,
        _probe_chain_id,
    )


def network_options(network: str) -> dict[str, Any]:
    """``Simulator.attach`` keywords for a ``--network`` value: a URL, a chain name, or a file."""
    if network.startswith(("http://", "https://")):
        return {"rpc_url": network}
    if network.lower().removeprefix("ogpu_") in ("testnet", "mainnet"):
        return {"chain": network}
    return {"connection_file": network}


def _probe_chain_id(rpc_url: str) -> int:
    try:
        return int(Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10})).eth.chain_id)
    except Exception as exc:  # requests and web3 raise many types for an unreachable node
        raise unreachable_node(rpc_url, exc) from exc


def attach(options: AttachOptions) -> Network:
    """Bind the SDK to an already-deployed protocol; deploy and fund nothing.

    Raises:
        MissingKeysError: no client key (``CLIENT_PRIVATE_KEY`` or ``keys={"client": ...}``).
        UnsafeSignerError: one of ogpu-sim's public test keys for a non-loopback endpoint.
        ConfigError: nothing says where the protocol is, or no contract is at an address.
        ChainError: the node cannot be reached.
    """
    target = _resolve(options)
    keys = resolve_keys(options.keys, target.rpc_url)
    with ExitStack() as stack:
        ledger = SpendLedger(
            cap=options.cap, own={a.address for a in keys.values()}, option=options.max_spend_option
        )
        chain = LiveChain(target.rpc_url, ledger)
        stack.callback(chain.close)
        w3 = chain.w3
        if target.chain_id is not None and chain.chain_id != target.chain_id:
            raise ConfigError(
                "rpc_url",
                f"{target.rpc_url} serves chain {chain.chain_id}, not {target.chain_id} "
                f"({target.origin})",
            )
        for name, address in target.addresses.items():
            if w3.eth.get_code(Web3.to_checksum_address(address)) in (b"", None):
                hint = ""
                if target.origin.startswith("the SDK's") and is_loopback_url(target.rpc_url):
                    hint = "; a local node's addresses are its own: "
                    hint += no_node_file_hint(target.rpc_url)
                raise ConfigError(
                    "addresses",
                    f"no contract at {name} {address} on {target.rpc_url} (chain id "
                    f"{chain.chain_id}; addresses from {target.origin}){hint}",
                )
        contracts = {
            name: contract_handle(w3, name.capitalize(), address)
            for name, address in target.addresses.items()
            if name in SINGLETONS
        }
        ledger.controller = contracts["CONTROLLER"]
        block = int(w3.eth.block_number)
        deployment = Deployment(
            addresses=dict(target.addresses),  # type: ignore[arg-type]
            contracts=contracts,
            deployer=ZERO_ADDRESS,  # type: ignore[arg-type]
            config=_read_config(contracts["VAULT"]),
            block_number=block,
        )
        accounts = LiveAccounts(
            fund=lambda address, wei: None,
            mnemonic="",
            native_balance=0,
            keys=keys,
            rpc_url=target.rpc_url,
            budget=lambda: gas_budget(w3),
            ledger=ledger,
        )
        accounts.fund = _funder(w3, accounts)
        ipfs = LiveIpfs(target.ipfs_publish_url, target.rpc_url)
        handlers = HandlerPool(options.runtime, image_source=options.image)
        stack.callback(handlers.close)
        timeline = Timeline(w3, dict(contracts))
        timeline.start_at(block + 1)
        binding = SdkBinding(
            w3=w3,
            rpc_url=target.rpc_url,
            addresses=dict(target.addresses),
            ipfs_publish_url=target.ipfs_publish_url,
            env=accounts.env(),
        )
        binding.bind()
        stack.callback(binding.unbind)
        network = Network(
            options=NetworkOptions(
                backend="rpc",
                rpc_url=target.rpc_url,
                runtime=options.runtime,
                image=options.image,
                chain_id=int(chain.chain_id),
                mnemonic="",
                handler_timeout=options.handler_timeout,
            ),
            chain=chain,
            rpc_url=target.rpc_url,
            accounts=accounts,
            deployment=deployment,
            ipfs=ipfs,
            handlers=handlers,
            timeline=timeline,
            binding=binding,
            live=Attachment(options, target, ledger, block),
        )
        stack.callback(release_fresh, network)
        network._stack = stack.pop_all()
        return network
    raise AssertionError("unreachable: ExitStack re-raises every start-up failure")


def _read_config(vault: Any) -> ProtocolConfig:
    """The Vault's unbonding period and minimum lockup (0 where the live Vault lacks a getter)."""
    values = []
    for getter in ("UNBONDING_PERIOD", "MIN_LOCKUP_PER_SOURCE"):
        try:
            values.append(int(getattr(vault.functions, getter)().call()))
        except Exception:  # a live Vault built from other sources may lack the getter
            values.append(0)
    return ProtocolConfig(unbonding_period=values[0], min_lockup_per_source=values[1])


def _funder(w3: Any, accounts: LiveAccounts) -> Any:
    def fund(address: str, wei: int) -> None:
        from ogpu.chain.nonce import NonceManager

        funder = accounts.funder
        if wei > 0:
            transfer(w3, funder, address, wei)
            NonceManager.reset_nonce(funder.address, w3)  # the SDK's cached nonce is stale now

    return fund


def release_fresh(network: Network, mark: int = 0) -> int:
    """Sweep what the fresh accounts made since ``mark`` hold back to the funder; forget them.

    Their providers must have stopped acting. The wei that came back is taken off the spend
    ledger. Best effort: a failure is logged, and the accounts keep their balance.

    Returns:
        The wei that came back.
    """
    accounts = network.accounts
    if not isinstance(accounts, LiveAccounts) or network.live is None:
        return 0
    fresh = accounts.fresh[mark:]
    if not fresh:
        return 0
    del accounts.fresh[mark:]
    withdraw_free(network, fresh)
    nexus = network.deployment.addresses["NEXUS"]
    vault = network.contract("VAULT")
    try:
        kept = keep_keys(vault, fresh, network.options.chain_id, nexus)
        held = vault_buckets(vault, list(kept))
    except Exception as exc:  # best effort, like the sweep: say so and go on
        log.warning("attach mode: could not read what fresh accounts hold in the Vault: %s", exc)
        kept, held = {}, {}
    if kept:
        log.warning(
            "attach mode: %d fresh account(s) still hold %s in the Vault (%s); their keys are "
            "kept in %s",
            len(kept),
            show_wei(sum(kept.values())),
            ", ".join(f"{bucket} {show_wei(wei)}" for bucket, wei in held.items() if wei),
            kept_keys_file(network.options.chain_id, nexus),
        )
    try:
        returned = sweep(network.chain.w3, fresh, accounts.funder.address)
    except Exception as exc:  # best effort: the run goes on either way
        log.warning("attach mode: could not sweep fresh accounts back: %s", exc)
        return 0
    network.live.ledger.refund(returned)
    log.info("attach mode: swept %s back to %s", show_wei(returned), accounts.funder.address)
    return returned


def withdraw_free(network: Network, accounts: list[Any]) -> None:
    """Withdraw what each of ``accounts`` has free in the Vault (its ``balanceOf``: earnings,
    refunds, deposits), so the sweep after it returns that too; locked, unbonding, frozen and
    sanctioned wei stay where they are.

    Best effort, like the sweep: a withdrawal that fails is logged, and its wei then counts as
    still held in the Vault (its key is kept).
    """
    vault = network.contract("VAULT")
    for account in accounts:
        try:
            free = int(vault.functions.balanceOf(account.address).call())
            if free:
                withdraw = vault.functions.withdraw(free)
                # Estimated without a gas price: anvil refuses to estimate with one unless the
                # sender could pay the block's whole gas limit at it, and a fresh account holds
                # gas for a few transactions only.
                gas = withdraw.estimate_gas({"from": account.address}) * 5 // 4
                protocol_send(network.chain.w3, account, withdraw, gas=gas)
        except Exception as exc:  # best effort: the kept key still reaches it
            log.warning(
                "attach mode: could not withdraw the Vault balance of %s: %s", account.address, exc
            )


def vault_buckets(vault: Any, addresses: list[str]) -> dict[str, int]:
    """What the Vault holds for ``addresses`` together, by bucket (``lockup``, ``unbonding``...)."""
    return {
        bucket: sum(int(getattr(vault.functions, getter)(a).call()) for a in addresses)
        for bucket, getter in VAULT_BUCKET_GETTERS.items()
    }
