"""How a source's handler runs: one interface, four runtimes (inline, process, docker, auto).

``create_runtime(name, callbacks)`` gives a :class:`Runtime`; ``runtime.start(source, env)`` a
started :class:`Handler`; results come back through one :class:`CallbackServer`. The factory
lives here, above the runtimes it imports; ``base`` holds only the interface, so no runtime
module imports the factory back.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..sources import ComposeService, SourceFolder, load_source_folder
from ..vocabulary import ENVIRONMENT_BITS, ENVIRONMENTS, RUNTIMES, choices
from .base import Handler, Runtime
from .callbacks import CallbackServer
from .engine import docker_available
from .errors import (
    ComposeError,
    HandlerDispatchError,
    HandlerError,
    HandlerInputError,
    HandlerStartError,
)


def create_runtime(name: str, callbacks: CallbackServer, **options: Any) -> Runtime:
    """Make a runtime by name.

    Args:
        name: one of ``RUNTIMES``: ``inline``, ``process``, ``docker`` or ``auto`` (per source:
            inline when it has a Python handler, else docker when an engine is reachable, else
            a HandlerStartError).
        callbacks: the started callback server every handler reports to.
        **options: passed to the runtime class (e.g. ``base_image=`` for docker).

    Returns:
        The runtime; close it (or use it as a context manager) to stop its handlers.

    Raises:
        ConfigError: unknown runtime name.
    """
    if name == "inline":
        from .inline import InlineRuntime

        return InlineRuntime(callbacks, **options)
    if name == "process":
        from .process import ProcessRuntime

        return ProcessRuntime(callbacks, **options)
    if name == "docker":
        from .docker import DockerRuntime

        return DockerRuntime(callbacks, **options)
    if name == "auto":
        from .auto import AutoRuntime

        return AutoRuntime(callbacks, **options)
    raise ConfigError("runtime", f"unknown {name!r}; known: {choices(RUNTIMES)}")


__all__ = [
    "ENVIRONMENTS",
    "ENVIRONMENT_BITS",
    "RUNTIMES",
    "CallbackServer",
    "ComposeError",
    "ComposeService",
    "Handler",
    "HandlerDispatchError",
    "HandlerError",
    "HandlerInputError",
    "HandlerStartError",
    "Runtime",
    "SourceFolder",
    "create_runtime",
    "docker_available",
    "load_source_folder",
]
