"""Content identifiers computed the way kubo's ``ipfs add`` computes them.

Single-chunk files (at most 256 KiB) and larger files both follow kubo's defaults: the data is
cut into 262 144-byte chunks and laid out as a balanced DAG of at most 174 links per node
(boxo's ``importer/balanced``).

* CIDv0 (``ipfs add``): every leaf is a dag-pb node wrapping a UnixFS ``File`` message with the
  chunk (``File``, not ``Raw``: boxo keeps that old choice so CIDs stay stable); internal
  nodes are dag-pb UnixFS ``File`` nodes listing the children's sizes. The CID is
  the base58btc sha2-256 multihash of the root block (``Qm...``).
* CIDv1 (``ipfs add --cid-version=1``, which implies raw leaves): leaves are ``raw`` blocks,
  internal nodes dag-pb; a single-chunk file is one raw block (``bafkrei...``), a larger one a
  dag-pb root (``bafybei...``).

The dag-pb and UnixFS messages are a handful of protobuf fields, so they are encoded here with
unsigned LEB128 varints (the multiformats varint, written out: ``multiformats.varint`` checks
its argument's type on every call, most of a small file's CID time) rather than through a
protobuf runtime and generated code: no kept
library ships the dag-pb/UnixFS schemas for Python, and the byte layout must match go-codec-dagpb
exactly (links before data, empty link names written out), which a generic encoder does not
promise.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import threading
from dataclasses import dataclass

from multiformats import CID

from ogpu_sim.ipfs.errors import InvalidCidError

CHUNK_SIZE = 262_144
"""kubo's default fixed-size chunker (``size-262144``)."""

MAX_LINKS = 174
"""kubo's default maximum number of links per balanced-DAG node."""

MAX_CID_TEXT = 256
"""Longest CID string accepted; real CIDs are well under 100 characters."""

_UNIXFS_FILE = 2
_DAG_PB = "dag-pb"
_RAW = "raw"
_SHA2_256_PREFIX = b"\x12\x20"  # multihash code 0x12, digest length 32
_CID_V1_PREFIX = {_DAG_PB: b"\x01\x70", _RAW: b"\x01\x55"}  # version 1 + codec code

# multiformats registers its encodings lazily and that first use is not thread-safe (two
# threads can both try to register "base32"), so every call into it holds this lock.
_MULTIFORMATS = threading.RLock()


@dataclass(frozen=True)
class _Block:
    """One block of a file's DAG as its parent links to it."""

    cid: bytes  # binary CID: the bare multihash for v0, version + codec + multihash for v1
    tsize: int  # the block's length plus the tsize of everything it links to
    filesize: int  # bytes of file data below this block


def _varint(value: int) -> bytes:
    """The unsigned varint of ``value`` (>= 0), as ``multiformats.varint.encode`` gives it."""
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field_varint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _field_bytes(number: int, payload: bytes) -> bytes:
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _unixfs_file(data: bytes | None, filesize: int, blocksizes: list[int]) -> bytes:
    """Encode a UnixFS ``Data`` message of type File (fields in field-number order)."""
    out = _field_varint(1, _UNIXFS_FILE)
    if data:  # boxo leaves Data unset for an empty chunk and for internal nodes
        out += _field_bytes(2, data)
    out += _field_varint(3, filesize)
    for size in blocksizes:
        out += _field_varint(4, size)
    return out


def _dag_pb_node(links: list[_Block], data: bytes) -> bytes:
    """Encode a dag-pb ``PBNode`` as go-codec-dagpb does: links first, names always present."""
    out = b""
    for link in links:
        hash_, name = _field_bytes(1, link.cid), _field_bytes(2, b"")
        out += _field_bytes(2, hash_ + name + _field_varint(3, link.tsize))
    return out + _field_bytes(1, data)


def _sha256_cid(version: int, codec: str, block: bytes) -> bytes:
    """Binary CID of a block, built without multiformats (hashing needs no lock)."""
    multihash = _SHA2_256_PREFIX + hashlib.sha256(block).digest()
    return multihash if version == 0 else _CID_V1_PREFIX[codec] + multihash


