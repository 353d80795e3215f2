"""Is a Docker engine reachable? One probe for ``auto``, the docker tests and ``doctor``.

Every docker SDK client made here is closed on any failure, and a unix socket is first tried
with a socket of ogpu-sim's own: docker-py's unix-socket connection does not close its socket
when the connect fails (no engine), which ``pytest -W error`` reports as an unclosed socket.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docker.client import DockerClient


def docker_available() -> tuple[bool, str]:
    """Whether a Docker engine answers (``DOCKER_HOST`` or the default socket).

    Returns:
        (usable, one-line reason): e.g. ``(True, "Docker 20.10.24 at unix:///...")``.
    """
    from docker.errors import DockerException

    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        version = engine_version(timeout=5)
    except DockerException as exc:
        return False, f"no Docker engine at {where}: {str(exc).splitlines()[0][:200]}"
    return True, f"Docker {version.get('Version', '?')} at {where}"


def engine_version(timeout: int) -> dict[str, Any]:
    """The engine's ``/version`` answer, asked through a client closed before returning.

    The client is the one ``docker.from_env`` makes (``DOCKER_HOST``, else the Docker CLI
    context), pinned to the oldest API version so that making it sends no request.

    Raises:
        DockerException: no engine answers there, or not like a Docker engine.
    """
    from docker.client import DockerClient
    from docker.constants import MINIMUM_DOCKER_API_VERSION
    from docker.errors import DockerException
    from docker.transport import UnixHTTPAdapter

    client = DockerClient.from_env(version=MINIMUM_DOCKER_API_VERSION, timeout=timeout)
    try:
        for adapter in client.api.adapters.values():
            if isinstance(adapter, UnixHTTPAdapter):
                _connect_unix(adapter.socket_path, timeout)
        version = client.api.version(api_version=False)
        if not isinstance(version, dict) or "ApiVersion" not in version:
            raise DockerException(f"not a Docker engine: /version answered {version!r:.100}")
        return version
    except DockerException:
        raise
    except Exception as exc:  # requests' and urllib3's errors, a bad JSON body
        raise DockerException(f"Error while fetching server API version: {exc}") from exc
    finally:
        client.close()


def docker_client(timeout: int) -> DockerClient:
    """A docker SDK client for the engine ``docker.from_env`` finds, at the engine's API version.

    Unlike ``from_env(timeout=...)`` it leaves no socket open when there is no engine: the
    version is asked by :func:`engine_version`, and the client returned is made with it.

    Raises:
        DockerException: no engine answers.
    """
    from docker.client import DockerClient

    version = engine_version(timeout)
    return DockerClient.from_env(version=str(version["ApiVersion"]), timeout=timeout)


def _connect_unix(path: str, timeout: float) -> None:
    """Connect to the engine's unix socket and close it; a DockerException when that fails."""
    from docker.errors import DockerException

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(timeout)
        try:
            probe.connect(path)
        except OSError as exc:
            raise DockerException(f"cannot connect to {path}: {exc.strerror or exc}") from exc
