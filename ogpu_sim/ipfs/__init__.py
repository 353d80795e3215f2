"""ogpu-sim's mock IPFS: kubo-compatible CIDs, stores, and an HTTP server with fault injection."""

from __future__ import annotations

from ogpu_sim.ipfs.cid import (
    FileCids,
    cid_v0,
    cid_v1,
    compute_cid,
    dag_size,
    file_cids,
    normalize_cid,
    parse_cid,
)
from ogpu_sim.ipfs.errors import (
    BadRequest,
    InvalidCidError,
    IpfsError,
    IpfsNotFoundError,
    IpfsServerError,
    StoreFullError,
)
from ogpu_sim.ipfs.faults import Fault, FaultInjector, RequestLog, RequestRecord
from ogpu_sim.ipfs.server import IpfsServer, cid_from_link
from ogpu_sim.ipfs.store import DEFAULT_MEMORY_STORE_BYTES, DirectoryStore, MemoryStore, Store

__all__ = [
    "DEFAULT_MEMORY_STORE_BYTES",
    "BadRequest",
    "DirectoryStore",
    "Fault",
    "FaultInjector",
    "FileCids",
    "InvalidCidError",
    "IpfsError",
    "IpfsNotFoundError",
    "IpfsServer",
    "IpfsServerError",
    "MemoryStore",
    "RequestLog",
    "RequestRecord",
    "Store",
    "StoreFullError",
    "cid_from_link",
    "cid_v0",
    "cid_v1",
    "compute_cid",
    "dag_size",
    "file_cids",
    "normalize_cid",
    "parse_cid",
]
