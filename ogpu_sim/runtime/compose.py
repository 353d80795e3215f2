"""Read and check a source folder: its handler, Dockerfile and one compose file per environment.

A source folder holds ``handler.py`` (an ``ogpu.service`` module), usually a ``Dockerfile``, an
optional ``source.toml`` (``name``, ``description``) and compose files, one per hardware
environment: ``docker-compose.yml`` (cpu), ``docker-compose.gpu.yml`` (nvidia),
``docker-compose.amd.yml`` (amd). Each compose file must describe exactly one service that
exposes port 5555 and gives ``image`` or ``build``; the nvidia one reserves an NVIDIA device
(``deploy.resources.reservations.devices``), the amd one maps ``/dev/kfd`` and ``/dev/dri``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..errors import ComposeError
from ..vocabulary import ENVIRONMENT_BITS, ENVIRONMENTS, choices

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

COMPOSE_FILES = {
    "cpu": "docker-compose.yml",
    "nvidia": "docker-compose.gpu.yml",
    "amd": "docker-compose.amd.yml",
}

SERVICE_PORT = 5555
AMD_DEVICES = ("/dev/kfd", "/dev/dri")


@dataclass(frozen=True)
class ComposeService:
    """The one service of an environment's compose file, checked."""

    environment: str
    file: Path
    service: str
    image: str | None
    build: str | None
    gpu: Literal[None, "nvidia", "amd"]
    environment_vars: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceFolder:
    """A source a provider can run: handler, image recipe and per-environment compose files."""

    path: Path
    name: str
    description: str
    handler_file: Path | None
    dockerfile: Path | None
    environments: dict[str, ComposeService]

    def compose_text(self, environment: str) -> str:
        """The compose file of an environment, as published in ``imageMetadataUrl``.

        Raises:
            ComposeError: the source has no compose file for that environment.
        """
        return self.service(environment).file.read_text()

    def service(self, environment: str) -> ComposeService:
        """The checked compose service of an environment.

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
                f"no {COMPOSE_FILES[environment]} here, so the source does not support "
                f"{environment}; it supports {', '.join(self.environments) or 'nothing'}",
            )
        return self.environments[environment]

    @property
    def environment_mask(self) -> int:
        """The ``imageEnvironments`` bit mask of the environments this source describes."""
        return sum(ENVIRONMENT_BITS[env] for env in self.environments)


def load_source_folder(path: str | Path) -> SourceFolder:
    """Read and check a source folder.

    Args:
        path: the folder.

    Returns:
        The checked :class:`SourceFolder`.

    Raises:
        ComposeError: the folder is missing, has no compose file, lacks both a handler and an
            image recipe, or a compose file is invalid (names the file and the problem).
    """
    folder = Path(path).resolve()
    if not folder.is_dir():
        raise ComposeError(folder, "source folder does not exist")
    meta = _read_metadata(folder)
    environments = {
        env: load_compose_service(folder / name, env)
        for env, name in COMPOSE_FILES.items()
        if (folder / name).is_file()
    }
    if not environments:
        raise ComposeError(
            folder, f"no compose file; expected one of {', '.join(COMPOSE_FILES.values())}"
        )
    handler = folder / "handler.py"
    dockerfile = folder / "Dockerfile"
    source = SourceFolder(
        path=folder,
        name=str(meta.get("name") or folder.name),
        description=str(meta.get("description") or ""),
        handler_file=handler if handler.is_file() else None,
        dockerfile=dockerfile if dockerfile.is_file() else None,
        environments=environments,
    )
    runnable = source.handler_file or source.dockerfile
    if not runnable and not all(service.image for service in environments.values()):
        raise ComposeError(folder, "neither handler.py nor a Dockerfile nor an image to run")
    return source


def load_compose_service(file: Path, environment: str) -> ComposeService:
    """Parse and check one environment's compose file.

    Raises:
        ComposeError: naming ``file`` and the problem.
    """
    try:
        document = yaml.safe_load(file.read_text())
    except yaml.YAMLError as exc:
        raise ComposeError(file, f"not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ComposeError(file, "must be a YAML mapping with a 'services' key")
    services = document.get("services")
    if not isinstance(services, dict) or not services:
        raise ComposeError(file, "needs a 'services' mapping with one service")
    if len(services) != 1:
        raise ComposeError(
            file, f"must describe exactly one service, found {len(services)}: {', '.join(services)}"
        )
    ((name, spec),) = services.items()
    if not isinstance(spec, dict):
        raise ComposeError(file, f"service {name!r} must be a mapping")
    image = spec.get("image")
    if image is not None and not isinstance(image, str):
        raise ComposeError(file, f"service {name!r}: 'image' must be a string")
    build = _build_context(file, name, spec.get("build"))
    if not image and build is None:
        raise ComposeError(file, f"service {name!r} gives neither 'image' nor 'build'")
    if not _exposes_service_port(spec):
        raise ComposeError(
            file, f"service {name!r} does not expose port {SERVICE_PORT} (ports: or expose:)"
        )
    gpu = _gpu_kind(file, name, spec)
    expected = {"cpu": None, "nvidia": "nvidia", "amd": "amd"}[environment]
    if gpu != expected:
        raise ComposeError(file, _gpu_problem(name, environment, gpu))
    return ComposeService(
        environment=environment,
        file=file,
        service=str(name),
        image=image or None,
        build=build,
        gpu=gpu,
        environment_vars=_environment_vars(file, name, spec.get("environment")),
    )


def _read_metadata(folder: Path) -> dict[str, Any]:
    meta_file = folder / "source.toml"
    if not meta_file.is_file():
        return {}
    try:
        return tomllib.loads(meta_file.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ComposeError(meta_file, f"not valid TOML: {exc}") from exc


def _build_context(file: Path, name: str, build: Any) -> str | None:
    if build is None:
        return None
    if isinstance(build, str):
        return build
    if isinstance(build, dict) and isinstance(build.get("context", "."), str):
        return str(build.get("context", "."))
    raise ComposeError(file, f"service {name!r}: 'build' must be a path or a mapping with context")


def _exposes_service_port(spec: dict[str, Any]) -> bool:
    for entry in spec.get("ports") or []:
        if isinstance(entry, dict) and str(entry.get("target", "")) == str(SERVICE_PORT):
            return True
        if isinstance(entry, (str, int)):
            container = str(entry).rsplit(":", 1)[-1].split("/", 1)[0]
            if container == str(SERVICE_PORT):
                return True
    return any(str(e).split("/", 1)[0] == str(SERVICE_PORT) for e in spec.get("expose") or [])


def _gpu_kind(file: Path, name: str, spec: dict[str, Any]) -> Literal[None, "nvidia", "amd"]:
    reservations = (
        ((spec.get("deploy") or {}).get("resources") or {}).get("reservations") or {}
        if isinstance(spec.get("deploy"), dict)
        else {}
    )
    devices = reservations.get("devices") if isinstance(reservations, dict) else None
    nvidia = False
    for device in devices or []:
        if not isinstance(device, dict):
            raise ComposeError(file, f"service {name!r}: each reserved device must be a mapping")
        capabilities = device.get("capabilities") or []
        if device.get("driver") != "nvidia" or "gpu" not in capabilities:
            raise ComposeError(
                file,
                f"service {name!r}: a reserved device needs driver: nvidia and "
                f"capabilities: [gpu], got {device}",
            )
        nvidia = True
    mapped = {str(d).split(":", 1)[0] for d in spec.get("devices") or []}
    amd = [d for d in AMD_DEVICES if d in mapped]
    if amd and len(amd) != len(AMD_DEVICES):
        raise ComposeError(
            file, f"service {name!r}: AMD GPUs need both {' and '.join(AMD_DEVICES)} in devices"
        )
    if nvidia and amd:
        raise ComposeError(file, f"service {name!r} asks for both NVIDIA and AMD devices")
    return "nvidia" if nvidia else "amd" if amd else None


def _gpu_problem(name: str, environment: str, gpu: str | None) -> str:
    if environment == "nvidia":
        return (
            f"service {name!r} must reserve an NVIDIA GPU: deploy.resources.reservations.devices "
            "with driver: nvidia, capabilities: [gpu]"
        )
    if environment == "amd":
        return f"service {name!r} must map the AMD devices {' and '.join(AMD_DEVICES)}"
    return f"service {name!r} is the cpu environment but requests {gpu} GPU devices"


def _environment_vars(file: Path, name: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    if isinstance(value, list):
        pairs = [str(item).split("=", 1) for item in value]
        return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}
    raise ComposeError(file, f"service {name!r}: 'environment' must be a list or a mapping")
