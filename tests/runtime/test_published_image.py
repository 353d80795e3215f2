"""The docker runtime with ``image_source="published"``: the image the compose file names runs,
and is never replaced by a build of the working copy.

No registry is reachable here, so "published" images are ones tagged locally under the handler
service's image name; an absent one shows the typed error. Needs a Docker engine
(``eval "$(.ci/docker.sh start)"``): skipped with the reason, a failure when CI=true.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docker.client import from_env

from ogpu_sim.errors import HandlerStartError, PublishedImageError
from ogpu_sim.runtime import create_runtime, load_source_folder
from ogpu_sim.runtime.docker import DockerHandler, DockerRuntime
from ogpu_sim.runtime.images import ensure_base_image, handler_image

from .conformance import new_task
from .conftest import REAL, SAMPLES, require_docker

pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("runtime-docker")]

PUBLISHED = "ogpu-sim-test/published-multiply"
BACK_TO_THE_WORKING_COPY = (
    'to build and run the working copy instead, use image="working-copy" '
    "(--ogpu-image=working-copy, ogpu-sim --image working-copy)"
)
COMPOSE = """\
services:
  multiply:
    image: {image}
{policy}    ports:
      - "${{PORT}}:5555"
    environment:
      - CALLBACK_URL=${{CALLBACK_URL}}
"""


@pytest.fixture(scope="module")
def docker_client() -> Iterator[Any]:
    require_docker()
    client = from_env(timeout=120)
    ensure_base_image(client)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def published(docker_client: Any) -> Iterator[str]:
    """The multiply sample's image, tagged as if it had been pushed as ``PUBLISHED:<tag>``
    (a tag of this process's own: parallel workers share the engine)."""
    spec = load_source_folder(SAMPLES / "multiply")
    built, _ = handler_image(docker_client, spec, spec.service("cpu"))
    tag = uuid.uuid4().hex[:12]
    docker_client.images.get(built).tag(PUBLISHED, tag)
    try:
        yield f"{PUBLISHED}:{tag}"
    finally:
        docker_client.images.remove(f"{PUBLISHED}:{tag}")  # the tag only: the build stays


def _source(folder: Path, image: str, policy: str = "") -> Path:
    """An ``image:`` handler whose working-copy Dockerfile fails to build: a build shows."""
    folder.mkdir()
    pull = f"    pull_policy: {policy}\n" if policy else ""
    (folder / "docker-compose.yml").write_text(COMPOSE.format(image=image, policy=pull))
    (folder / "Dockerfile").write_text('FROM ogpu-sim-base:latest\nRUN echo "built" && exit 3\n')
    return folder


def test_the_published_image_present_on_the_engine_runs_without_a_build(
    callbacks, tmp_path, published
):
    spec = load_source_folder(_source(tmp_path / "prebuilt", published))
    with create_runtime("docker", callbacks, image_source="published") as runtime:
        assert isinstance(runtime, DockerRuntime) and runtime.image_source == "published"
        handler = runtime.start(spec, "cpu")
        assert isinstance(handler, DockerHandler)
        assert handler.run("multiply", new_task(), {"a": 6, "b": 7}) == {"result": 42}
        assert published in handler.container.image.tags
        log = handler.logs()
    assert f"ogpu-sim: multiply runs the published image {published} (present on the engine)" in log
    assert "built" not in log


def test_the_working_copy_is_built_by_default_for_the_same_source(callbacks, tmp_path, published):
    spec = load_source_folder(_source(tmp_path / "prebuilt", published))
    with create_runtime("docker", callbacks) as runtime, pytest.raises(HandlerStartError) as caught:
        runtime.start(spec, "cpu")
    assert caught.value.problem.startswith("building the image failed: ")


def test_a_published_image_that_cannot_be_pulled_is_a_typed_error(callbacks, docker_client):
    runtime = create_runtime("docker", callbacks, image_source="published")
    with runtime, pytest.raises(PublishedImageError) as caught:
        runtime.start(load_source_folder(REAL / "relative-import"))
    error = caught.value
    assert (error.image, error.source, error.environment) == (
        "example-org/echo:latest",
        "relative-import",
        "cpu",
    )
    assert error.problem == (
        f"the published image example-org/echo:latest could not be pulled: {error.reason}; "
        f"{BACK_TO_THE_WORKING_COPY}"
    )
    assert "registry" in error.reason or "pull" in error.reason
    run_label = f"ogpu-sim.run={runtime.run_id}"
    assert docker_client.containers.list(all=True, filters={"label": run_label}) == []


def test_pull_policy_always_pulls_even_when_the_image_is_present(callbacks, tmp_path, published):
    spec = load_source_folder(_source(tmp_path / "always", published, "always"))
    runtime = create_runtime("docker", callbacks, image_source="published")
    with runtime, pytest.raises(PublishedImageError) as caught:
        runtime.start(spec, "cpu")
    assert caught.value.image == published


def test_pull_policy_never_without_the_image_says_so(callbacks, tmp_path, docker_client):
    spec = load_source_folder(_source(tmp_path / "never", "ogpu-sim-test/absent:1", "never"))
    runtime = create_runtime("docker", callbacks, image_source="published")
    with runtime, pytest.raises(PublishedImageError) as caught:
        runtime.start(spec, "cpu")
    assert caught.value.reason == "pull_policy: never and the engine has no such image"


def test_an_override_file_lets_pull_policy_always_run_the_image_present(
    callbacks, tmp_path, published
):
    folder = _source(tmp_path / "always", published, "always")
    (folder / "offline.yml").write_text("services:\n  multiply:\n    pull_policy: missing\n")
    spec = load_source_folder(folder, compose_overrides=["offline.yml"])
    with create_runtime("docker", callbacks, image_source="published") as runtime:
        handler = runtime.start(spec, "cpu")
        assert handler.run("multiply", new_task(), {"a": 2, "b": 3}) == {"result": 6}
        assert published in handler.container.image.tags
