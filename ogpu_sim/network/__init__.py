"""Start and stop the leaves of a local network in order: chain, protocol, IPFS, handlers, SDK.

:func:`Network.start` returns a complete :class:`Network`: every field is set, the protocol is
deployed, the well-known accounts are funded (the client's Vault balance, the provider paired
with its master) and the SDK is bound. The :class:`ogpu_sim.Simulator` adds the actors on top.
Start-up is all-or-nothing: if any step fails, everything already started is stopped before the
error propagates, so no port, thread, process or container is left behind.

Attach mode builds the same :class:`Network` over a live, already-deployed protocol instead
(:mod:`ogpu_sim.network.attach`; its leaves in :mod:`.live` and :mod:`.live_ipfs`, the spend
cap in :mod:`.spend`, waiting in :mod:`.watch`, the ``ogpu-sim node`` connection file in
:mod:`.connection`).
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from ogpu_sim.accounts import DEFAULT_MNEMONIC, DEFAULT_NATIVE_BALANCE, ETHER, Accounts
from ogpu_sim.actors.timeline import Timeline
from ogpu_sim.chain import Chain, create_chain
from ogpu_sim.chain.base import (
    MAX_UINT256,
    check_chain_id,
    check_duration,
    check_http_url,
    check_whole,
)
from ogpu_sim.chain.base import is_loopback_url as is_loopback
from ogpu_sim.errors import ChainError, ConfigError, UnsafeSignerError
from ogpu_sim.ipfs import DirectoryStore, IpfsServer, MemoryStore
from ogpu_sim.ipfs.inprocess import InProcessAdapter
from ogpu_sim.ipfs.store import DEFAULT_MEMORY_STORE_BYTES
from ogpu_sim.protocol import Deployment, ProtocolConfig, deploy
from ogpu_sim.protocol import instance as contract_instance
from ogpu_sim.protocol import send as protocol_send
from ogpu_sim.runtime import check_image_source
from ogpu_sim.runtime.pool import HandlerPool
from ogpu_sim.sdk.binding import SdkBinding
from ogpu_sim.vocabulary import (
    BACKENDS,
    DEFAULT_BACKEND,
    DEFAULT_CHAIN_ID,
    DEFAULT_IMAGE_SOURCE,
    DEFAULT_RUNTIME,
    RUNTIMES,
    choices,
)

from . import heap

if TYPE_CHECKING:
    from ogpu_sim.network.attach import Attachment
    from ogpu_sim.network.live_ipfs import LiveIpfs

log = logging.getLogger("ogpu_sim")

GAS_RESERVE = ETHER
"""Wei of ``native_balance`` the client's deposit and the master's stake leave for gas."""

InstanceKind = Literal["Source", "Task", "Response"]


@dataclass(frozen=True)
class NetworkOptions:
    """Everything that configures a simulated network; every field has a working default.

    Attributes:
        backend: ``eth-tester`` (in-process, default), ``anvil`` (starts the npm anvil binary),
            ``rpc`` (any JSON-RPC node at ``rpc_url``) or ``revm`` (in-process, fast).
        rpc_url: the node for ``backend="rpc"``.
        runtime: default handler runtime: ``auto``, ``inline``, ``process`` or ``docker``.
        image: what the docker runtime runs for an ``image:`` handler service:
            ``working-copy`` (build the repository's Dockerfile) or ``published`` (the image
            named; docker or auto runtime only).
        chain_id: chain id of in-process and anvil chains (default: the OGPU testnet's).
        mnemonic: the accounts' HD mnemonic. The default is public: it is refused for a
            non-local RPC endpoint, where you must pass your own.
        unbonding_period: seconds between ``Vault.unbond`` and a successful ``claim``.
        min_lockup_per_source: the Vault's global minimum lockup to register (wei).
        client_vault_balance: wei pre-deposited in the Vault for ``accounts.client``.
        provider_stake: wei ``accounts.master`` locks for ``accounts.provider`` at start.
        native_balance: native wei of every account.
        ipfs_dir: keep IPFS content in this directory (survives restarts) instead of memory.
        ipfs_max_bytes: the most bytes the mock IPFS holds (default 512 MiB; ``None``: no
            cap); past it an upload answers 507 and the SDK raises its IPFS error.
        handler_timeout: seconds a provider waits for a handler's callback.
        artifacts: a directory of compiled artifacts to deploy instead of the shipped ones.
    """

    backend: str = DEFAULT_BACKEND
    rpc_url: str | None = None
    runtime: str = DEFAULT_RUNTIME
    image: str = DEFAULT_IMAGE_SOURCE
    chain_id: int = DEFAULT_CHAIN_ID
    mnemonic: str = field(default=DEFAULT_MNEMONIC, repr=False)
    unbonding_period: int = 10
    min_lockup_per_source: int = 0
    client_vault_balance: int = 100 * ETHER
    provider_stake: int = 1 * ETHER
    native_balance: int = DEFAULT_NATIVE_BALANCE
    ipfs_dir: str | None = None
    ipfs_max_bytes: int | None = DEFAULT_MEMORY_STORE_BYTES
    handler_timeout: float = 30.0
    artifacts: str | Path | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError("backend", f"unknown {self.backend!r}; known: {choices(BACKENDS)}")
        if self.runtime not in RUNTIMES:
            raise ConfigError("runtime", f"unknown {self.runtime!r}; known: {choices(RUNTIMES)}")
        check_image_source(self.image, self.runtime, "image")
        if self.rpc_url is not None:
            check_http_url(self.rpc_url, "rpc_url")
        if self.backend == "rpc" and not self.rpc_url:
            raise ConfigError("rpc_url", 'backend "rpc" needs rpc_url="http://..."')
        if self.rpc_url and self.backend != "rpc":
            raise ConfigError(
                "rpc_url",
                f'names the node of backend "rpc"; it cannot go with backend {self.backend!r} '
                '(leave backend out, or pass backend="rpc")',
            )
        check_chain_id(self.chain_id)
        check_whole(self.unbonding_period, "unbonding_period", "seconds", most=MAX_UINT256)
        for name in ("min_lockup_per_source", "native_balance"):
            check_whole(getattr(self, name), name, "wei", most=MAX_UINT256, most_text="2**256 - 1")
        spendable = max(self.native_balance - GAS_RESERVE, 0)
        for name, payer in (("client_vault_balance", "client"), ("provider_stake", "master")):
            check_whole(getattr(self, name), name, "wei")
            if getattr(self, name) > spendable:
                raise ConfigError(
                    name,
                    f"must be at most {spendable} wei (native_balance less 1 OGPU for gas: the "
                    f"{payer} pays it from its native balance); got {getattr(self, name)!r}",
                )
        if self.ipfs_max_bytes is not None:
            check_whole(self.ipfs_max_bytes, "ipfs_max_bytes", "bytes", least=1, none_ok=True)
        for name in ("ipfs_dir", "artifacts"):
            if not isinstance(getattr(self, name), str | PathLike | None):
                raise ConfigError(
                    name,
                    f"must be a folder path (str or Path) or None; got {getattr(self, name)!r}",
                )
        check_duration(self.handler_timeout, "handler_timeout")


def check_mnemonic(mnemonic: Any, option: str = "mnemonic") -> str:
    """Refuse what is not a BIP-39 mnemonic phrase, without echoing it (it may be a secret).

    Raises:
        ConfigError: not a string, or not a phrase of BIP-39 words with a valid checksum.
    """
    if not isinstance(mnemonic, str):
        raise ConfigError(
            option, f"must be a BIP-39 mnemonic phrase (a str), not {type(mnemonic).__name__}"
        )
    from ogpu_sim.accounts import derive

    try:
        derive(0, mnemonic)
    except Exception:  # eth-account raises ValidationError and others, echoing the phrase
        raise ConfigError(
            option,
            "is not a valid BIP-39 mnemonic phrase (12 to 24 words of the BIP-39 word list, the "
            f"last one a checksum); got {len(mnemonic.split())} words (not shown)",
        ) from None
    return mnemonic


@dataclass(repr=False)
class Network:
    """The started leaves, complete: build with :meth:`start`; :meth:`stop` is idempotent.

    Attributes:
        options: what the network was started with.
        chain: the chain backend, protocol deployed.
        rpc_url: the chain's HTTP JSON-RPC URL (served for in-process chains).
        accounts: the deterministic, funded accounts.
        deployment: addresses and handles of the deployed protocol.
        ipfs: the mock IPFS server the SDK pins to (attach mode: the live network's IPFS).
        handlers: the pool of started source handlers.
        timeline: protocol events and actions, in order.
        binding: the SDK binding (undone by :meth:`stop`).
        live: what attach mode knows (spend ledger, where the protocol came from); ``None``
            for a network ogpu-sim started (:func:`ogpu_sim.network.attach.attach` makes one).
    """

    options: NetworkOptions
    chain: Chain
    rpc_url: str
    accounts: Accounts
    deployment: Deployment
    ipfs: IpfsServer | LiveIpfs
    handlers: HandlerPool
    timeline: Timeline
    binding: SdkBinding
    live: Attachment | None = None
    _instances: dict[tuple[str, str], Contract] = field(default_factory=dict, repr=False)
    _stack: ExitStack = field(default_factory=ExitStack, repr=False)

    def __repr__(self) -> str:
        # Short, and without keys: it shows up in tracebacks and hypothesis reports.
        where = "attached" if self.live is not None else self.options.backend
        return f"Network({where}, rpc_url={self.rpc_url!r}, chain_id={self.chain.chain_id})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's and hypothesis's pretty printers: the repr, not every field."""
        printer.text(repr(self))

    @classmethod
    def start(cls, options: NetworkOptions) -> Network:
        """Start every leaf in order; on any failure stop what started and re-raise.

        Raises:
            UnsafeSignerError: the public test mnemonic with a non-local endpoint.
            ConfigError: an invalid option (the mnemonic is checked here, not by
                :class:`NetworkOptions`: attach mode has none).
            ChainError: the chain could not be started or reached.
        """
        check_mnemonic(options.mnemonic)
        with ExitStack() as stack:
            remote = options.backend == "rpc" and not is_loopback(str(options.rpc_url))
            if remote and options.mnemonic == DEFAULT_MNEMONIC:
                raise UnsafeSignerError(str(options.rpc_url))
            chain = create_chain(
                options.backend, chain_id=options.chain_id, rpc_url=options.rpc_url
            )
            stack.callback(chain.close)
            if not chain.is_local and options.mnemonic == DEFAULT_MNEMONIC:
                raise UnsafeSignerError(str(options.rpc_url))
            rpc_url = chain.serve()
            funder = _Funder(chain)
            accounts = Accounts(funder.fund, options.mnemonic, options.native_balance)
            accounts.fund_roles()
            config = ProtocolConfig(
                unbonding_period=options.unbonding_period,
                min_lockup_per_source=options.min_lockup_per_source,
            )
            deploy_kwargs: dict[str, Any] = {}
            if options.artifacts is not None:
                deploy_kwargs["artifacts"] = options.artifacts
            deployment = deploy(chain.w3, accounts.deployer, config, **deploy_kwargs)
            funder.deployer = accounts.deployer
            cap = options.ipfs_max_bytes
            store = (
                DirectoryStore(options.ipfs_dir, max_bytes=cap)
                if options.ipfs_dir
                else MemoryStore(max_bytes=cap)
            )
            ipfs = IpfsServer(store).start()
            stack.callback(ipfs.stop)
            handlers = HandlerPool(options.runtime, image_source=options.image)
            stack.callback(handlers.close)
            _bootstrap(chain.w3, deployment, accounts, options)
            timeline = Timeline(chain.w3, dict(deployment.contracts), chain=chain)
            timeline.start_at(chain.w3.eth.block_number + 1)
            binding = SdkBinding(
                w3=chain.w3,
                rpc_url=rpc_url,
                addresses=dict(deployment.addresses),
                ipfs_publish_url=ipfs.publish_url,
                env=accounts.env() if chain.is_local else {},
                ipfs_adapter=InProcessAdapter(),
            )
            binding.bind()
            stack.callback(binding.unbind)
            network = cls(
                options=options,
                chain=chain,
                rpc_url=rpc_url,
                accounts=accounts,
                deployment=deployment,
                ipfs=ipfs,
                handlers=handlers,
                timeline=timeline,
                binding=binding,
            )
            heap.hold()
            stack.callback(heap.release)
            network._stack = stack.pop_all()
            return network
        raise AssertionError("unreachable: ExitStack re-raises every start-up failure")

    def stop(self) -> None:
        """Unbind the SDK, stop handlers, IPFS and the chain (reverse start order); idempotent.

        Every step runs even when an earlier one fails; a failure is raised afterwards.
        """
        stack, self._stack = self._stack, ExitStack()
        stack.close()

    # -- protocol access ----------------------------------------------------------------------

    def send(self, account: LocalAccount, fn: Any, value: int = 0) -> Any:
        """Sign and send a contract call; raises the chain's revert error on failure."""
        return protocol_send(self.chain.w3, account, fn, value=value)

    def instance(self, kind: InstanceKind, address: str) -> Contract:
        """A cached web3 contract handle for a Source, Task or Response instance."""
        key = (kind, address)
        contract = self._instances.get(key)
        if contract is None:
            contract = contract_instance(self.chain.w3, kind, address)
            self._instances[key] = contract
        return contract

    def contract(self, name: str) -> Contract:
        """The handle of a singleton: ``NEXUS``, ``CONTROLLER``, ``TERMINAL``, ``VAULT``, ..."""
        return self.deployment.contracts[name]

    def fund(self, address: str, wei: int) -> None:
        """Give ``address`` a native balance of ``wei``."""
        self.accounts.fund(address, wei)

    def handler_logs(self, tail: int = 50) -> dict[str, str]:
        """The last ``tail`` log lines of each running handler, keyed folder:environment:runtime."""
        return self.handlers.logs(tail)


class _Funder:
    """Sets native balances: directly where the chain can, else a transfer from the deployer."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.deployer: LocalAccount | None = None

    def fund(self, address: str, wei: int) -> None:
        try:
            self.chain.set_balance(address, wei)
        except ChainError:
            if self.deployer is None:
                raise
            transfer(self.chain.w3, self.deployer, address, wei)


def transfer(w3: Web3, sender: LocalAccount, to: str, wei: int) -> None:
    """A plain native transfer signed by ``sender`` (remote nodes without set-balance)."""
    tx: dict[str, Any] = {
        "to": Web3.to_checksum_address(to),
        "value": wei,
        "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
        "chainId": w3.eth.chain_id,
        "gas": 21_000,
        "gasPrice": w3.eth.gas_price,
    }
    signed = sender.sign_transaction(tx)  # type: ignore[arg-type]
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))


def _bootstrap(
    w3: Web3, deployment: Deployment, accounts: Accounts, options: NetworkOptions
) -> None:
    """Pre-fund the client's Vault balance and pair the well-known provider and master."""
    vault = deployment.contracts["VAULT"]
    if options.client_vault_balance:
        protocol_send(
            w3,
            accounts.client,
            vault.functions.deposit(accounts.client.address),
            value=options.client_vault_balance,
        )
    pair(w3, deployment, accounts.provider, accounts.master, options.provider_stake)


def pair(
    w3: Web3, deployment: Deployment, provider: LocalAccount, master: LocalAccount, stake: int
) -> None:
    """The master announces the provider with ``stake`` locked; the provider announces it back."""
    terminal = deployment.contracts["TERMINAL"]
    protocol_send(
        w3, master, terminal.functions.announceProvider(provider.address, stake), value=stake
    )
    protocol_send(w3, provider, terminal.functions.announceMaster(master.address))
