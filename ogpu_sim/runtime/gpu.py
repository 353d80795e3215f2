"""Is a GPU of a kind present? Decides between real device options and emulation."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

FORCE_EMULATION_ENV = "OGPU_SIM_EMULATE_GPU"
"""Set to 1 to emulate GPU environments even where the GPU exists (reproducible tests)."""


def host_has_gpu(kind: str) -> bool:
    """Whether this machine has a GPU of ``kind`` ("nvidia" or "amd") usable by processes here.

    NVIDIA: the driver's control device ``/dev/nvidiactl`` or ``nvidia-smi`` on PATH.
    AMD: the ROCm compute device ``/dev/kfd``.
    """
    if os.environ.get(FORCE_EMULATION_ENV) == "1":
        return False
    if kind == "nvidia":
        return Path("/dev/nvidiactl").exists() or shutil.which("nvidia-smi") is not None
    if kind == "amd":
        return Path("/dev/kfd").exists()
    return False


def engine_has_gpu(kind: str, info: dict[str, Any]) -> bool:
    """Whether a Docker engine (its ``docker info``) can give containers a GPU of ``kind``.

    NVIDIA needs an ``nvidia`` runtime registered with the engine; AMD needs ``/dev/kfd`` on the
    engine's host (assumed to be this machine: the harness talks to a local engine).
    """
    if os.environ.get(FORCE_EMULATION_ENV) == "1":
        return False
    if kind == "nvidia":
        return "nvidia" in (info.get("Runtimes") or {})
    if kind == "amd":
        return Path("/dev/kfd").exists()
    return False
