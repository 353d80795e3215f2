"""What providers read about tasks from the chain, when the events cannot tell them.

A task's immutable facts (read once per task and cached by the simulator), a source's task
list, a task's status and attempters (for what the driver's board did not see published), and
what a successful ``Nexus.attempt`` did, from its receipt. All plain ``eth_call`` through
:mod:`ogpu_sim.actors.lean`, no web3 contract objects; the facts in one call, through the
creation code of a helper (``TaskFactsRead.sol``) that is run, never deployed, or on an
in-process chain from the task's storage (:mod:`ogpu_sim.actors.task_storage`). And the task's
config from its IPFS gateway URL: answered in process by a mock IPFS server running here
(:mod:`ogpu_sim.ipfs.inprocess`), else over a kept-alive HTTP connection instead of a new one
per fetch.
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from ogpu.types import DeliveryMethod, TaskStatus
from urllib3.util import Retry, parse_url
from web3 import Web3

from ogpu_sim.actors import task_storage
from ogpu_sim.actors.codec import decode_words, encode_words
from ogpu_sim.actors.gateway import LoopbackGateway, response_of
from ogpu_sim.actors.lean import events_in, read, rpc
from ogpu_sim.chain.inprocess import in_process_chain
from ogpu_sim.chain.urls import is_loopback_url
from ogpu_sim.errors import ChainError
from ogpu_sim.ipfs import inprocess

ATTEMPTED = ("Attempted(address,address,uint256)", ("address", "address", "uint256"))
STATUS_CHANGED = ("TaskStatusChanged(address,uint8)", ("address", "uint8"))
"""Nexus events (signature, argument types) an attempt's receipt is read for."""


@dataclass(frozen=True)
class TaskFacts:
    """What never changes about a task once published (cached by the simulator per task)."""

    expiry: int
    payment: int
    delivery: DeliveryMethod
    config_url: str


FACTS_READ_BYTECODE = bytes.fromhex(
    "608060405234801561000f575f5ffd5b5060405161021938038061021983398101604081905261002e916101"
    "71565b60408051600481526024810182526020810180516001600160e01b031663155315f960e01b17905290"
    "515f9182916001600160a01b038516916100709161019e565b5f60405180830381855afa9150503d805f8114"
    "6100a8576040519150601f19603f3d011682016040523d82523d5f602084013e6100ad565b606091505b5060"
    "408051600481526024810182526020810180516001600160e01b0316633348f94d60e21b1790529051929450"
    "9092505f9182916001600160a01b038716916100f7919061019e565b5f60405180830381855afa9150503d80"
    "5f811461012f576040519150601f19603f3d011682016040523d82523d5f602084013e610134565b60609150"
    "5b50915091505f8480156101445750825b8483604051602001610158939291906101e2565b60405160208183"
    "03038152906040529050805160208201f35b5f60208284031215610181575f5ffd5b81516001600160a01b03"
    "81168114610197575f5ffd5b9392505050565b5f82518060208501845e5f920191825250919050565b5f8151"
    "8084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b83"
    "15158152606060208201525f6101fc60608301856101b4565b828103604084015261020e81856101b4565b96"
    "9550505050505056fe"
)
"""Creation code of ``TaskFactsRead.sol`` (next to this module), run by an ``eth_call`` without
``to``: the constructor returns the task's ``taskParams()`` and ``getDeliveryMethod()`` answers."""

_CREATION_CALLS: weakref.WeakKeyDictionary[Web3, bool] = weakref.WeakKeyDictionary()
"""Per chain, False once the node answered a creation call with no data (a node that does not
return a creation's output, as geth, anvil and the in-process chains do): its task facts are
read with two calls from then on."""

PARAMS_TYPES = ("address", "string", "uint256", "uint256")


