"""One error hierarchy for ogpu-sim, rooted in :class:`OgpuSimError`.

Every error carries the values a user needs to act on it. Subpackages define their own
subclasses next to the code that raises them and re-export them; the ones shared across
layers live here.
"""

from __future__ import annotations


class OgpuSimError(Exception):
    """Base class of every error ogpu-sim raises on purpose."""


class ConfigError(OgpuSimError, ValueError):
    """An option, setting or file given to ogpu-sim is invalid.

    Args:
        option: the name of the offending option or key.
        problem: what is wrong with it, in words a user can act on.
    """

    def __init__(self, option: str, problem: str) -> None:
        self.option = option
        self.problem = problem
        super().__init__(f"{option}: {problem}")


class ArtifactNotFoundError(OgpuSimError, KeyError):
    """A compiled contract artifact was asked for by a name that does not exist."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"no artifact named {name!r}; known contracts: {', '.join(known)}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class ChainError(OgpuSimError):
    """The chain backend failed or was used in a way it does not support."""


class UnsafeSignerError(OgpuSimError):
    """A public test key would be used to sign for a non-local RPC endpoint."""

    def __init__(self, rpc_url: str) -> None:
        self.rpc_url = rpc_url
        super().__init__(
            f"refusing to sign with ogpu-sim's public test keys for the non-local endpoint "
            f"{rpc_url}; pass your own funded keys explicitly (deployer_key=..., accounts=...)"
        )
