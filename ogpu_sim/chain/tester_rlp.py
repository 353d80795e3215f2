"""rlp's ``Serializable.copy`` without deep-copying values that a deep copy answers as they are.

py-evm copies an account for every balance, nonce, code or storage-root change and a header
or block several times per block mined (pack, finalize, validate); rlp's ``copy`` deep-copies
every field it keeps, and ``copy.deepcopy`` of an ``int``, ``bytes``, ``str``, ``bool``,
``float`` or ``None`` is the value itself. This ``copy`` keeps those as they are and
deep-copies anything else, building the same keyword arguments in the same order; a call
with positional arguments or an unknown field goes to rlp's own ``copy`` (and its errors).
Installed with the trie caches (:mod:`.tester_trie`).
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable
from typing import Any

from rlp.sedes.serializable import Serializable

_AS_THEY_ARE = frozenset({int, bytes, str, bool, float, type(None)})
"""Exact types whose deep copy is the value itself (``copy._deepcopy_atomic``)."""


def _fast_copy(original: Callable[..., Any]) -> Callable[..., Any]:
    fields: dict[tuple[str, ...], frozenset[str]] = {}

    def copy(self: Any, *args: Any, **kwargs: Any) -> Any:
        names = self._meta.field_names
        known = fields.get(names)
        if known is None:
            known = fields[names] = frozenset(names)
        if args or not known.issuperset(kwargs):
            return original(self, *args, **kwargs)
        deepcopy = _copy.deepcopy
        kept = {
            name: value if type(value) in _AS_THEY_ARE else deepcopy(value)
            for name, value in zip(names, self, strict=False)
            if name not in kwargs
        }
        kept.update(kwargs)
        return type(self)(**kept)

    copy.__doc__ = original.__doc__
    return copy


def patches() -> list[tuple[Any, str, Any]]:
    """(owner, name, replacement): rlp's ``Serializable.copy``."""
    return [(Serializable, "copy", _fast_copy(Serializable.copy))]


__all__ = ["patches"]
