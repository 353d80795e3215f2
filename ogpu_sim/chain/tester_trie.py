"""Caches for py-evm's tries while an eth-tester chain is open, all keyed on content.

py-evm builds a fresh state for every call, estimate and block, and every account and storage
read of a fresh state walks the hexary trie down from its root (RLP-decoding each node): about
a seventh of an eth-tester lifecycle. A trie is content-addressed, so the value under a key in
the trie with a given root hash never changes: ``HexaryTrie.get`` is memoized on (root hash,
key); a read the memo has not seen walks decoded nodes kept by their hash (a read after a
block's writes decodes only the nodes the writes did not make). Writes (each block's state
root) walk the same nodes: the RLP decoding of a node is
memoized on its encoding (each answer a fresh copy, as py-trie changes nodes it decoded), a
node's hash and encoding on the node, and py-trie's hex-prefix and nibble conversions, pure
functions of their argument, on it. py-evm's account codec (``eth.db.account``'s RLP encoding
and decoding of an account, once per account read or write) is memoized on the account's
fields and on the encoding (an account is immutable; one not seen is encoded directly, as
rlp's sedes would serialize it), and so is ``eth.db.storage``'s of a
storage value, and its conversions of an account store's clear count (``to_bytes``,
``to_int``) skip eth_utils' argument checks; a slot's trie key (a keccak) is memoized on the
slot, and the account database's state root is read from its trie without py-evm's
attribute forwarding. A state root's writes (py-evm's
``make_storage_root`` and account-diff loop) are one batch each, hashing each changed node
once (:mod:`.tester_writes`), and rlp's ``Serializable.copy`` skips deep copies of plain
values (:mod:`.tester_rlp`).
Process-wide, while at least one chain holds the caches (reference-counted like the SDK's
keccak cache); a written trie has a new root and so new cache keys. Over ~400 lines: each
cache sits beside the py-trie or py-evm function it stands in for and its install/undo, which
are read together; the write batches and copies, separable, live in their own modules.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable
from typing import Any

import eth_utils as _eth_utils
import rlp
from eth.db import account as _account_db
from eth.db import storage as _storage_db
from eth.db.hash_trie import HashTrie
from eth.rlp.accounts import Account
from rlp import codec as _rlp_codec
from rlp.codec import encode_raw as _rlp_encode_raw
from trie import HexaryTrie
from trie import hexary as _hexary
from trie.constants import BLANK_NODE_HASH
from trie.utils import nodes as _nodes

from . import tester_rlp as _rlp
from . import tester_writes as _writes

MAX_ENTRIES = 200_000
"""Cached reads kept at most; the cache starts over when full (entries are ~100 bytes)."""


def _keep(memo: dict[Any, Any], key: Any, value: Any) -> None:
    """Remember ``value`` under ``key``, forgetting everything first once ``memo`` is full."""
    if len(memo) >= MAX_ENTRIES:
        memo.clear()
    memo[key] = value


_LOCK = threading.Lock()
_users = 0
_originals: list[tuple[Any, str, Any]] = []


def _cached(
    original: Callable[..., bytes], walk: Callable[[Any, bytes], Any]
) -> Callable[..., bytes]:
    reads: dict[tuple[bytes, bytes], bytes] = {}

    def get(self: Any, key: bytes) -> bytes:
        if _writes._open:
            _writes.flush(self)
        if type(key) is not bytes:  # let the original validate (and refuse) it
            return original(self, key)
        slot = (self.root_hash, key)
        value = reads.get(slot)
        if value is None:
            value = walk(self, key)
            if value is _UNSURE:
                value = original(self, key)  # raises MissingTrieNode as before: nothing cached
            _keep(reads, slot, value)
        return value

    get.__doc__ = original.__doc__
    return get


_UNSURE = object()
"""What a walk answers when py-trie's own ``get`` must decide (and raise, where it raises)."""