def read_task_facts(w3: Web3, address: str) -> TaskFacts:
    """Read a task's immutable facts in one ``eth_call`` (two on a node that returns nothing for
    a creation call); on an in-process chain straight from the task's storage when the code at
    ``address`` is the Task's (see :mod:`ogpu_sim.actors.task_storage`).

    Raises:
        ChainError: ``address`` holds no task.
    """
    chain = in_process_chain(w3)
    if chain is not None and not chain.faults.armed:  # an armed fault may be meant for this call
        stored = task_storage.read_params(chain, address)
        if stored is not None:
            _source, config, expiry, payment, delivery = stored
            return _facts(config, expiry, payment, delivery)
    if _CREATION_CALLS.get(w3, True):
        answer = _read_in_one(w3, address)
        if answer is not None:
            return answer
        _CREATION_CALLS[w3] = False
    _source, config, expiry, payment = read(w3, address, "taskParams()", PARAMS_TYPES)
    (delivery,) = read(w3, address, "getDeliveryMethod()", ("uint8",))
    return _facts(config, expiry, payment, delivery)


def _read_in_one(w3: Web3, address: str) -> TaskFacts | None:
    """Both reads through ``TaskFactsRead``; ``None`` when the node returned no data at all."""
    data = "0x" + (FACTS_READ_BYTECODE + encode_words(("address",), (address,))).hex()
    try:
        result = bytes.fromhex(str(rpc(w3, "eth_call", [{"data": data}, "latest"]))[2:])
        if not result:
            return None
        ok, params, delivery = decode_words(("bool", "bytes", "bytes"), result)
        if not ok:
            raise ValueError("the task's getters reverted")
        _source, config, expiry, payment = decode_words(PARAMS_TYPES, params)
        (method,) = decode_words(("uint8",), delivery)
    except Exception as exc:  # node errors, transport errors and undecodable answers alike
        raise ChainError(f"cannot read the task facts of {address}: {exc}") from exc
    return _facts(config, expiry, payment, method)


def _facts(config: Any, expiry: Any, payment: Any, delivery: Any) -> TaskFacts:
    return TaskFacts(
        expiry=int(expiry),
        payment=int(payment),
        delivery=DeliveryMethod(int(delivery)),
        config_url=str(config),
    )


def read_tasks_of(w3: Web3, source: str, start: int) -> list[str]:
    """The source's tasks from index ``start`` on (two calls; one when there are none)."""
    (count,) = read(w3, source, "getTaskCount()", ("uint256",))
    if count <= start:
        return []
    types = ("uint256", "uint256")
    (tasks,) = read(
        w3, source, "getTasks(uint256,uint256)", ("address[]",), types, (start, count - 1)
    )
    return [Web3.to_checksum_address(t) for t in tasks]


def read_status(w3: Web3, task: str) -> TaskStatus:
    """The task's status."""
    (status,) = read(w3, task, "getStatus()", ("uint8",))
    return TaskStatus(int(status))


def read_attempted(w3: Web3, task: str, provider: str) -> bool:
    """True once ``provider`` attempted ``task``."""
    signature = "getAttempterId(address)"
    (attempter,) = read(w3, task, signature, ("uint256",), ("address",), (provider,))
    return bool(attempter)


def expired_by(receipt: dict[str, Any], nexus: str, task: str, provider: str) -> bool | None:
    """What a successful ``Nexus.attempt(task, provider, ...)`` did: ``False`` when it recorded
    the attempt, ``True`` when it marked the task EXPIRED (lazy expiry), ``None`` when the
    receipt shows neither (a protocol that emits other events)."""
    attempted = events_in(receipt, nexus, ATTEMPTED)
    if any((t, p) == (task, provider) for t, p, _payment in attempted):
        return False
    changed = events_in(receipt, nexus, STATUS_CHANGED)
    if any((t, s) == (task, TaskStatus.EXPIRED) for t, s in changed):
        return True
    return None


