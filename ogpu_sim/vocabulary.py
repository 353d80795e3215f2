"""The names shared across layers: backends, runtimes, environments, behaviours, chain ids,
Vault buckets, and where ogpu-sim keeps its state.

Every choice list, default and help text in ogpu-sim (``Simulator.start``, the pytest options,
the CLI, scenario files, ``doctor``) is built from this module, so a new backend or runtime is
added in one place. It imports nothing from ogpu-sim and nothing heavy: the ground layer.

Protocol statuses are not repeated here: use the SDK's own enums (``ogpu.types.TaskStatus``,
``SourceStatus``, ``ResponseStatus``, ``DeliveryMethod``, ``Environment``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Final

# -- chain backends --------------------------------------------------------------------------

BACKENDS: Final = ("eth-tester", "revm", "anvil", "rpc")
"""Chain backends, default first."""

DEFAULT_BACKEND: Final = "eth-tester"

BACKEND_HELP: Final = {
    "eth-tester": "in-process eth-tester + py-evm (default)",
    "revm": "in-process revm through pyrevm (fast; only the latest state is kept)",
    "anvil": "starts the npm anvil binary on 127.0.0.1",
    "rpc": "any JSON-RPC node at rpc_url (your own keys unless it is on this machine)",
}

LOCAL_BACKENDS: Final = ("eth-tester", "revm", "anvil")
"""Backends ogpu-sim starts itself (``rpc`` connects to a node someone else runs)."""

# -- handler runtimes ------------------------------------------------------------------------

RUNTIMES: Final = ("auto", "inline", "process", "docker")
"""Handler runtimes, default first. ``auto`` picks per source: inline when ogpu-sim finds the
handler module, else docker when an engine answers."""

DEFAULT_RUNTIME: Final = "auto"

RUNTIME_HELP: Final = {
    "auto": "per source: inline when ogpu-sim finds the handler module, else docker when a "
    "Docker engine answers",
    "inline": "the handler's FastAPI app in this process (fastest)",
    "process": "the handler as its own Python process, as its image's CMD runs it",
    "docker": "the source's compose stack under Docker Compose, as a provider runs it",
}

IMAGE_SOURCES: Final = ("working-copy", "published")
"""What the docker runtime runs for a handler service given as an ``image:``, default first."""

DEFAULT_IMAGE_SOURCE: Final = "working-copy"

IMAGE_SOURCE_HELP: Final = {
    "working-copy": "build the repository's Dockerfile and run it under the service's image name "
    "(default: tests the change, not the pushed image)",
    "published": "run the image the compose file names, pulled per its pull_policy (docker "
    "runtime only)",
}

# -- hardware environments -------------------------------------------------------------------

ENVIRONMENTS: Final = ("cpu", "nvidia", "amd")
"""Hardware environments in bit order."""

ENVIRONMENT_BITS: Final = {"cpu": 1, "nvidia": 2, "amd": 4}
"""The protocol's ``imageEnvironments`` / ``preferredEnvironment`` bits (SDK ``Environment``)."""

# -- chain ids -------------------------------------------------------------------------------

OGPU_TESTNET_CHAIN_ID: Final = 200820172034
OGPU_MAINNET_CHAIN_ID: Final = 1071
DEFAULT_CHAIN_ID: Final = OGPU_TESTNET_CHAIN_ID
"""Local chains carry the OGPU testnet's id unless told otherwise."""

# -- simulated providers ---------------------------------------------------------------------

BEHAVIOURS: Final = ("honest", "slow", "silent", "failing", "late", "wrong", "racer")
"""What a simulated provider does with a task it sees (README: provider behaviours)."""

BEHAVIOUR_HELP: dict[str, str] = {
    "honest": "attempts every open task and submits its handler's output at once; "
    "FIRST_RESPONSE tasks finalize and pay it in the same transaction",
    "slow": "like honest, but waits `delay` wall-clock seconds between attempt and response; "
    "the client sees ATTEMPTED meanwhile",
    "silent": "attempts and never responds; the task stays ATTEMPTED (escrow frozen) until "
    "another attempt after expiry marks it EXPIRED and refunds the client",
    "failing": "attempts, then its handler fails (no callback), so it never responds; "
    "on chain this looks like `silent`, the timeline records the handler failure",
    "late": "attempts, then holds its response until chain time is past the task's expiry; "
    "the submission reverts with `Expired`, and its next attempt expires the task (refund)",
    "wrong": "submits a payload that does not match the handler's output model "
    '({"ogpu_sim_wrong_output": ...}); on chain it is an ordinary response',
    "racer": "like honest, but racers respond in a seeded random order after every racer "
    "attempted: exactly one wins FIRST_RESPONSE, the others see the task FINALIZED",
}
"""What each of :data:`BEHAVIOURS` does, for docs and ``--help``."""

