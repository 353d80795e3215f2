"""The pytest plugin's options: the table of flags and ini keys, read and validated once.

Every command-line option has an ini key (pytest-asyncio style); the command line wins, then the
ini file, then the default. Values are validated once in ``pytest_configure``.

Over 400 lines: most of it is the option table, one entry with its help text per option.

``--ogpu-network`` switches the session to attach mode: the tests run against an
already-deployed network (a JSON-RPC URL, an ``ogpu-sim node`` connection file, or ``testnet``
/ ``mainnet`` for the SDK's own) with the user's keys, under the ``--ogpu-max-spend`` cap.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ogpu_sim.vocabulary import (
    BACKEND_HELP,
    BACKENDS,
    DEFAULT_BACKEND,
    DEFAULT_CHAIN_ID,
    DEFAULT_IMAGE_SOURCE,
    DEFAULT_RUNTIME,
    ENVIRONMENTS,
    IMAGE_SOURCE_HELP,
    IMAGE_SOURCES,
    MNEMONIC_ENV,
    RUNTIME_HELP,
    RUNTIMES,
    choices,
)


@dataclass(frozen=True)
class Option:
    """One plugin option: a command-line flag and the ini key of the same meaning."""

    flag: str
    ini: str
    default: str
    help: str

    @property
    def dest(self) -> str:
        return self.ini

    @property
    def names(self) -> str:
        """``--flag/ini_key``, how error messages name the option."""
        return f"{self.flag}/{self.ini}"


OPTIONS = (
    Option(
        "--ogpu-backend",
        "ogpu_backend",
        DEFAULT_BACKEND,
        "chain backend: " + "; ".join(f"{n}: {t}" for n, t in BACKEND_HELP.items()),
    ),
    Option(
        "--ogpu-rpc-url",
        "ogpu_rpc_url",
        "",
        f"JSON-RPC URL for --ogpu-backend=rpc (implies it); a node not on this machine needs "
        f"your own funded accounts' mnemonic in ${MNEMONIC_ENV}",
    ),
    Option(
        "--ogpu-runtime",
        "ogpu_runtime",
        DEFAULT_RUNTIME,
        "handler runtime: " + "; ".join(f"{n}: {t}" for n, t in RUNTIME_HELP.items()),
    ),
    Option(
        "--ogpu-image",
        "ogpu_image",
        DEFAULT_IMAGE_SOURCE,
        "what the docker runtime runs for a handler service given as an image: "
        + "; ".join(f"{n}: {t}" for n, t in IMAGE_SOURCE_HELP.items()),
    ),
    Option(
        "--ogpu-environments",
        "ogpu_environments",
        ",".join(ENVIRONMENTS),
        f"comma-separated environments the ogpu_environments marker runs "
        f"({choices(ENVIRONMENTS)}; default all)",
    ),
    Option(
        "--ogpu-chain-id",
        "ogpu_chain_id",
        str(DEFAULT_CHAIN_ID),
        f"chain id of the local chain (default {DEFAULT_CHAIN_ID}, the OGPU testnet's)",
    ),
    Option(
        "--ogpu-ipfs-faults",
        "ogpu_ipfs_faults",
        "off",
        "on: the first IPFS pin of every test answers 503 once (the SDK retries)",
    ),
    Option(
        "--ogpu-chain-faults",
        "ogpu_chain_faults",
        "0",
        "a share (0..0.5) of each test's transaction sends that fail transiently (a connection "
        "reset; the SDK retries), to exercise retry paths; the ogpu_chain_faults marker sets "
        "it per test",
    ),
    Option(
        "--ogpu-compose-override",
        "ogpu_compose_override",
        "",
        "comma-separated compose files (relative to the rootdir) the docker runtime adds after "
        "each environment's own (-f base -f override), e.g. a stub for a sidecar CI cannot pull",
    ),
    Option(
        "--ogpu-source-url",
        "ogpu_source_url",
        "",
        "serve compose URLs starting with this prefix from ogpu_source_dir (default: the "
        "prefixes of its git remote, e.g. raw GitHub URLs), so a publish script that names "
        "them runs the working copy",
    ),
    Option(
        "--ogpu-report",
        "ogpu_report",
        "",
        "write a JSON lifecycle report of the whole run to this path",
    ),
    Option(
        "--ogpu-network",
        "ogpu_network",
        "",
        "attach to an already-deployed network instead of starting one: a JSON-RPC URL, an "
        "ogpu-sim node connection file, or testnet/mainnet (the SDK's own); keys from "
        "CLIENT_PRIVATE_KEY and MASTER_PRIVATE_KEY (local providers), never the public test keys",
    ),
    Option(
        "--ogpu-max-spend",
        "ogpu_max_spend",
        "1 OGPU",
        "attach mode: the most the session may spend from your keys (gas, task payments, "
        "funding local providers), e.g. '0.5 OGPU', '20000 gwei', '10000 wei' or 'none' "
        "(default 1 OGPU)",
    ),
    Option(
        "--ogpu-wait-timeout",
        "ogpu_wait_timeout",
        "300",
        "attach mode: seconds run_until_idle() waits for the live network's answers",
    ),
    Option(
        "--ogpu-handler-timeout",
        "ogpu_handler_timeout",
        "30",
        "seconds a simulated provider waits for its handler's callback before it records the "
        "handler as failed (default 30; raise it for a slow model)",
    ),
    Option(
        "--ogpu-sdk-warnings",
        "ogpu_sdk_warnings",
        "hide",
        "hide (default) or show the known, harmless third-party warnings the SDK's stack emits "
        "(web3's MismatchedABI log warning, websockets.legacy deprecation)",
    ),
)

_BY_INI = {option.ini: option for option in OPTIONS}


@dataclass(frozen=True)
class PluginConfig:
    """The plugin's effective, validated configuration."""

    backend: str
    rpc_url: str
    runtime: str
    environments: tuple[str, ...]
    chain_id: int
    ipfs_faults: bool
    report: str
    image: str = DEFAULT_IMAGE_SOURCE
    chain_faults: float = 0.0
    compose_overrides: tuple[str, ...] = ()
    source_url: str = ""
    sdk_warnings: bool = False
    network: str = ""
    max_spend: str = "1 OGPU"
    wait_timeout: float = 300.0
    handler_timeout: float = 30.0
    mnemonic: str | None = field(default=None, repr=False)
    """The user's own funded accounts for ``rpc`` (from the environment, never shown)."""

    @property
    def attached(self) -> bool:
        """True when the session attaches to a live network (``--ogpu-network``)."""
        return bool(self.network)

    def header(self) -> str:
        """One line for ``pytest_report_header`` (what a bug report needs)."""
        if self.attached:
            return (
                f"attach network={self.network} runtime={self.runtime} image={self.image} "
                f"environments={','.join(self.environments)} max_spend={self.max_spend} "
                f"wait_timeout={self.wait_timeout:g}s; no snapshots (tests get fresh sources "
                "and tasks), no time travel (tests needing it skip), providers: the live "
                "network's, plus local ones tests add (funded from MASTER_PRIVATE_KEY)"
            )
        return (
            f"backend={self.backend}{' ' + self.rpc_url if self.rpc_url else ''} "
            f"runtime={self.runtime} image={self.image} "
            f"environments={','.join(self.environments)} chain_id={self.chain_id} "
            f"ipfs_faults={'on' if self.ipfs_faults else 'off'} "
            f"chain_faults={self.chain_faults:g} "
            f"sdk_warnings={'show' if self.sdk_warnings else 'hide'} "
            f"report={self.report or '-'}"
        )

    def simulator_options(self) -> dict[str, Any]:
        """Keyword arguments for ``Simulator.start``, or ``Simulator.attach`` when attached."""
        if self.attached:
            from ogpu_sim.network.attach import network_options

            return {
                **network_options(self.network),
                "runtime": self.runtime,
                "image": self.image,
                "max_spend": self.max_spend,
                "max_spend_option": _BY_INI["ogpu_max_spend"].names,
                "wait_timeout": self.wait_timeout,
                "handler_timeout": self.handler_timeout,
            }
        options: dict[str, Any] = {
            "backend": self.backend,
            "runtime": self.runtime,
            "image": self.image,
            "chain_id": self.chain_id,
            "handler_timeout": self.handler_timeout,
        }
        if self.rpc_url:
            options["rpc_url"] = self.rpc_url
        if self.mnemonic:
            options["mnemonic"] = self.mnemonic
        return options


