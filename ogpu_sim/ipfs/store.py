"""Content stores for the mock IPFS: one in memory, one in a directory that survives restarts.

Both share :class:`Store`, which owns everything but the bytes' home: CID computation, the
index of every spelling of a CID (CIDv0 and CIDv1 of each file), the size limit and the lock.
Keys are always normalized, validated CIDs (base58btc or base32 alphanumerics), so a key can
never name a path outside the store's directory.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

from ogpu_sim.errors import ConfigError
from ogpu_sim.ipfs.cid import file_cids, normalize_cid, parse_cid
from ogpu_sim.ipfs.errors import IpfsError, IpfsNotFoundError, StoreFullError

logger = logging.getLogger("ogpu_sim.ipfs")

DEFAULT_MEMORY_STORE_BYTES = 512 * 2**20
"""What a :class:`MemoryStore` holds at most unless told otherwise (the process's memory is
the limit that matters; a test that pins more than this is almost always a runaway loop)."""


class Store(ABC):
    """A thread-safe, content-addressed file store keyed by kubo-compatible CIDs.

    Every file is stored once under its CIDv0 and can be read back by any spelling of its CIDv0
    or its ``--cid-version=1`` CID.

    Args:
        max_bytes: the most file bytes the store may hold; ``None`` for no limit.

    Raises:
        ConfigError: ``max_bytes`` is negative or not an integer.
    """

    def __init__(self, *, max_bytes: int | None = None) -> None:
        if max_bytes is not None and (
            isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0
        ):
            raise ConfigError("max_bytes", f"must be an integer >= 0 or None, not {max_bytes!r}")
        self.max_bytes = max_bytes
        self._lock = threading.RLock()
        self._aliases: dict[str, str] = {}  # normalized CID -> primary key (CIDv0)
        self._sizes: dict[str, int] = {}  # primary key -> file size
        self._used = 0

    # -- backend hooks -------------------------------------------------------------------
    @abstractmethod
    def _write(self, key: str, data: bytes) -> None:
        """Persist ``data`` under the primary key ``key`` (a validated CIDv0)."""

    @abstractmethod
    def _read(self, key: str) -> bytes:
        """Return the bytes stored under the primary key ``key``."""

    @abstractmethod
    def _remove(self, key: str) -> None:
        """Forget the bytes stored under the primary key ``key``."""

    # -- public interface ----------------------------------------------------------------
    def put(self, data: bytes, *, version: int = 0) -> str:
        """Store a file (idempotently) and return its CID.

        Args:
            data: the file's bytes.
            version: which CID to return: 0 (``Qm...``) or 1 (``bafk...``/``bafy...``); the
                file is reachable by both either way.

        Returns:
            The file's CID of the requested version.

        Raises:
            StoreFullError: storing the file would exceed ``max_bytes``.
            TypeError: ``data`` is not bytes-like.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"a store holds bytes, not {type(data).__name__}")
        data = bytes(data)
        cids = file_cids(data)
        with self._lock:
            if cids.v0 not in self._sizes:
                if self.max_bytes is not None and self._used + len(data) > self.max_bytes:
                    raise StoreFullError(len(data), self._used, self.max_bytes)
                self._write(cids.v0, data)
                self._register(cids.v0, len(data), cids.v1_key)
        return cids.v0 if version == 0 else cids.v1

    def get(self, cid: str) -> bytes:
        """Return the file stored under any spelling of its CIDv0 or CIDv1.

        Raises:
            InvalidCidError: ``cid`` is not a valid CID.
            IpfsNotFoundError: nothing is stored under it.
        """
        with self._lock:
            return self._read(self._key(cid))

    def has(self, cid: str) -> bool:
        """Whether a file is stored under ``cid`` (False for malformed CIDs too)."""
        try:
            with self._lock:
                self._key(cid)
        except IpfsError:
            return False
        return True

    def __contains__(self, cid: object) -> bool:
        return isinstance(cid, str) and self.has(cid)

    def delete(self, cid: str) -> None:
        """Remove a file and every spelling of its CID.

        Raises:
            InvalidCidError: ``cid`` is not a valid CID.
            IpfsNotFoundError: nothing is stored under it.
        """
        with self._lock:
            key = self._key(cid)
            self._remove(key)
            self._used -= self._sizes.pop(key)
            for alias in [a for a, k in self._aliases.items() if k == key]:
                del self._aliases[alias]

    def clear(self) -> None:
        """Remove every file."""
        with self._lock:
            for key in list(self._sizes):
                self.delete(key)

    def cids(self) -> list[str]:
        """Return the CIDv0 of every stored file, in insertion order."""
        with self._lock:
            return list(self._sizes)

    def __iter__(self) -> Iterator[str]:
        return iter(self.cids())

    def __len__(self) -> int:
        with self._lock:
            return len(self._sizes)

    @property
    def used_bytes(self) -> int:
        """Total size of the stored files in bytes."""
        with self._lock:
            return self._used

    # -- helpers -------------------------------------------------------------------------
    def _register(self, key: str, size: int, v1_key: str) -> None:
        self._sizes[key] = size
        self._used += size
        self._aliases[key] = key
        self._aliases[v1_key] = key

    def _key(self, cid: str) -> str:
        normalized = normalize_cid(cid)
        try:
            return self._aliases[normalized]
        except KeyError:
            raise IpfsNotFoundError(cid) from None


