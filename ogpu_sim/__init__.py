"""ogpu-sim: a local OpenGPU network for the unmodified ``ogpu`` SDK.

The public handle is :class:`ogpu_sim.Simulator`; see the README for the pytest plugin,
``ogpu-sim simulate`` and the hypothesis state machine.
"""

from __future__ import annotations

from .errors import ConfigError, OgpuSimError

__all__ = ["ConfigError", "OgpuSimError", "__version__"]
__version__ = "0.1.0"
