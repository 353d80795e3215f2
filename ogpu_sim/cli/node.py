"""``ogpu-sim node`` and ``ogpu-sim run``: a local network for programs in other processes.

``ogpu-sim node`` starts a simulator (chain served over HTTP JSON-RPC on 127.0.0.1, protocol,
mock IPFS), prints the RPC URL, contract addresses and funded keys, writes them to a connection
file, and serves until interrupted. With ``--providers N`` every source published from then on
gets N simulated providers acting on their own, so published tasks get answered.

``ogpu-sim run -- python app.py`` runs an unmodified SDK program against that node: it puts a
``sitecustomize`` module on the child's ``PYTHONPATH`` that binds the SDK to the node named in
``OGPU_SIM_NODE`` before the program's first line runs. No code change in the program.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ogpu_sim.errors import ConfigError
from ogpu_sim.vocabulary import (
    BACKEND_HELP,
    BEHAVIOURS,
    DEFAULT_BACKEND,
    DEFAULT_CHAIN_ID,
    DEFAULT_RUNTIME,
    LOCAL_BACKENDS,
    RUNTIMES,
    choices,
)

DEFAULT_INFO = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ogpu-sim/node.json"
ENV_VAR = "OGPU_SIM_NODE"

_SITECUSTOMIZE = '''\
"""Installed by `ogpu-sim run`: bind the ogpu SDK to the node in $OGPU_SIM_NODE."""
import os as _os

if _os.environ.get("OGPU_SIM_NODE"):
    from ogpu_sim.cli.node import autobind as _autobind

    _autobind(_os.environ["OGPU_SIM_NODE"])
'''


def connection_info(sim: Any) -> dict[str, Any]:
    """What another process needs to use ``sim``: URLs, addresses and the role keys."""
    from ogpu_sim.accounts import ROLE_INDEX, key_hex

    local = bool(sim.chain.is_local)
    return {
        "rpc_url": sim.rpc_url,
        "chain_id": sim.chain_id,
        "addresses": dict(sim.deployment.addresses),
        "ipfs_url": sim.ipfs.url,
        "ipfs_publish_url": sim.ipfs.publish_url,
        "accounts": {
            role: {
                "address": sim.accounts.role(role).address,
                **({"private_key": key_hex(sim.accounts.role(role))} if local else {}),
            }
            for role in ROLE_INDEX
        },
    }


def autobind(info_path: str | Path) -> Any:
    """Bind this process's SDK to the node described by the connection file; return the binding.

    Sets contract addresses and the RPC URL for both ``ChainId`` configurations, the IPFS
    endpoint and, for a loopback node only, the role key environment variables.
    """
    from web3 import Web3

    from ogpu_sim.accounts import ROLE_ENV_VARS
    from ogpu_sim.chain.base import is_loopback_url as is_loopback
    from ogpu_sim.sdk.binding import SdkBinding

    info = json.loads(Path(info_path).read_text())
    keys = info["accounts"]
    env = {}
    if is_loopback(info["rpc_url"]):
        env = {var: keys[role]["private_key"] for role, var in ROLE_ENV_VARS.items()}
    binding = SdkBinding(
        w3=Web3(Web3.HTTPProvider(info["rpc_url"])),
        rpc_url=info["rpc_url"],
        addresses=info["addresses"],
        ipfs_publish_url=info["ipfs_publish_url"],
        env=env,
    )
    binding.bind()
    return binding


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ogpu-sim node", description="Serve a local OpenGPU network until interrupted."
    )
    parser.add_argument("--info", type=Path, default=DEFAULT_INFO, help="connection file to write")
    parser.add_argument(
        "--backend",
        choices=LOCAL_BACKENDS,
        default=DEFAULT_BACKEND,
        help="chain backend: " + "; ".join(f"{b}: {BACKEND_HELP[b]}" for b in LOCAL_BACKENDS),
    )
    parser.add_argument(
        "--chain-id", type=int, default=DEFAULT_CHAIN_ID, help=f"default {DEFAULT_CHAIN_ID}"
    )
    parser.add_argument("--ipfs-dir", default=None, help="keep IPFS content in this directory")
    parser.add_argument(
        "--runtime",
        choices=RUNTIMES,
        default=DEFAULT_RUNTIME,
        help="handler runtime for providers: " + choices(RUNTIMES),
    )
    parser.add_argument(
        "--providers",
        type=int,
        default=0,
        metavar="N",
        help="give every source published from now on N simulated providers (default 0: none)",
    )
    parser.add_argument(
        "--behaviour",
        choices=BEHAVIOURS,
        default="honest",
        help="what those providers do (default honest): " + choices(BEHAVIOURS),
    )
    parser.add_argument(
        "--handler",
        type=Path,
        default=None,
        metavar="DIR",
        help="a source folder whose handler the providers run (default: canned answers)",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    """``ogpu-sim node``: start, print the connection details, serve until SIGINT/SIGTERM."""
    from ogpu_sim.simulator import Simulator

    args = _parser().parse_args(list(argv))
    if args.providers < 0:
        raise ConfigError("--providers", f"must be 0 or more, got {args.providers}")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with Simulator.start(
        backend=args.backend,
        chain_id=args.chain_id,
        ipfs_dir=args.ipfs_dir,
        runtime=args.runtime,
        autorun=args.providers > 0,
    ) as sim:
        if args.providers:
            sim.recruit(args.providers, args.behaviour, handler=args.handler)
        info = connection_info(sim)
        args.info.parent.mkdir(parents=True, exist_ok=True)
        temporary = args.info.with_suffix(".tmp")
        temporary.write_text(json.dumps(info, indent=2))
        temporary.replace(args.info)
        print(f"ogpu-sim node on {info['rpc_url']} (chain id {info['chain_id']})")
        print(f"IPFS            {info['ipfs_url']}")
        for name, address in info["addresses"].items():
            print(f"{name:<15} {address}")
        for role, account in info["accounts"].items():
            print(f"{role:<15} {account['address']} {account.get('private_key', '')}")
        if args.providers:
            print(f"providers       {args.providers} {args.behaviour} per source published")
        print(f"connection file {args.info}  (use: ogpu-sim run --info {args.info} -- CMD)")
        sys.stdout.flush()
        try:
            stop.wait()
        finally:
            args.info.unlink(missing_ok=True)
    return 0


def run_main(argv: Sequence[str]) -> int:
    """``ogpu-sim run [--info PATH] -- CMD ...``: run CMD with its SDK bound to the node."""
    parser = argparse.ArgumentParser(
        prog="ogpu-sim run", description="Run a program with its ogpu SDK bound to a node."
    )
    parser.add_argument(
        "--info", type=Path, default=DEFAULT_INFO, help="the node's connection file"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    args = parser.parse_args(list(argv))
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise ConfigError("command", "nothing to run; usage: ogpu-sim run -- python app.py")
    if not args.info.is_file():
        raise ConfigError(
            "--info", f"no node connection file at {args.info}; start one with `ogpu-sim node`"
        )
    with tempfile.TemporaryDirectory(prefix="ogpu-sim-run-") as hook_dir:
        Path(hook_dir, "sitecustomize.py").write_text(_SITECUSTOMIZE)
        env = dict(os.environ)
        env[ENV_VAR] = str(args.info.resolve())
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [hook_dir, env.get("PYTHONPATH")]))
        return subprocess.call(command, env=env)