DELIVERY_METHODS: Final = ("first_response", "manual_confirmation")
"""Lower-case names of the SDK's ``DeliveryMethod`` members, as options and scenarios spell them."""


def choices(names: Iterable[str]) -> str:
    """``a, b, c``: the form every "known: ..." error message and help text uses."""
    return ", ".join(names)


def environment_bits(environments: Iterable[str]) -> int:
    """The ``imageEnvironments`` bitmask of environment names (unknown names raise KeyError)."""
    return sum(ENVIRONMENT_BITS[name] for name in set(environments))


def environments_of(bits: int) -> tuple[str, ...]:
    """The environment names set in an ``imageEnvironments`` bitmask, in bit order."""
    return tuple(name for name in ENVIRONMENTS if bits & ENVIRONMENT_BITS[name])


# -- the Vault's buckets -----------------------------------------------------------------------

VAULT_BUCKET_GETTERS: Final = {
    "balance": "balanceOf",
    "lockup": "lockupOf",
    "unbonding": "unbondingOf",
    "frozen": "frozenPayment",
    "sanction": "sanctionOf",
}
"""Each bucket the Vault holds for an account, and its getter; together they are all of it."""

# -- the SDK stack's known warnings ------------------------------------------------------------

KNOWN_SDK_WARNINGS: Final[tuple[tuple[str, type[Warning], str], ...]] = (
    # web3's process_receipt warns once per log of another contract in a receipt (a new
    # Source's OwnershipTransferred, ...) while the SDK extracts SourcePublished/TaskPublished;
    # the warning is attributed to the frame that consumes the decoding generator
    # (eth_utils' to_tuple).
    ("The log with transaction hash", UserWarning, r"(web3|eth_utils|ogpu)(\.|$)"),
    # importing web3 imports websockets.legacy, deprecated since websockets 14.
    ("websockets.legacy is deprecated", DeprecationWarning, r"websockets(\.|$)"),
)
"""(message prefix, category, module regex) of each known, harmless warning of the SDK's stack:
hidden in this process by :mod:`ogpu_sim.sdk.warnings`, in a process runtime's handler by
:mod:`ogpu_sim.runtime.launcher`."""

# -- state on disk --------------------------------------------------------------------------------


# -- keys ------------------------------------------------------------------------------------

MNEMONIC_ENV: Final = "OGPU_SIM_MNEMONIC"
"""The environment variable ``ogpu-sim simulate`` and the pytest plugin read the mnemonic of the
user's own funded accounts from, for ``--backend rpc`` (a node that is not on this machine needs
it: the public test keys never sign for one). Never a command-line option, which the process
list would show."""


def cache_dir() -> Path:
    """ogpu-sim's state folder: ``$OGPU_SIM_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/ogpu-sim``.

    Images' wheelhouses, compose workdirs, ``ogpu-sim node``'s connection file and the keys an
    attached run could not empty live under it.
    """
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ogpu-sim"
    return Path(os.environ.get("OGPU_SIM_CACHE", default))


__all__ = [
    "BACKENDS",
    "BACKEND_HELP",
    "BEHAVIOURS",
    "BEHAVIOUR_HELP",
    "DEFAULT_BACKEND",
    "DEFAULT_CHAIN_ID",
    "DEFAULT_IMAGE_SOURCE",
    "DEFAULT_RUNTIME",
    "DELIVERY_METHODS",
    "ENVIRONMENTS",
    "ENVIRONMENT_BITS",
    "IMAGE_SOURCES",
    "IMAGE_SOURCE_HELP",
    "KNOWN_SDK_WARNINGS",
    "LOCAL_BACKENDS",
    "MNEMONIC_ENV",
    "OGPU_MAINNET_CHAIN_ID",
    "OGPU_TESTNET_CHAIN_ID",
    "RUNTIMES",
    "RUNTIME_HELP",
    "VAULT_BUCKET_GETTERS",
    "cache_dir",
    "choices",
    "environment_bits",
    "environments_of",
]
