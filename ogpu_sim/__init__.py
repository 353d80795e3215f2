"""ogpu-sim: a local OpenGPU network for the unmodified ``ogpu`` SDK.

The public handle is :class:`ogpu_sim.Simulator`. The package is layered; a module never
imports one in a layer above it (docs/architecture.md; import-linter checks it):

- ground: ``errors`` (every error, rooted in :class:`OgpuSimError`), ``vocabulary`` (backends,
  runtimes, environments and bits, chain ids, behaviours);
- leaves: ``chain`` (eth-tester, revm, anvil, any JSON-RPC node), ``ipfs`` (mock IPFS),
  ``runtime`` (inline, process, docker handlers), ``sdk`` (binding the real SDK),
  ``protocol`` + ``artifacts`` (the contracts), ``accounts``;
- actors: ``actors`` (simulated providers, their driver, the timeline);
- compose: ``network`` (starts the leaves), ``simulator`` (the handle), ``publishing``;
- faces: ``pytest`` (the plugin), ``cli`` (``ogpu-sim``), ``simulate`` (scenarios),
  ``testing`` (reference model, strategies, ``LifecycleMachine``); ``assertions`` re-exports
  the test assertions.

Heavy modules load lazily so that the pytest plugin costs nothing in sessions that do not use
it.
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
