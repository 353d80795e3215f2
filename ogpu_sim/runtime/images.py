"""Images for the docker runtime, without a registry: base image, wheelhouse, handler images.

- Base image: ``ogpu-sim-base:latest`` is built from Debian packages by the recipe
  ``recipes/base/build.sh`` next to this module (package data, so a wheel install has it too;
  mmdebstrap + ``docker import``) when missing; any other tag (``python:3.11-slim`` where a
  registry is reachable) must already be present or pullable.
- Wheelhouse: ``pip download`` of the source's requirements for the container's Python, on the
  host (which reaches the package index), cached under ``~/.cache/ogpu-sim/wheelhouse/<hash>``
  by requirements hash; the build context gets it as ``wheels/``.
- Handler image: the source's own Dockerfile, or the template ``recipes/handler/Dockerfile`` for
  a bare handler folder, built with the docker SDK (classic builder) and tagged by a hash of its
  context, so an unchanged source is never rebuilt.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from docker.errors import BuildError, ImageNotFound

from ..sources import ComposeService, SourceFolder
from ..vocabulary import cache_dir
from .errors import DockerRuntimeError, HandlerStartError
from .reaping import new_workdir

BASE_IMAGE = os.environ.get("OGPU_SIM_BASE_IMAGE", "ogpu-sim-base:latest")
"""The base image handler images build FROM (the Dockerfile's ``BASE_IMAGE`` build arg)."""

BASE_VERSION_LABEL = "ogpu-sim.base-version"
BASE_VERSION = "2"
"""The recipe version ``recipes/base/build.sh`` labels its image with; an older one is rebuilt."""

CONTAINER_PYTHON = "3.11"
"""Python version of the base image (Debian bookworm's python3); wheels are fetched for it."""

IGNORED = ("__pycache__", "*.pyc", ".git", ".pytest_cache", "wheels", ".venv")


def recipe(*parts: str) -> Traversable:
    """A file of the image recipes shipped inside the package (``ogpu_sim/runtime/recipes/``).

    Found through :mod:`importlib.resources`, so it resolves in a checkout and in an installed
    wheel alike.

    Args:
        parts: the path below ``recipes/``, e.g. ``("base", "build.sh")``.
    """
    return files(__package__).joinpath("recipes", *parts)


def base_recipe() -> Traversable:
    """The script that builds ``ogpu-sim-base`` from Debian packages (``recipes/base/build.sh``)."""
    return recipe("base", "build.sh")


def handler_template() -> str:
    """The Dockerfile a bare handler folder (``handler.py``, no Dockerfile) is built with."""
    return recipe("handler", "Dockerfile").read_text()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialize a cache fill across processes (pytest-xdist workers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def default_requirements() -> str:
    """What a handler needs when its folder has no requirements.txt: the SDK's service extra."""
    return f"ogpu[service]=={version('ogpu')}\n"


def wheelhouse(requirements: str) -> Path:
    """A folder of wheels that installs ``requirements`` offline in the base image.

    Raises:
        DockerRuntimeError: pip could not download them (its output is the log).
    """
    digest = hashlib.sha256(f"{CONTAINER_PYTHON}\n{requirements}".encode()).hexdigest()[:16]
    target = cache_dir() / "wheelhouse" / digest
    if (target / ".complete").exists():
        return target
    with _file_lock(cache_dir() / "wheelhouse" / f"{digest}.lock"):
        if (target / ".complete").exists():
            return target
        machine = platform.machine()
        staging = Path(tempfile.mkdtemp(prefix=f"{digest}-", dir=target.parent))
        (staging / "requirements.txt").write_text(requirements)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:"]
        command += ["--python-version", CONTAINER_PYTHON, "--implementation", "cp"]
        command += ["--abi", f"cp{CONTAINER_PYTHON.replace('.', '')}", "--abi", "abi3"]
        command += ["--abi", "none"]
        for tag in ("manylinux2014", "manylinux_2_17", "manylinux_2_28", "manylinux_2_34"):
            command += ["--platform", f"{tag}_{machine}"]
        command += ["-r", str(staging / "requirements.txt"), "-d", str(staging)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise DockerRuntimeError(
                "pip download of the wheelhouse failed", result.stdout + result.stderr
            )
        (staging / ".complete").write_text(requirements)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target


def ensure_base_image(client: Any, tag: str = BASE_IMAGE) -> None:
    """Make sure the base image exists, building ogpu-sim's own from Debian packages.

    Raises:
        DockerRuntimeError: it is missing and cannot be built here (says what to do).
    """
    ours = tag.split(":", 1)[0] == "ogpu-sim-base"
    try:
        image = client.images.get(tag)
        if not ours or (image.labels or {}).get(BASE_VERSION_LABEL) == BASE_VERSION:
            return
    except ImageNotFound:
        pass
    if not ours:
        try:
            client.images.pull(tag)
            return
        except Exception as exc:
            raise DockerRuntimeError(
                f"base image {tag} is not present and cannot be pulled: {exc}"
            ) from exc
    script = base_recipe()
    if not script.is_file():
        raise DockerRuntimeError(
            f"base image {tag} missing and its recipe {script} is not installed "
            "(reinstall ogpu-sim)"
        )
    with as_file(script) as path, _file_lock(cache_dir() / "base-image.lock"):
        # through bash: an unpacked wheel need not keep the script's executable bit
        result = subprocess.run(
            ["bash", str(path), tag], capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        raise DockerRuntimeError(
            f"building the base image {tag} failed (bash {script} {tag})",
            result.stdout + result.stderr,
        )


def build_context(source: SourceFolder, service: ComposeService, into: Path) -> Path:
    """Assemble a build context with the source's files, requirements and a wheelhouse.

    With its own Dockerfile the source folder is the context root (plus ``wheels/``); a bare
    handler folder goes in as ``app/`` beside the template Dockerfile.

    Returns:
        The context folder (``into``).
    """
    assert service.context is not None
    origin = service.context
    own_dockerfile = service.dockerfile is not None
    files = into if own_dockerfile else into / "app"
    shutil.copytree(origin, files, ignore=shutil.ignore_patterns(*IGNORED), dirs_exist_ok=True)
    requirements = into / "requirements.txt"
    if not requirements.exists():
        given = files / "requirements.txt"
        requirements.write_text(given.read_text() if given.exists() else default_requirements())
    wheels = wheelhouse(requirements.read_text())
    (into / "wheels").mkdir()
    for wheel in wheels.glob("*.whl"):
        try:
            os.link(wheel, into / "wheels" / wheel.name)
        except OSError:
            shutil.copy2(wheel, into / "wheels" / wheel.name)
    if service.dockerfile is None:
        (into / "Dockerfile").write_text(handler_template())
    elif not (into / recipe_name(service)).is_file():
        (into / recipe_name(service)).write_text(service.dockerfile.read_text())
    return into


def recipe_name(service: ComposeService) -> str:
    """The Dockerfile's path inside the assembled context (``Dockerfile`` for the template)."""
    if service.dockerfile is None or service.context is None:
        return "Dockerfile"
    try:
        return service.dockerfile.relative_to(service.context).as_posix()
    except ValueError:
        return "Dockerfile.ogpu-sim"


def has_recipe(service: ComposeService) -> bool:
    """Whether ogpu-sim can build the handler service's image from the working copy."""
    if service.context is None:
        return False
    return service.dockerfile is not None or (service.context / "handler.py").is_file()


def context_digest(folder: Path, base_image: str) -> str:
    """A hash of every file in a build context and the base image tag."""
    digest = hashlib.sha256(base_image.encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative.startswith("wheels/"):
            digest.update(relative.encode())  # wheel names carry their versions
            continue
        digest.update(relative.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def handler_image(
    client: Any, source: SourceFolder, service: ComposeService, base_image: str = BASE_IMAGE
) -> tuple[str, str]:
    """Build the handler service's image from the working copy (cached by context hash).

    The recipe is the service's ``build:`` context, or for an ``image:`` the working copy's
    ``Dockerfile``/``dockerfile`` (see :class:`~ogpu_sim.sources.ComposeService`); a bare
    handler folder uses the template.

    Returns:
        (image tag, build log; empty when cached).

    Raises:
        HandlerStartError: there is no recipe here, or the build failed (its log attached).
    """
    if not has_recipe(service):
        raise HandlerStartError(
            source.name,
            service.environment,
            f"no recipe here builds {service.image} (from {service.file.name}): no build: and "
            "no Dockerfile in the working copy; run the published image instead",
        )
    ensure_base_image(client, base_image)
    # in the reaped state dir, not TMPDIR: a build killed midway leaves nothing the next run keeps
    tmp = new_workdir(f"build-{secrets.token_hex(6)}")
    try:
        context = build_context(source, service, tmp / "context")
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in source.name.lower())
        base_id = client.images.get(base_image).id
        tag = f"ogpu-sim-source-{name}:{context_digest(context, f'{base_image}@{base_id}')}"
        try:
            client.images.get(tag)
            return tag, ""
        except ImageNotFound:
            pass
        try:
            _, chunks = client.images.build(
                path=str(context),
                dockerfile=recipe_name(service),
                tag=tag,
                buildargs={"BASE_IMAGE": base_image},
                rm=True,
                forcerm=True,
                labels={"ogpu-sim": "1", "ogpu-sim.source": source.name},
            )
        except BuildError as exc:
            log = "".join(str(c.get("stream") or c.get("error") or "") for c in exc.build_log)
            raise HandlerStartError(
                source.name, service.environment, f"building the image failed: {exc.msg}", log
            ) from exc
        log = "".join(str(chunk.get("stream", "")) for chunk in chunks)
        return tag, log
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
