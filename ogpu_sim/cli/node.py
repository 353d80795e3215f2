"""``ogpu-sim node`` and ``ogpu-sim run``: a local network for programs in other processes.

``ogpu-sim node`` starts a simulator (chain served over HTTP JSON-RPC on 127.0.0.1, protocol,
mock IPFS), prints the RPC URL, contract addresses and funded keys, writes them to a connection
file, and serves until interrupted. With ``--providers N`` every source published from then on
gets N simulated providers acting on their own, so published tasks get answered.

``ogpu-sim run -- python app.py`` runs an unmodified SDK program against that node: it puts a
``sitecustomize`` module on the child's ``PYTHONPATH`` that binds the SDK to the node named in
``OGPU_SIM_NODE`` before the program's first line runs. No code change in the program.

``run`` fails closed: a connection file that is missing, empty, malformed or stale (its node
no longer answers) ends it with one line and exit code 2 before the program starts, and a child
whose binding fails exits 2 before its first line, so a program never falls back to the SDK's
mainnet defaults.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ogpu_sim.errors import ConfigError, OgpuSimError
from ogpu_sim.ipfs.content import loads_bounded
from ogpu_sim.network.connection import (  # noqa: F401 (re-exported: the file's home was here)
    DEFAULT_INFO,
    ENV_VAR,
    MAX_CONNECTION_FILE,
    NODE_CONTRACTS,
    check_connection_path,
    read_connection_file,
    write_connection_file,
)
from ogpu_sim.sources import detect_urls, explicit_urls
from ogpu_sim.vocabulary import (
    BACKEND_HELP,
    BEHAVIOURS,
    DEFAULT_BACKEND,
    DEFAULT_CHAIN_ID,
    DEFAULT_IMAGE_SOURCE,
    DEFAULT_RUNTIME,
    IMAGE_SOURCE_HELP,
    IMAGE_SOURCES,
    LOCAL_BACKENDS,
    RUNTIMES,
    choices,
)

PROBE_TIMEOUT = 3.0
"""Seconds ``ogpu-sim run`` waits for the node to answer before calling the file stale."""

_SITECUSTOMIZE = '''\
"""Installed by `ogpu-sim run`: bind the ogpu SDK to the node in $OGPU_SIM_NODE, or exit 2.

