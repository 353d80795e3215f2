"""A source as its author wrote it: the folder, its compose files, its handler service.

:func:`load_source_folder` finds the compose files (:mod:`.layout`), picks each file's handler
service (:mod:`.compose`), locates the recipe that builds the handler (the ``build:`` context,
or for an ``image:`` the working copy's ``Dockerfile``/``dockerfile``) and what its ``CMD``
runs (:mod:`.dockerfile`), so every runtime can run the same handler.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from ..errors import ComposeError, ConfigError
from ..vocabulary import ENVIRONMENT_BITS, ENVIRONMENTS, choices
from .compose import (
    ComposeService,
    build_context,
    check_environment,
    check_override,
    environment_vars,
    handler_service,
    read_services,
    stack_gpu,
)
from .dockerfile import HandlerEntry, find_dockerfile, handler_entry
from .layout import SOURCE_TOML, discover, mapped_files, read_source_toml

TEMPLATE_HANDLER = "handler.py"
"""The module a bare handler folder (no Dockerfile) runs, as ogpu-sim's image template does."""


@dataclass(frozen=True)
class SourceFolder:
    """A source a provider can run: its folder and the checked compose file of each environment.

    Attributes:
        path: the source folder (usually the repository root).
        name: ``source.toml`` ``name``, else the folder's name.
        description: ``source.toml`` ``description``.
        handler_file: the handler module the first environment runs (None for an image-only
            source whose recipe is not here).
        dockerfile: the recipe that builds it, or None.
        environments: environment -> its handler service, in bit order.
        compose_overrides: compose files the docker runtime adds after each environment's own
            (``-f base -f override``), e.g. a stub for a sidecar that cannot be pulled.
    """

    path: Path
    name: str
    description: str
    handler_file: Path | None
    dockerfile: Path | None
    environments: dict[str, ComposeService]
    compose_overrides: tuple[Path, ...] = ()

    def compose_text(self, environment: str) -> str:
        """The compose file of an environment, as published in ``imageMetadataUrl``.

        Raises:
            ComposeError: the source has no compose file for that environment.
        """
        return self.service(environment).file.read_text()

    def service(self, environment: str) -> ComposeService:
        """The checked handler service of an environment.

        Raises:
            ComposeError: unknown environment, or none described by this source.
        """
        if environment not in ENVIRONMENTS:
            raise ComposeError(
                self.path, f"unknown environment {environment!r}; known: {choices(ENVIRONMENTS)}"
            )
        if environment not in self.environments:
            raise ComposeError(
                self.path,
                f"no compose file for {environment}, so the source does not support "
                f"{environment}; it supports {', '.join(self.environments) or 'nothing'}",
            )
        return self.environments[environment]

    @property
    def environment_mask(self) -> int:
        """The ``imageEnvironments`` bit mask of the environments this source describes."""
        return sum(ENVIRONMENT_BITS[env] for env in self.environments)


def check_folder(folder: Any, option: str = "folder") -> None:
    """Refuse what is not a source folder: a path (str or ``os.PathLike``) or a loaded one.

    Raises:
        ConfigError: naming ``option`` and what was given.
    """
    if not isinstance(folder, str | PathLike) and not hasattr(folder, "environments"):
        raise ConfigError(option, f"must be a source folder path (str or Path); got {folder!r}")


def load_source_folder(
    path: str | Path,
    *,
    environments: dict[str, str] | None = None,
    handler_service_name: str | None = None,
    compose_overrides: Sequence[str | Path] = (),
) -> SourceFolder:
    """Read and check a source folder.

    Args:
        path: the folder (a repository root in any of the layouts ``docs/sources.md`` lists).
        environments: environment -> compose file relative to the folder; replaces discovery
            and ``source.toml``'s ``[environments]``.
        handler_service_name: the handler service's name; replaces the rule and
            ``source.toml``'s ``[handler] service``.
        compose_overrides: override files for the docker runtime (relative to the folder).

    Returns:
        The checked :class:`SourceFolder`.

    Raises:
        ComposeError: the folder is missing, has no compose file (naming what was looked for),
            a compose file is invalid, or there is nothing to run (naming file and problem).
    """
    folder = Path(path).resolve()
    if not folder.is_dir():
        raise ComposeError(folder, "source folder does not exist")
    settings = read_source_toml(folder)
    handler_settings: dict[str, Any] = settings.get("handler", {})
    chosen = handler_service_name or _optional_str(folder, handler_settings, "service")
    module = _optional_str(folder, handler_settings, "module")
    mapping = environments if environments is not None else settings.get("environments")
    if mapping is not None:
        files = mapped_files(folder, mapping)
    else:
        files = discover(folder, lambda file: _root_environment(file))
    services: dict[str, ComposeService] = {
        env: load_compose_service(
            files[env], env, source_root=folder, service=chosen, module=module
        )
        for env in ENVIRONMENTS
        if env in files
    }
    overrides = tuple((folder / p).resolve() for p in compose_overrides)
    for file in overrides:
        if not file.is_file():
            raise ComposeError(file, "compose override file does not exist")
        check_override(file)
    first = next(iter(services.values()))
    return SourceFolder(
        path=folder,
        name=str(settings.get("name") or folder.name),
        description=str(settings.get("description") or ""),
        handler_file=first.entry.file if first.entry is not None else None,
        dockerfile=first.dockerfile,
        environments=services,
        compose_overrides=overrides,
    )


