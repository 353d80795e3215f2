"""A batch of py-trie writes hashes each changed node once, not once per key written.

py-evm writes a state root key by key (each changed storage slot, then each changed account),
and py-trie's ``set``/``delete`` encodes and hashes every node on the key's path at once, so a
node shared by K written keys (the root first) is hashed K times. While :func:`batched` is
open (around py-evm's ``make_storage_root`` and its account-diff loop, see
:mod:`.tester_trie`), a write runs py-trie's own node logic unchanged except that a changed
child is kept as a :class:`Pending` node instead of being persisted; when the batch closes,
each trie's new nodes are persisted bottom-up through py-trie's own ``_persist_node`` and its
root through ``_set_raw_node``. A Merkle Patricia trie is canonical for its contents, so the
root and every reachable node are py-trie's own. The nodes of intermediate roots are never
written and nothing is pruned: the old nodes stay in py-evm's batch databases (which never
apply deletes to the chain's database anyway), and where py-trie's pruning over stored nodes
would delete a node still in use (the path of a write that left it as it was, a root short
enough to embed) the batch keeps it. A read of a trie with pending writes flushes it first;
an error flushes the writes made before it, as py-trie would have applied them.

py-evm writes back every account a transaction touched (EIP-161's touch sets the account to
itself), so about a third of a block's account writes set the value the trie already holds.
The account-diff loop skips those (:func:`changed_only`): every account it writes was read at
the current root first, into the state's read cache, which holds that root's values until the
root changes. A canonical trie is the same without a write of the value it holds. A write over
a stored leaf compares the two keys at once (:func:`consume_common_prefix`), not nibble by
nibble as py-trie does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from eth.db import account as _account_db
from eth.db import storage as _storage_db
from trie import HexaryTrie
from trie import hexary as _hexary
from trie.validation import validate_is_bytes, validate_is_node


class Pending:
    """A changed node not yet persisted: a child reference while a batch is open."""

    __slots__ = ("node",)

    def __init__(self, node: Any) -> None:
        self.node = node


_local = threading.local()
_open = 0
"""Batches open in any thread (a cheap test before the thread-local one; changed under _LOCK)."""
_LOCK = threading.Lock()


def pending_batch() -> dict[int, list[Any]] | None:
    """This thread's open batch: id(trie) -> [trie, its pending root node], or None."""
    return getattr(_local, "batch", None) if _open else None


def copy(node: Any) -> Any:
    """A fresh copy of a pending node's lists (py-trie changes the nodes it gets)."""
    if type(node) is not list:
        return node
    return [item if type(item) is not list else copy(item) for item in node]


@contextmanager
def batched() -> Iterator[None]:
    """Defer the tries' writes in this thread until the block exits (nested: the outer one)."""
    global _open
    if getattr(_local, "batch", None) is not None:
        yield
        return
    batch: dict[int, list[Any]] = {}
    _local.batch = batch
    with _LOCK:
        _open += 1
    try:
        yield
    finally:
        _local.batch = None
        with _LOCK:
            _open -= 1
        while batch:
            _, (trie, root) = batch.popitem()
            _finish(trie, root)


def flush(trie: Any) -> None:
    """Persist ``trie``'s pending writes now (before a read of it)."""
    batch = pending_batch()
    entry = batch.pop(id(trie), None) if batch else None
    if entry is not None:
        _finish(entry[0], entry[1])


_BYTES_ONLY = {bytes}
_HASH_OR_BLANK = frozenset((0, 32))


def validate_node(node: Any) -> None:
    """py-trie's ``validate_is_node``: a branch of blank or 32-byte children, or a leaf or
    extension of two bytes, passes without a call per item; anything else (an embedded child,
    a node py-trie refuses) is left to py-trie's own check, which raises where it raises."""
    if type(node) is list:
        size = len(node)
        if size == 17:
            children = node[:16]
            if (
                type(node[16]) is bytes
                and set(map(type, children)) == _BYTES_ONLY
                and set(map(len, children)) <= _HASH_OR_BLANK
            ):
                return
        elif size == 2 and type(node[0]) is bytes and type(node[1]) is bytes:
            return
    validate_is_node(node)


def _finish(trie: Any, root: Any) -> None:
    resolved = _resolved(trie, root, _PERSIST)
    validate_node(resolved)
    trie.root_hash = trie._set_raw_node(resolved)  # ``_set_root_node`` without its pruning


def _resolved(trie: Any, node: Any, persist: Callable[[Any, Any], Any]) -> Any:
    if type(node) is not list:
        return node
    if len(node) == 17:
        return [
            child if type(child) is bytes else _reference(trie, child, persist)
            for child in node[:16]
        ] + [node[16]]
    if len(node) == 2:
        child = node[1]
        return [node[0], child if type(child) is bytes else _reference(trie, child, persist)]
    return node  # not a node: py-trie's validation refuses it when it is persisted


def _reference(trie: Any, child: Any, persist: Callable[[Any, Any], Any]) -> Any:
    if type(child) is Pending:
        return persist(trie, _resolved(trie, child.node, persist))
    if type(child) is list:
        return persist(trie, _resolved(trie, child, persist))
    return child


