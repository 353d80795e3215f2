"""Compose URLs that point into the author's repository, served from the working copy.

An author's publish script names its compose files by URL, e.g.
``https://raw.githubusercontent.com/<org>/<repo>/refs/heads/main/docker-compose/cpu.yml``. While a
simulator runs, such a URL must give the file of the checkout under test, not of the pushed
branch. A :class:`WorkingCopyUrls` maps URL prefixes to local folders:

- given explicitly (``ogpu_source_url``): ``prefix -> folder``, the rest of the URL is the path;
- detected from ``git remote``: every GitHub remote of the folder gives
  ``https://raw.githubusercontent.com/<org>/<repo>/`` and ``https://github.com/<org>/<repo>/raw/``
  followed by any ref (``refs/heads/main``, ``main``, a commit), so the working copy answers
  whatever branch the script names.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

RAW_HOST = "https://raw.githubusercontent.com/"

_GITHUB_REMOTE = re.compile(
    r"^(?:https?://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<org>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?/?$"
)


@dataclass(frozen=True)
class UrlMapping:
    """One URL prefix served from a folder.

    Attributes:
        prefix: the URL prefix, ending in ``/``.
        folder: the local folder that stands for it.
        refs: the rest of the URL starts with a git ref (``main``, ``refs/heads/main``, a
            commit) to skip before the path.
    """

    prefix: str
    folder: Path
    refs: bool = False

    def resolve(self, url: str) -> Path | None:
        """The local file a URL names, or None when it is not under this prefix or absent."""
        if not url.lower().startswith(self.prefix.lower()):
            return None
        rest = url[len(self.prefix) :].split("?", 1)[0].split("#", 1)[0]
        segments = [s for s in rest.split("/") if s]
        if not self.refs:
            return self._inside("/".join(segments))
        start = 3 if segments[:1] == ["refs"] else 1
        for cut in range(start, len(segments)):
            found = self._inside("/".join(segments[cut:]))
            if found is not None:
                return found
        return None

    def _inside(self, relative: str) -> Path | None:
        root = self.folder.resolve()
        candidate = (root / relative).resolve()
        if candidate != root and root not in candidate.parents:
            return None
        return candidate if candidate.is_file() else None


@dataclass(frozen=True)
class WorkingCopyUrls:
    """URL prefixes served from local folders; the first mapping that has the file wins."""

    mappings: tuple[UrlMapping, ...] = ()

    def resolve(self, url: str) -> Path | None:
        """The working-copy file for a URL, or None (the URL is not the author's)."""
        for mapping in self.mappings:
            found = mapping.resolve(url)
            if found is not None:
                return found
        return None

    def read(self, url: str) -> str | None:
        """The working-copy text for a URL, or None."""
        found = self.resolve(url)
        return found.read_text() if found is not None else None

    def __bool__(self) -> bool:
        return bool(self.mappings)


def explicit_urls(prefix: str, folder: str | Path) -> WorkingCopyUrls:
    """A mapping given by the user: URLs starting with ``prefix`` name files under ``folder``.

    Raises:
        ConfigError: the prefix is not an http(s) URL, or the folder does not exist.
    """
    if not re.match(r"^https?://[^/]+/", prefix):
        raise ConfigError("ogpu_source_url", f"{prefix!r} is not an http(s) URL prefix")
    path = Path(folder)
    if not path.is_dir():
        raise ConfigError("ogpu_source_url", f"{path} is not a folder")
    return WorkingCopyUrls((UrlMapping(prefix.rstrip("/") + "/", path.resolve()),))


def github_prefixes(remote: str) -> tuple[str, ...]:
    """The URL prefixes (before the ref) under which GitHub serves a remote's raw files."""
    match = _GITHUB_REMOTE.match(remote.strip())
    if not match:
        return ()
    org, repo = match.group("org"), match.group("repo")
    return (f"{RAW_HOST}{org}/{repo}/", f"https://github.com/{org}/{repo}/raw/")


def detect_urls(folder: str | Path) -> WorkingCopyUrls:
    """The mappings ``git remote -v`` of a folder's repository gives (empty outside git).

    The repository's top level stands for the prefix, so a source in a subfolder resolves too.
    """
    path = Path(folder).resolve()
    top = _git(path, "rev-parse", "--show-toplevel")
    remotes = _git(path, "remote", "-v")
    if top is None or remotes is None:
        return WorkingCopyUrls()
    prefixes: dict[str, None] = {}
    for line in remotes.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            prefixes.update(dict.fromkeys(github_prefixes(parts[1])))
    root = Path(top).resolve()
    return WorkingCopyUrls(tuple(UrlMapping(p, root, refs=True) for p in prefixes))


def _git(folder: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None