class MemoryStore(Store):
    """A store that keeps files in a dict; gone when the process ends.

    Args:
        max_bytes: the most file bytes it may hold (:data:`DEFAULT_MEMORY_STORE_BYTES` unless
            given); ``None`` for no limit. A put past it raises :class:`StoreFullError`, which
            the server answers with 507.

    Raises:
        ConfigError: ``max_bytes`` is negative or not an integer.
    """

    def __init__(self, *, max_bytes: int | None = DEFAULT_MEMORY_STORE_BYTES) -> None:
        super().__init__(max_bytes=max_bytes)
        self._blobs: dict[str, bytes] = {}

    def _write(self, key: str, data: bytes) -> None:
        self._blobs[key] = data

    def _read(self, key: str) -> bytes:
        return self._blobs[key]

    def _remove(self, key: str) -> None:
        del self._blobs[key]

    def __repr__(self) -> str:
        return f"MemoryStore(files={len(self)}, used_bytes={self.used_bytes})"


def store_folder(root: str | os.PathLike[str], option: str = "ipfs_dir") -> Path:
    """The directory a :class:`DirectoryStore` keeps its files in, resolved and created.

    Args:
        root: the directory.
        option: the option that named it, for the error (``--ipfs-dir`` on the command line).

    Raises:
        ConfigError: ``root`` is empty, exists and is not a directory, or cannot be created
            (the error says the OS's reason).
    """
    if not os.fspath(root):
        raise ConfigError(option, "is empty; name a directory to keep IPFS content in")
    path = Path(root).resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # exist_ok: something that is not a directory
        raise ConfigError(option, f"{root} is not a directory") from None
    except OSError as exc:
        raise ConfigError(option, f"{root} cannot be created: {exc.strerror or exc}") from None
    return path


class DirectoryStore(Store):
    """A store that keeps one file per CIDv0 in a directory, for ``ogpu-sim node``.

    Opening a directory re-reads and re-hashes every file in it, so a store survives restarts
    and a file whose bytes no longer match its name is skipped (with a warning) rather than
    served. Writes go to a temporary file first and are renamed into place, so a crash never
    leaves a half-written file under a CID.

    Args:
        root: the directory; created if missing.
        max_bytes: the most file bytes the store may hold; ``None`` for no limit.

    Raises:
        StoreFullError: the files already in ``root`` exceed ``max_bytes``.
        ConfigError: (option ``ipfs_dir``) ``root`` is not a directory, cannot be created or
            cannot be read (see :func:`store_folder`).
    """

    def __init__(self, root: str | os.PathLike[str], *, max_bytes: int | None = None) -> None:
        super().__init__(max_bytes=max_bytes)
        self.root = store_folder(root)
        try:
            self._load()
        except OSError as exc:
            raise ConfigError("ipfs_dir", f"{root} cannot be read: {exc.strerror or exc}") from None
        if max_bytes is not None and self._used > max_bytes:
            raise StoreFullError(0, self._used, max_bytes)

    def _load(self) -> None:
        for entry in sorted(self.root.iterdir()):
            if entry.name.startswith(".") or not entry.is_file():
                continue
            try:
                key = normalize_cid(entry.name)
                if parse_cid(entry.name).version != 0 or key != entry.name:
                    raise IpfsError("not a CIDv0 file name")
            except IpfsError:
                logger.warning("ignoring %s in the IPFS store: not named by a CIDv0", entry)
                continue
            data = entry.read_bytes()
            cids = file_cids(data)
            if cids.v0 != key:
                logger.warning("ignoring %s in the IPFS store: content does not match", entry)
                continue
            self._register(key, len(data), cids.v1_key)

    def _path(self, key: str) -> Path:
        path = self.root / key
        if path.parent != self.root:  # keys are validated CIDs; this is a second lock
            raise IpfsError(f"refusing a store key outside {self.root}: {key!r}")
        return path

    def _write(self, key: str, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self._path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:  # removed behind the store's back
            raise IpfsNotFoundError(key) from None

    def _remove(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def __repr__(self) -> str:
        root = str(self.root)
        return f"DirectoryStore({root!r}, files={len(self)}, used_bytes={self.used_bytes})"
