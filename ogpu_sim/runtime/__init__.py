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
from ..vocabulary import (
    DEFAULT_IMAGE_SOURCE,
    ENVIRONMENT_BITS,
    ENVIRONMENTS,
    IMAGE_SOURCES,
    RUNTIMES,
    choices,
)
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
            ``image_source`` (one of ``IMAGE_SOURCES``) is accepted by every runtime:
            ``working-copy`` is what inline and process always run; ``published`` needs an
            image, so docker (``auto`` then runs ``image:`` handler services in Docker).

    Returns:
        The runtime; close it (or use it as a context manager) to stop its handlers.

    Raises:
        ConfigError: unknown runtime name or ``image_source``, or ``published`` for inline or
            process.
    """
    image_source = options.get("image_source", DEFAULT_IMAGE_SOURCE)
    check_image_source(image_source, name, "image_source")
    if name in ("inline", "process"):
        options.pop("image_source", None)
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


def check_image_source(image_source: str, runtime: str, option: str) -> None:
    """Refuse an unknown image source, or ``published`` on a runtime that runs no image.

    Args:
        image_source: the value given.
        runtime: the runtime it goes with.
        option: how the caller names the option in the error (``image``, ``--ogpu-image``).

    Raises:
        ConfigError: naming ``option`` and the choices, or the runtimes that can run it.
    """
    if image_source not in IMAGE_SOURCES:
        raise ConfigError(option, f"unknown {image_source!r}; known: {choices(IMAGE_SOURCES)}")
    if image_source == "published" and runtime in ("inline", "process"):
        raise ConfigError(
            option,
            f"published runs the image the compose file names, which the {runtime} runtime "
            "cannot: use the docker (or auto) runtime, or working-copy",
        )


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
    "check_image_source",
    "create_runtime",
    "docker_available",
    "load_source_folder",
]
