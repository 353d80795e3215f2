"""Where a source's compose files are: the common layouts, or ``source.toml``'s mapping.

Discovery looks, in the source folder, for:

- a root ``docker-compose.yml`` / ``compose.yml`` (``.yaml`` too): it serves the environment its
  devices ask for (an NVIDIA reservation: nvidia; ``/dev/kfd`` + ``/dev/dri``: amd; none: cpu);
- root files named for an environment: ``docker-compose.cpu.yml``, ``docker-compose.gpu.yml`` or
  ``docker-compose.nvidia.yml``, ``docker-compose.amd.yml``;
- a ``docker-compose/`` or ``compose/`` folder with ``cpu.yml``, ``nvidia.yml`` (or ``gpu.yml``)
  and ``amd.yml``.

``source.toml``'s ``[environments]`` table (environment -> path relative to the folder)
replaces discovery: ``nvidia = "docker-compose.yml"``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..errors import ComposeError
from ..vocabulary import ENVIRONMENTS, choices

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SOURCE_TOML = "source.toml"

ROOT_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
"""Root compose files whose environment follows from the devices they ask for."""

NAMED_FILES: tuple[tuple[str, str], ...] = tuple(
    (f"docker-compose.{stem}.{ext}", env)
    for stem, env in (("cpu", "cpu"), ("gpu", "nvidia"), ("nvidia", "nvidia"), ("amd", "amd"))
    for ext in ("yml", "yaml")
) + tuple(
    (f"{folder}/{stem}.{ext}", env)
    for folder in ("docker-compose", "compose")
    for stem, env in (("cpu", "cpu"), ("nvidia", "nvidia"), ("gpu", "nvidia"), ("amd", "amd"))
    for ext in ("yml", "yaml")
)
"""Compose files whose name says the environment they serve."""

LOOKED_FOR = (
    "docker-compose.yml or compose.yml (environment from its GPU devices), "
    "docker-compose.{cpu,gpu,nvidia,amd}.yml, docker-compose/{cpu,nvidia,amd}.yml, "
    "compose/{cpu,nvidia,amd}.yml; or map them in source.toml: "
    '[environments] nvidia = "path/to/file.yml"'
)
"""What discovery looks for, as error messages say it."""


def read_source_toml(folder: Path) -> dict[str, Any]:
    """The folder's ``source.toml`` (empty when absent).

    Raises:
        ComposeError: not valid TOML, or a table of the wrong shape.
    """
    file = folder / SOURCE_TOML
    if not file.is_file():
        return {}
    try:
        settings = tomllib.loads(file.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ComposeError(file, f"not valid TOML: {exc}") from exc
    for table in ("environments", "handler"):
        if table in settings and not isinstance(settings[table], dict):
            raise ComposeError(file, f"[{table}] must be a table")
    return settings


def mapped_files(folder: Path, mapping: dict[str, Any]) -> dict[str, Path]:
    """The compose files an explicit ``[environments]`` mapping names.

    Raises:
        ComposeError: an unknown environment, a non-string path, or a missing file.
    """
    where = folder / SOURCE_TOML
    files: dict[str, Path] = {}
    for environment, path in mapping.items():
        if environment not in ENVIRONMENTS:
            raise ComposeError(
                where,
                f"[environments] {environment!r} is not an environment; known: "
                f"{choices(ENVIRONMENTS)}",
            )
        if not isinstance(path, str):
            raise ComposeError(where, f"[environments] {environment} must be a path string")
        file = (folder / path).resolve()
        if not file.is_file():
            raise ComposeError(where, f"[environments] {environment} = {path!r}: no such file")
        files[environment] = file
    if not files:
        raise ComposeError(where, "[environments] maps no environment")
    return files


def discover(folder: Path, root_environment: Any) -> dict[str, Path]:
    """The compose file of each environment, by the common layouts.

    Args:
        folder: the source folder.
        root_environment: ``f(file) -> environment`` for a root ``docker-compose.yml``.

    Raises:
        ComposeError: nothing found (listing what was looked for), or two files for one
            environment.
    """
    found: dict[str, list[Path]] = {}
    for name in ROOT_FILES:
        file = folder / name
        if file.is_file():
            found.setdefault(root_environment(file), []).append(file)
    for name, environment in NAMED_FILES:
        file = folder / name
        if file.is_file():
            found.setdefault(environment, []).append(file)
    if not found:
        raise ComposeError(folder, f"no compose file found; looked for {LOOKED_FOR}")
    for environment, files in found.items():
        if len(files) > 1:
            names = ", ".join(str(f.relative_to(folder)) for f in files)
            raise ComposeError(
                folder,
                f"{len(files)} compose files serve {environment} ({names}); choose one in "
                f'source.toml: [environments] {environment} = "..."',
            )
    return {env: found[env][0] for env in ENVIRONMENTS if env in found}
