"""The web3 provider of the in-process chains, and web3's transport retries it reproduces.

:class:`InProcessProvider` answers from a chain's request handler the way a node over HTTP
would: errors as JSON-RPC ``error`` members, injected transport faults as the exceptions web3's
``HTTPProvider`` raises, retried as it retries (:func:`with_web3_retries`, also used by
:class:`~ogpu_sim.chain.remote.NodeProvider`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import requests
from web3.providers import BaseProvider
from web3.providers.rpc.utils import ExceptionRetryConfiguration, check_if_retry_on_failure
from web3.types import RPCEndpoint, RPCResponse

from ..errors import ChainError, InjectedFault
from .fault_errors import client_error
from .jsonrpc import SERVER_ERROR, RpcError

IN_PROCESS_URL = "http://127.0.0.1/in-process"
"""The URL web3's error messages name for the in-process provider (it has no socket)."""


def web3_retry_configuration() -> ExceptionRetryConfiguration:
    """web3's ``HTTPProvider`` default: which transport errors it retries, how often, how fast."""
    return ExceptionRetryConfiguration(
        errors=(ConnectionError, requests.HTTPError, requests.Timeout)
    )


def with_web3_retries(
    config: ExceptionRetryConfiguration, method: str, attempt: Callable[[], Any]
) -> Any:
    """Run ``attempt`` as web3's ``HTTPProvider`` runs a request: retried on its retryable
    transport errors for the methods on its allowlist, with its backoff."""
    if not check_if_retry_on_failure(RPCEndpoint(method), config.method_allowlist):
        return attempt()
    errors = tuple(config.errors)
    for i in range(config.retries):
        try:
            return attempt()
        except errors:
            if i == config.retries - 1:
                raise
            time.sleep(config.backoff_factor * 2**i)
    return None  # pragma: no cover - the loop returns or raises


SENDS = frozenset({"eth_sendRawTransaction", "eth_sendRawTransactionSync", "eth_sendTransaction"})
"""The JSON-RPC methods that send a transaction."""


class InProcessProvider(BaseProvider):
    """A web3 provider answering from an in-process chain the way a node over HTTP would.

    Errors come back as JSON-RPC ``error`` members (never raised), so web3 raises exactly what
    it raises against geth/anvil: ``ContractLogicError`` and friends for reverts. Injected
    transport faults raise what web3's ``HTTPProvider`` raises (and are retried as it retries).

    Args:
        dispatch: answers one JSON-RPC call (method, params) or raises :class:`RpcError` or
            :class:`~ogpu_sim.errors.InjectedFault`; it does its own locking.
    """

    def __init__(self, dispatch: Any) -> None:
        super().__init__()
        self._dispatch = dispatch
        self._ids = itertools.count(1)
        self.exception_retry_configuration = web3_retry_configuration()
        self.sends = 0
        """Transactions sent through this provider (any thread), counted before each goes out:
        a reader that took a receipt for every one of them knows this process mined nothing
        else (the timeline skips a poll on that)."""

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        """Answer one request with a ``result`` or an ``error`` member."""
        request_id = next(self._ids)
        if method in SENDS:
            self.sends += 1
        return with_web3_retries(  # type: ignore[no-any-return]
            self.exception_retry_configuration,
            method,
            lambda: self._answer(request_id, method, params),
        )

    def _answer(self, request_id: int, method: str, params: Any) -> RPCResponse:
        try:
            result = self._dispatch(method, params)
        except RpcError as exc:
            return {"jsonrpc": "2.0", "id": request_id, "error": exc.to_dict()}  # type: ignore[typeddict-item]
        except InjectedFault as fault:
            raise client_error(fault.error, IN_PROCESS_URL) from None
        except ChainError as exc:
            return {
                "jsonrpc": "2.0",
                "id": request_id,
                "error": {"code": SERVER_ERROR, "message": str(exc)},
            }
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    def is_connected(self, show_traceback: bool = False) -> bool:
        """Always connected: the node lives in this process."""
        return True


__all__ = [
    "IN_PROCESS_URL",
    "SENDS",
    "InProcessProvider",
    "web3_retry_configuration",
    "with_web3_retries",
]