def load_compose_service(
    file: Path,
    environment: str,
    *,
    source_root: Path | None = None,
    service: str | None = None,
    module: str | None = None,
) -> ComposeService:
    """Parse and check one environment's compose file and find its handler.

    Args:
        file: the compose file.
        environment: the environment it serves.
        source_root: the source folder (where a working-copy Dockerfile may be); default the
            file's folder.
        service: the handler service's name (default: the handler-service rule).
        module: ``[handler] module``: the handler script or module, overriding the CMD.

    Raises:
        ComposeError: naming ``file`` and the problem.
    """
    root = source_root or file.parent
    services = read_services(file)
    name = handler_service(file, services, service)
    spec = services[name]
    image = spec.get("image")
    if image is not None and not isinstance(image, str):
        raise ComposeError(file, f"service {name!r}: 'image' must be a string")
    build, dockerfile_name = build_context(file, name, spec.get("build"))
    if not image and build is None:
        raise ComposeError(file, f"service {name!r} gives neither 'image' nor 'build'")
    gpu, asking = stack_gpu(file, services)
    check_environment(file, environment, gpu)
    context, dockerfile = _recipe(file, root, build, dockerfile_name)
    if build is not None and dockerfile is None and not (context / TEMPLATE_HANDLER).is_file():
        raise ComposeError(file, "neither handler.py nor a Dockerfile nor an image to run")
    entry, problem = _entry(root, context, dockerfile, module)
    return ComposeService(
        environment=environment,
        file=file,
        service=name,
        image=image or None,
        build=build,
        gpu=gpu,
        environment_vars=environment_vars(file, name, spec.get("environment")),
        sidecars=tuple(s for s in services if s != name),
        gpu_services=asking,
        context=context,
        dockerfile=dockerfile,
        entry=entry,
        entry_problem=problem,
    )


def _recipe(
    file: Path, root: Path, build: str | None, dockerfile_name: str | None
) -> tuple[Any, Path | None]:
    """(context folder, Dockerfile) that build the handler; for ``image:`` the working copy's."""
    if build is not None:
        context = (file.parent / build).resolve()
        if dockerfile_name is not None:
            named = context / dockerfile_name
            return context, named if named.is_file() else None
        return context, find_dockerfile(context)
    for folder in dict.fromkeys((file.parent.resolve(), root)):
        dockerfile = find_dockerfile(folder)
        if dockerfile is not None:
            return folder, dockerfile
    return None, None


def _entry(
    root: Path, context: Path | None, dockerfile: Path | None, module: str | None
) -> tuple[HandlerEntry | None, str]:
    if module is not None:
        where = f"[handler] module of {SOURCE_TOML}"
        if module.endswith(".py"):
            script = (root / module).resolve()
            if not script.is_file():
                return None, f"{where}: {module} does not exist"
            return HandlerEntry("script", str(script), context or root, where), ""
        return HandlerEntry("module", module, context or root, where), ""
    if context is None:
        return None, "the handler is a prebuilt image and no Dockerfile here builds it"
    if dockerfile is not None:
        return handler_entry(dockerfile, context)
    template = context / TEMPLATE_HANDLER
    if template.is_file():
        return HandlerEntry("script", str(template), context, "ogpu-sim's handler template"), ""
    return None, f"no Dockerfile and no {TEMPLATE_HANDLER} in {context}"


def _root_environment(file: Path) -> str:
    gpu, _ = stack_gpu(file, read_services(file))
    return gpu or "cpu"


def _optional_str(folder: Path, table: dict[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ComposeError(folder / SOURCE_TOML, f"[handler] {key} must be a non-empty string")
    return value
