"""What an injected chain fault looks like, and how it reaches a client.

The error specs ``error=`` takes (:class:`Reset`, :class:`Timeout`, :class:`HttpStatus`,
:class:`Truncated`, :class:`JsonRpcError`), :func:`client_error` (the exception web3's
``HTTPProvider`` raises when a node misbehaves so, for the in-process provider and
:class:`~ogpu_sim.chain.remote.NodeProvider`) and :func:`answer_over_http` (what the served
endpoint does on the wire), and :func:`fault_method`, the check of the method a fault aims
at. The faults themselves are in :mod:`.faults`.
"""

from __future__ import annotations

import difflib
import re
import socket
import struct
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from eth_utils import keccak

from ..errors import ConfigError, InjectedFault, RpcError
from .jsonrpc import data_bytes
from .rpc_params import PARAMS

# -- which call a fault may aim at -------------------------------------------------------------


def _web3_methods() -> frozenset[str]:
    """Every JSON-RPC method web3.py itself can call (its ``RPC`` table)."""
    from web3._utils.rpc_abi import RPC

    return frozenset(
        value
        for name, value in vars(RPC).items()
        if not name.startswith("_") and isinstance(value, str)
    )


KNOWN_METHODS = frozenset(PARAMS) | {"evm_setAutomine", "evm_setIntervalMining"} | _web3_methods()
"""The JSON-RPC methods the in-process nodes answer, the mining switches, and every method
web3.py can call (``eth_getProof``, ``eth_subscribe``, ...: a fault may aim at one on a node
that answers it)."""
CHECKED_NAMESPACES = ("eth_", "net_", "web3_", "evm_")
"""Namespaces a call fault's method is checked in; any other (``anvil_``, ``debug_``) is a
node's own and passes, so a fault can aim at it on a node that has it."""


def fault_method(method: Any) -> str | None:
    """The ``method=`` of a call fault: ``None`` (any), a known method, or one of a namespace
    not checked; anything else is a ConfigError naming it (a fault that could never fire)."""
    if method is None:
        return None
    if not isinstance(method, str) or not _METHOD_NAME.fullmatch(method):
        raise ConfigError(
            "method", f"must be a JSON-RPC method name such as eth_call; got {method!r}"
        )
    if method in KNOWN_METHODS or not method.startswith(CHECKED_NAMESPACES):
        return method
    close = difflib.get_close_matches(method, sorted(KNOWN_METHODS), n=3, cutoff=0.8)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise ConfigError("method", f"unknown JSON-RPC method {method!r}{hint}; {_KNOWN_TEXT}")


_KNOWN_TEXT = (
    "ogpu_sim.chain.faults.KNOWN_METHODS lists the eth_, net_, web3_ and evm_ ones the nodes "
    "answer or web3.py can call (a node's own, such as anvil_ or debug_, are not checked)"
)
_METHOD_NAME = re.compile(r"[a-z][a-z0-9]*_[A-Za-z0-9_]+")


# -- what a faulty call looks like --------------------------------------------------------------
@dataclass(frozen=True)
class Reset:
    """The connection is reset before an answer arrives (the SDK retries this before a send)."""

    def __str__(self) -> str:
        return "connection reset"


@dataclass(frozen=True)
class Timeout:
    """No answer: the served URL holds the request ``seconds`` and closes the connection; the
    in-process ``w3`` raises ``requests``' read timeout at once."""

    seconds: float = 5.0

    def __str__(self) -> str:
        return f"read timed out after {self.seconds:g} s"


@dataclass(frozen=True)
class HttpStatus:
    """An HTTP error status instead of a JSON-RPC answer (429 rate limits, 502/503/504 ...)."""

    status: int

    def __str__(self) -> str:
        return f"HTTP {self.status} {HTTPStatus(self.status).phrase}"


@dataclass(frozen=True)
class Truncated:
    """The answer starts and the connection breaks mid-body (web3 and the SDK do not retry)."""

    def __str__(self) -> str:
        return "answer truncated"


@dataclass(frozen=True)
class JsonRpcError:
    """A well-formed JSON-RPC error answer, e.g. ``JsonRpcError(-32005, "limit exceeded")``."""

    code: int
    message: str
    data: str | None = None

    def __str__(self) -> str:
        return f"JSON-RPC error {self.code}: {self.message}"


ErrorSpec = Reset | Timeout | HttpStatus | Truncated | JsonRpcError
_SHORTHANDS: dict[str, ErrorSpec] = {
    "reset": Reset(),
    "timeout": Timeout(),
    "truncated": Truncated(),
}


