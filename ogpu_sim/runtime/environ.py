"""The environment a handler gets outside Compose, as the provider app would give it.

The provider app runs a source's compose file with ``PORT`` and ``CALLBACK_URL`` set, and
Compose substitutes them (and any other variable) into the handler service's ``environment:``.
The inline and process runtimes do the same substitution themselves.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..sources import ComposeService, interpolate


def provider_variables(
    *, port: int | str, callback_url: str, source_address: str, provider_address: str
) -> dict[str, str]:
    """The variables the provider app sets when it runs a compose file (plus the addresses)."""
    return {
        "PORT": str(port),
        "CALLBACK_URL": callback_url,
        "SOURCE_ADDRESS": source_address or "0xundefined",
        "PROVIDER_ADDRESS": provider_address or "0xundefined",
    }


def service_environment(
    service: ComposeService, variables: Mapping[str, str], base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The handler service's ``environment:``, substituted as Compose would.

    Args:
        service: the handler service.
        variables: the provider's variables (:func:`provider_variables`).
        base: other variables in scope (default ``os.environ``).

    Raises:
        ComposeError: a ``${VAR:?message}`` whose variable is unset.
    """
    scope = {**(os.environ if base is None else base), **variables}
    return {
        name: interpolate(value, scope, where=str(service.file))
        for name, value in service.environment_vars.items()
    }