def _value(config: pytest.Config, option: Option) -> str:
    cli = config.getoption(option.dest, default=None)
    if cli is not None:
        return str(cli)
    return str(config.getini(option.ini) or option.default)


def _given(config: pytest.Config, option: Option) -> bool:
    """Whether the user set ``option`` (on the command line or in the ini file)."""
    return (
        config.getoption(option.dest, default=None) is not None or config.getini(option.ini) != ""
    )


def _one_of(ini: str, value: str, known: tuple[str, ...]) -> str:
    if value not in known:
        raise ValueError(f"{_BY_INI[ini].names}: unknown {value!r}; known: {choices(known)}")
    return value


def read_config(config: pytest.Config) -> PluginConfig:
    """Read and validate the options; ``ValueError`` names the option and the problem."""
    values = {o.ini: _value(config, o).strip() for o in OPTIONS}
    backend = _one_of("ogpu_backend", values["ogpu_backend"], BACKENDS)
    runtime = _one_of("ogpu_runtime", values["ogpu_runtime"], RUNTIMES)
    image = _one_of("ogpu_image", values["ogpu_image"], IMAGE_SOURCES)
    if image == "published" and runtime in ("inline", "process"):
        raise ValueError(
            f"{_BY_INI['ogpu_image'].names}=published runs the image the compose file names, "
            f"which --ogpu-runtime={runtime} cannot: use docker or auto, or working-copy"
        )
    environments = tuple(e.strip() for e in values["ogpu_environments"].split(",") if e.strip())
    bad = [e for e in environments if e not in ENVIRONMENTS]
    if bad or not environments:
        raise ValueError(
            f"{_BY_INI['ogpu_environments'].names}: unknown {', '.join(bad) or 'empty list'}; "
            f"known: {choices(ENVIRONMENTS)}"
        )
    try:
        chain_id = int(values["ogpu_chain_id"])
    except ValueError:
        raise ValueError(
            f"{_BY_INI['ogpu_chain_id'].names}: not an integer: {values['ogpu_chain_id']!r}"
        ) from None
    if chain_id <= 0:
        raise ValueError(f"{_BY_INI['ogpu_chain_id'].names}: must be positive, got {chain_id}")
    faults = _one_of("ogpu_ipfs_faults", values["ogpu_ipfs_faults"].lower(), ("on", "off"))
    warnings = _one_of("ogpu_sdk_warnings", values["ogpu_sdk_warnings"].lower(), ("hide", "show"))
    chain_faults = fault_rate(values["ogpu_chain_faults"], _BY_INI["ogpu_chain_faults"].names)
    rpc_url = values["ogpu_rpc_url"]
    if rpc_url and backend != "rpc":
        if _given(config, _BY_INI["ogpu_backend"]):
            raise ValueError(
                f"{_BY_INI['ogpu_rpc_url'].names} names the node of --ogpu-backend=rpc; it "
                f"cannot go with --ogpu-backend={backend}"
            )
        backend = "rpc"  # the URL implies it, as `ogpu-sim simulate --rpc URL` does
    if backend == "rpc" and not rpc_url:
        raise ValueError("--ogpu-backend=rpc needs --ogpu-rpc-url/ogpu_rpc_url")
    network = values["ogpu_network"]
    mnemonic = _own_mnemonic(rpc_url) if backend == "rpc" and not network else None
    wait_timeout = _seconds(values, "ogpu_wait_timeout")
    handler_timeout = _seconds(values, "ogpu_handler_timeout")
    if network:
        _check_attach(values, backend, faults)
    if values["ogpu_report"]:
        _check_writable(values["ogpu_report"])
    return PluginConfig(
        backend=backend,
        rpc_url=rpc_url,
        runtime=runtime,
        image=image,
        environments=environments,
        chain_id=chain_id,
        ipfs_faults=faults == "on",
        report=values["ogpu_report"],
        chain_faults=chain_faults,
        compose_overrides=tuple(
            p.strip() for p in values["ogpu_compose_override"].split(",") if p.strip()
        ),
        source_url=values["ogpu_source_url"],
        sdk_warnings=warnings == "show",
        network=network,
        max_spend=values["ogpu_max_spend"],
        wait_timeout=wait_timeout,
        handler_timeout=handler_timeout,
        mnemonic=mnemonic,
    )


