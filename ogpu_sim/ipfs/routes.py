"""The mock IPFS's routes, as plain functions from a request to a :class:`Reply`.

They know nothing about sockets or faults (:mod:`ogpu_sim.ipfs.http` does), so each reads like the
contract it implements: the OGPU pinning endpoint the SDK posts to, a path gateway, and the
subset of kubo's RPC (``/api/v0``) other IPFS clients need.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_to_bytes

from ogpu_sim.ipfs.cid import compute_cid, dag_size, normalize_cid
from ogpu_sim.ipfs.content import sniff_content_type
from ogpu_sim.ipfs.errors import BadRequest, InvalidCidError, IpfsNotFoundError, StoreFullError
from ogpu_sim.ipfs.multipart import parse_multipart, single_file
from ogpu_sim.ipfs.store import Store

KUBO_VERSION = "0.43.0"
"""The kubo version ``/api/v0/version`` claims to be (the RPC subset follows it)."""

PIN_ROUTE = "/file/create"
GATEWAY_ROUTE = "/ipfs"
API_ROUTES = ("/api/v0/add", "/api/v0/cat", "/api/v0/pin/ls", "/api/v0/version")
_JSON = "application/json"


@dataclass
class Request:
    """What a route needs of an HTTP request."""

    method: str
    path: str  # decoded path, no query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # e.g. "http://127.0.0.1:5001", for gateway links


@dataclass
class Reply:
    """What a route answers: status, body, content type, extra headers and the CID involved."""

    status: int
    body: bytes = b""
    content_type: str = _JSON
    headers: dict[str, str] = field(default_factory=dict)
    cid: str | None = None


def json_reply(status: int, payload: Any, cid: str | None = None) -> Reply:
    """A JSON reply."""
    return Reply(status, json.dumps(payload).encode(), _JSON, cid=cid)


def error_reply(route: str, status: int, message: str) -> Reply:
    """A JSON error: kubo's ``{"Message", "Code", "Type"}`` on ``/api/v0``, else ``{"error"}``."""
    if route.startswith("/api/v0"):
        return json_reply(status, {"Message": message, "Code": 0, "Type": "error"})
    return json_reply(status, {"error": message, "status": status})


def route_of(path: str) -> str:
    """The route name a path belongs to (the path itself when unknown)."""
    if path == GATEWAY_ROUTE or path.startswith(GATEWAY_ROUTE + "/"):
        return GATEWAY_ROUTE
    return path


def allowed_methods(route: str) -> tuple[str, ...] | None:
    """The methods a known route answers, or ``None`` for an unknown route."""
    if route == GATEWAY_ROUTE:
        return ("GET", "HEAD")
    if route == PIN_ROUTE or route in API_ROUTES:
        return ("POST",)
    return None


def handle(store: Store, request: Request) -> Reply:
    """Dispatch a request to its route; bad input becomes a JSON error reply, never an error.

    A malformed upload or argument is a 400 (415 for a non-multipart upload), an invalid CID a
    400, a full store a 507, an unknown route a 404 and a wrong method a 405 with ``Allow``.
    """
    route = route_of(request.path)
    methods = allowed_methods(route)
    if methods is None:
        return error_reply(route, 404, f"no route {request.path!r}")
    if request.method not in methods:
        reply = error_reply(route, 405, f"{request.method} not allowed; use {', '.join(methods)}")
        reply.headers["Allow"] = ", ".join(methods)
        return reply
    try:
        if route == PIN_ROUTE:
            return _pin(store, request)
        if route == GATEWAY_ROUTE:
            return _gateway(store, request)
        return _API[route](store, request)
    except BadRequest as exc:
        return error_reply(route, exc.status, exc.message)
    except InvalidCidError as exc:
        return error_reply(route, 400, str(exc))
    except StoreFullError as exc:
        return error_reply(route, 507, str(exc))


def _pin(store: Store, request: Request) -> Reply:
    """``POST /file/create``: the OGPU pinning service; answers a gateway link to a CIDv0."""
    upload = single_file(parse_multipart(request.headers.get("content-type"), request.body))
    cid = store.put(upload.content)
    return json_reply(200, {"link": f"{request.base_url}/ipfs/{cid}"}, cid=cid)


