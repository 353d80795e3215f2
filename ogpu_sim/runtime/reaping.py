"""What the docker runtime creates carries its owner, so a later run can reap a killed run's.

Containers, networks and volumes get ``ogpu-sim=1`` and ``ogpu-sim.owner=<host>:<pid>``;
:func:`reap_leftovers` removes those whose owner process on this host is gone. Nothing without
the labels is ever touched.
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

from docker.errors import APIError, NotFound

LABEL = "ogpu-sim"
OWNER_LABEL = "ogpu-sim.owner"


def owner_id() -> str:
    """This process's owner label value: ``<hostname>:<pid>``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's, or not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_leftovers(client: Any) -> list[str]:
    """Remove containers, networks and volumes labelled ``ogpu-sim`` whose owner is gone.

    Returns:
        The names of what was removed.
    """
    removed = []
    # ignore_removed: a container another run removes between listing and inspecting is gone.
    for container in client.containers.list(
        all=True, filters={"label": LABEL}, ignore_removed=True
    ):
        if not _owner_alive(container.labels.get(OWNER_LABEL, "")):
            # NotFound / 409 "removal already in progress": another run reaps it concurrently.
            with contextlib.suppress(NotFound, APIError):
                container.remove(force=True, v=True)
                removed.append(container.name)
    for network in client.networks.list(filters={"label": LABEL}):
        if not _owner_alive((network.attrs.get("Labels") or {}).get(OWNER_LABEL, "")):
            with contextlib.suppress(NotFound, APIError):
                network.remove()
                removed.append(network.name)
    for volume in client.volumes.list(filters={"label": LABEL}):
        if not _owner_alive((volume.attrs.get("Labels") or {}).get(OWNER_LABEL, "")):
            with contextlib.suppress(NotFound, APIError):
                volume.remove(force=True)
                removed.append(volume.name)
    return removed