_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_GROUP_DIGITS = 10
_BASE58_GROUP = 58**_BASE58_GROUP_DIGITS


def _base58btc(data: bytes) -> str:
    """Bitcoin base58 without multibase prefix.

    Written out rather than taken from ``multiformats.multibase``: that encoder type-checks
    every character at run time and cost about a millisecond per CID, the largest share of an
    upload's handling. The number is cut into base-58**10 groups first (one big-integer
    division per ten digits), each group into digits by small-integer divisions. The tests
    check this against multiformats on random inputs.
    """
    number = int.from_bytes(data, "big")
    groups = []
    while number:
        number, group = divmod(number, _BASE58_GROUP)
        groups.append(group)
    digits = []
    for group in groups:
        for _ in range(_BASE58_GROUP_DIGITS):
            group, digit = divmod(group, 58)
            digits.append(digit)
    text = "".join([_BASE58_ALPHABET[digit] for digit in reversed(digits)]).lstrip("1")
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + text


def _cid_text(binary: bytes) -> str:
    """Text form of a binary CID: base58btc for v0, multibase base32 for v1 (kubo's defaults)."""
    if binary.startswith(_SHA2_256_PREFIX):
        return _base58btc(binary)  # a CIDv0 is its bare multihash, no multibase prefix
    return "b" + base64.b32encode(binary).decode("ascii").lower().rstrip("=")


def _key_text(binary: bytes) -> str:
    """The normalized text (see :func:`normalize_cid`) of a binary CID built here."""
    if binary.startswith(_CID_V1_PREFIX[_DAG_PB]):
        return _base58btc(binary[len(_CID_V1_PREFIX[_DAG_PB]) :])
    return _cid_text(binary)


@dataclass(frozen=True)
class FileCids:
    """Both CIDs of one file and the normalized store key of its CIDv1."""

    v0: str
    v1: str
    v1_key: str


_FILE_CIDS_KEPT = 4096
_file_cids_kept: dict[tuple[bytes, int], FileCids] = {}  # (sha-256, length) -> the file's CIDs
_file_cids_lock = threading.Lock()


def file_cids(data: bytes) -> FileCids:
    """Return a file's CIDv0 and CIDv1 (as :func:`cid_v0`/:func:`cid_v1`) in one call.

    The CIDs of the last few thousand files are kept by the file's sha-256 digest and length:
    the same content is often pinned again (a task config per task), and building its DAG and
    spelling its CIDs costs more than the hash.
    """
    data = bytes(data)
    key = (hashlib.sha256(data).digest(), len(data))
    kept = _file_cids_kept.get(key)
    if kept is not None:
        return kept
    v1 = _BalancedBuilder(data, 1).build().cid
    v1_text = _cid_text(v1)
    v1_key = v1_text if v1.startswith(_CID_V1_PREFIX[_RAW]) else _key_text(v1)
    cids = FileCids(cid_v0(data), v1_text, v1_key)
    with _file_cids_lock:
        if len(_file_cids_kept) >= _FILE_CIDS_KEPT:
            del _file_cids_kept[next(iter(_file_cids_kept))]  # the oldest
        _file_cids_kept[key] = cids
    return cids


