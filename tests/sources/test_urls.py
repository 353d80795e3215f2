"""Compose URLs into the author's repository resolve to the working copy."""

from __future__ import annotations

import subprocess

import pytest

from ogpu_sim.errors import ConfigError
from ogpu_sim.sources import detect_urls, explicit_urls, github_prefixes, published_source

from .conftest import REAL

RAW = "https://raw.githubusercontent.com/example-org/chat-stack/refs/heads/main"


def test_an_explicit_prefix_maps_the_rest_of_the_url_to_the_folder():
    urls = explicit_urls(f"{RAW}/", REAL / "chat-stack")
    assert (
        urls.resolve(f"{RAW}/docker-compose/cpu.yml") == REAL / "chat-stack/docker-compose/cpu.yml"
    )
    assert (
        urls.read(f"{RAW}/docker-compose/amd.yml")
        == (REAL / "chat-stack/docker-compose/amd.yml").read_text()
    )


def test_urls_outside_the_prefix_or_the_folder_resolve_to_nothing():
    urls = explicit_urls(RAW, REAL / "chat-stack")
    assert urls.resolve("https://example.com/cpu.yml") is None
    assert urls.resolve(f"{RAW}/docker-compose/missing.yml") is None
    assert urls.resolve(f"{RAW}/../nvidia-single/docker-compose.yml") is None


@pytest.mark.parametrize(
    ("prefix", "folder", "problem"),
    [
        ("raw/example", ".", "'raw/example' is not an http(s) URL prefix"),
        (
            "https://example.com/x/",
            "/nonexistent-ogpu-sim",
            "/nonexistent-ogpu-sim is not a folder",
        ),
    ],
)
def test_a_bad_explicit_mapping_is_a_config_error(prefix, folder, problem):
    with pytest.raises(ConfigError) as caught:
        explicit_urls(prefix, folder)
    assert (caught.value.option, caught.value.problem) == ("ogpu_source_url", problem)


@pytest.mark.parametrize(
    "remote",
    [
        "https://github.com/example-org/chat-stack.git",
        "https://github.com/example-org/chat-stack",
        "git@github.com:example-org/chat-stack.git",
        "ssh://git@github.com/example-org/chat-stack.git",
    ],
)
def test_every_form_of_a_github_remote_gives_the_raw_prefixes(remote):
    assert github_prefixes(remote) == (
        "https://raw.githubusercontent.com/example-org/chat-stack/",
        "https://github.com/example-org/chat-stack/raw/",
    )


def test_a_remote_elsewhere_gives_no_prefix():
    assert github_prefixes("https://gitlab.com/example-org/chat-stack.git") == ()


def test_git_remote_detection_serves_any_ref_from_the_checkout(tmp_path):
    repo = tmp_path / "chat-stack"
    repo.mkdir()
    (repo / "docker-compose").mkdir()
    (repo / "docker-compose" / "cpu.yml").write_text("services: {}\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "remote",
            "add",
            "origin",
            "git@github.com:example-org/chat-stack.git",
        ],
        check=True,
    )
    urls = detect_urls(repo / "docker-compose")
    expected = (repo / "docker-compose" / "cpu.yml").resolve()
    assert urls.resolve(f"{RAW}/docker-compose/cpu.yml") == expected
    assert (
        urls.resolve(
            "https://raw.githubusercontent.com/Example-Org/chat-stack/feature/x/docker-compose/cpu.yml"
        )
        == expected
    )
    assert (
        urls.resolve("https://github.com/example-org/chat-stack/raw/0123abc/docker-compose/cpu.yml")
        == expected
    )


def test_outside_a_git_repository_nothing_is_detected(tmp_path):
    assert not detect_urls(tmp_path)


def test_a_published_sources_urls_give_back_the_working_copy_source():
    urls = explicit_urls(
        "https://raw.githubusercontent.com/example-org/chat-stack/", REAL / "chat-stack"
    )
    base = f"{RAW}/docker-compose"
    metadata = {
        "name": "chat-stack",
        "cpu": f"{base}/cpu.yml",
        "nvidia": f"{base}/nvidia.yml",
        "amd": "",
    }
    # An explicit prefix keeps the ref: map the branch's prefix instead.
    assert published_source(metadata, urls) is None
    urls = explicit_urls(f"{RAW}/", REAL / "chat-stack")
    source = published_source(metadata, urls, compose_overrides=["tests/compose.override.yml"])
    assert source is not None
    assert source.path == REAL / "chat-stack"
    assert {env: s.file for env, s in source.environments.items()} == {
        "cpu": REAL / "chat-stack" / "docker-compose" / "cpu.yml",
        "nvidia": REAL / "chat-stack" / "docker-compose" / "nvidia.yml",
    }
    assert source.compose_overrides == (REAL / "chat-stack" / "tests" / "compose.override.yml",)


def test_urls_that_are_not_the_authors_give_no_source():
    urls = explicit_urls(f"{RAW}/", REAL / "chat-stack")
    assert published_source({"cpu": "https://example.com/cpu.yml"}, urls) is None
