"""The user's own keys for a node that is not on this machine, as the CLI and the pytest
plugin take them: from the environment, never from the command line.

The public test mnemonic must never sign for a remote endpoint (:class:`~ogpu_sim.errors.
UnsafeSignerError`); a face that starts a network on ``--backend rpc`` asks :func:`own_mnemonic`
first, so a remote URL without keys is refused as a usage error naming the variable to set,
before anything starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ogpu_sim.chain.urls import why_not_loopback
from ogpu_sim.errors import ConfigError
from ogpu_sim.vocabulary import MNEMONIC_ENV


def own_mnemonic(rpc_url: str, option: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The mnemonic in :data:`~ogpu_sim.vocabulary.MNEMONIC_ENV`, or None for the test keys.

    Args:
        rpc_url: the node ``--backend rpc`` runs on.
        option: how the caller names the URL's option (for the error).
        environ: where to read the variable (default ``os.environ``).

    Raises:
        ConfigError: the node is not on this machine and the variable is unset or empty.
    """
    mnemonic = (os.environ if environ is None else environ).get(MNEMONIC_ENV, "").strip()
    if mnemonic:
        return mnemonic
    why = why_not_loopback(rpc_url)
    if why is not None:
        raise ConfigError(
            option,
            f"{rpc_url} is not on this machine ({why}): ogpu-sim's public test keys never sign "
            f"for it; set {MNEMONIC_ENV} to the mnemonic of your own funded accounts",
        )
    return None


__all__ = ["own_mnemonic"]