def write(trie: Any, key: Any, value: Any, delete: bool) -> None:
    """py-trie's ``HexaryTrie.set`` (``delete`` when ``delete``) inside the open batch.

    The root node is the trie's pending one (or its stored one); changed children become
    :class:`Pending` (``_persist_node``) and nothing is pruned (see :mod:`.tester_trie`).
    """
    batch = pending_batch()
    assert batch is not None
    validate_is_bytes(key)
    if not delete:
        validate_is_bytes(value)
    trie_key = _hexary.bytes_to_nibbles(key)
    entry = batch.get(id(trie))
    try:
        root = entry[1] if entry is not None else trie.get_node(trie.root_hash)
        if delete or value == b"":
            new_root = trie._delete(root, trie_key)
        else:
            new_root = trie._set(root, trie_key, value)
    except KeyError as exc:
        trie._raise_missing_node(exc, key)
    if entry is None:
        batch[id(trie)] = [trie, new_root]
    else:
        entry[1] = new_root


_PERSIST = HexaryTrie._persist_node
"""py-trie's own ``_persist_node``, which a batch's writes end with."""


def _write(original: Callable[..., Any], delete: bool) -> Callable[..., Any]:
    """py-trie's ``set`` (or ``delete``), deferred while a batch is open."""
    if delete:

        def deferred(self: Any, key: Any) -> Any:
            if pending_batch() is None:
                return original(self, key)
            write(self, key, b"", True)

    else:

        def deferred(self: Any, key: Any, value: Any) -> Any:  # type: ignore[misc]
            if pending_batch() is None:
                return original(self, key, value)
            write(self, key, value, False)

    deferred.__doc__ = original.__doc__
    return deferred


def _deferred_persist(self: Any, node: Any) -> Any:
    """py-trie's ``_persist_node``; a changed child is kept :class:`Pending` in a batch."""
    if pending_batch() is None:
        return _PERSIST(self, node)
    return node if node == b"" else Pending(node)


def _deferred_prune(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """py-trie's ``_prune_node``, skipped in a batch (its intermediate nodes are never written)."""

    def _prune_node(self: Any, node: Any) -> Any:
        if pending_batch() is None:
            return original(self, node)
        return None

    return _prune_node


_ABSENT = object()
_consume_common_prefix = _hexary.consume_common_prefix


def consume_common_prefix(left: Any, right: Any) -> tuple[Any, Any, Any]:
    """py-trie's ``consume_common_prefix`` (prefix, left rest, right rest): two equal keys,
    the usual case of a write over a stored leaf, compare at once instead of nibble by
    nibble; any other pair goes to py-trie's own."""
    if type(left) is tuple and left == right:
        return left, (), ()
    return _consume_common_prefix(left, right)


class ChangedDiff:
    """The part of a py-evm account diff that changes the trie: its deletes, and its sets of
    a value other than the one the trie holds (the two methods py-evm's diff loop reads)."""

    __slots__ = ("_deleted", "_pending")

    def __init__(self, deleted: tuple[bytes, ...], pending: list[tuple[bytes, bytes]]) -> None:
        self._deleted = deleted
        self._pending = pending

    def deleted_keys(self) -> tuple[bytes, ...]:
        """The deleted accounts' keys, all of them."""
        return self._deleted

    def pending_items(self) -> list[tuple[bytes, bytes]]:
        """The written accounts whose value differs from the trie's (or that it lacks)."""
        return self._pending


def changed_only(original: Callable[[Any, Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    """py-evm's ``_apply_account_diff_without_proof`` without the writes of unchanged values.

    ``AccountDB._trie_cache`` caches the account trie's values at the current root (py-evm
    resets it whenever the root changes); an account the trie lacks is never in it, so its
    write stays.
    """

    def apply(self: Any, diff: Any, trie: Any) -> Any:
        held = getattr(getattr(self, "_trie_cache", None), "_cached_values", None)
        if held is None:
            return original(self, diff, trie)
        pending = [
            (key, value) for key, value in diff.pending_items() if held.get(key, _ABSENT) != value
        ]
        return original(self, ChangedDiff(tuple(diff.deleted_keys()), pending), trie)

    apply.__doc__ = original.__doc__
    return apply


def _in_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    """A py-evm method whose trie writes are one batch (:func:`batched`)."""

    def method(*args: Any) -> Any:
        with batched():
            return original(*args)

    method.__doc__ = original.__doc__
    return method


def patches() -> list[tuple[Any, str, Any]]:
    """(owner, name, replacement) for py-trie's writes and the py-evm methods batching them."""
    make_storage_root = _storage_db.AccountStorageDB.make_storage_root
    apply_diff = _account_db.AccountDB._apply_account_diff_without_proof
    return [
        (HexaryTrie, "set", _write(HexaryTrie.set, delete=False)),
        (HexaryTrie, "delete", _write(HexaryTrie.delete, delete=True)),
        (HexaryTrie, "_persist_node", _deferred_persist),
        (HexaryTrie, "_prune_node", _deferred_prune(HexaryTrie._prune_node)),
        (_hexary, "consume_common_prefix", consume_common_prefix),
        (_storage_db.AccountStorageDB, "make_storage_root", _in_batch(make_storage_root)),
        (
            _account_db.AccountDB,
            "_apply_account_diff_without_proof",
            _in_batch(changed_only(apply_diff)),
        ),
    ]


__all__ = [
    "ChangedDiff",
    "Pending",
    "batched",
    "changed_only",
    "consume_common_prefix",
    "copy",
    "flush",
    "patches",
    "pending_batch",
    "validate_node",
    "write",
]
