"""rlp's ``Serializable.copy`` without deep-copying values that a deep copy answers as they are,
and its ``__init__`` without re-validating field names a call gives exactly.

py-evm copies an account for every balance, nonce, code or storage-root change and a header
or block several times per block mined (pack, finalize, validate); rlp's ``copy`` deep-copies
every field it keeps, and ``copy.deepcopy`` of an ``int``, ``bytes``, ``str``, ``bool``,
``float`` or ``None`` is the value itself. This ``copy`` keeps those as they are and
deep-copies anything else, building the same keyword arguments in the same order; a call
with positional arguments or an unknown field goes to rlp's own ``copy`` (and its errors).
py-evm builds some 25 such objects per transaction (accounts, headers, transactions,
receipts, logs); :func:`_fast_init` stores their fields as rlp does. Installed with the trie
caches (:mod:`.tester_trie`).
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable
from typing import Any

from rlp.sedes.serializable import BaseSerializable, Serializable
from rlp.sedes.serializable import make_immutable as _make_immutable

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


def _fast_init(original: Callable[..., None]) -> Callable[..., None]:
    """rlp's ``BaseSerializable.__init__`` for the two calls py-evm makes: all fields by
    keyword (exactly the field names) or all by position (exactly as many). rlp validates the
    names with a ``Counter`` and several sets and merges them through a generator, then stores
    each value made immutable; here each value is stored the same way (a list as
    ``make_immutable`` makes it a tuple) with nothing left to validate, and any other call
    (some positional and some keyword fields, a missing, unknown or repeated name, a wrong
    count) is rlp's own, with its errors."""
    known: dict[tuple[str, ...], frozenset[str] | None] = {}

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        meta = self._meta
        names = meta.field_names
        if kwargs:
            if args:
                return original(self, *args, **kwargs)
            if names not in known:
                unique = len(set(names)) == len(names)
                known[names] = frozenset(names) if unique else None
            fields = known[names]
            if fields is None or len(kwargs) != len(names) or kwargs.keys() != fields:
                return original(self, *args, **kwargs)
            values: Any = [kwargs[name] for name in names]
        elif len(args) == len(names):
            values = args
        else:
            return original(self, *args, **kwargs)
        for value, attr in zip(values, meta.field_attrs, strict=True):
            setattr(self, attr, _make_immutable(value) if isinstance(value, list) else value)
        return None

    __init__.__doc__ = original.__doc__
    return __init__


def patches() -> list[tuple[Any, str, Any]]:
    """(owner, name, replacement): rlp's ``Serializable.copy`` and ``__init__``."""
    return [
        (Serializable, "copy", _fast_copy(Serializable.copy)),
        (BaseSerializable, "__init__", _fast_init(BaseSerializable.__init__)),
    ]


__all__ = ["patches"]