class _BalancedBuilder:
    """Build a file's DAG bottom-up exactly as boxo's balanced layout does."""

    def __init__(self, data: bytes, version: int) -> None:
        self._chunks = [data[i : i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE)]
        self._next = 0
        self._version = version

    def _done(self) -> bool:
        return self._next >= len(self._chunks)

    def _leaf(self, chunk: bytes) -> _Block:
        if self._version == 1:
            return _Block(_sha256_cid(1, _RAW, chunk), len(chunk), len(chunk))
        block = _dag_pb_node([], _unixfs_file(chunk, len(chunk), []))
        return _Block(_sha256_cid(0, _DAG_PB, block), len(block), len(chunk))

    def _internal(self, children: list[_Block]) -> _Block:
        sizes = [child.filesize for child in children]
        block = _dag_pb_node(children, _unixfs_file(None, sum(sizes), sizes))
        tsize = len(block) + sum(child.tsize for child in children)
        return _Block(_sha256_cid(self._version, _DAG_PB, block), tsize, sum(sizes))

    def _next_leaf(self) -> _Block:
        chunk = self._chunks[self._next]
        self._next += 1
        return self._leaf(chunk)

    def _fill(self, children: list[_Block], depth: int) -> _Block:
        while len(children) < MAX_LINKS and not self._done():
            children.append(self._next_leaf() if depth == 1 else self._fill([], depth - 1))
        return self._internal(children)

    def build(self) -> _Block:
        if self._done():
            return self._leaf(b"")
        root = self._next_leaf()
        depth = 1
        while not self._done():
            root = self._fill([root], depth)
            depth += 1
        return root


def compute_cid(data: bytes, version: int = 0) -> str:
    """Return the CID ``ipfs add`` (kubo defaults) prints for a file with these bytes.

    Args:
        data: the file's content.
        version: 0 for ``ipfs add`` (``Qm...``), 1 for ``ipfs add --cid-version=1``.

    Returns:
        The CID as text: base58btc for version 0, base32 for version 1.

    Raises:
        ValueError: ``version`` is neither 0 nor 1.
    """
    if version not in (0, 1):
        raise ValueError(f"CID version must be 0 or 1, not {version!r}")
    return _cid_text(_BalancedBuilder(bytes(data), version).build().cid)


def cid_v0(data: bytes) -> str:
    """Return the CIDv0 (``Qm...``) of a file, as ``ipfs add`` gives it."""
    return compute_cid(data, 0)


def cid_v1(data: bytes) -> str:
    """Return the CIDv1 of a file, as ``ipfs add --cid-version=1`` gives it."""
    return compute_cid(data, 1)


def dag_size(data: bytes, version: int = 0) -> int:
    """Return the cumulative DAG size kubo reports as ``Size`` for an added file."""
    return _BalancedBuilder(bytes(data), version).build().tsize


def parse_cid(text: str) -> CID:
    """Parse and validate a CID given as text.

    Args:
        text: a CIDv0 (``Qm...``) or a multibase-prefixed CIDv1.

    Returns:
        The decoded CID.

    Raises:
        InvalidCidError: the text is not a CID ogpu-sim can serve (malformed, too long, or not
            a sha2-256 CID of dag-pb or raw content).
    """
    if not isinstance(text, str) or not text:
        raise InvalidCidError(str(text), "empty or not text")
    if len(text) > MAX_CID_TEXT:
        raise InvalidCidError(text[:40] + "...", f"longer than {MAX_CID_TEXT} characters")
    if not text.isascii() or not text.isalnum():
        raise InvalidCidError(text, "a CID contains only ASCII letters and digits")
    try:
        with _MULTIFORMATS:
            cid = CID.decode(text)
            hashfun, codec = cid.hashfun.name, cid.codec.name
    except Exception as exc:  # multiformats raises several unrelated types
        raise InvalidCidError(text, str(exc) or type(exc).__name__) from exc
    if hashfun != "sha2-256":
        raise InvalidCidError(text, f"hash function {hashfun} is not sha2-256")
    if codec not in (_DAG_PB, _RAW):
        raise InvalidCidError(text, f"codec {codec} is neither dag-pb nor raw")
    return cid


@functools.lru_cache(maxsize=65_536)
def normalize_cid(text: str) -> str:
    """Return one canonical spelling for every way of writing the same content address.

    A dag-pb sha2-256 CID (v0, or v1 in any base) becomes its CIDv0; a raw CID becomes base32
    CIDv1. Store keys are always normalized CIDs, which is what keeps them safe as file names.

    Raises:
        InvalidCidError: as :func:`parse_cid`.
    """
    cid = parse_cid(text)
    with _MULTIFORMATS:
        if cid.codec.name == _DAG_PB:
            return str(cid.set(base="base58btc", version=0))
        return cid.encode("base32")
