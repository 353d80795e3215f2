"""Answering a mock IPFS server's requests in this process, without a socket.

The SDK pins every task config with ``requests.post`` on a new loopback connection: a TCP
handshake, a server thread's wake-up and two HTTP parsers, about 2 ms of a 10 ms lifecycle on
revm, and a provider's config fetch costs another 0.6 ms. A server registers here while it
runs (:func:`register`); :func:`serve` hands a request for it to its routes directly
(:func:`ogpu_sim.ipfs.http.answer`, the code the HTTP handler runs) and records it in its
request log as the handler would. :class:`InProcessAdapter` builds requests' own ``Response``
from that answer: same status, headers and body.

Everything the in-process path cannot reproduce exactly goes over the socket instead: any
request while a fault is armed (drops, truncation and latency are socket behaviour, with their
timeouts) or once the server stops, a streamed or oversized body, a target the routes would
refuse to parse. :func:`serve` returns ``None`` for those.
"""

from __future__ import annotations

import io
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from urllib3 import HTTPHeaderDict, HTTPResponse

from ogpu_sim.ipfs import routes
from ogpu_sim.ipfs.errors import BadRequest, IpfsServerError
from ogpu_sim.ipfs.faults import RequestRecord
from ogpu_sim.ipfs.http import IpfsRequestHandler, ServedApp, answer, http_date

_REASONS = IpfsRequestHandler.responses
_SERVERS: dict[str, ServedApp] = {}
_SERVERS_LOCK = threading.Lock()


def register(base_url: str, app: ServedApp) -> None:
    """Let requests for ``base_url`` (``http://127.0.0.1:40123``) be answered by ``app``."""
    with _SERVERS_LOCK:
        _SERVERS[base_url] = app


def unregister(base_url: str, app: ServedApp) -> None:
    """Stop answering ``base_url`` in process (when ``app`` still is the one registered)."""
    with _SERVERS_LOCK:
        if _SERVERS.get(base_url) is app:
            del _SERVERS[base_url]


def local_app(url: str) -> ServedApp | None:
    """The running server in this process that ``url`` points at, else ``None``."""
    parts = urlsplit(url)
    return _SERVERS.get(f"{parts.scheme}://{parts.netloc}")


def serve(
    app: ServedApp, method: str, target: str, headers: dict[str, str], body: bytes
) -> tuple[routes.Reply, bytes] | None:
    """Answer one request in process: the reply and the body bytes the handler would send.

    Args:
        app: the server.
        method: the HTTP method (upper case).
        target: the request target, path and query (``/ipfs/Qm...``).
        headers: the request headers, lower-case names.
        body: the request body.

    Returns:
        ``None`` when only the socket answers it as it would be answered (a fault is armed,
        the server is stopping, the body is too large, the target is malformed).
    """
    if app.faults.armed or app.stopping.is_set() or len(body) > app.max_upload_bytes:
        return None
    try:
        path, query = routes.parse_target(target)
        base_url = app.url
    except (BadRequest, IpfsServerError):  # a malformed target; a server stopped just now
        return None
    arrived = time.time()
    headers = {**headers, "content-length": str(len(body))}
    reply = answer(app, routes.Request(method, path, query, headers, body, base_url))
    sent = b"" if method == "HEAD" or reply.status in (204, 304) else reply.body
    app.requests.append(
        RequestRecord(
            method=method,
            route=routes.route_of(path),
            status=reply.status,
            bytes=len(body),
            cid=reply.cid,
            time=arrived,
            path=target[:1000],
            bytes_sent=len(sent),
        )
    )
    return reply, sent


def reply_headers(reply: routes.Reply) -> dict[str, str]:
    """The headers the HTTP handler sends with ``reply``."""
    return {
        "Server": IpfsRequestHandler.server_version,
        "Date": http_date(),
        "Content-Type": reply.content_type,
        "Content-Length": str(len(reply.body)),
        **reply.headers,
    }


class InProcessAdapter(HTTPAdapter):
    """A requests transport that answers requests for running servers of this process in
    process (:func:`serve`), and everything else over HTTP as requests' own adapter does.

    ``close`` (which every ``Session.close`` calls) closes the connections the HTTP path
    pooled, so nothing stays open between calls.
    """

    def __init__(self) -> None:
        super().__init__(max_retries=0)  # requests' default adapter: no retries, faults show

    def send(  # type: ignore[override]
        self, request: PreparedRequest, stream: bool = False, **kwargs: Any
    ) -> Response:
        """Answer ``request`` in process, or over HTTP when only the socket answers it right."""
        app = local_app(request.url or "")
        body = request.body if request.body is not None else b""
        if app is not None and isinstance(body, bytes):
            method = request.method or "GET"
            headers = {name.lower(): value for name, value in request.headers.items()}
            served = serve(app, method, request.path_url, headers, body)
            if served is not None:
                reply, sent = served
                raw = HTTPResponse(
                    body=io.BytesIO(sent),
                    headers=HTTPHeaderDict(reply_headers(reply)),
                    status=reply.status,
                    reason=_REASONS[reply.status][0] if reply.status in _REASONS else "",
                    version=11,
                    preload_content=False,
                    decode_content=False,
                    request_method=method,
                )
                return self.build_response(request, raw)
        return super().send(request, stream=stream, **kwargs)