def _seconds(values: dict[str, str], ini: str) -> float:
    """A finite number of seconds above 0; ``ValueError`` names the option."""
    try:
        seconds = float(values[ini])
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds):
        raise ValueError(f"{_BY_INI[ini].names}: not a number of seconds: {values[ini]!r}")
    if seconds <= 0:
        raise ValueError(f"{_BY_INI[ini].names}: must be more than 0")
    return seconds


def _check_writable(path: str) -> None:
    """Refuse a report path that cannot be written now, not after the whole session ran."""
    import tempfile

    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".ogpu-sim-probe-"):
            pass
    except OSError as exc:
        raise ValueError(
            f"{_BY_INI['ogpu_report'].names}: cannot write {path}: {exc.strerror or exc}"
        ) from None


def _own_mnemonic(rpc_url: str) -> str | None:
    """The user's own keys for the node (``ValueError`` when it is remote and they are unset)."""
    from ogpu_sim.errors import ConfigError
    from ogpu_sim.network.keys import own_mnemonic

    try:
        return own_mnemonic(rpc_url, _BY_INI["ogpu_rpc_url"].names)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


MAX_CHAIN_FAULTS = 0.5
"""The highest transient-failure share of sends: above it the SDK's retries give up often."""


def fault_rate(value: Any, name: str) -> float:
    """A chain fault rate in 0..:data:`MAX_CHAIN_FAULTS`; ``ValueError`` names the option."""
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: not a number: {value!r}") from None
    if not 0 <= rate <= MAX_CHAIN_FAULTS:
        raise ValueError(f"{name}: must be between 0 and {MAX_CHAIN_FAULTS}, got {rate:g}")
    return rate


