"""The environment a handler gets outside Compose, as the provider app would give it.

The provider app runs a source's compose file with ``PORT`` and ``CALLBACK_URL`` set, and
Compose substitutes them (and any other variable) into the handler service's ``environment:``.
The inline and process runtimes do the same substitution themselves. A handler in a subprocess
is also told which of the SDK stack's known warnings to ignore: the ones this process ignores,
where an inline handler runs.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Mapping

from ..sources import ComposeService, interpolate
from ..vocabulary import KNOWN_SDK_WARNINGS

QUIET_WARNINGS_ENV = "OGPU_SIM_QUIET_WARNINGS"
"""Tells a handler subprocess's launcher (:mod:`.launcher`, which imports nothing of ogpu-sim)
the known warnings to ignore: JSON ``[[message, category name, module regex], ...]``."""


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


def ignored_known_warnings() -> list[tuple[str, str, str]]:
    """The known SDK-stack warnings (:data:`~ogpu_sim.vocabulary.KNOWN_SDK_WARNINGS`) that this
    process's warning filters ignore right now, as (message, category name, module regex).

    An inline handler runs under these filters: the pytest plugin's ignores (unless
    ``ogpu_sdk_warnings = show``), a bound simulator's (unless ``OGPU_SIM_SDK_WARNINGS=show``),
    the ``ogpu-sim`` command's. As in :mod:`warnings`, the first filter that applies decides; one
    aimed at other modules (another module regex) or at one line does not apply.
    """
    return [
        (message, category.__name__, module)
        for message, category, module in KNOWN_SDK_WARNINGS
        if _action(message, category, module) == "ignore"
    ]


def _action(message: str, category: type[Warning], module: str) -> str:
    """What this process's filters do with ``message`` from the modules ``module`` matches."""
    for action, text, kind, where, lineno in warnings.filters:
        if not _matches(text, message) or not issubclass(category, kind) or lineno:
            continue
        if where is not None and getattr(where, "pattern", where) != module:
            continue
        return action
    return "default"


def _matches(pattern: re.Pattern[str] | str | None, text: str) -> bool:
    """A filter's message pattern against ``text``, as :mod:`warnings` matches it (the
    interpreter's own default filters hold plain strings, compared exactly)."""
    if pattern is None:
        return True
    if isinstance(pattern, str):
        return pattern == text
    return pattern.match(text) is not None


def warnings_variables() -> dict[str, str]:
    """The handler subprocess's :data:`QUIET_WARNINGS_ENV`: the known warnings to ignore before
    it imports the SDK (none: no variable)."""
    quiet = ignored_known_warnings()
    return {QUIET_WARNINGS_ENV: json.dumps(quiet)} if quiet else {}
