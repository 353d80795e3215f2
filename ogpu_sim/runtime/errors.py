"""The errors handler runtimes raise, importable from one place.

The classes are defined in :mod:`ogpu_sim.errors` (one tree rooted in ``OgpuSimError``); this
module re-exports the runtime's share so ``from ogpu_sim.runtime.errors import ...`` works.
"""

from __future__ import annotations

from ..errors import (
    ComposeError,
    DockerRuntimeError,
    HandlerDispatchError,
    HandlerError,
    HandlerInputError,
    HandlerStartError,
    PublishedImageError,
)

__all__ = [
    "ComposeError",
    "DockerRuntimeError",
    "HandlerDispatchError",
    "HandlerError",
    "HandlerInputError",
    "HandlerStartError",
    "PublishedImageError",
]
