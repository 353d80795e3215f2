"""Compose-style variable substitution, for runtimes that read a compose file without Compose.

Docker Compose substitutes ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
``${VAR:?message}``, ``${VAR?message}`` and ``$$`` (a literal ``$``) in the file it runs; the
inline and process runtimes apply the handler service's ``environment:`` the same way, with
``PORT`` and ``CALLBACK_URL`` set as the provider app sets them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..errors import ComposeError

_PATTERN = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<plain>[A-Za-z_][A-Za-z0-9_]*)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\})"
)


def interpolate(text: str, variables: Mapping[str, str], *, where: str = "") -> str:
    """Substitute compose variables in ``text`` from ``variables``.

    Args:
        text: a value from a compose file.
        variables: the variables in scope (unset ones count as empty, as Compose warns).
        where: the file the value comes from, for errors.

    Returns:
        The substituted text.

    Raises:
        ComposeError: a ``${VAR:?message}`` whose variable is unset or empty.
    """

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("plain") or match.group("braced")
        value = variables.get(name)
        op, arg = match.group("op"), match.group("arg") or ""
        if op is None:
            return value or ""
        empty_counts = op.startswith(":")
        missing = value is None or (empty_counts and value == "")
        kind = op[-1]
        if kind == "-":
            return interpolate(arg, variables, where=where) if missing else str(value)
        if kind == "+":
            return "" if missing else interpolate(arg, variables, where=where)
        if missing:
            raise ComposeError(where or "compose file", f"variable {name} is required: {arg}")
        return str(value)

    return _PATTERN.sub(substitute, text)