def _check_attach(values: dict[str, str], backend: str, faults: str) -> None:
    """What cannot go with ``--ogpu-network``, and a spend cap that must parse."""
    attach = _BY_INI["ogpu_network"].names
    if backend != DEFAULT_BACKEND or values["ogpu_rpc_url"]:
        raise ValueError(
            f"{attach} attaches to a deployed network; --ogpu-backend/--ogpu-rpc-url start one "
            "of ogpu-sim's own: pass one or the other"
        )
    if faults == "on":
        raise ValueError(f"{attach}: --ogpu-ipfs-faults=on needs ogpu-sim's mock IPFS")
    from ogpu_sim.errors import ConfigError
    from ogpu_sim.network.spend import parse_amount

    try:
        parse_amount(values["ogpu_max_spend"], _BY_INI["ogpu_max_spend"].names)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    from ogpu_sim.accounts import ROLE_ENV_VARS
    from ogpu_sim.network.keys import REQUIRED_ROLES

    missing = [ROLE_ENV_VARS[r] for r in REQUIRED_ROLES if not os.environ.get(ROLE_ENV_VARS[r])]
    if missing:
        # Refused here, not per test: a session without the user's own keys cannot run one.
        raise ValueError(
            f"{attach} signs with your own keys: set {', '.join(missing)} (your funded client's "
            "private key; MASTER_PRIVATE_KEY too for tests that add providers); ogpu-sim never "
            "signs with its public test keys on a network it attaches to"
        )