_SESSION = requests.Session()
_SESSION_LOCK = threading.Lock()
FETCH_TIMEOUT = 30.0
"""Seconds a config fetch may take (the SDK's ``fetch_ipfs_json`` default)."""
_GATEWAYS: dict[tuple[str, int], LoopbackGateway] = {}
_HEADERS = dict(requests.utils.default_headers())
_LOWER_HEADERS = {name.lower(): value for name, value in _HEADERS.items()}
_RETRIES = Retry(0, read=False)  # requests' own default: no retry, so every fault shows


def fetch_config(url: str) -> Any:
    """GET a task's config JSON from its gateway URL, as ``ogpu.ipfs.fetch_ipfs_json`` does
    (same errors), without a socket or over a kept-alive connection.

    A mock IPFS server running in this process answers in process while no fault is armed on
    it (:func:`ogpu_sim.ipfs.inprocess.serve`: its own routes, request log and answer). Any
    other gateway on this machine over plain HTTP (the mock IPFS with a fault armed) is asked
    through a
    :class:`~ogpu_sim.actors.gateway.LoopbackGateway`: the bytes urllib3 (the transport under
    requests) would send, a plain answer read directly and any other one, every error included,
    read by urllib3 itself, with requests' retries, headers and JSON decoding, so its faults
    and latency show as they do through requests; what it skips is requests' per-request work
    (environment proxies, netrc, cookies, hooks) and http.client's header parser, most of a
    millisecond of CPU. Other gateways go through a requests session.

    Raises:
        ogpu.types.errors.IPFSFetchError: the request failed or the body is not JSON.
        ogpu.types.errors.IPFSGatewayError: the gateway answered a status other than 200.
    """
    from ogpu.types.errors import IPFSFetchError, IPFSGatewayError

    try:
        response = _in_process(url)
        if response is None:
            with _SESSION_LOCK:
                gateway = _local_gateway(url)
                response = (
                    gateway.get(url, parse_url(url).request_uri)
                    if gateway is not None
                    else _SESSION.get(url, timeout=FETCH_TIMEOUT)
                )
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise IPFSFetchError(url=url, reason=str(exc)) from exc
    if response.status_code != 200:
        raise IPFSGatewayError(gateway=url, status_code=response.status_code)
    try:
        return response.json()
    except (json.JSONDecodeError, ValueError) as exc:
        raise IPFSFetchError(url=url, reason=f"Invalid JSON: {exc}") from exc


def _in_process(url: str) -> requests.Response | None:
    """The answer of a mock IPFS server running in this process, asked without a socket
    (:mod:`ogpu_sim.ipfs.inprocess`), or ``None`` when only its socket answers as it would."""
    app = inprocess.local_app(url)
    if app is None:
        return None
    parsed = parse_url(url)
    headers = {**_LOWER_HEADERS, "host": parsed.netloc or ""}
    served = inprocess.serve(app, "GET", parsed.request_uri, headers, b"")
    if served is None:
        return None
    reply, body = served
    return response_of(url, reply.status, inprocess.reply_headers(reply), body)


def _local_gateway(url: str) -> LoopbackGateway | None:
    """The kept-alive connection to a plain-HTTP gateway on this machine, else ``None``.

    A new gateway first closes the connections of the others that their servers closed (a
    test session starts many mock IPFS servers, one port each)."""
    parsed = parse_url(url)
    if parsed.scheme != "http" or parsed.host is None:
        return None
    key = (parsed.host, parsed.port or 80)
    gateway = _GATEWAYS.get(key)
    if gateway is None and is_loopback_url(f"http://{parsed.netloc}/"):
        for other_key, other in list(_GATEWAYS.items()):
            if other.dropped():
                other.close()
                del _GATEWAYS[other_key]
        pool = urllib3.HTTPConnectionPool(
            *key, timeout=FETCH_TIMEOUT, retries=_RETRIES, headers=_HEADERS
        )
        gateway = _GATEWAYS[key] = LoopbackGateway(pool)
    return gateway


__all__ = [
    "TaskFacts",
    "expired_by",
    "fetch_config",
    "read_attempted",
    "read_status",
    "read_task_facts",
    "read_tasks_of",
]