class _Walker:
    """``HexaryTrie.get`` over decoded nodes kept by their hash, as py-trie walks them.

    A node's hash is the keccak of its encoding, so the node under a hash never changes: once
    decoded (or written, see :func:`_mapped`) it is kept, frozen, and a read after a write
    walks the unchanged part of the trie without decoding it again. Whatever py-trie would
    refuse (a missing node, a malformed node, a key ending inside an extension) is left to
    py-trie (``_UNSURE``).
    """

    def __init__(self, to_nibbles: Callable[[bytes], Any], decode_nibbles: Callable[..., Any]):
        self.nodes: dict[bytes, Any] = {}
        self.paths: dict[bytes, tuple[bool, tuple[int, ...]]] = {}
        self.to_nibbles, self.decode_nibbles = to_nibbles, decode_nibbles
        self.decode_node = _nodes.decode_node

    def keep(self, node_hash: bytes, frozen: Any) -> None:
        nodes = self.nodes
        _keep(nodes, node_hash, frozen)

    def _node(self, trie: Any, pointer: Any) -> Any:
        if type(pointer) is tuple:  # a node embedded in its parent
            return pointer
        if type(pointer) is not bytes:
            return _UNSURE
        if pointer == b"" or pointer == BLANK_NODE_HASH:
            return b""
        if len(pointer) < 32:
            return _UNSURE
        node = self.nodes.get(pointer)
        if node is None:
            try:
                node = _frozen(self.decode_node(trie.db[pointer]))
            except Exception:  # missing or malformed: py-trie raises its own error
                return _UNSURE
            self.keep(pointer, node)
        return node

    def _path(self, encoded: Any) -> tuple[bool, tuple[int, ...]] | None:
        known = self.paths.get(encoded) if type(encoded) is bytes else None
        if known is None:
            try:
                nibbles = tuple(self.decode_nibbles(encoded))
            except Exception:
                return None
            leaf = bool(nibbles) and nibbles[-1] == 16
            known = (leaf, nibbles[:-1] if leaf else nibbles)
            _keep(self.paths, encoded, known)
        return known

    def __call__(self, trie: Any, key: bytes) -> Any:
        nibbles = self.to_nibbles(key)
        node = self._node(trie, trie.root_hash)
        i, end = 0, len(nibbles)
        while i < end:  # HexaryTrie._traverse_from
            if node is _UNSURE or node == b"":
                return node
            if type(node) is not tuple:
                return _UNSURE
            if len(node) == 17:
                pointer = node[nibbles[i]]
                i += 1
            elif len(node) == 2:
                path = self._path(node[0])
                if path is None:
                    return _UNSURE
                leaf, rest = path
                if leaf:
                    return node[1] if rest == nibbles[i:] else b""
                width = len(rest)
                if nibbles[i : i + width] == rest:
                    i += width
                    pointer = node[1]
                elif end - i < width and rest[: end - i] == nibbles[i:]:
                    return _UNSURE  # the key ends inside the extension: py-trie refuses it
                else:
                    return b""
            else:
                return _UNSURE
            node = self._node(trie, pointer)
        if node is _UNSURE or node == b"":  # HexaryTrie._get, the whole key consumed
            return node
        if type(node) is not tuple:
            return _UNSURE
        if len(node) == 17:
            value = node[16]
        elif len(node) == 2:
            path = self._path(node[0])
            if path is None:
                return _UNSURE
            value = node[1] if path == (True, ()) else b""
        else:
            return _UNSURE
        return value if type(value) is bytes else _UNSURE


