"""The known, harmless warnings of the SDK's stack, and a narrow way to keep them quiet.

Users' strict warning settings (pytest ``filterwarnings = error``, ``python -W error``) would
turn them into failures that are not the user's: web3 warns about every foreign log in a
receipt the SDK decodes, and importing web3 imports the deprecated ``websockets.legacy``. Each
entry matches one message from one family of modules, nothing broader.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from ogpu_sim.vocabulary import KNOWN_SDK_WARNINGS

KNOWN_WARNINGS = KNOWN_SDK_WARNINGS
"""(message prefix, category, module regex) of each known warning (the list lives in the ground
layer, so the process runtime hands the same entries to its handlers)."""

SHOW_VARIABLE = "OGPU_SIM_SDK_WARNINGS"
"""``show`` lets the known warnings through in a program ``ogpu-sim run`` starts."""


def hidden_by_environment() -> bool:
    """True unless :data:`SHOW_VARIABLE` is ``show`` (hiding is the default, as in pytest)."""
    return os.environ.get(SHOW_VARIABLE, "").strip().lower() != "show"


def quiet_known_warnings() -> None:
    """Add an ``ignore`` filter for each of :data:`KNOWN_WARNINGS` (in front of the others)."""
    for message, category, module in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)


def hide_known_warnings() -> Callable[[], None]:
    """Put the known warnings' ``ignore`` filters in front of the others while a simulator is
    bound (a plain script sees no web3 log warning per receipt), unless the environment asks to
    show them (:data:`SHOW_VARIABLE`).

    Returns:
        The undo: it takes out the filters this call added and moves one that was already set
        (the user's, the pytest plugin's) back to where it was.
    """
    if not hidden_by_environment():
        return lambda: None
    changes: list[tuple[Any, int | None]] = []  # (filter, its index before, or None if new)
    for message, category, module in KNOWN_WARNINGS:
        before = list(warnings.filters)
        warnings.filterwarnings("ignore", message=message, category=category, module=module)
        entry = warnings.filters[0]
        changes.append((entry, before.index(entry) if entry in before else None))

    def undo() -> None:
        filters: list[Any] = warnings.filters  # type: ignore[assignment]  # a list at runtime
        for entry, index in reversed(changes):
            with suppress(ValueError):  # a catch_warnings block restored the list already
                filters.remove(entry)
                if index is not None:
                    filters.insert(index, entry)

    return undo


def preimport_quietly() -> None:
    """Import the module that warns at import time under the filters, so it never warns again."""
    with warnings.catch_warnings():
        quiet_known_warnings()
        import websockets.legacy  # noqa: F401


@contextmanager
def quietly(hide: bool = True) -> Iterator[None]:
    """Inside, the known warnings are ignored in front of the user's filters (when ``hide``);
    the filters are restored on the way out."""
    if not hide:
        yield
        return
    with warnings.catch_warnings():
        quiet_known_warnings()
        yield