def error_spec(error: Any) -> ErrorSpec:
    """Normalize ``error=``: a spec, ``"reset"``/``"timeout"``/``"truncated"``, or an HTTP status.

    Raises:
        ConfigError: naming ``error`` and what it accepts.
    """
    if isinstance(error, (Reset, Timeout, HttpStatus, Truncated, JsonRpcError)):
        spec: ErrorSpec = error
    elif isinstance(error, str) and error in _SHORTHANDS:
        spec = _SHORTHANDS[error]
    elif isinstance(error, int) and not isinstance(error, bool):
        spec = HttpStatus(error)
    else:
        raise ConfigError(
            "error",
            f"expected Reset(), Timeout(seconds), HttpStatus(code) or an HTTP status int, "
            f"Truncated(), JsonRpcError(code, message), or one of {sorted(_SHORTHANDS)}; "
            f"got {error!r}",
        )
    if isinstance(spec, HttpStatus) and not 400 <= spec.status <= 599:
        raise ConfigError("error", f"an HTTP error status is 400-599, not {spec.status}")
    if isinstance(spec, Timeout) and not spec.seconds >= 0:
        raise ConfigError("error", f"a timeout holds the request >= 0 seconds, not {spec.seconds}")
    return spec


def raise_for(method: str, error: ErrorSpec, took_effect: bool) -> None:
    """Raise what a request handler raises for a fault: an RpcError or an InjectedFault."""
    if isinstance(error, JsonRpcError):
        raise RpcError(error.code, error.message, error.data)
    raise InjectedFault(method, error, took_effect)


def sent_hash(params: Any) -> str:
    """The hash of the signed transaction in ``eth_sendRawTransaction``'s params ("" if none)."""
    raw = params[0] if isinstance(params, (list, tuple)) and params else params
    try:
        return "0x" + keccak(data_bytes(raw, "raw transaction")).hex()
    except RpcError:
        return ""


# -- how a fault reaches a client -----------------------------------------------------------
def client_error(error: ErrorSpec, url: str) -> Exception:
    """The exception web3's ``HTTPProvider`` raises when a node at ``url`` misbehaves so."""
    import requests
    from urllib3.exceptions import IncompleteRead, ProtocolError

    if isinstance(error, Reset):
        reset = ConnectionResetError(104, "Connection reset by peer")
        return requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", reset))
    if isinstance(error, Timeout):
        where = url.split("//", 1)[-1].split("/", 1)[0]
        return requests.exceptions.ReadTimeout(
            f"HTTPConnectionPool(host={where!r}): Read timed out. (read timeout={error.seconds})"
        )
    if isinstance(error, HttpStatus):
        response = requests.Response()
        response.status_code = error.status
        response.reason = HTTPStatus(error.status).phrase
        response.url = url
        try:
            response.raise_for_status()
        except requests.HTTPError as exc:
            return exc
    if isinstance(error, Truncated):
        partial = IncompleteRead(24, 40)
        return requests.exceptions.ChunkedEncodingError(
            ProtocolError(f"Connection broken: {partial!r}", partial)
        )
    raise TypeError(f"{error!r} is answered as JSON-RPC, not as a transport error")


def answer_over_http(handler: Any, fault: InjectedFault) -> None:
    """Make the served endpoint misbehave on the wire as ``fault`` says (the RPC server calls it).

    Args:
        handler: the ``BaseHTTPRequestHandler`` of the request (its ``_send``, ``connection``).
        fault: the fault the chain raised for the request.
    """
    error = fault.error
    handler.close_connection = True
    if isinstance(error, HttpStatus):
        body = (
            f'{{"jsonrpc":"2.0","id":null,"error":{{"code":-32000,'
            f'"message":"injected fault: {error}"}}}}'
        ).encode()
        handler._send(error.status, body)
        return
    if isinstance(error, Timeout):
        time.sleep(error.seconds)
        return
    if isinstance(error, Truncated):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n"
        handler.wfile.write(head + b'{"jsonrpc":"2.0","id":1,"res')
        return
    # Reset: close now with SO_LINGER 0, so the kernel sends RST (a shutdown would send FIN).
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.rfile.close()
    handler.connection.close()


__all__ = [
    "ErrorSpec",
    "HttpStatus",
    "JsonRpcError",
    "Reset",
    "Timeout",
    "Truncated",
    "answer_over_http",
    "client_error",
    "error_spec",
    "raise_for",
    "sent_hash",
]
