"""What a source's Dockerfile runs, mapped back to the working copy.

The inline and process runtimes run the handler the way its image's ``CMD`` does, without
building the image: this module reads the last stage's ``WORKDIR``, ``COPY``/``ADD`` and
``ENTRYPOINT``/``CMD`` and maps the container paths back to files of the build context. It
understands ``python[3[.x]] [-u ...] script.py`` and ``python -m module``; anything else (a
``uvicorn`` command, a shell script) gives no entry, and ``source.toml`` ``[handler] module``
names the handler explicitly.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DOCKERFILE_NAMES = ("Dockerfile", "dockerfile")
"""Recipe names looked for, in order (Docker's CLI accepts the lowercase one too)."""

_PYTHON = re.compile(r"^python(\d(\.\d+)?)?$")
_OPTIONS_WITH_VALUE = {"-X", "-W", "-Q"}


@dataclass(frozen=True)
class HandlerEntry:
    """How the handler starts outside a container.

    Attributes:
        kind: ``script`` (``python main.py``) or ``module`` (``python -m pkg.main``).
        target: the script file on this machine, or the module name.
        cwd: the folder standing for the container's working directory.
        origin: where this came from, for messages (``CMD ["python", "main.py"] of dockerfile``).
    """

    kind: Literal["script", "module"]
    target: str
    cwd: Path
    origin: str

    @property
    def file(self) -> Path:
        """The handler's source file (a module is looked up from ``cwd``)."""
        if self.kind == "script":
            return Path(self.target)
        parts = self.target.split(".")
        module = self.cwd.joinpath(*parts)
        package_main = module / "__main__.py"
        return package_main if package_main.is_file() else module.with_suffix(".py")


@dataclass(frozen=True)
class Recipe:
    """The parts of a Dockerfile's last stage that decide what runs and where."""

    workdir: str
    copies: tuple[tuple[tuple[str, ...], str, str], ...]
    """(sources, destination, working directory at that point), in file order."""
    command: tuple[str, ...]
    command_text: str


def find_dockerfile(folder: Path) -> Path | None:
    """The folder's ``Dockerfile`` (or lowercase ``dockerfile``), if any."""
    for name in DOCKERFILE_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def read_recipe(dockerfile: Path) -> Recipe:
    """Parse the instructions that matter of a Dockerfile's last stage."""
    workdir = "/"
    copies: list[tuple[tuple[str, ...], str, str]] = []
    entrypoint: list[str] = []
    cmd: list[str] = []
    texts = {"ENTRYPOINT": "", "CMD": ""}
    for instruction, argument in _instructions(dockerfile.read_text()):
        if instruction == "FROM":
            workdir, copies, entrypoint, cmd = "/", [], [], []
        elif instruction == "WORKDIR":
            workdir = posixpath.normpath(posixpath.join(workdir, argument.strip()))
        elif instruction in ("COPY", "ADD"):
            words = _words(argument)
            if any(w.startswith("--from") for w in words):
                continue
            paths = [w for w in words if not w.startswith("--")]
            if len(paths) >= 2:
                copies.append((tuple(paths[:-1]), paths[-1], workdir))
        elif instruction in ("ENTRYPOINT", "CMD"):
            words = _words(argument)
            texts[instruction] = f"{instruction} {argument.strip()}"
            if instruction == "ENTRYPOINT":
                entrypoint, cmd = words, []
            else:
                cmd = words
    command = tuple(entrypoint + cmd)
    text = " + ".join(t for t in (texts["ENTRYPOINT"], texts["CMD"]) if t)
    return Recipe(workdir, tuple(copies), command, text)


def handler_entry(dockerfile: Path, context: Path) -> tuple[HandlerEntry | None, str]:
    """The handler entry a Dockerfile's command starts, mapped into ``context``.

    Returns:
        (entry, "") or (None, why there is none).
    """
    recipe = read_recipe(dockerfile)
    origin = f"{recipe.command_text} of {dockerfile.name}"
    if not recipe.command:
        return None, f"{dockerfile.name} has no CMD"
    words = list(recipe.command)
    if not _PYTHON.match(posixpath.basename(words[0])):
        return None, f"{origin} does not start Python (python script.py or python -m module)"
    rest = words[1:]
    while rest and rest[0].startswith("-") and rest[0] != "-m":
        option = rest.pop(0)
        if option in _OPTIONS_WITH_VALUE and rest:
            rest.pop(0)
    cwd = map_path(recipe, recipe.workdir, context, directory=True) or context
    if rest[:1] == ["-m"] and len(rest) >= 2:
        return HandlerEntry("module", rest[1], cwd, origin), ""
    if not rest:
        return None, f"{origin} runs no script"
    script = posixpath.normpath(posixpath.join(recipe.workdir, rest[0]))
    host = map_path(recipe, script, context, directory=False)
    if host is None:
        fallback = context / posixpath.basename(script)
        if not fallback.is_file():
            return None, f"{origin} runs {script}, which no COPY of {context} provides"
        host = fallback
    return HandlerEntry("script", str(host), cwd, origin), ""


def map_path(recipe: Recipe, container_path: str, context: Path, *, directory: bool) -> Path | None:
    """The file or folder of ``context`` that a container path was copied from, if any."""
    for sources, destination, workdir in reversed(recipe.copies):
        target = posixpath.normpath(posixpath.join(workdir, destination))
        into_folder = destination.endswith("/") or len(sources) > 1 or destination in (".", "./")
        for source in sources:
            origin = (context / source).resolve()
            if origin.is_dir():
                relative = _relative(container_path, target)
                if relative is not None:
                    candidate = origin / relative if relative else origin
                    if candidate.is_dir() if directory else candidate.is_file():
                        return candidate
            elif origin.is_file() and not directory:
                placed = posixpath.join(target, origin.name) if into_folder else target
                if placed == container_path:
                    return origin
    return None


def _relative(path: str, folder: str) -> str | None:
    if path == folder:
        return ""
    prefix = folder.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, argument) pairs, continuations joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    pairs = []
    for line in logical:
        head, _, rest = line.partition(" ")
        pairs.append((head.upper(), rest))
    return pairs


def _words(argument: str) -> list[str]:
    text = argument.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            pass
        else:
            if isinstance(value, list):
                return [str(v) for v in value]
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()
