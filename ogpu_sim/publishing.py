"""Publish sources and tasks the way a client does: through the real SDK.

A source folder (handler + one compose file per environment) becomes an SDK ``SourceInfo``
whose environment URLs are the compose files pinned to the mock IPFS, then
``ogpu.client.publish_source``. Nothing here talks to the contracts directly except the admin
expiry route, which the SDK does not expose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .chain.base import MAX_UINT256, check_whole
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
SOURCE_INFO_UNITS = {
    "minPayment": "wei",
    "minAvailableLockup": "wei",
    "maxExpiryDuration": "seconds",
}
"""The integer ``SourceInfo`` fields and what they count; each is a ``uint256`` on chain."""
SOURCE_INFO_TEXTS = ("name", "description", "logoUrl")
"""The text ``SourceInfo`` fields."""
DEFAULT_SOURCE_INFO: dict[str, Any] = {
    "logoUrl": "",
    "minPayment": 0,
    "minAvailableLockup": 0,
    "maxExpiryDuration": 86_400,
}


def check_uint256(value: Any, option: str, unit: str) -> int:
    """Refuse what is not a whole number 0 to 2**256 - 1 (a ``uint256`` field on chain).

    Raises:
        ConfigError: ``minPayment: must be a whole number of wei, 0 or more; got -1``.
    """
    return check_whole(value, option, unit, most=MAX_UINT256, most_text="2**256 - 1")


def delivery_method(value: Any) -> Any:
    """Accept the SDK enum, its int value or a name (``"first_response"``, ``"manual"``).

    Raises:
        ConfigError: anything else (naming ``deliveryMethod`` and the accepted values).
    """
    from ogpu.types import DeliveryMethod

    if isinstance(value, DeliveryMethod):
        return value
    values = {member.value: member for member in DeliveryMethod}
    if isinstance(value, int) and not isinstance(value, bool) and value in values:
        return values[value]
    names = {
        "first_response": DeliveryMethod.FIRST_RESPONSE,
        "first": DeliveryMethod.FIRST_RESPONSE,
        "manual_confirmation": DeliveryMethod.MANUAL_CONFIRMATION,
        "manual": DeliveryMethod.MANUAL_CONFIRMATION,
    }
    key = value.lower().replace("-", "_") if isinstance(value, str) else None
    if key not in names:
        numbers = ", ".join(f"{number} ({member.name})" for number, member in values.items())
        raise ConfigError(
            "deliveryMethod",
            f"unknown {value!r}; known: {', '.join(names)}, the SDK's DeliveryMethod or its "
            f"value {numbers}",
        )
    return names[key]


def check_source_info(fields: dict[str, Any]) -> None:
    """Refuse ``SourceInfo`` fields of the wrong type or range before the SDK sees them.

    Raises:
        ConfigError: naming the field.
    """
    for name in SOURCE_INFO_TEXTS:
        if name in fields and not isinstance(fields[name], str):
            raise ConfigError(name, f"must be text (a str); got {fields[name]!r}")
    for name, unit in SOURCE_INFO_UNITS.items():
        if name in fields:
            check_uint256(fields[name], name, unit)


def chosen_environments(value: Any, declared: Any) -> list[str]:
    """The environments a source is published for: all ``declared`` ones (``None`` or empty),
    one name (``"cpu"``) or a collection of names.

    Raises:
        ConfigError: not a name or a collection of names.
    """
    if value is None or (isinstance(value, list | tuple | set | frozenset) and not value):
        return list(declared)
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple | set | frozenset) or not all(
        isinstance(name, str) for name in value
    ):
        raise ConfigError(
            "environments",
            f'must be a name or a list of names ("cpu", ["cpu", "nvidia"]); got {value!r}',
        )
    return list(value)


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
    from .sources import check_folder

    check_folder(folder)
    compose_overrides = tuple(overrides.pop("compose_overrides", None) or ())
    if hasattr(folder, "environments"):
        spec = folder
    else:
        spec = load_source_folder(Path(folder), compose_overrides=compose_overrides)
    private_key = overrides.pop("private_key", None)
    environments = chosen_environments(overrides.pop("environments", None), spec.environments)
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
    check_source_info(overrides)
    if "deliveryMethod" in overrides:
        overrides["deliveryMethod"] = delivery_method(overrides["deliveryMethod"])
    urls = {env: ipfs.add(spec.compose_text(env)) for env in environments}
    fields: dict[str, Any] = {
        **DEFAULT_SOURCE_INFO,
        "name": spec.name,
        "description": spec.description,
        **overrides,
    }
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
    """Publish a task with ``ogpu.client.publish_task``; payment defaults to the source minimum.

    Raises:
        ConfigError: ``function_name``, ``data`` or ``payment`` is of the wrong type or range.
    """
    from ogpu.client import publish_task as sdk_publish_task
    from ogpu.protocol.source import Source
    from ogpu.types import TaskInfo, TaskInput
    from pydantic import BaseModel

    if not isinstance(function_name, str) or not function_name:
        raise ConfigError("function_name", f"must be a function's name; got {function_name!r}")
    if not isinstance(data, dict | BaseModel):
        raise ConfigError("data", f"must be a dict or a pydantic model; got {data!r}")
    if payment is not None:
        check_uint256(payment, "payment", "wei")
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
