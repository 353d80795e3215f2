"""A read cache for py-evm's tries while an eth-tester chain is open: (root, key) -> value.

py-evm builds a fresh state for every call, estimate and block, and every account and storage
read of a fresh state walks the hexary trie down from its root (RLP-decoding each node): about
a seventh of an eth-tester lifecycle. A trie is content-addressed, so the value under a key in
the trie with a given root hash never changes: ``HexaryTrie.get`` is memoized on (root hash,
key), process-wide, while at least one chain holds the cache (reference-counted like the SDK's
keccak cache). Writes are untouched; a written trie has a new root and so new cache keys.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from trie import HexaryTrie

MAX_ENTRIES = 200_000
"""Cached reads kept at most; the cache starts over when full (entries are ~100 bytes)."""

_LOCK = threading.Lock()
_users = 0
_original: Callable[..., bytes] | None = None


def _cached(original: Callable[..., bytes]) -> Callable[..., bytes]:
    reads: dict[tuple[bytes, bytes], bytes] = {}

    def get(self: Any, key: bytes) -> bytes:
        if type(key) is not bytes:  # let the original validate (and refuse) it
            return original(self, key)
        slot = (self.root_hash, key)
        value = reads.get(slot)
        if value is None:
            value = original(self, key)  # raises MissingTrieNode as before: nothing cached
            if len(reads) >= MAX_ENTRIES:
                reads.clear()
            reads[slot] = value
        return value

    get.__doc__ = original.__doc__
    return get


def acquire() -> None:
    """Install the cache (the first user installs it)."""
    global _users, _original
    with _LOCK:
        _users += 1
        if _users == 1:
            _original = HexaryTrie.get
            HexaryTrie.get = _cached(_original)  # type: ignore[method-assign]


def release() -> None:
    """Undo one :func:`acquire`; the last user restores py-trie's own ``get``."""
    global _users, _original
    with _LOCK:
        if _users == 0:
            return
        _users -= 1
        if _users == 0 and _original is not None:
            HexaryTrie.get = _original  # type: ignore[method-assign]
            _original = None


__all__ = ["MAX_ENTRIES", "acquire", "release"]
