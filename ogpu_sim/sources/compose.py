"""One environment's compose file: its services, which one is the handler, what GPU it asks for.

The handler-service rule: the handler is the service that gets ``CALLBACK_URL`` in its
``environment:`` and publishes container port 5555 through ``${PORT}`` (the two values the
provider app substitutes). When no service does both, the one service exposing port 5555 is the
handler. ``source.toml`` ``[handler] service = "name"`` overrides the rule. Every other service
is a sidecar (a model server, a cache), run by Compose next to the handler.

The GPU a file asks for is the stack's: any service reserving an NVIDIA device
(``deploy.resources.reservations.devices``) or mapping AMD's ``/dev/kfd`` and ``/dev/dri``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..errors import ComposeError
from .dockerfile import HandlerEntry

SERVICE_PORT = 5555
AMD_DEVICES = ("/dev/kfd", "/dev/dri")
_PORT_VARIABLE = re.compile(r"\$\{?PORT\b")

Gpu = Literal[None, "nvidia", "amd"]


@dataclass(frozen=True)
class ComposeService:
    """The handler service of one environment's compose file, checked.

    Attributes:
        environment: the environment the file serves (``cpu``, ``nvidia``, ``amd``).
        file: the compose file.
        service: the handler service's name.
        image: its ``image:`` (as written), or None.
        build: its build context as written (relative to the file), or None.
        gpu: the GPU the whole stack asks for.
        environment_vars: its ``environment:`` as written (not substituted).
        sidecars: the other services of the file.
        gpu_services: the services that reserve or map the GPU.
        context: the folder the handler is built from (build context, or the working copy
            holding the Dockerfile that produces an ``image:``), or None.
        dockerfile: that recipe, or None (a bare handler folder uses ogpu-sim's template).
        entry: how the handler starts outside a container, or None (``entry_problem`` says why).
    """

    environment: str
    file: Path
    service: str
    image: str | None
    build: str | None
    gpu: Gpu
    environment_vars: dict[str, str] = field(default_factory=dict)
    sidecars: tuple[str, ...] = ()
    gpu_services: tuple[str, ...] = ()
    context: Path | None = None
    dockerfile: Path | None = None
    entry: HandlerEntry | None = None
    entry_problem: str = ""


def read_services(file: Path) -> dict[str, dict[str, Any]]:
    """The ``services`` mapping of a compose file.

    Raises:
        ComposeError: unreadable, not YAML, no services, or a ``depends_on`` naming a service
            the file does not define (as ``docker compose config`` does).
    """
    try:
        document = yaml.safe_load(file.read_text())
    except OSError as exc:
        raise ComposeError(file, f"cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ComposeError(file, f"not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ComposeError(file, "must be a YAML mapping with a 'services' key")
    services = document.get("services")
    if not isinstance(services, dict) or not services:
        raise ComposeError(file, "needs a 'services' mapping with at least one service")
    for name, spec in services.items():
        if not isinstance(spec, dict):
            raise ComposeError(file, f"service {name!r} must be a mapping")
    named = {str(name): spec for name, spec in services.items()}
    for name, spec in named.items():
        _check_depends_on(file, name, spec.get("depends_on"), named)
    return named


class _TagTolerantLoader(yaml.SafeLoader):
    """Safe YAML that reads Compose's own tags (``!reset``, ``!override``) as plain values."""


def _plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_TagTolerantLoader.add_multi_constructor("!", _plain)


def check_override(file: Path) -> None:
    """Check a compose override file as Compose reads it, whatever runtime will use it.

    An override may leave out what the base file gives (a service's image, its ports), so
    only its shape is checked: YAML, a mapping at the top, ``services`` (when present) a
    mapping of mappings. An empty file is an empty override.

    Raises:
        ComposeError: naming ``file`` and the problem.
    """
    try:
        document = yaml.load(file.read_text(), Loader=_TagTolerantLoader)
    except OSError as exc:
        raise ComposeError(file, f"cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ComposeError(file, f"not valid YAML: {exc}") from exc
    if document is None:
        return
    if not isinstance(document, dict):
        raise ComposeError(file, "a compose override must be a YAML mapping")
    services = document.get("services")
    if services is None:
        return
    if not isinstance(services, dict):
        raise ComposeError(file, "'services' must be a mapping of service names")
    for name, spec in services.items():
        if spec is not None and not isinstance(spec, dict):
            raise ComposeError(file, f"service {name!r} must be a mapping")


def _check_depends_on(file: Path, name: str, value: Any, services: dict[str, Any]) -> None:
    """A service's ``depends_on`` (list or mapping form) names only services of the file.

    ``docker compose config`` rejects the file otherwise (``service "x" depends on undefined
    service "y": invalid compose project``), so the provider could not run it: every runtime
    refuses it, the inline and process runtimes (which run no sidecar) included.

    Raises:
        ComposeError: ``depends_on`` is neither a list of names nor a mapping, or names a
            service the file does not define.
    """
    if value is None:
        return
    if isinstance(value, dict):
        wanted = list(value)
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        wanted = value
    else:
        raise ComposeError(
            file, f"service {name!r}: 'depends_on' must be a list of service names or a mapping"
        )
    for dependency in wanted:
        if str(dependency) not in services:
            raise ComposeError(
                file,
                f"service {name!r} depends on undefined service {str(dependency)!r}: "
                f"invalid compose project; services: {', '.join(services)}",
            )


def handler_service(file: Path, services: dict[str, dict[str, Any]], chosen: str | None) -> str:
    """The name of the handler service, by the rule or by ``chosen`` (the override).

    Raises:
        ComposeError: the override names no service, or the rule finds none or several.
    """
    if chosen is not None:
        if chosen not in services:
            raise ComposeError(
                file,
                f"source.toml [handler] service = {chosen!r} is not a service here; "
                f"services: {', '.join(services)}",
            )
        return chosen
    ruled = [
        name
        for name, spec in services.items()
        if "CALLBACK_URL" in _environment(file, name, spec.get("environment"))
        and _publishes_through_port(spec)
    ]
    if len(ruled) == 1:
        return ruled[0]
    if len(ruled) > 1:
        raise ComposeError(
            file,
            f"{len(ruled)} services get CALLBACK_URL and publish 5555 through ${{PORT}} "
            f"({', '.join(ruled)}); name the handler in source.toml: [handler] service = ...",
        )
    exposing = [name for name, spec in services.items() if _exposes_service_port(spec)]
    if len(exposing) == 1:
        return exposing[0]
    found = f"{len(exposing)} do ({', '.join(exposing)})" if exposing else "none does"
    raise ComposeError(
        file,
        f"no handler service: none gets CALLBACK_URL and publishes port {SERVICE_PORT} through "
        f"${{PORT}}, and of the services exposing {SERVICE_PORT} (ports: or expose:) {found}; "
        "name it in source.toml: [handler] service = ...",
    )


def stack_gpu(file: Path, services: dict[str, dict[str, Any]]) -> tuple[Gpu, tuple[str, ...]]:
    """The GPU the stack asks for and the services asking.

    Raises:
        ComposeError: a malformed device reservation, half of AMD's devices, or both kinds.
    """
    kinds = {name: _gpu_kind(file, name, spec) for name, spec in services.items()}
    asking = tuple(name for name, kind in kinds.items() if kind is not None)
    found = {kind for kind in kinds.values() if kind is not None}
    if len(found) > 1:
        raise ComposeError(
            file, f"services ask for both NVIDIA and AMD devices: {', '.join(asking)}"
        )
    gpu: Gpu = next(iter(found)) if found else None  # type: ignore[assignment]
    return gpu, asking


def check_environment(file: Path, environment: str, gpu: Gpu) -> None:
    """A file serving a GPU environment must ask for that GPU; a cpu file for none.

    Raises:
        ComposeError: naming the file and what it should ask for.
    """
    expected = {"cpu": None, "nvidia": "nvidia", "amd": "amd"}[environment]
    if gpu == expected:
        return
    if environment == "nvidia":
        problem = (
            "serves nvidia, so a service must reserve an NVIDIA GPU: "
            "deploy.resources.reservations.devices with driver: nvidia, capabilities: [gpu]"
        )
    elif environment == "amd":
        problem = f"serves amd, so a service must map the AMD devices {' and '.join(AMD_DEVICES)}"
    else:
        problem = f"serves cpu but requests {gpu} GPU devices"
    raise ComposeError(file, problem)


def build_context(file: Path, name: str, build: Any) -> tuple[str | None, str | None]:
    """(context as written, dockerfile as written) of a service's ``build:``.

    Raises:
        ComposeError: ``build`` is neither a path nor a mapping with a context.
    """
    if build is None:
        return None, None
    if isinstance(build, str):
        return build, None
    if isinstance(build, dict) and isinstance(build.get("context", "."), str):
        dockerfile = build.get("dockerfile")
        return str(build.get("context", ".")), str(dockerfile) if dockerfile else None
    raise ComposeError(file, f"service {name!r}: 'build' must be a path or a mapping with context")


def environment_vars(file: Path, name: str, value: Any) -> dict[str, str]:
    """A service's ``environment:`` (list or mapping form) as a mapping, values as written.

    Raises:
        ComposeError: neither a list nor a mapping.
    """
    return _environment(file, name, value)


def _environment(file: Path, name: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    if isinstance(value, list):
        pairs = [str(item).split("=", 1) for item in value]
        return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}
    raise ComposeError(file, f"service {name!r}: 'environment' must be a list or a mapping")


def _port_entries(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(published part as written, container port) of each ``ports:`` entry."""
    entries = []
    for entry in spec.get("ports") or []:
        if isinstance(entry, dict):
            entries.append((str(entry.get("published", "")), str(entry.get("target", ""))))
        elif isinstance(entry, (str, int)):
            text = str(entry)
            head, _, container = text.rpartition(":")
            entries.append((head, container.split("/", 1)[0]))
    return entries


def _publishes_through_port(spec: dict[str, Any]) -> bool:
    return any(
        container == str(SERVICE_PORT) and _PORT_VARIABLE.search(published)
        for published, container in _port_entries(spec)
    )


def _exposes_service_port(spec: dict[str, Any]) -> bool:
    if any(container == str(SERVICE_PORT) for _, container in _port_entries(spec)):
        return True
    return any(str(e).split("/", 1)[0] == str(SERVICE_PORT) for e in spec.get("expose") or [])


def _gpu_kind(file: Path, name: str, spec: dict[str, Any]) -> Gpu:
    deploy = spec.get("deploy")
    resources = deploy.get("resources") if isinstance(deploy, dict) else None
    reservations = resources.get("reservations") if isinstance(resources, dict) else None
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
