"""ogpu-sim: a local OpenGPU network for the unmodified ``ogpu`` SDK.

The public handle is :class:`ogpu_sim.Simulator`; see the README for the pytest plugin,
``ogpu-sim simulate`` and the hypothesis state machine. Heavy modules load lazily so that the
pytest plugin costs nothing in sessions that do not use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ConfigError, OgpuSimError

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = ["ConfigError", "OgpuSimError", "Simulator", "__version__"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "Simulator":
        from .simulator import Simulator

        return Simulator
    raise AttributeError(f"module 'ogpu_sim' has no attribute {name!r}")
