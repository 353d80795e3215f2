"""What providers read about tasks from the chain, when the events cannot tell them.

A task's immutable facts (read once per task and cached by the simulator), a source's task
list, a task's status and attempters (for what the driver's board did not see published), and
what a successful ``Nexus.attempt`` did, from its receipt. All plain ``eth_call`` through
:mod:`ogpu_sim.actors.lean`, no web3 contract objects. And the task's config from its IPFS
gateway URL, over one kept-alive HTTP connection instead of a new one per fetch.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import requests
from ogpu.types import DeliveryMethod, TaskStatus
from web3 import Web3

from ogpu_sim.actors.lean import events_in, read

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


def read_task_facts(w3: Web3, address: str) -> TaskFacts:
    """Read a task's immutable facts (two plain ``eth_call``).

    Raises:
        ChainError: ``address`` holds no task.
    """
    _source, config, expiry, payment = read(
        w3, address, "taskParams()", ("address", "string", "uint256", "uint256")
    )
    (delivery,) = read(w3, address, "getDeliveryMethod()", ("uint8",))
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


def fetch_config(url: str) -> Any:
    """GET a task's config JSON from its gateway URL, as ``ogpu.ipfs.fetch_ipfs_json`` does
    (same errors), over a kept-alive connection.

    Raises:
        ogpu.types.errors.IPFSFetchError: the request failed or the body is not JSON.
        ogpu.types.errors.IPFSGatewayError: the gateway answered a status other than 200.
    """
    from ogpu.types.errors import IPFSFetchError, IPFSGatewayError

    try:
        with _SESSION_LOCK:
            response = _SESSION.get(url, timeout=FETCH_TIMEOUT)
    except requests.RequestException as exc:
        raise IPFSFetchError(url=url, reason=str(exc)) from exc
    if response.status_code != 200:
        raise IPFSGatewayError(gateway=url, status_code=response.status_code)
    try:
        return response.json()
    except (json.JSONDecodeError, ValueError) as exc:
        raise IPFSFetchError(url=url, reason=f"Invalid JSON: {exc}") from exc


__all__ = [
    "TaskFacts",
    "expired_by",
    "fetch_config",
    "read_attempted",
    "read_status",
    "read_task_facts",
    "read_tasks_of",
]
