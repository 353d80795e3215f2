"""Whether a URL names this machine, decided the way the HTTP client will read it.

ogpu-sim signs with public test keys (and exports them to user programs) only for endpoints on
this machine. That decision must read a URL exactly as the client that later connects does:
web3's ``HTTPProvider`` and the SDK's IPFS calls go through requests, which parses with
``urllib3.util.parse_url``. The standard library's ``urllib.parse`` reads some URLs otherwise
(``http://example.com\\@127.0.0.1/`` is 127.0.0.1 to it and example.com to urllib3), so a URL
only counts as local when it is plain: printable ASCII, no backslash, no user info, no
percent-encoding in the authority, both parsers agreeing on the host, and that host
``localhost`` or a loopback IP address (127.0.0.0/8, ``::1``, ``::ffff:127.x.x.x``).
Anything else is treated as remote: the guard fails closed.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

LOOPBACK_NAMES = ("localhost",)
"""Host names that count as this machine (besides loopback IP addresses)."""


def why_not_loopback(url: object) -> str | None:
    """Why ``url`` does not count as naming this machine, or ``None`` when it does.

    Args:
        url: the endpoint, e.g. ``http://127.0.0.1:8545``.

    Returns:
        ``None`` for a plain http(s) URL whose host is loopback, else the reason in a few words.
    """
    if not isinstance(url, str):
        return f"not a string but {type(url).__name__}"
    if not url.isascii() or not url.isprintable() or any(c.isspace() for c in url):
        return "contains whitespace, control or non-ASCII characters"
    if "\\" in url:
        return "contains a backslash"
    try:
        parsed = parse_url(url)
        split = urlsplit(url)
        split_host = split.hostname or ""
        _ = split.port  # raises ValueError for a port out of range
    except (LocationParseError, ValueError) as exc:
        return f"cannot be parsed ({exc})"
    if parsed.scheme not in ("http", "https"):
        return f"scheme {parsed.scheme!r} is not http or https"
    authority = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if parsed.auth is not None or "@" in authority or "@" in split.netloc:
        return "has user info (user@host)"
    if "%" in authority:
        return "has percent-encoded characters in its host"
    host = (parsed.host or "").strip("[]").lower()
    if host != split_host.lower():
        return f"is read as host {host!r} by urllib3 but {split_host!r} by urllib.parse"
    if not host:
        return "has no host"
    if host in LOOPBACK_NAMES:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"host {host!r} is neither localhost nor an IP address"
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    if address.is_loopback or (mapped is not None and mapped.is_loopback):
        return None
    return f"host {host} is not a loopback address"


def is_loopback_url(url: object) -> bool:
    """True when ``url`` is a plain http(s) URL naming this machine (see the module docstring).

    Args:
        url: the endpoint, e.g. ``http://127.0.0.1:8545``.

    Returns:
        Whether public test keys may be used with it.
    """
    return why_not_loopback(url) is None


__all__ = ["LOOPBACK_NAMES", "is_loopback_url", "why_not_loopback"]
