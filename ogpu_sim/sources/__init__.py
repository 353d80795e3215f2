"""What a source is: its compose files wherever they are, its handler service, its recipe.

A leaf below the runtimes: :func:`load_source_folder` reads an author's repository as it is
(the layouts, ``source.toml``, the handler-service rule; ``docs/sources.md``), and
:class:`WorkingCopyUrls` serves compose URLs that point into it from the local checkout.
How a handler then runs is :mod:`ogpu_sim.runtime`'s business.
"""

from __future__ import annotations

from ..errors import ComposeError
from .compose import SERVICE_PORT, ComposeService, check_override
from .dockerfile import HandlerEntry
from .folder import SourceFolder, check_folder, load_compose_service, load_source_folder
from .interpolate import interpolate
from .layout import LOOKED_FOR, NAMED_FILES, ROOT_FILES
from .published import published_source
from .urls import UrlMapping, WorkingCopyUrls, detect_urls, explicit_urls, github_prefixes

__all__ = [
    "LOOKED_FOR",
    "NAMED_FILES",
    "ROOT_FILES",
    "SERVICE_PORT",
    "ComposeError",
    "ComposeService",
    "HandlerEntry",
    "SourceFolder",
    "UrlMapping",
    "WorkingCopyUrls",
    "check_folder",
    "check_override",
    "detect_urls",
    "explicit_urls",
    "github_prefixes",
    "interpolate",
    "load_compose_service",
    "load_source_folder",
    "published_source",
]
