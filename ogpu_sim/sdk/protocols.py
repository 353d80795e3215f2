"""Runtime-checkable ``Protocol`` members, collected once per shape of the class.

requests 2.34 tests its arguments with ``isinstance`` against runtime-checkable Protocols
(``SupportsItems``, ``SupportsRead``): about ten checks per ``requests.post``, and on Python
3.11 each one collects the Protocol's members again (``typing._get_protocol_attrs``: every
name of every class in the MRO matched against typing's list of excluded names), about a
tenth of the CPU of the SDK's pin. The members are a pure function of the MRO, each class's
name, namespace keys and annotation names, and typing's excluded names, so
:func:`memoize_protocol_attrs` keeps each class's answer with those inputs and collects it
again with typing's own function whenever one of them differs.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Callable
from typing import Any

_RUNS_ON = ("_get_protocol_attrs", "EXCLUDED_ATTRIBUTES")


def _shape(cls: Any) -> tuple[Any, ...]:
    """What ``typing._get_protocol_attrs(cls)`` reads of ``cls``, read as it reads it."""
    mro = cls.__mro__
    return (
        mro,
        tuple(typing.EXCLUDED_ATTRIBUTES),  # type: ignore[attr-defined]
        *(
            (base.__name__, tuple(base.__dict__), tuple(getattr(base, "__annotations__", {})))
            for base in mro[:-1]
        ),
    )


def memoize_protocol_attrs() -> Callable[[], None]:
    """Install the remembered ``typing._get_protocol_attrs``; returns the undo.

    Does nothing (and the undo nothing) on a Python whose typing has no such function (3.12
    keeps the members on the class itself). Each answer is a new set, as typing's is.
    """
    if not all(hasattr(typing, name) for name in _RUNS_ON):
        return lambda: None
    raw: Callable[[Any], set[str]] = typing._get_protocol_attrs  # type: ignore[attr-defined]
    lock = threading.Lock()
    known: dict[Any, tuple[tuple[Any, ...], frozenset[str]]] = {}

    def _get_protocol_attrs(cls: Any) -> set[str]:
        try:
            shape = _shape(cls)
        except Exception:
            return raw(cls)  # typing's own answer or error
        seen = known.get(cls)
        if seen is not None and seen[0] == shape:
            return set(seen[1])
        attrs = raw(cls)
        if _shape(cls) == shape:  # reading the annotations can add them to a class
            with lock:
                if len(known) >= 1024:
                    known.clear()
                known[cls] = (shape, frozenset(attrs))
        return attrs

    _get_protocol_attrs.__doc__ = raw.__doc__
    _get_protocol_attrs.__wrapped__ = raw  # type: ignore[attr-defined]
    typing._get_protocol_attrs = _get_protocol_attrs  # type: ignore[attr-defined]

    def undo() -> None:
        typing._get_protocol_attrs = raw  # type: ignore[attr-defined]

    return undo
