"""The docker runtime: the source's whole compose project under Docker Compose v2.

Per :meth:`DockerRuntime.start` the runtime does what the provider app does with a source's
compose file (:mod:`ogpu_sim.runtime.stack` drives Compose):

1. builds the handler image from the working copy (the ``build:`` context, or for an ``image:``
   the repository's ``Dockerfile``/``dockerfile``; ``image_source="published"`` runs the
   published image instead) with an offline wheelhouse (:mod:`ogpu_sim.runtime.images`);
2. substitutes ``PORT`` (a free port) and ``CALLBACK_URL`` (the callback server on the harness
   network's gateway), plus ``SOURCE_ADDRESS`` / ``PROVIDER_ADDRESS``, into a project of its own
   (``ogpu-sim-<run>-<n>``) made of the source's file, the user's override files
   (``compose_overrides``: stub sidecars that cannot be pulled) and ogpu-sim's override;
3. ``docker compose up -d``: sidecars, networks, named volumes, ``extra_hosts`` and
   ``depends_on`` as written; GPU requests removed where the engine has no such GPU (emulation,
   said in the handler log, with ``OGPU_SIM_ENVIRONMENT=<env>`` in the handler's environment);
4. waits until the handler service answers on 127.0.0.1, following every service's logs;
5. on ``stop``/``close`` (however the test ends, a SIGTERM included): ``docker compose down
   -v --remove-orphans``, the log follower stopped, the workdir (the override) removed.

Containers, networks, volumes, the follower and the workdir carry their owner process
(:mod:`ogpu_sim.runtime.reaping`); a new runtime reaps what dead processes on this host left.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docker.errors import APIError, DockerException, NotFound

from ..errors import ConfigError
from ..sources import ComposeService, SourceFolder
from ..vocabulary import IMAGE_SOURCES, choices
from .base import Handler, Runtime
from .callbacks import CallbackServer
from .docker_handler import DockerHandler
from .engine import docker_client
from .environ import provider_variables
from .errors import DockerRuntimeError, HandlerStartError
from .gpu import engine_has_gpu
from .images import BASE_IMAGE, handler_image, has_recipe
from .process import free_port
from .published import published_image
from .reaping import LABEL, OWNER_LABEL, close_on_sigterm, new_workdir, owner_id, reap_leftovers
from .stack import ComposeProject, compose_command, dump_override, gpu_requests, harness_override

__all__ = [
    "BASE_IMAGE",
    "IMAGE_SOURCES",
    "LABEL",
    "OWNER_LABEL",
    "DockerHandler",
    "DockerRuntime",
    "reap_leftovers",
]


class DockerRuntime(Runtime):
    """Runs each (source, environment) as its own Compose project, as a provider would.

    Args:
        callbacks: the started callback server.
        base_image: the handler images' base (``BASE_IMAGE`` build arg).
        client: a docker SDK client (default: one for ``docker.from_env()``'s engine, made by
            :func:`~ogpu_sim.runtime.engine.docker_client`, closed with the runtime or when
            the runtime cannot start: no socket left open).
        compose_overrides: compose files added after each source's own (``-f base -f this``),
            e.g. to replace a sidecar whose image cannot be pulled with a local stub.
        image_source: ``working-copy`` (default: build the handler service's image from the
            repository, also for an ``image:`` reference) or ``published`` (run the image the
            compose file names, pulled per its ``pull_policy``; a :class:`PublishedImageError`
            when it cannot be, never a build in its place).

    Raises:
        ConfigError: an unknown ``image_source`` or a missing override file.
        HandlerStartError: no Docker engine or no Docker Compose v2.
    """

    name = "docker"

    def __init__(
        self,
        callbacks: CallbackServer,
        *,
        base_image: str = BASE_IMAGE,
        client: Any = None,
        compose_overrides: Sequence[str | Path] = (),
        image_source: str = "working-copy",
    ) -> None:
        super().__init__(callbacks)
        if image_source not in IMAGE_SOURCES:
            raise ConfigError(
                "image_source", f"unknown {image_source!r}; known: {choices(IMAGE_SOURCES)}"
            )
        self.compose_overrides = tuple(Path(p).resolve() for p in compose_overrides)
        for file in self.compose_overrides:
            if not file.is_file():
                raise ConfigError("compose_overrides", f"{file} does not exist")
        self.image_source = image_source
        self._own_client = client is None
        try:
            self.client = client if client is not None else docker_client(timeout=120)
        except (DockerException, OSError) as exc:
            raise DockerRuntimeError(f"Docker engine not reachable: {exc}") from exc
        self.base_image = base_image
        self.run_id = uuid.uuid4().hex[:8]
        self.labels = {LABEL: "1", OWNER_LABEL: owner_id(), "ogpu-sim.run": self.run_id}
        self.network: Any = None
        self.gateway: str | None = None
        self._info: dict[str, Any] | None = None
        self._host_gateway: str | None = None
        self._names = 0
        self._setup_lock = threading.Lock()
        try:
            try:
                self.client.ping()
            except (DockerException, OSError) as exc:
                raise DockerRuntimeError(f"Docker engine not reachable: {exc}") from exc
            self.compose = compose_command()
            reap_leftovers(self.client)
        except BaseException:
            self._close_client()  # no runtime, so nothing else would close it
            raise
        self._unregister = close_on_sigterm(self.close)

    def _close_client(self) -> None:
        """Close the client this runtime made (its pooled sockets); a given one stays open."""
        if self._own_client:
            self.client.close()

    def _ensure_network(self) -> tuple[Any, str]:
        with self._setup_lock:
            if self.network is None:
                self.network = self.client.networks.create(
                    f"ogpu-sim-{self.run_id}", driver="bridge", labels=self.labels
                )
                self.network.reload()
                config = (self.network.attrs.get("IPAM") or {}).get("Config") or [{}]
                gateway = config[0].get("Gateway")
                if not gateway:
                    raise DockerRuntimeError(f"network {self.network.name} has no gateway")
                self.gateway = str(gateway).split("/", 1)[0]
            if self._info is None:
                self._info = self.client.info()
                self._host_gateway = _bridge_gateway(self.client)
            assert self.gateway is not None
            return self.network, self.gateway

    def start(
        self,
        source: SourceFolder,
        environment: str = "cpu",
        *,
        source_address: str = "",
        provider_address: str = "",
    ) -> Handler:
        service = source.service(environment)
        network, gateway = self._ensure_network()
        with self._setup_lock:
            self._names += 1
            project_name = f"ogpu-sim-{self.run_id}-{self._names}"
        workdir = new_workdir(project_name)
        handler = DockerHandler(self.callbacks, source, environment, self.client, workdir)
        try:
            image = self._handler_image(handler, source, environment)
            variables = provider_variables(
                port=free_port(),
                callback_url=self.callbacks.url_for(gateway),
                source_address=source_address,
                provider_address=provider_address,
            )
            project = ComposeProject(
                name=project_name,
                files=[service.file, *source.compose_overrides, *self.compose_overrides],
                variables={**os.environ, **variables},
                directory=service.file.parent,
                command=self.compose,
            )
            model = self._config(project, source, environment)
            if self._runs_published(service):
                image = published_image(
                    self.client,
                    model,
                    service.service,
                    source=source.name,
                    environment=environment,
                    log=handler.log,
                )
            requests = gpu_requests(model)
            emulate = {
                name: kind
                for name, kind in requests.items()
                if not engine_has_gpu(kind, self._info or {})
            }
            if emulate:
                handler.emulated = True
                handler.log.line(
                    f"ogpu-sim: emulating the {environment} environment (the engine has no "
                    f"{'/'.join(sorted(set(emulate.values())))} GPU): device requests removed "
                    f"from {', '.join(sorted(emulate))}, OGPU_SIM_ENVIRONMENT={environment}"
                )
            labels = {**self.labels, "ogpu-sim.source": source.name, "ogpu-sim.env": environment}
            override = harness_override(
                model,
                handler=service.service,
                network=network.name,
                labels=labels,
                handler_image=image,
                host_gateway=self._host_gateway or "127.0.0.1",
                emulate=emulate,
                environment=environment,
            )
            override_file = workdir / "ogpu-sim.override.yml"
            override_file.write_text(dump_override(override))
            project.files.append(override_file)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        self._track(handler)
        handler.launch(project)
        return handler

    def _runs_published(self, service: ComposeService) -> bool:
        return service.build is None and self.image_source == "published"

    def _handler_image(self, handler: DockerHandler, source: SourceFolder, env: str) -> str | None:
        service = source.service(env)
        if self._runs_published(service):
            return None  # made present once the merged files are known (published_image)
        if service.build is None and not has_recipe(service):
            handler.log.line(
                f"ogpu-sim: {service.service} runs the published image {service.image} (no "
                "Dockerfile in the working copy builds it)"
            )
            return None
        image, build_log = handler_image(self.client, source, service, self.base_image)
        if build_log:
            handler.log.write(build_log)
        recipe = service.dockerfile.name if service.dockerfile else "ogpu-sim's template"
        handler.log.line(
            f"ogpu-sim: {service.service} runs the working copy's image {image} (built from "
            f"{recipe} in {service.context})"
        )
        return image

    def _config(self, project: ComposeProject, source: SourceFolder, env: str) -> dict[str, Any]:
        try:
            model = project.config()
        except HandlerStartError as exc:
            raise HandlerStartError(source.name, env, exc.problem, exc.log) from exc
        handler = source.service(env).service
        if handler not in (model.get("services") or {}):
            raise HandlerStartError(
                source.name, env, f"the merged compose files have no service {handler!r}"
            )
        return model

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._unregister()
            network, self.network = self.network, None
            if self.gateway is not None:
                self.callbacks.release(self.gateway)
                self.gateway = None
            try:
                if network is not None:
                    with contextlib.suppress(NotFound, APIError):
                        network.remove()
            finally:
                self._close_client()


def _bridge_gateway(client: Any) -> str | None:
    """The default bridge's gateway: where ``host.docker.internal:host-gateway`` points."""
    try:
        bridge = client.networks.get("bridge")
    except (NotFound, APIError):
        return None
    config = (bridge.attrs.get("IPAM") or {}).get("Config") or [{}]
    gateway = config[0].get("Gateway")
    return str(gateway).split("/", 1)[0] if gateway else None