def _gateway(store: Store, request: Request) -> Reply:
    """``GET``/``HEAD /ipfs/<cid>``: the stored bytes with type, length and an ETag."""
    rest = request.path[len(GATEWAY_ROUTE) + 1 :]
    cid_text, _, subpath = rest.partition("/")
    if not cid_text:
        raise BadRequest(400, "missing CID: use /ipfs/<cid>")
    key = normalize_cid(cid_text)
    try:
        data = store.get(key)
    except IpfsNotFoundError:
        return error_reply(GATEWAY_ROUTE, 404, f"no content stored under CID {cid_text}")
    if subpath.strip("/"):
        message = f"{cid_text} is a file; it has no path {subpath!r}"
        return error_reply(GATEWAY_ROUTE, 404, message)
    etag = f'"{cid_text}"'
    headers = {
        "ETag": etag,
        "X-Ipfs-Path": f"/ipfs/{cid_text}",
        "Cache-Control": "public, max-age=29030400, immutable",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Reply(304, b"", sniff_content_type(data), headers, cid=cid_text)
    return Reply(200, data, sniff_content_type(data), headers, cid=cid_text)


def _arg(request: Request) -> str:
    values = request.query.get("arg")
    if not values or not values[0]:
        raise BadRequest(400, 'argument "ipfs-path" is required')
    value = values[0]
    return value[len("/ipfs/") :] if value.startswith("/ipfs/") else value


def _flag(request: Request, name: str, default: str) -> str:
    return (request.query.get(name) or [default])[0]


def _add(store: Store, request: Request) -> Reply:
    """``POST /api/v0/add``: one NDJSON line per file part, like ``ipfs add``."""
    version_text = _flag(request, "cid-version", "0")
    if version_text not in ("0", "1"):
        raise BadRequest(400, f"cid-version must be 0 or 1, not {version_text!r}")
    version = int(version_text)
    only_hash = _flag(request, "only-hash", "false").lower() in ("true", "1")
    parts = parse_multipart(request.headers.get("content-type"), request.body)
    files = [p for p in parts if p.filename is not None or p.field == "file"]
    if not files:
        raise BadRequest(400, "multipart body has no file part")
    lines, last = [], None
    for part in files:
        if only_hash:
            cid = compute_cid(part.content, version)
        else:
            cid = store.put(part.content, version=version)
        size = str(dag_size(part.content, version))
        lines.append(json.dumps({"Name": part.filename or cid, "Hash": cid, "Size": size}))
        last = cid
    body = ("\n".join(lines) + "\n").encode()
    return Reply(200, body, _JSON, {"X-Chunked-Output": "1"}, cid=last)


def _cat(store: Store, request: Request) -> Reply:
    """``POST /api/v0/cat?arg=<cid>[&offset=&length=]``: the file's bytes."""
    cid = _arg(request)
    try:
        data = store.get(cid)
    except IpfsNotFoundError:
        message = f"block was not found locally (offline): ipld: could not find {cid}"
        return error_reply("/api/v0/cat", 500, message)
    try:
        offset = int(_flag(request, "offset", "0"))
        length = int(_flag(request, "length", str(len(data))))
    except ValueError:
        raise BadRequest(400, "offset and length must be integers") from None
    if offset < 0 or length < 0:
        raise BadRequest(400, "offset and length must be >= 0")
    return Reply(200, data[offset : offset + length], "text/plain", cid=cid)


def _pin_ls(store: Store, request: Request) -> Reply:
    """``POST /api/v0/pin/ls[?arg=<cid>]``: every stored file is pinned recursively."""
    if request.query.get("arg"):
        cid = _arg(request)
        if not store.has(normalize_cid(cid)):
            return error_reply("/api/v0/pin/ls", 500, f"path '{cid}' is not pinned")
        return json_reply(200, {"Keys": {cid: {"Type": "recursive"}}}, cid=cid)
    return json_reply(200, {"Keys": {cid: {"Type": "recursive"} for cid in store.cids()}})


def _version(store: Store, request: Request) -> Reply:
    """``POST /api/v0/version``: which kubo this mock imitates."""
    return json_reply(
        200,
        {
            "Version": KUBO_VERSION,
            "Commit": "ogpu-sim",
            "Repo": "16",
            "System": "amd64/linux",
            "Golang": "go1.24",
        },
    )


_API = {
    "/api/v0/add": _add,
    "/api/v0/cat": _cat,
    "/api/v0/pin/ls": _pin_ls,
    "/api/v0/version": _version,
}


def parse_target(target: str) -> tuple[str, dict[str, list[str]]]:
    """Split a request target into a decoded path and its query.

    Raises:
        BadRequest: 400 when the target is not an absolute path or not valid UTF-8.
    """
    if not target.startswith("/"):
        raise BadRequest(400, f"request target must be an absolute path, not {target[:60]!r}")
    raw_path, _, raw_query = target.partition("?")
    raw_path = raw_path.partition("#")[0]
    if not raw_query and raw_path.isascii() and "%" not in raw_path and "\x00" not in raw_path:
        return raw_path, {}  # what decoding gives such a path (the SDK's and gateways' shape)
    try:
        path = unquote_to_bytes(raw_path).decode("utf-8")
        query = parse_qs(raw_query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise BadRequest(400, "request target is not valid UTF-8 once percent-decoded") from None
    if "\x00" in path:
        raise BadRequest(400, "request path contains a NUL byte")
    return path, query
