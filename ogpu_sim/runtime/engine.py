"""Is a Docker engine reachable? One probe for ``auto``, the docker tests and ``doctor``."""

from __future__ import annotations

import os


def docker_available() -> tuple[bool, str]:
    """Whether a Docker engine answers (``DOCKER_HOST`` or the default socket).

    Returns:
        (usable, one-line reason): e.g. ``(True, "Docker 20.10.24 at unix:///...")``.
    """
    from docker.client import from_env
    from docker.errors import DockerException

    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        client = from_env(timeout=5)
    except DockerException as exc:
        return False, f"no Docker engine at {where}: {str(exc).splitlines()[0][:200]}"
    try:
        version = client.version()
    except (DockerException, OSError) as exc:
        return False, f"no Docker engine at {where}: {str(exc).splitlines()[0][:200]}"
    finally:
        client.close()
    return True, f"Docker {version.get('Version', '?')} at {where}"
