"""Start and stop the leaves of a local network in order: chain, protocol, IPFS, runtimes, SDK.

:class:`Network` owns one of each leaf and nothing else; the :class:`ogpu_sim.Simulator` adds
the actors on top. Start-up is all-or-nothing: if any step fails, everything already started is
stopped before the error propagates, so no port, thread, process or container is left behind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ogpu_sim.actors.timeline import Timeline
from ogpu_sim.sdk.binding import SdkBinding

from .accounts import DEFAULT_MNEMONIC, DEFAULT_NATIVE_BALANCE, ETHER, Accounts
from .chain.base import is_loopback_url as is_loopback
from .errors import ChainError, ConfigError, UnsafeSignerError

log = logging.getLogger("ogpu_sim")

TESTNET_CHAIN_ID = 200820172034
RUNTIMES = ("auto", "inline", "process", "docker")


@dataclass(frozen=True)
class NetworkOptions:
    """Everything that configures a simulated network; every field has a working default.

    Attributes:
        backend: ``eth-tester`` (in-process, default), ``anvil`` (starts the npm anvil binary),
            ``rpc`` (any JSON-RPC node at ``rpc_url``) or ``revm`` (in-process, fast).
        rpc_url: the node for ``backend="rpc"``.
        runtime: default handler runtime: ``auto``, ``inline``, ``process`` or ``docker``.
        chain_id: chain id of in-process and anvil chains (default: the OGPU testnet's).
        mnemonic: the accounts' HD mnemonic. The default is public: it is refused for a
            non-local RPC endpoint, where you must pass your own.
        unbonding_period: seconds between ``Vault.unbond`` and a successful ``claim``.
        min_lockup_per_source: the Vault's global minimum lockup to register (wei).
        client_vault_balance: wei pre-deposited in the Vault for ``accounts.client``.
        provider_stake: wei ``accounts.master`` locks for ``accounts.provider`` at start.
        native_balance: native wei of every account.
        ipfs_dir: keep IPFS content in this directory (survives restarts) instead of memory.
        handler_timeout: seconds a provider waits for a handler's callback.
        artifacts: a directory of compiled artifacts to deploy instead of the shipped ones.
    """

    backend: str = "eth-tester"
    rpc_url: str | None = None
    runtime: str = "auto"
    chain_id: int = TESTNET_CHAIN_ID
    mnemonic: str = DEFAULT_MNEMONIC
    unbonding_period: int = 10
    min_lockup_per_source: int = 0
    client_vault_balance: int = 100 * ETHER
    provider_stake: int = 1 * ETHER
    native_balance: int = DEFAULT_NATIVE_BALANCE
    ipfs_dir: str | None = None
    handler_timeout: float = 30.0
    artifacts: str | Path | None = None

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise ConfigError("runtime", f"unknown {self.runtime!r}; known: {', '.join(RUNTIMES)}")
        if self.backend == "rpc" and not self.rpc_url:
            raise ConfigError("rpc_url", 'backend "rpc" needs rpc_url="http://..."')
        for name in (
            "unbonding_period",
            "min_lockup_per_source",
            "client_vault_balance",
            "provider_stake",
            "native_balance",
        ):
            if int(getattr(self, name)) < 0:
                raise ConfigError(name, f"must be >= 0, got {getattr(self, name)}")


@dataclass
class Network:
    """The started leaves. Build with :meth:`start`; :meth:`stop` is idempotent."""

    options: NetworkOptions
    chain: Any = None
    rpc_url: str = ""
    accounts: Accounts = None  # type: ignore[assignment]
    deployment: Any = None
    ipfs: Any = None
    callbacks: Any = None
    timeline: Timeline = None  # type: ignore[assignment]
    binding: SdkBinding = None  # type: ignore[assignment]
    _runtimes: dict[str, Any] = field(default_factory=dict)
    _handlers: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    _instances: dict[tuple[str, str], Any] = field(default_factory=dict)
    _abis: dict[str, Any] = field(default_factory=dict)
    _facts: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls, options: NetworkOptions) -> Network:
        """Start every leaf in order; on any failure stop what started and re-raise."""
        net = cls(options)
        try:
            net._start()
        except BaseException:
            net.stop()
            raise
        return net

    def _start(self) -> None:
        from .chain import create_chain
        from .ipfs import DirectoryStore, IpfsServer, MemoryStore
        from .protocol import ProtocolConfig, deploy

        opts = self.options
        remote = opts.backend == "rpc" and not is_loopback(str(opts.rpc_url))
        if remote and opts.mnemonic == DEFAULT_MNEMONIC:
            raise UnsafeSignerError(str(opts.rpc_url))
        self.chain = create_chain(opts.backend, chain_id=opts.chain_id, rpc_url=opts.rpc_url)
        if not self.chain.is_local and opts.mnemonic == DEFAULT_MNEMONIC:
            raise UnsafeSignerError(str(opts.rpc_url))
        self.rpc_url = self.chain.serve()
        self.accounts = Accounts(self.fund, opts.mnemonic, opts.native_balance)
        self.accounts.fund_roles()
        config = ProtocolConfig(
            unbonding_period=opts.unbonding_period,
            min_lockup_per_source=opts.min_lockup_per_source,
        )
        deploy_kwargs: dict[str, Any] = {}
        if opts.artifacts is not None:
            deploy_kwargs["artifacts"] = opts.artifacts
        self.deployment = deploy(self.chain.w3, self.accounts.deployer, config, **deploy_kwargs)
        store = DirectoryStore(opts.ipfs_dir) if opts.ipfs_dir else MemoryStore()
        self.ipfs = IpfsServer(store).start()
        self._bootstrap_accounts()
        self.timeline = Timeline(self.chain.w3, dict(self.deployment.contracts))
        self.timeline.start_at(self.chain.w3.eth.block_number + 1)
        self.binding = SdkBinding(
            w3=self.chain.w3,
            rpc_url=self.rpc_url,
            addresses=dict(self.deployment.addresses),
            ipfs_publish_url=self.ipfs.publish_url,
            env=self.accounts.env() if self.chain.is_local else {},
        )
        self.binding.bind()

    def stop(self) -> None:
        """Unbind the SDK and stop runtimes, servers and the chain, whatever state they are in."""
        steps = [
            ("sdk", self._unbind),
            ("runtimes", self._close_runtimes),
            ("callbacks", lambda: self.callbacks and self.callbacks.stop()),
            ("ipfs", lambda: self.ipfs and self.ipfs.stop()),
            ("chain", lambda: self.chain and self.chain.close()),
        ]
        errors = []
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # one failing leaf must not keep the others running
                log.warning("stopping %s failed: %r", name, exc)
                errors.append(exc)
        self.callbacks = self.ipfs = self.chain = None
        if errors:
            raise errors[0]

    # -- accounts and funding ---------------------------------------------------------------

    def fund(self, address: str, wei: int) -> None:
        """Give ``address`` a native balance of ``wei`` (anvil/eth-tester set it directly)."""
        try:
            self.chain.set_balance(address, wei)
        except ChainError:
            if self.deployment is None:
                raise
            self.transfer(self.accounts.deployer, address, wei)

    def transfer(self, sender: LocalAccount, to: str, wei: int) -> None:
        """A plain native transfer signed by ``sender`` (remote nodes without set-balance)."""
        w3 = self.chain.w3
        tx = {
            "to": Web3.to_checksum_address(to),
            "value": wei,
            "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
            "chainId": w3.eth.chain_id,
            "gas": 21_000,
            "gasPrice": w3.eth.gas_price,
        }
        signed = sender.sign_transaction(tx)
        w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))

    def send(self, account: LocalAccount, fn: Any, value: int = 0) -> Any:
        """Sign and send a contract call; raises the chain's revert error on failure."""
        from .protocol import send

        return send(self.chain.w3, account, fn, value=value)

    def _bootstrap_accounts(self) -> None:
        """Pre-fund the client's Vault balance and pair the well-known provider and master."""
        opts, acc = self.options, self.accounts
        vault = self.deployment.contracts["VAULT"]
        if opts.client_vault_balance:
            self.send(
                acc.client,
                vault.functions.deposit(acc.client.address),
                value=opts.client_vault_balance,
            )
        self._pair(acc.provider, acc.master, opts.provider_stake)

    def _pair(self, provider: LocalAccount, master: LocalAccount, stake: int) -> None:
        terminal = self.deployment.contracts["TERMINAL"]
        self.send(master, terminal.functions.announceProvider(provider.address, stake), value=stake)
        self.send(provider, terminal.functions.announceMaster(master.address))

    def pair_provider(
        self, *, stake: int, agent: bool = False
    ) -> tuple[LocalAccount, LocalAccount, LocalAccount | None]:
        """Fresh provider and master accounts, paired with ``stake`` locked; optionally an agent."""
        provider, master = self.accounts.new("provider"), self.accounts.new("master")
        self._pair(provider, master, stake)
        helper = None
        if agent:
            helper = self.accounts.new("agent")
            terminal = self.deployment.contracts["TERMINAL"]
            self.send(master, terminal.functions.setAgent(helper.address, True))
        return provider, master, helper

    # -- contract handles ---------------------------------------------------------------------

    def instance(self, kind: str, address: str) -> Any:
        """A cached web3 contract handle for a Source, Task or Response instance."""
        key = (kind, address)
        contract = self._instances.get(key)
        if contract is None:
            if kind not in self._abis:
                from .artifacts import load

                self._abis[kind] = load(kind)["abi"]
            contract = self.chain.w3.eth.contract(
                address=Web3.to_checksum_address(address), abi=self._abis[kind]
            )
            self._instances[key] = contract
        return contract

    def task_facts(self, address: str) -> Any:
        """A task's immutable facts, cached until :meth:`forget_tasks` (called on revert:
        a reverted chain can publish a different task at the same address)."""
        facts = self._facts.get(address)
        if facts is None:
            from ogpu_sim.actors.provider import read_task_facts

            facts = self._facts[address] = read_task_facts(self.instance("Task", address))
        return facts

    def forget_tasks(self) -> None:
        """Drop cached task facts (the chain went back in time)."""
        self._facts.clear()

    # -- handler runtimes ---------------------------------------------------------------------

    def handler(
        self, folder: Any, environment: str, runtime: str | None, source: str, provider: str
    ) -> Any:
        """A started handler for (folder, environment, runtime), shared by providers."""
        from .runtime import create_runtime, load_source_folder

        if self.callbacks is None:
            from .runtime import CallbackServer

            self.callbacks = CallbackServer().start()
        spec = folder if hasattr(folder, "environments") else load_source_folder(folder)
        name = runtime or self.options.runtime
        key = (str(spec.path), environment, name)
        if key not in self._handlers:
            if name not in self._runtimes:
                self._runtimes[name] = create_runtime(name, self.callbacks)
            self._handlers[key] = self._runtimes[name].start(
                spec, environment, source_address=source, provider_address=provider
            )
        return self._handlers[key]

    def handler_logs(self, tail: int = 50) -> dict[str, str]:
        """The last ``tail`` log lines of each running handler, keyed folder:environment:runtime."""
        return {
            f"{Path(folder).name}:{env}:{runtime}": handler.logs(tail)
            for (folder, env, runtime), handler in self._handlers.items()
        }

    def _unbind(self) -> None:
        if self.binding is not None:
            self.binding.unbind()

    def _close_runtimes(self) -> None:
        runtimes, self._runtimes, self._handlers = self._runtimes, {}, {}
        for runtime in runtimes.values():
            runtime.close()