The SDK's stack is imported and bound under the known-warnings filter, so a program run with
`python -W error` starts; the filter then stays in front of the program's own (narrow: those
warnings only), unless OGPU_SIM_SDK_WARNINGS=show.
"""
import os as _os

if _os.environ.get("OGPU_SIM_NODE"):
    try:
        from ogpu_sim.sdk import warnings as _known

        _hide = _known.hidden_by_environment()
        with _known.quietly(_hide):
            from ogpu_sim.cli.node import autobind as _autobind

            _autobind(_os.environ["OGPU_SIM_NODE"])
        if _hide:
            _known.quiet_known_warnings()
    except Exception as _exc:  # never let the program run against the SDK's defaults
        import sys as _sys

        _m = isinstance(_exc, ImportError) and (_exc.name or "").startswith("ogpu_sim")
        _hint = f" (in {_sys.executable}: {_os.environ.get('OGPU_SIM_RUN_HINT')})" if _m else ""
        _sys.stderr.write(f"error: ogpu-sim run could not bind the SDK: {_exc}{_hint}\\n")
        _sys.stderr.flush()
        _os._exit(2)
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


def check_node_answers(
    info: dict[str, Any], path: str | Path, timeout: float = PROBE_TIMEOUT
) -> None:
    """Check that the node a connection file names is up: same chain, contracts, IPFS.

    Raises:
        ConfigError: (option ``--info``) the node does not answer, answers for another chain, has
            no contract at the NEXUS address, or its IPFS server does not answer: the file is
            stale (its node was stopped or killed).
    """
    import requests

    def stale(problem: str) -> ConfigError:
        return ConfigError(
            "--info",
            f"{path} is stale: {problem}; the node was stopped or killed, start one with "
            "`ogpu-sim node`",
        )

    rpc_url = info["rpc_url"]
    calls = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "eth_getCode",
            "params": [info["addresses"]["NEXUS"], "latest"],
        },
    ]
    try:
        replies = [requests.post(rpc_url, json=call, timeout=timeout) for call in calls]
        answers = [loads_bounded(reply.content, limit=8) for reply in replies]
        results = [answer["result"] for answer in answers]
        chain_id = int(results[0], 16)
    except requests.RequestException as exc:
        raise stale(f"no node answers at {rpc_url} ({type(exc).__name__})") from None
    except (ValueError, KeyError, TypeError):
        raise stale(f"{rpc_url} does not answer like a JSON-RPC node") from None
    if chain_id != info["chain_id"]:
        raise stale(f"{rpc_url} serves chain {chain_id}, not {info['chain_id']}")
    if results[1] in ("0x", "", None):
        raise stale(f"the chain at {rpc_url} has no NEXUS contract at {info['addresses']['NEXUS']}")
    try:
        requests.post(info["ipfs_url"] + "/api/v0/version", timeout=timeout).raise_for_status()
    except requests.RequestException as exc:
        raise stale(
            f"no IPFS server answers at {info['ipfs_url']} ({type(exc).__name__})"
        ) from None


def autobind(info_path: str | Path) -> Any:
    """Bind this process's SDK to the node described by the connection file; return the binding.

    Sets contract addresses and the RPC URL for both ``ChainId`` configurations, the IPFS
    endpoint and, for a loopback node only, the role key environment variables.

    Raises:
        ConfigError: the connection file is missing or malformed (see
            :func:`read_connection_file`).
    """
    from web3 import Web3

    from ogpu_sim.accounts import ROLE_ENV_VARS
    from ogpu_sim.chain.base import is_loopback_url as is_loopback
    from ogpu_sim.sdk.binding import SdkBinding

    info = read_connection_file(info_path)
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
    parser.add_argument("--info", default=str(DEFAULT_INFO), help="connection file to write")
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
        "--image",
        choices=IMAGE_SOURCES,
        default=DEFAULT_IMAGE_SOURCE,
        help="what the providers' docker runtime runs for a handler service given as an image: "
        + "; ".join(f"{name}: {text}" for name, text in IMAGE_SOURCE_HELP.items()),
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
        default=None,
        help="what those providers do (default honest): " + choices(BEHAVIOURS),
    )
    parser.add_argument(
        "--handler",
        type=Path,
        default=None,
        metavar="DIR",
        help="a source folder whose handler the providers run (default: the working copy the "
        "source's compose URLs point into, else canned answers)",
    )
    parser.add_argument(
        "--source-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="the working copy of your source repository (default: the current folder); compose "
        "URLs pointing into its git remote (raw GitHub URLs) are served from it",
    )
    parser.add_argument(
        "--source-url",
        default=None,
        metavar="PREFIX",
        help="serve compose URLs starting with PREFIX from --source-dir (instead of detecting "
        "the prefixes from its git remote)",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    """``ogpu-sim node``: start, print the connection details, serve until SIGINT/SIGTERM."""
    from ogpu_sim.simulator import Simulator

    args = _parser().parse_args(list(argv))
    _check_options(args)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with Simulator.start(
        backend=args.backend,
        chain_id=args.chain_id,
        ipfs_dir=args.ipfs_dir,
        runtime=args.runtime,
        image=args.image,
        autorun=args.providers > 0,
    ) as sim:
        if args.providers:
            sim.fleet.urls = args.urls
            sim.recruit(args.providers, args.behaviour, handler=args.handler)
        info = connection_info(sim)
        write_connection_file(args.info, info)
        print(f"ogpu-sim node on {info['rpc_url']} (chain id {info['chain_id']})")
        print(f"IPFS            {info['ipfs_url']}")
        for name, address in info["addresses"].items():
            print(f"{name:<15} {address}")
        for role, account in info["accounts"].items():
            print(f"{role:<15} {account['address']} {account.get('private_key', '')}")
        if args.providers:
            print(f"providers       {args.providers} {args.behaviour} per source published")
            for mapping in sim.fleet.urls.mappings:
                print(f"working copy    {mapping.prefix}... -> {mapping.folder}")
        print(f"connection file {args.info}  (use: ogpu-sim run --info {args.info} -- CMD)")
        sys.stdout.flush()
        try:
            shown = 0
            while not stop.wait(ERROR_POLL):
                shown = _show_errors(sim, shown)
        finally:
            args.info.unlink(missing_ok=True)
    return 0


ERROR_POLL = 0.5
"""Seconds between the node's looks at its timeline for provider errors to print."""

PROVIDER_OPTIONS = ("--handler", "--source-dir", "--source-url", "--behaviour")
"""Options that only mean something with ``--providers N``."""


