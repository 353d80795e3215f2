"""Configuration and reporting pieces of the pytest plugin, kept apart from its hooks.

Every command-line option has an ini key (pytest-asyncio style); the command line wins, then the
ini file, then the default. Values are validated once in ``pytest_configure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

BACKENDS = ("eth-tester", "anvil", "rpc", "revm")
RUNTIMES = ("auto", "inline", "process", "docker")
ENVIRONMENTS = ("cpu", "nvidia", "amd")


@dataclass(frozen=True)
class Option:
    flag: str
    ini: str
    default: str
    help: str

    @property
    def dest(self) -> str:
        return self.ini


OPTIONS = (
    Option(
        "--ogpu-backend",
        "ogpu_backend",
        "eth-tester",
        f"chain backend: {', '.join(BACKENDS)} (default eth-tester)",
    ),
    Option("--ogpu-rpc-url", "ogpu_rpc_url", "", "JSON-RPC URL for --ogpu-backend=rpc"),
    Option(
        "--ogpu-runtime",
        "ogpu_runtime",
        "auto",
        f"handler runtime: {', '.join(RUNTIMES)} (default auto)",
    ),
    Option(
        "--ogpu-environments",
        "ogpu_environments",
        "cpu,nvidia,amd",
        "comma-separated environments the ogpu_environments marker runs (default all)",
    ),
    Option(
        "--ogpu-chain-id",
        "ogpu_chain_id",
        "200820172034",
        "chain id of the local chain (default: the OGPU testnet's)",
    ),
    Option(
        "--ogpu-ipfs-faults",
        "ogpu_ipfs_faults",
        "off",
        "on: the first IPFS pin of every test answers 503 once (the SDK retries)",
    ),
    Option(
        "--ogpu-report",
        "ogpu_report",
        "",
        "write a JSON lifecycle report of the whole run to this path",
    ),
)


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

    def header(self) -> str:
        """One line for ``pytest_report_header`` (what a bug report needs)."""
        return (
            f"backend={self.backend}{' ' + self.rpc_url if self.rpc_url else ''} "
            f"runtime={self.runtime} environments={','.join(self.environments)} "
            f"chain_id={self.chain_id} ipfs_faults={'on' if self.ipfs_faults else 'off'} "
            f"report={self.report or '-'}"
        )

    def simulator_options(self) -> dict[str, Any]:
        """Keyword arguments for ``Simulator.start``."""
        options: dict[str, Any] = {
            "backend": self.backend,
            "runtime": self.runtime,
            "chain_id": self.chain_id,
        }
        if self.rpc_url:
            options["rpc_url"] = self.rpc_url
        return options


def _value(config: pytest.Config, option: Option) -> str:
    cli = config.getoption(option.dest, default=None)
    if cli is not None:
        return str(cli)
    return str(config.getini(option.ini) or option.default)


def read_config(config: pytest.Config) -> PluginConfig:
    """Read and validate the options; ``ValueError`` names the option and the problem."""
    values = {o.ini: _value(config, o).strip() for o in OPTIONS}
    backend = values["ogpu_backend"]
    if backend not in BACKENDS:
        raise ValueError(
            f"--ogpu-backend/ogpu_backend: unknown {backend!r}; known: {', '.join(BACKENDS)}"
        )
    runtime = values["ogpu_runtime"]
    if runtime not in RUNTIMES:
        raise ValueError(
            f"--ogpu-runtime/ogpu_runtime: unknown {runtime!r}; known: {', '.join(RUNTIMES)}"
        )
    environments = tuple(e.strip() for e in values["ogpu_environments"].split(",") if e.strip())
    bad = [e for e in environments if e not in ENVIRONMENTS]
    if bad or not environments:
        raise ValueError(
            f"--ogpu-environments/ogpu_environments: unknown {', '.join(bad) or 'empty list'}; "
            f"known: {', '.join(ENVIRONMENTS)}"
        )
    try:
        chain_id = int(values["ogpu_chain_id"])
    except ValueError:
        raise ValueError(
            f"--ogpu-chain-id/ogpu_chain_id: not an integer: {values['ogpu_chain_id']!r}"
        ) from None
    if chain_id <= 0:
        raise ValueError(f"--ogpu-chain-id/ogpu_chain_id: must be positive, got {chain_id}")
    faults = values["ogpu_ipfs_faults"].lower()
    if faults not in ("on", "off"):
        raise ValueError(f"--ogpu-ipfs-faults/ogpu_ipfs_faults: 'on' or 'off', got {faults!r}")
    if backend == "rpc" and not values["ogpu_rpc_url"]:
        raise ValueError("--ogpu-backend=rpc needs --ogpu-rpc-url/ogpu_rpc_url")
    return PluginConfig(
        backend=backend,
        rpc_url=values["ogpu_rpc_url"],
        runtime=runtime,
        environments=environments,
        chain_id=chain_id,
        ipfs_faults=faults == "on",
        report=values["ogpu_report"],
    )


def environment_params(folder: Path | str | None, config: PluginConfig) -> list[Any]:
    """One ``pytest.param`` per environment, skipped with a reason where it cannot run."""
    declared: tuple[str, ...] = ()
    where = "no source folder"
    if folder is not None:
        from ogpu_sim.runtime import load_source_folder

        spec = load_source_folder(folder)
        declared = tuple(spec.environments)
        where = f"source {spec.name!r} ({spec.path})"
    params = []
    for env in ENVIRONMENTS:
        marks = []
        if env not in declared:
            marks.append(pytest.mark.skip(reason=f"{where} declares no {env} environment"))
        elif env not in config.environments:
            marks.append(pytest.mark.skip(reason=f"{env} not selected by --ogpu-environments"))
        params.append(pytest.param(env, id=env, marks=marks))
    return params


def failure_text(sim: Any, entries: list[Any]) -> str:
    """The failure section: the test's timeline, IPFS requests and handler logs."""
    lines = ["protocol timeline (events and provider actions, oldest first):"]
    lines += [f"  {e.text()}" for e in entries] or ["  (nothing happened on chain)"]
    requests = list(getattr(sim.ipfs, "requests", []))[-20:]
    if requests:
        lines.append("IPFS requests (last 20):")
        lines += [
            f"  {r.method} {r.route} -> {r.status} {r.bytes}B {r.cid or ''}".rstrip()
            for r in requests
        ]
    for name, logs in sim.handler_logs(tail=30).items():
        lines.append(f"handler log {name} (tail):")
        lines += [f"  {line}" for line in logs.splitlines()]
    return "\n".join(lines)


def report_entry(nodeid: str, outcome: str, entries: list[Any]) -> dict[str, Any]:
    """One test's record in the ``--ogpu-report`` JSON."""
    return {
        "test": nodeid,
        "outcome": outcome,
        "events": [
            {"kind": e.kind, "name": e.name, "args": e.args, "block": e.block, "emitter": e.emitter}
            for e in entries
        ],
    }
