"""Publish sources and tasks the way a client does: through the real SDK.

A source folder (handler + one compose file per environment) becomes an SDK ``SourceInfo``
whose environment URLs are the compose files pinned to the mock IPFS, then
``ogpu.client.publish_source``. Nothing here talks to the contracts directly except the admin
expiry route, which the SDK does not expose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import ConfigError

SOURCE_INFO_FIELDS = (
    "name",
    "description",
    "logoUrl",
    "minPayment",
    "minAvailableLockup",
    "maxExpiryDuration",
    "deliveryMethod",
)
DEFAULT_SOURCE_INFO: dict[str, Any] = {
    "logoUrl": "",
    "minPayment": 0,
    "minAvailableLockup": 0,
    "maxExpiryDuration": 86_400,
}


def delivery_method(value: Any) -> Any:
    """Accept the SDK enum, its int value or a name (``"first_response"``, ``"manual"``)."""
    from ogpu.types import DeliveryMethod

    if isinstance(value, DeliveryMethod):
        return value
    if isinstance(value, int):
        return DeliveryMethod(value)
    names = {
        "first_response": DeliveryMethod.FIRST_RESPONSE,
        "first": DeliveryMethod.FIRST_RESPONSE,
        "manual_confirmation": DeliveryMethod.MANUAL_CONFIRMATION,
        "manual": DeliveryMethod.MANUAL_CONFIRMATION,
    }
    key = str(value).lower().replace("-", "_")
    if key not in names:
        raise ConfigError("deliveryMethod", f"unknown {value!r}; known: {', '.join(names)}")
    return names[key]


def publish_source_folder(ipfs: Any, folder: Any, **overrides: Any) -> tuple[Any, Any]:
    """Pin a folder's compose files and publish it as a source; returns (SDK Source, folder spec).

    Args:
        ipfs: the mock IPFS server (``.add``).
        folder: a source folder path or a loaded :class:`ogpu_sim.runtime.SourceFolder`.
        **overrides: ``SourceInfo`` fields, plus ``environments=[...]`` (a subset of the
            folder's), ``private_key=`` (publish as another client) and
            ``compose_overrides=[...]`` (compose files the docker runtime adds after each
            environment's own, e.g. a stub for a sidecar that cannot be pulled).
    """
    from ogpu.client import publish_source
    from ogpu.types import ImageEnvironments, SourceInfo

    from .runtime import load_source_folder

    compose_overrides = tuple(overrides.pop("compose_overrides", None) or ())
    if hasattr(folder, "environments"):
        spec = folder
    else:
        spec = load_source_folder(Path(folder), compose_overrides=compose_overrides)
    private_key = overrides.pop("private_key", None)
    environments = list(overrides.pop("environments", None) or spec.environments)
    unknown = [e for e in environments if e not in spec.environments]
    if unknown:
        raise ConfigError(
            "environments",
            f"{', '.join(unknown)} not declared by {spec.path} "
            f"(it declares {', '.join(spec.environments) or 'none'})",
        )
    bad = sorted(set(overrides) - set(SOURCE_INFO_FIELDS))
    if bad:
        raise ConfigError(bad[0], f"not a SourceInfo field; known: {', '.join(SOURCE_INFO_FIELDS)}")
    urls = {env: ipfs.add(spec.compose_text(env)) for env in environments}
    fields: dict[str, Any] = {
        **DEFAULT_SOURCE_INFO,
        "name": spec.name,
        "description": spec.description,
        **overrides,
    }
    if "deliveryMethod" in fields:
        fields["deliveryMethod"] = delivery_method(fields["deliveryMethod"])
    info = SourceInfo(imageEnvs=ImageEnvironments(**urls), **fields)
    return publish_source(info, private_key=private_key), spec


def publish_task(
    source: Any,
    function_name: str,
    data: dict[str, Any],
    *,
    payment: int | None,
    expiry: int,
    private_key: str | None = None,
) -> Any:
    """Publish a task with ``ogpu.client.publish_task``; payment defaults to the source minimum."""
    from ogpu.client import publish_task as sdk_publish_task
    from ogpu.protocol.source import Source
    from ogpu.types import TaskInfo, TaskInput

    address = getattr(source, "address", source)
    if payment is None:
        payment = max(int(Source(address).get_params().minPayment), 1)
    info = TaskInfo(
        source=address,
        config=TaskInput(function_name=function_name, data=data),
        expiryTime=expiry,
        payment=payment,
    )
    return sdk_publish_task(info, private_key=private_key)


def admin_expire(network: Any, task: str) -> None:
    """Expire an open task by the admin route: ``Nexus.setTaskStatus`` + ``forceReleasePayment``."""
    contracts = network.deployment.contracts
    deployer = network.accounts.deployer
    client = network.instance("Source", network.instance("Task", task).functions.getSource().call())
    payer = client.functions.getClient().call()
    network.send(deployer, contracts["NEXUS"].functions.setTaskStatus(task, 4))
    network.send(deployer, contracts["VAULT"].functions.forceReleasePayment(payer, task))
