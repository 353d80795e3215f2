"""The published image of an ``image:`` handler service (``image_source="published"``).

The docker runtime runs the image the compose file names instead of building the working copy.
It makes the image present on the engine itself, the way Compose's ``pull_policy`` says
(``always`` pulls; ``never`` needs it present; anything else pulls only when it is missing), and
then runs it with ``pull_policy: never``, so Compose does not pull a second time. An image that
is neither present nor pullable (no registry reachable) is a :class:`PublishedImageError`; it is
never replaced by a build of the working copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docker.errors import APIError, DockerException, ImageNotFound

from .base import LogBuffer
from .errors import PublishedImageError


def published_image(
    client: Any,
    model: Mapping[str, Any],
    service: str,
    *,
    source: str,
    environment: str,
    log: LogBuffer,
) -> str:
    """Make the handler service's published image present; the reference to run.

    Args:
        client: a docker SDK client.
        model: ``docker compose config`` of the source's files and the user's overrides (its
            ``image`` and ``pull_policy`` are what the provider app would use).
        service: the handler service's name.
        source: the source's name, for errors.
        environment: the environment started, for errors.
        log: the handler's log: what was run, and whether it was pulled, is said there.

    Returns:
        The image reference, present on the engine.

    Raises:
        PublishedImageError: ``pull_policy: never`` and the image is absent, or the pull failed.
    """
    spec = (model.get("services") or {}).get(service) or {}
    image = str(spec.get("image") or "")
    if not image:
        raise PublishedImageError(source, environment, "(none)", f"service {service} names none")
    policy = str(spec.get("pull_policy") or "missing")
    present = _present(client, image)
    if policy == "never" or (present and policy != "always"):
        if not present:
            reason = "pull_policy: never and the engine has no such image"
            raise PublishedImageError(source, environment, image, reason)
        log.line(f"ogpu-sim: {service} runs the published image {image} (present on the engine)")
        return image
    name, tag = _split(image)
    try:
        client.images.pull(name, tag=tag)
    except (APIError, DockerException) as exc:
        reason = str(getattr(exc, "explanation", None) or exc)
        raise PublishedImageError(source, environment, image, reason) from exc
    log.line(f"ogpu-sim: {service} runs the published image {image} (pulled, {policy})")
    return image


def _present(client: Any, image: str) -> bool:
    name, tag = _split(image)
    try:
        client.images.get(f"{name}{'@' if tag.startswith('sha256:') else ':'}{tag}")
    except ImageNotFound:
        return False
    return True


def _split(image: str) -> tuple[str, str]:
    """(repository, tag or digest) of a reference; ``name:tag@sha256:...`` keeps the digest."""
    if "@" in image:
        name, digest = image.rsplit("@", 1)
        head, _, last = name.rpartition(":")
        return (head if head and "/" not in last else name), digest
    head, _, last = image.rpartition(":")
    if head and "/" not in last:
        return head, last
    return image, "latest"
