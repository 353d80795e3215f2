"""Errors raised by ogpu-sim's mock IPFS, all subclasses of :class:`IpfsError`."""

from __future__ import annotations

from ogpu_sim.errors import OgpuSimError


class IpfsError(OgpuSimError):
    """Base class of every error the mock IPFS raises on purpose."""


class InvalidCidError(IpfsError, ValueError):
    """A string given as a content identifier is not one.

    Args:
        cid: the offending text.
        problem: what is wrong with it.
    """

    def __init__(self, cid: str, problem: str) -> None:
        self.cid = cid
        self.problem = problem
        super().__init__(f"invalid CID {cid!r}: {problem}")


class IpfsNotFoundError(IpfsError, KeyError):
    """No content is stored under a (valid) CID.

    Args:
        cid: the CID that was looked up.
    """

    def __init__(self, cid: str) -> None:
        self.cid = cid
        super().__init__(f"no content stored under CID {cid}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class StoreFullError(IpfsError):
    """Adding content would take a store past its size limit.

    Args:
        size: bytes of the content being added.
        used: bytes already stored.
        limit: the store's limit in bytes.
    """

    def __init__(self, size: int, used: int, limit: int) -> None:
        self.size = size
        self.used = used
        self.limit = limit
        super().__init__(
            f"cannot store {size} bytes: {used} of {limit} bytes already used "
            f"(raise the store's max_bytes)"
        )


class IpfsServerError(IpfsError):
    """The IPFS server could not start, or was used while stopped."""
