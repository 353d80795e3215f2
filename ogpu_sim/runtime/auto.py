"""The ``auto`` runtime: pick a runtime per source.

A source whose handler module ogpu-sim can find (the module its Dockerfile's ``CMD`` runs,
``[handler] module``, or a bare ``handler.py``) runs inline (fastest, no engine needed); a
source with only a published image runs in Docker when an engine is reachable; anything else is
a :class:`HandlerStartError` saying what is missing. With ``image_source="published"`` an
``image:`` handler service runs in Docker (only Docker runs an image).
"""

from __future__ import annotations

from typing import Any

from ..sources import SourceFolder
from .base import Handler, Runtime
from .callbacks import CallbackServer
from .engine import docker_available
from .errors import HandlerStartError


class AutoRuntime(Runtime):
    """Delegates each ``start`` to an inline or docker runtime, created on first use."""

    name = "auto"

    def __init__(self, callbacks: CallbackServer, **options: Any) -> None:
        super().__init__(callbacks)
        self._options = options
        self._delegates: dict[str, Runtime] = {}

    def choose(self, source: SourceFolder, environment: str | None = None) -> str:
        """The runtime name ``auto`` uses for a source (in ``environment``, when given)."""
        published = (
            environment is not None
            and self._options.get("image_source") == "published"
            and source.service(environment).build is None
        )
        if source.handler_file is not None and not published:
            return "inline"
        usable, reason = docker_available()
        if usable:
            return "docker"
        if published:
            raise HandlerStartError(
                source.name,
                str(environment),
                f"the published image runs in Docker only, and Docker is not usable ({reason})",
            )
        raise HandlerStartError(
            source.name,
            "-",
            f"no handler module to run inline and Docker is not usable ({reason})",
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
