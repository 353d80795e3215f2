"""Choosing the working copy or the published image: which runtimes take it, how it reaches them.

No Docker engine needed: ``auto`` is pointed at a socket that does not exist, so a choice for
Docker shows as the start error that names it.
"""

from __future__ import annotations

import pytest

from ogpu_sim.errors import ConfigError, HandlerStartError
from ogpu_sim.runtime import check_image_source, create_runtime, load_source_folder
from ogpu_sim.runtime.auto import AutoRuntime
from ogpu_sim.runtime.inline import InlineHandler
from ogpu_sim.runtime.pool import HandlerPool
from ogpu_sim.runtime.published import _split
from ogpu_sim.vocabulary import DEFAULT_IMAGE_SOURCE, IMAGE_SOURCES

from .conformance import new_task
from .conftest import REAL, SAMPLES

BOGUS_DOCKER = "unix:///nonexistent/ogpu-sim-test.sock"


def test_the_choices_are_the_working_copy_first_then_the_published_image():
    assert (IMAGE_SOURCES, DEFAULT_IMAGE_SOURCE) == (("working-copy", "published"), "working-copy")


@pytest.mark.parametrize("name", ["inline", "process"])
def test_inline_and_process_accept_the_working_copy(callbacks, name):
    with create_runtime(name, callbacks, image_source="working-copy") as runtime:
        assert runtime.name == name


@pytest.mark.parametrize("name", ["inline", "process"])
def test_the_published_image_on_inline_or_process_is_a_config_error(callbacks, name):
    with pytest.raises(ConfigError) as caught:
        create_runtime(name, callbacks, image_source="published")
    assert (caught.value.option, caught.value.problem) == (
        "image_source",
        f"published runs the image the compose file names, which the {name} runtime cannot: "
        "use the docker (or auto) runtime, or working-copy",
    )


def test_an_unknown_image_source_names_the_option_given_and_the_choices():
    with pytest.raises(ConfigError) as caught:
        check_image_source("latest", "auto", "--image")
    assert str(caught.value) == "--image: unknown 'latest'; known: working-copy, published"


def test_auto_with_the_published_image_runs_an_image_handler_in_docker(callbacks, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", BOGUS_DOCKER)
    runtime = create_runtime("auto", callbacks, image_source="published")
    with runtime, pytest.raises(HandlerStartError) as caught:
        runtime.start(load_source_folder(REAL / "chat-stack"), "cpu")
    assert caught.value.problem.startswith(
        "the published image runs in Docker only, and Docker is not usable (no Docker engine at "
        f"{BOGUS_DOCKER}: "
    )


def test_auto_with_the_working_copy_runs_the_same_image_handler_inline(callbacks, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", BOGUS_DOCKER)
    runtime = create_runtime("auto", callbacks)
    assert isinstance(runtime, AutoRuntime)
    assert runtime.choose(load_source_folder(REAL / "chat-stack"), "cpu") == "inline"


def test_auto_with_the_published_image_still_runs_a_build_handler_inline(callbacks, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", BOGUS_DOCKER)
    with create_runtime("auto", callbacks, image_source="published") as runtime:
        handler = runtime.start(load_source_folder(SAMPLES / "multiply"))
        assert isinstance(handler, InlineHandler)
        assert handler.run("multiply", new_task(), {"a": 6, "b": 7}) == {"result": 42}


def test_the_pool_passes_its_runtime_options_to_the_runtimes_it_creates(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", BOGUS_DOCKER)
    pool = HandlerPool("auto", image_source="published")
    try:
        with pytest.raises(HandlerStartError, match="the published image runs in Docker only"):
            pool.handler(REAL / "chat-stack", "cpu")
        assert isinstance(pool.runtime("auto"), AutoRuntime)
        assert pool.runtime("inline") is None
    finally:
        pool.close()


def test_a_pool_refuses_the_published_image_for_an_inline_provider():
    pool = HandlerPool("auto", image_source="published")
    try:
        with pytest.raises(ConfigError) as caught:
            pool.handler(SAMPLES / "multiply", "cpu", "inline")
        assert caught.value.option == "image_source"
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("example-org/echo:latest", ("example-org/echo", "latest")),
        ("example-org/echo", ("example-org/echo", "latest")),
        ("localhost:5000/echo", ("localhost:5000/echo", "latest")),
        ("example-org/echo:1@sha256:ab12", ("example-org/echo", "sha256:ab12")),
        ("example-org/echo@sha256:ab12", ("example-org/echo", "sha256:ab12")),
    ],
)
def test_an_image_reference_splits_into_repository_and_tag_or_digest(image, parts):
    assert _split(image) == parts


def test_a_pool_names_the_runtimes_that_run_each_sources_handlers(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", BOGUS_DOCKER)
    pool = HandlerPool("auto")
    try:
        pool.handler(SAMPLES / "multiply", "cpu")
        assert pool.runtimes_used() == {"multiply:cpu": ["inline"]}
        pool.handler(SAMPLES / "multiply", "cpu", "process")
        assert pool.runtimes_used() == {"multiply:cpu": ["inline", "process"]}
    finally:
        pool.close()
