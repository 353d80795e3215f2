"""The ``auto`` runtime: pick a runtime per source.

A source whose handler module ogpu-sim can find (the module its Dockerfile's ``CMD`` runs,
``[handler] module``, or a bare ``handler.py``) runs inline (fastest, no engine needed); a
source with only a published image runs in Docker when an engine is reachable; anything else is
a :class:`HandlerStartError` naming the environment, why no handler module was found (the
inline runtime's reason, e.g. a ``CMD`` script no ``COPY`` provides) and why Docker is not
usable. With ``image_source="published"`` an ``image:`` handler service runs in Docker (only
Docker runs an image).
"""

from __future__ import annotations

from typing import Any

from ..sources import SourceFolder
from .base import Handler, Runtime
from .callbacks import CallbackServer
from .engine import docker_available
from .errors import HandlerStartError
from .failures import NAME_THE_HANDLER


class AutoRuntime(Runtime):
    """Delegates each ``start`` to an inline or docker runtime, created on first use."""

    name = "auto"

    def __init__(self, callbacks: CallbackServer, **options: Any) -> None:
        super().__init__(callbacks)
        self._options = options
        self._delegates: dict[str, Runtime] = {}

    def choose(self, source: SourceFolder, environment: str | None = None) -> str:
        """The runtime name ``auto`` uses for a source in ``environment`` (default: its first).

        Raises:
            HandlerStartError: neither runs it; the problem names the environment, why there
                is no handler module to run inline (the inline runtime's own reason) and why
                Docker is not usable.
            ComposeError: the source does not describe ``environment``.
        """
        env = environment if environment is not None else next(iter(source.environments))
        service = source.service(env)
        published = self._options.get("image_source") == "published" and service.build is None
        if service.entry is not None and not published:
            return "inline"
        usable, reason = docker_available()
        if usable:
            return "docker"
        if published:
            raise HandlerStartError(
                source.name,
                env,
                f"the published image runs in Docker only, and Docker is not usable ({reason})",
            )
        inline = service.entry_problem or "no handler module found"
        raise HandlerStartError(
            source.name,
            env,
            f"no handler module to run inline ({inline}) and Docker is not usable ({reason}); "
            f"{NAME_THE_HANDLER}, or make a Docker engine reachable",
        )

    def start(
        self,
        source: SourceFolder,
        environment: str = "cpu",
        *,
        source_address: str = "",
        provider_address: str = "",
    ) -> Handler:
        name = self.choose(source, environment)
        if name not in self._delegates:
            self._delegates[name] = self._delegate(name)
        return self._delegates[name].start(
            source, environment, source_address=source_address, provider_address=provider_address
        )

    def _delegate(self, name: str) -> Runtime:
        if name == "inline":
            from .inline import InlineRuntime

            return InlineRuntime(self.callbacks)
        from .docker import DockerRuntime

        return DockerRuntime(self.callbacks, **self._options)

    def close(self) -> None:
        delegates, self._delegates = self._delegates, {}
        for runtime in delegates.values():
            runtime.close()