def _memo(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``original``, a pure function of a bytes or tuple argument with an immutable answer,
    memoized (other arguments, and exceptions, go to ``original`` every time)."""
    answers: dict[Any, Any] = {}

    def memoized(value: Any) -> Any:
        if type(value) is not bytes and type(value) is not tuple:
            return original(value)
        answer = answers.get(value)
        if answer is None:
            answer = original(value)
            _keep(answers, value, answer)
        return answer

    memoized.__doc__ = original.__doc__
    return memoized


def _frozen(node: Any) -> Any:
    if type(node) is not list:
        return node
    return tuple([item if type(item) is not list else _frozen(item) for item in node])


def _thawed(node: Any) -> Any:
    if type(node) is not tuple:
        return node
    return [item if type(item) is not tuple else _thawed(item) for item in node]


def _decoded(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """py-trie's ``decode_node`` memoized on the encoding; each answer is a fresh list."""
    nodes: dict[bytes, Any] = {}

    def decode_node(encoded: Any) -> Any:
        if type(encoded) is not bytes:
            return original(encoded)
        frozen = nodes.get(encoded)
        if frozen is None:
            node = original(encoded)
            if type(node) is not list:
                return node
            _keep(nodes, encoded, _frozen(node))
            return node
        return _thawed(frozen)

    decode_node.__doc__ = original.__doc__
    return decode_node


def _mapped(original: Callable[[Any, Any], Any], walker: _Walker) -> Callable[[Any, Any], Any]:
    """py-trie's ``_node_to_db_mapping`` (a node's hash and encoding, or the node itself when
    it is short enough to embed) memoized on the node; an embedded node is a fresh copy.
    Each hashed node is also kept by its hash for the reads that follow (:class:`_Walker`)."""
    mappings: dict[Any, Any] = {}

    def _node_to_db_mapping(self: Any, node: Any) -> Any:
        if type(node) is not list:
            return original(self, node)
        frozen = _frozen(node)
        known = mappings.get(frozen)
        if known is None:
            key, value = _node_mapping(node)
            _keep(mappings, frozen, _EMBEDDED if value is None else (key, value))
            if value is None:
                return _thawed(frozen), None
            walker.keep(key, frozen)
            return key, value
        if known is _EMBEDDED:
            return _thawed(frozen), None
        return known

    _node_to_db_mapping.__doc__ = original.__doc__
    return _node_to_db_mapping


_EMBEDDED = object()
_BYTE = [bytes((value,)) for value in range(256)]


def _encode(item: Any) -> bytes:
    """``rlp.codec.encode_raw``: bytes and lists (or tuples) of them here, anything else there
    (installed as ``rlp.codec.encode_raw`` too, so every ``rlp.encode`` ends here).

    The same bytes for the same item; an item of another type (``bytearray``, a ``str`` py-trie
    never stores) goes to ``rlp`` with what it holds, so its result or error is rlp's own.
    """
    kind = type(item)
    if kind is bytes:
        size = len(item)
        if size == 1 and item[0] < 0x80:
            return item
        if size < 56:
            return _BYTE[0x80 + size] + item
        offset = 0xB7
        payload = item
    elif kind is list or kind is tuple:
        payload = b"".join(
            [
                b"\xa0" + part
                if type(part) is bytes and len(part) == 32
                else b"\x80"
                if part == b"" and type(part) is bytes
                else _encode(part)
                for part in item
            ]
        )  # a node's hashes and blanks (most of its items) without a call each
        size = len(payload)
        if size < 56:
            return _BYTE[0xC0 + size] + payload
        offset = 0xF7
    else:
        return _rlp_encode_raw(item)
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    if len(length) > 8:  # rlp's limit: let it raise its own error
        return _rlp_encode_raw(item)
    return _BYTE[offset + len(length)] + length + payload


def _node_mapping(node: Any) -> tuple[Any, Any]:
    """py-trie's ``_create_node_to_db_mapping`` (validation, blank node, encoding, hash) with
    :func:`_encode`; the caller hands out copies of an embedded node."""
    _writes.validate_node(node)
    if node == b"":
        return b"", None
    encoded = _encode(node)
    if len(encoded) < 32:
        return node, None
    return _hexary.keccak(encoded), encoded


def _by_hash(original: Callable[[Any, Any], Any], walker: _Walker) -> Callable[[Any, Any], Any]:
    """py-trie's ``get_node``, answering a node kept by its hash (:class:`_Walker`) as a fresh
    copy without reading and decoding it again (py-trie changes the nodes it gets)."""

    def get_node(self: Any, node_hash: Any) -> Any:
        if type(node_hash) is _writes.Pending:
            return _writes.copy(node_hash.node)
        if type(node_hash) is bytes and len(node_hash) == 32:
            frozen = walker.nodes.get(node_hash)
            if frozen is not None:
                return _thawed(frozen)
        return original(self, node_hash)

    get_node.__doc__ = original.__doc__
    return get_node


_ACCOUNT_FIELDS = operator.attrgetter(*Account._meta.field_attrs)
"""An account's fields in order, as ``Serializable.__iter__`` yields them, in one call."""


def _state_root_of(original: Any) -> property:
    """``AccountDB.state_root`` reading the hash trie's wrapped trie directly: py-evm's goes
    through ``KeyMapDB.__getattr__`` (every frame's snapshot asks for it)."""
    getter = original.fget
    assert getter is not None

    def state_root(self: Any) -> Any:
        trie = self._trie
        if type(trie) is HashTrie:
            wrapped: Any = trie._db
            return wrapped.root_hash
        return getter(self)

    state_root.__doc__ = getter.__doc__
    return property(state_root, original.fset)


class _AccountCodec:
    """The ``rlp`` module as ``eth.db.account`` uses it, with accounts' codings memoized.

    An account's encoding is keyed on its fields (rlp's ``Serializable`` compares by hash
    only), a decoded account on its encoding; anything else goes to ``rlp`` itself.
    """

    def __init__(self) -> None:
        self._encoded: dict[tuple[Any, ...], bytes] = {}
        self._decoded: dict[bytes, Any] = {}

    def encode(self, obj: Any, sedes: Any = None, **options: Any) -> bytes:
        if sedes is not Account or options or type(obj) is not Account:
            return rlp.encode(obj, sedes=sedes, **options)
        fields = _ACCOUNT_FIELDS(obj)  # tuple(obj): Serializable.__iter__ reads these
        encoded = self._encoded.get(fields)
        if encoded is None:
            encoded = _account_rlp(obj, fields)
            _keep(self._encoded, fields, encoded)
        return encoded

    def decode(self, data: Any, sedes: Any = None, **options: Any) -> Any:
        if sedes is not Account or options or type(data) is not bytes:
            return rlp.decode(data, sedes=sedes, **options)
        account = self._decoded.get(data)
        if account is None:
            fields = _account_fields(data)
            if fields is None:
                account = rlp.decode(data, sedes=Account)  # raises as before: nothing cached
            else:  # as rlp's decode leaves it: the fields, the encoding kept as its RLP
                account = Account(*fields)
                account._cached_rlp = data
            _keep(self._decoded, data, account)
        return account

    def __getattr__(self, name: str) -> Any:
        return getattr(rlp, name)


def _account_rlp(account: Any, fields: tuple[Any, ...]) -> bytes:
    """``rlp.encode(account, sedes=Account)`` of an account's (nonce, balance, storage root,
    code hash): the two ``big_endian_int`` and two 32-byte fields serialized as rlp's sedes
    serialize them and encoded with :func:`_encode`; a field rlp's sedes would refuse (or
    rlp would encode otherwise) goes to rlp itself."""
    nonce, balance, storage_root, code_hash = fields
    if (
        type(nonce) is int
        and type(balance) is int
        and nonce >= 0
        and balance >= 0
        and type(storage_root) is bytes
        and type(code_hash) is bytes
        and len(storage_root) == 32
        and len(code_hash) == 32
    ):
        return _encode([_int_rlp(nonce), _int_rlp(balance), storage_root, code_hash])
    return rlp.encode(account, sedes=Account)


def _account_fields(data: bytes) -> tuple[int, int, bytes, bytes] | None:
    """The fields of ``data`` where it is an account's canonical encoding as :func:`_account_rlp`
    makes it (a list of two minimal big-endian ints and two 32-byte strings, nothing after),
    read directly; None for anything else (rlp decides: it decodes it or refuses it)."""
    size = len(data)
    if size < 68 or data[0] != 0xF8 or data[1] != size - 2:
        return None
    pos = 2
    ints = []
    for _ in range(2):
        if pos >= size:
            return None
        head = data[pos]
        if head == 0x80:  # the empty string: 0
            ints.append(0)
            pos += 1
        elif 0 < head < 0x80:  # a single byte, its own encoding
            ints.append(head)
            pos += 1
        elif 0x81 <= head <= 0xB7:
            end = pos + 1 + head - 0x80
            first = data[pos + 1] if end <= size else 0
            if first == 0 or (end == pos + 2 and first < 0x80):  # not canonical: rlp refuses
                return None
            ints.append(int.from_bytes(data[pos + 1 : end], "big"))
            pos = end
        else:
            return None
    if pos + 66 != size or data[pos] != 0xA0 or data[pos + 33] != 0xA0:
        return None
    return ints[0], ints[1], data[pos + 1 : pos + 33], data[pos + 34 :]


def _int_rlp(value: int) -> bytes:
    """``big_endian_int.serialize`` of a non-negative int: minimal big-endian, 0 as b""."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""


class _StorageCodec:
    """The ``rlp`` module as ``eth.db.storage`` uses it, with storage values' codings memoized.

    A value written is an ``int`` (``rlp.encode(value)``), a value read is decoded with
    ``big_endian_int``; both are memoized (on the exact int, on the encoding), anything else
    goes to ``rlp`` itself, and an error is rlp's own (nothing is kept).
    """

    def __init__(self) -> None:
        self._encoded: dict[int, bytes] = {}
        self._decoded: dict[bytes, int] = {}

    def encode(self, obj: Any, sedes: Any = None, **options: Any) -> bytes:
        if sedes is not None or options or type(obj) is not int:
            return rlp.encode(obj, sedes=sedes, **options)
        encoded = self._encoded.get(obj)
        if encoded is None:
            encoded = rlp.encode(obj)
            _keep(self._encoded, obj, encoded)
        return encoded

    def decode(self, data: Any, sedes: Any = None, **options: Any) -> Any:
        if sedes is not rlp.sedes.big_endian_int or options or type(data) is not bytes:
            return rlp.decode(data, sedes=sedes, **options)
        value = self._decoded.get(data)
        if value is None:
            value = rlp.decode(data, sedes=sedes)
            _keep(self._decoded, data, value)
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(rlp, name)


def _storage_to_bytes(primitive: Any = None, hexstr: Any = None, text: Any = None) -> bytes:
    """``eth_utils.to_bytes`` as ``eth.db.storage`` calls it (an account store's clear count, a
    non-negative int: minimal big-endian, 0 as one zero byte) without its argument checks and
    hex round trip; any other argument goes to ``eth_utils`` itself."""
    if type(primitive) is int and primitive >= 0 and hexstr is None and text is None:
        return primitive.to_bytes((primitive.bit_length() + 7) // 8 or 1, "big")
    return _eth_utils.to_bytes(primitive, hexstr, text)


def _storage_to_int(primitive: Any = None, hexstr: Any = None, text: Any = None) -> int:
    """``eth_utils.to_int`` as ``eth.db.storage`` calls it (bytes: big-endian) without its
    argument checks; any other argument goes to ``eth_utils`` itself."""
    if type(primitive) is bytes and hexstr is None and text is None:
        return int.from_bytes(primitive, "big")
    return _eth_utils.to_int(primitive, hexstr, text)


def _slot_key(original: Callable[[Any, bytes], bytes]) -> Callable[[Any, bytes], bytes]:
    """``StorageLookup._decode_key`` (a slot's trie key: the keccak of its 32-byte padding),
    memoized on the slot's bytes (a function of them alone); any other argument goes to it."""
    keys: dict[bytes, bytes] = {}

    def _decode_key(self: Any, key: bytes) -> bytes:
        if type(key) is not bytes:
            return original(self, key)
        hashed = keys.get(key)
        if hashed is None:
            hashed = original(self, key)
            _keep(keys, key, hashed)
        return hashed

    _decode_key.__doc__ = original.__doc__
    return _decode_key


def _patches() -> list[tuple[Any, str, Any]]:
    """(owner, name, replacement) for each cached function, the replacements sharing memos."""
    bytes_to_nibbles = _memo(_hexary.bytes_to_nibbles)
    decode_nibbles = _memo(_nodes.decode_nibbles)
    encode_nibbles = _memo(_nodes.encode_nibbles)
    add_terminator = _memo(_nodes.add_nibbles_terminator)
    remove_terminator = _memo(_nodes.remove_nibbles_terminator)
    walker = _Walker(bytes_to_nibbles, decode_nibbles)
    return [
        (HexaryTrie, "get", _cached(HexaryTrie.get, walker)),
        (HexaryTrie, "get_node", _by_hash(HexaryTrie.get_node, walker)),
        (HexaryTrie, "_node_to_db_mapping", _mapped(HexaryTrie._node_to_db_mapping, walker)),
        *_writes.patches(),
        *_rlp.patches(),
        (_hexary, "decode_node", _decoded(_hexary.decode_node)),
        (_hexary, "bytes_to_nibbles", bytes_to_nibbles),
        (_hexary, "decode_nibbles", decode_nibbles),
        (_hexary, "encode_nibbles", encode_nibbles),
        (_nodes, "decode_nibbles", decode_nibbles),
        (_nodes, "encode_nibbles", encode_nibbles),
        (_nodes, "add_nibbles_terminator", add_terminator),
        (_nodes, "remove_nibbles_terminator", remove_terminator),
        (_rlp_codec, "encode_raw", _encode),
        (_account_db, "rlp", _AccountCodec()),
        (_account_db.AccountDB, "state_root", _state_root_of(_account_db.AccountDB.state_root)),
        (_storage_db, "rlp", _StorageCodec()),
        (
            _storage_db.StorageLookup,
            "_decode_key",
            _slot_key(_storage_db.StorageLookup._decode_key),
        ),
        (_storage_db, "to_bytes", _storage_to_bytes),
        (_storage_db, "to_int", _storage_to_int),
    ]


def acquire() -> None:
    """Install the caches (the first user installs them)."""
    global _users
    with _LOCK:
        _users += 1
        if _users == 1:
            for owner, name, replacement in _patches():
                _originals.append((owner, name, getattr(owner, name)))
                setattr(owner, name, replacement)


def release() -> None:
    """Undo one :func:`acquire`; the last user restores py-trie's own functions."""
    global _users
    with _LOCK:
        if _users == 0:
            return
        _users -= 1
        if _users == 0:
            while _originals:
                owner, name, original = _originals.pop()
                setattr(owner, name, original)


__all__ = ["MAX_ENTRIES", "acquire", "release"]
