"""Compiled protocol contracts shipped with ogpu-sim (ABI + bytecode per contract).

The JSON files beside this module are written by ``python -m ogpu_sim.dev.build`` and committed,
so users need no Solidity compiler. Each holds at least ``abi``, ``bytecode``,
``deployedBytecode``, ``compiler`` and ``settings``.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from ogpu_sim.errors import ArtifactNotFoundError


@cache
def _names() -> tuple[str, ...]:
    files = resources.files(__name__).iterdir()
    return tuple(sorted(f.name.removesuffix(".json") for f in files if f.name.endswith(".json")))


def names() -> list[str]:
    """Return the names of every shipped artifact, sorted (e.g. ``["Controller", ...]``)."""
    return list(_names())


@cache
def _read(name: str) -> dict[str, Any]:
    text = resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load(name: str) -> dict[str, Any]:
    """Return the compiled artifact of contract ``name`` (a fresh copy; callers may mutate it).

    Args:
        name: contract name as in Solidity, e.g. ``"Nexus"``.

    Raises:
        ArtifactNotFoundError: ``name`` is not a shipped contract; lists the known ones.
    """
    known = names()
    if name not in known:
        raise ArtifactNotFoundError(name, known)
    return copy.deepcopy(_read(name))


__all__ = ["load", "names"]
