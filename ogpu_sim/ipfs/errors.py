"""The mock IPFS's errors (defined in :mod:`ogpu_sim.errors`, re-exported here)."""

from __future__ import annotations

from ..errors import (
    BadRequest,
    InvalidCidError,
    IpfsError,
    IpfsNotFoundError,
    IpfsServerError,
    StoreFullError,
)

__all__ = [
    "BadRequest",
    "InvalidCidError",
    "IpfsError",
    "IpfsNotFoundError",
    "IpfsServerError",
    "StoreFullError",
]