def _check_options(args: argparse.Namespace) -> None:
    """Refuse, before anything starts, what the node could only get wrong later (or silently):
    options for providers without ``--providers``, providers on the docker runtime with no
    engine answering, a ``--handler`` folder that is not a source, a ``--source-dir`` that is
    not a folder, a bad ``--source-url``, a connection file that cannot be written, an
    ``--ipfs-dir`` that is not a directory. Fills in the defaults and the working-copy URLs."""
    from ogpu_sim.ipfs.store import store_folder
    from ogpu_sim.runtime import check_image_source
    from ogpu_sim.sources import load_source_folder

    if args.providers < 0:
        raise ConfigError("--providers", f"must be 0 or more, got {args.providers}")
    check_image_source(args.image, args.runtime, "--image")
    given = [
        name for name in PROVIDER_OPTIONS if getattr(args, name[2:].replace("-", "_")) is not None
    ]
    if given and not args.providers:
        raise ConfigError(given[0], "only goes with --providers N (the providers that use it)")
    args.behaviour = args.behaviour or "honest"
    args.source_dir = Path(".") if args.source_dir is None else args.source_dir
    if not args.source_dir.is_dir():
        problem = "not a folder" if args.source_dir.exists() else "no such folder"
        raise ConfigError("--source-dir", f"{problem}: {args.source_dir}")
    args.urls = None
    if args.source_url is not None:
        try:
            args.urls = explicit_urls(args.source_url, args.source_dir)
        except ConfigError as exc:  # it names the pytest ini key; here it is the option
            raise ConfigError("--source-url", exc.problem) from None
    elif args.providers:
        args.urls = detect_urls(args.source_dir)
    if args.providers and args.runtime == "docker":
        from ogpu_sim.runtime import docker_available

        usable, reason = docker_available()
        if not usable:
            raise ConfigError(
                "--runtime", f"docker: {reason}; start a Docker engine or use auto or process"
            )
    if args.handler is not None:
        try:
            load_source_folder(args.handler)
        except OgpuSimError as exc:  # a ComposeError naming what is wrong with the folder
            raise ConfigError("--handler", str(exc)) from exc
    args.info = check_connection_path(args.info)
    if args.ipfs_dir is not None:
        store_folder(args.ipfs_dir, "--ipfs-dir")


def _show_errors(sim: Any, shown: int) -> int:
    """Print the providers' errors recorded since entry ``shown`` of the timeline (the
    autorun thread keeps serving after one); return how far the timeline was read."""
    entries = list(sim.timeline.entries)  # no chain read: the notes are added directly
    for entry in entries[min(shown, len(entries)) :]:
        if entry.kind == "note" and entry.name == "autorun-error":
            print(f"provider error: {entry.args.get('error', '')}", file=sys.stderr, flush=True)
    return len(entries)


def run_main(argv: Sequence[str]) -> int:
    """``ogpu-sim run [--info PATH] [--stop-timeout S] -- CMD ...``: run CMD bound to the node.

    SIGINT, SIGTERM and SIGHUP are forwarded to CMD, which gets ``--stop-timeout`` seconds to
    exit before it is killed; the hook folder is removed either way (see
    :mod:`ogpu_sim.cli.forward`).

    Returns:
        CMD's exit code, or ``128 + N`` if signal N ended it.

    Raises:
        ConfigError: no command, a negative ``--stop-timeout``, a command that cannot be
            started, or the connection file is missing, malformed or stale (checked before CMD
            starts).
    """
    from ogpu_sim.cli.forward import DEFAULT_STOP_TIMEOUT, run_forwarding

    parser = argparse.ArgumentParser(
        prog="ogpu-sim run", description="Run a program with its ogpu SDK bound to a node."
    )
    parser.add_argument(
        "--info", type=Path, default=DEFAULT_INFO, help="the node's connection file"
    )
    parser.add_argument(
        "--stop-timeout",
        type=float,
        default=DEFAULT_STOP_TIMEOUT,
        metavar="S",
        help="seconds CMD has to exit after a forwarded SIGINT/SIGTERM/SIGHUP before it is "
        f"killed (default {DEFAULT_STOP_TIMEOUT:g})",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    args = parser.parse_args(list(argv))
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise ConfigError("command", "nothing to run; usage: ogpu-sim run -- python app.py")
    if not args.stop_timeout >= 0:  # NaN too
        raise ConfigError("--stop-timeout", f"must be 0 or more seconds, got {args.stop_timeout}")
    info = read_connection_file(args.info)
    check_node_answers(info, args.info)
    with tempfile.TemporaryDirectory(prefix="ogpu-sim-run-") as hook_dir:
        Path(hook_dir, "sitecustomize.py").write_text(_SITECUSTOMIZE)
        env = dict(os.environ)
        env[ENV_VAR] = str(args.info.resolve())
        env["OGPU_SIM_RUN_HINT"] = f"run it with the Python ogpu-sim is in, {sys.executable}"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [hook_dir, env.get("PYTHONPATH")]))
        try:
            return run_forwarding(command, env, args.stop_timeout)
        except OSError as exc:
            raise ConfigError(
                "command", f"cannot run {command[0]!r}: {exc.strerror or exc}"
            ) from None
