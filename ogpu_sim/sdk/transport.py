"""What the SDK's IPFS helpers see as the ``requests`` module while a binding is bound.

``ogpu.ipfs.publish`` and ``ogpu.ipfs.fetch`` call ``requests.post`` and ``requests.get``,
which open a new session, and a new connection, per call. :class:`RoutedRequests` does what
those functions do (a fresh ``requests.Session`` per call, closed after it) with one adapter
mounted on the local IPFS server's base URL, so the SDK's pins and reads of that server can be
answered without a socket (:class:`ogpu_sim.ipfs.inprocess.InProcessAdapter`). Every other
URL, argument, exception class and attribute is requests' own; while ``requests.get`` or
``requests.post`` is patched (a test's ``mock.patch("requests.post")``), the SDK's calls go
to the patch, as they would without a simulator.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter

_GET, _POST = requests.get, requests.post  # as shipped: anything else is a test's patch


def base_of(url: str) -> str:
    """The ``scheme://host:port/`` prefix of ``url``, the mount point of its server."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


class RoutedRequests:
    """Stands in for the ``requests`` module inside one SDK module.

    Args:
        prefix: URLs starting with this (``http://127.0.0.1:40123/``) go to ``adapter``.
        adapter: the transport for those URLs.
    """

    def __init__(self, prefix: str, adapter: BaseAdapter) -> None:
        self.prefix = prefix
        self.adapter = adapter

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """``requests.request``, with the adapter mounted."""
        with requests.Session() as session:
            session.mount(self.prefix, self.adapter)
            return session.request(method=method, url=url, **kwargs)

    def get(self, url: str, params: Any = None, **kwargs: Any) -> requests.Response:
        """``requests.get``."""
        if requests.get is not _GET or not url.startswith(self.prefix):
            return requests.get(url, params=params, **kwargs)
        return self.request("GET", url, params=params, **kwargs)

    def post(
        self, url: str, data: Any = None, json: Any = None, **kwargs: Any
    ) -> requests.Response:
        """``requests.post``."""
        if requests.post is not _POST or not url.startswith(self.prefix):
            return requests.post(url, data=data, json=json, **kwargs)
        return self.request("POST", url, data=data, json=json, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)

    def __repr__(self) -> str:
        return f"<requests, routing {self.prefix} to {type(self.adapter).__name__}>"
