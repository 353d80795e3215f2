"""A published source's compose URLs turned back into the working copy they point into.

A source published by the author's own script carries compose URLs in its metadata
(``imageMetadataUrl`` -> ``{"cpu": url, "nvidia": url, "amd": url, ...}``). When those URLs point
into the repository under test (:class:`~ogpu_sim.sources.urls.WorkingCopyUrls`), the source a
simulated provider runs is the checkout's folder with exactly those files per environment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..vocabulary import ENVIRONMENTS
from .folder import SourceFolder, load_source_folder
from .urls import WorkingCopyUrls


def published_source(
    metadata: Mapping[str, object],
    urls: WorkingCopyUrls,
    *,
    compose_overrides: Sequence[str | Path] = (),
) -> SourceFolder | None:
    """The working-copy source a published source's compose URLs name, if they name one.

    Args:
        metadata: the source's metadata (the SDK's ``Source.get_metadata()``), environment
            names mapping to compose URLs.
        urls: where the author's URLs are served from.
        compose_overrides: passed to :func:`load_source_folder`.

    Returns:
        The :class:`SourceFolder` of the folder the URLs resolve into, with each environment
        mapped to its file; None when no environment's URL is the author's.

    Raises:
        ComposeError: a resolved compose file is invalid.
    """
    files: dict[str, Path] = {}
    for environment in ENVIRONMENTS:
        url = metadata.get(environment)
        if isinstance(url, str) and url:
            found = urls.resolve(url)
            if found is not None:
                files[environment] = found
    if not files:
        return None
    root = _common_root(urls, files.values())
    mapping = {env: file.relative_to(root).as_posix() for env, file in files.items()}
    return load_source_folder(root, environments=mapping, compose_overrides=compose_overrides)


def _common_root(urls: WorkingCopyUrls, files: Iterable[Path]) -> Path:
    paths = list(files)
    for mapping in urls.mappings:
        root = mapping.folder.resolve()
        if all(root in p.parents for p in paths):
            return root
    return Path(paths[0]).parent
