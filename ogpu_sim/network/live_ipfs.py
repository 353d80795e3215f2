"""The IPFS of an attached network: its pinning endpoint and the gateway links it hands out.

Attach mode pins with the SDK's own ``publish_to_ipfs`` (the binding points it at the
network's endpoint) and reads gateway links over HTTP. It offers the mock IPFS server's surface
so the rest of ogpu-sim does not care which one it has, except fault injection, which a live
IPFS cannot do: asking for it raises :class:`~ogpu_sim.errors.AttachModeError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ogpu_sim.errors import AttachModeError, ConfigError
from ogpu_sim.ipfs.content import content_bytes, loads_bounded
from ogpu_sim.ipfs.faults import FaultInjector, RequestLog


@dataclass
class LiveIpfs:
    """The live network's IPFS, through its pinning endpoint and the gateway links it returns.

    It has the mock IPFS server's surface (``add``, ``get``, ``get_json``, ``url``,
    ``publish_url``, ``requests``) except fault injection, which it refuses.
    """

    publish_url: str
    rpc_url: str
    timeout: float = 30.0
    requests: RequestLog = field(default_factory=RequestLog)
    """Always empty: only the mock IPFS records requests."""

    @property
    def url(self) -> str:
        """The pinning service's base URL (scheme and host)."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.publish_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def faults(self) -> FaultInjector:
        raise AttachModeError(
            "ipfs.faults",
            self.rpc_url,
            f"fault injection needs ogpu-sim's mock IPFS; this run pins to {self.publish_url}",
        )

    def add(self, data: bytes | str | dict[str, Any] | list[Any]) -> str:
        """Pin content with the SDK's ``publish_to_ipfs`` and return its gateway link.

        Raises:
            ConfigError: (``data``) as the mock's ``add`` refuses it, before anything is sent.
        """
        from ogpu.ipfs import publish_to_ipfs

        content_bytes(data)
        if isinstance(data, bytes | bytearray | memoryview):
            data = bytes(data).decode()
        elif isinstance(data, list):
            data = json.dumps(data)
        return publish_to_ipfs(data, timeout=self.timeout)

    def get(self, link: str) -> bytes:
        """The bytes behind a gateway link.

        Raises:
            ConfigError: not an http(s) link (a bare CID needs a gateway ogpu-sim cannot know).
        """
        import requests

        if not link.startswith(("http://", "https://")):
            raise ConfigError("link", f"attach mode fetches gateway links only, not {link!r}")
        answer = requests.get(link, timeout=self.timeout)
        answer.raise_for_status()
        return answer.content

    def get_json(self, link: str) -> Any:
        """The JSON behind a gateway link (bounded nesting, like the mock's)."""
        return loads_bounded(self.get(link))

    def stop(self) -> None:
        """Nothing runs here."""
