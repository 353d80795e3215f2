"""How a source's handler runs: one interface, three runtimes (inline, process, docker).

``create_runtime(name, callbacks)`` gives a :class:`Runtime`; ``runtime.start(source, env)`` a
started :class:`Handler`; results come back through one :class:`CallbackServer`.
"""

from .base import (
    RUNTIMES,
    Handler,
    HandlerDispatchError,
    HandlerError,
    HandlerInputError,
    HandlerStartError,
    Runtime,
    create_runtime,
    docker_available,
)
from .callbacks import CallbackServer
from .compose import (
    COMPOSE_FILES,
    ENVIRONMENT_BITS,
    ENVIRONMENTS,
    ComposeError,
    ComposeService,
    SourceFolder,
    load_source_folder,
)

__all__ = [
    "COMPOSE_FILES",
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
