"""Source folders and compose files: what loads, and the error naming file and problem."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ogpu_sim.simulate.spec import SAMPLE_SOURCES
from ogpu_sim.sources import ComposeError, ComposeService, HandlerEntry, load_source_folder

SAMPLES = SAMPLE_SOURCES

CPU = """\
services:
  app:
    build: .
    ports: ["${PORT:-5555}:5555"]
    environment:
      MODE: fast
"""
NVIDIA = (
    CPU
    + """\
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: all
              capabilities: [gpu]
"""
)
AMD = (
    CPU
    + """\
    devices: ["/dev/kfd", "/dev/dri"]
"""
)


def make_source(root: Path, **files: str) -> Path:
    """A source folder with handler.py and the given compose files (name -> text)."""
    folder = root / "source"
    folder.mkdir()
    (folder / "handler.py").write_text("")
    names = {
        "cpu": "docker-compose.yml",
        "nvidia": "docker-compose.gpu.yml",
        "amd": "docker-compose.amd.yml",
    }
    for env, text in files.items():
        (folder / names[env]).write_text(text)
    return folder


def compose_error(tmp_path: Path, environment: str, text: str) -> ComposeError:
    folder = make_source(tmp_path, **{environment: text})
    with pytest.raises(ComposeError) as caught:
        load_source_folder(folder)
    return caught.value


@pytest.mark.parametrize("name", ["multiply", "sentiment"])
def test_sample_sources_describe_all_three_environments(name):
    source = load_source_folder(SAMPLES / name)
    assert source.name == name
    assert source.handler_file == SAMPLES / name / "handler.py"
    assert source.dockerfile == SAMPLES / name / "Dockerfile"
    assert {env: s.gpu for env, s in source.environments.items()} == {
        "cpu": None,
        "nvidia": "nvidia",
        "amd": "amd",
    }
    assert source.environment_mask == 7


def test_a_service_is_read_with_its_build_environment_and_entry(tmp_path):
    folder = make_source(tmp_path, cpu=CPU)
    assert load_source_folder(folder).environments == {
        "cpu": ComposeService(
            environment="cpu",
            file=folder / "docker-compose.yml",
            service="app",
            image=None,
            build=".",
            gpu=None,
            environment_vars={"MODE": "fast"},
            context=folder,
            entry=HandlerEntry(
                "script", str(folder / "handler.py"), folder, "ogpu-sim's handler template"
            ),
        )
    }


def test_metadata_comes_from_source_toml(tmp_path):
    folder = make_source(tmp_path, cpu=CPU)
    (folder / "source.toml").write_text('name = "demo"\ndescription = "a demo"\n')
    source = load_source_folder(folder)
    assert (source.name, source.description) == ("demo", "a demo")


def test_compose_text_is_the_file_as_written(tmp_path):
    folder = make_source(tmp_path, cpu=CPU, nvidia=NVIDIA)
    assert load_source_folder(folder).compose_text("nvidia") == NVIDIA


def test_an_environment_without_a_compose_file_is_an_error(tmp_path):
    source = load_source_folder(make_source(tmp_path, cpu=CPU))
    with pytest.raises(
        ComposeError,
        match=re.escape(
            "no compose file for amd, so the source does not support amd; it supports cpu"
        ),
    ):
        source.compose_text("amd")


def test_an_unknown_environment_is_an_error(tmp_path):
    source = load_source_folder(make_source(tmp_path, cpu=CPU))
    with pytest.raises(ComposeError, match="unknown environment 'tpu'; known: cpu, nvidia, amd"):
        source.service("tpu")


def test_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(ComposeError) as caught:
        load_source_folder(tmp_path / "nowhere")
    assert (caught.value.file, caught.value.problem) == (
        tmp_path / "nowhere",
        "source folder does not exist",
    )


def test_a_folder_without_compose_files_is_an_error(tmp_path):
    with pytest.raises(ComposeError) as caught:
        load_source_folder(make_source(tmp_path))
    assert caught.value.problem == (
        "no compose file found; looked for docker-compose.yml or compose.yml (environment from "
        "its GPU devices), docker-compose.{cpu,gpu,nvidia,amd}.yml, "
        "docker-compose/{cpu,nvidia,amd}.yml, compose/{cpu,nvidia,amd}.yml; or map them in "
        'source.toml: [environments] nvidia = "path/to/file.yml"'
    )


def test_a_folder_with_nothing_to_run_is_an_error(tmp_path):
    folder = make_source(tmp_path, cpu=CPU)
    (folder / "handler.py").unlink()
    with pytest.raises(ComposeError) as caught:
        load_source_folder(folder)
    assert caught.value.problem == "neither handler.py nor a Dockerfile nor an image to run"


@pytest.mark.parametrize(
    ("environment", "text", "problem"),
    [
        ("cpu", "services: [", "not valid YAML"),
        ("cpu", "- a list\n", "must be a YAML mapping with a 'services' key"),
        ("cpu", "version: '3'\n", "needs a 'services' mapping with at least one service"),
        (
            "cpu",
            CPU + "  db:\n    image: postgres\n    ports: ['5555']\n",
            "no handler service: none gets CALLBACK_URL and publishes port 5555 through ${PORT}, "
            "and of the services exposing 5555 (ports: or expose:) 2 do (app, db); name it in "
            "source.toml: [handler] service = ...",
        ),
        (
            "cpu",
            "services:\n  app:\n    ports: ['5555:5555']\n",
            "service 'app' gives neither 'image' nor 'build'",
        ),
        (
            "cpu",
            "services:\n  app:\n    image: x\n    ports: ['8080:80']\n",
            "no handler service: none gets CALLBACK_URL and publishes port 5555 through ${PORT}, "
            "and of the services exposing 5555 (ports: or expose:) none does",
        ),
        ("nvidia", CPU.replace("build: .", "image: x"), "serves nvidia, so a service must reserve"),
        (
            "nvidia",
            CPU,
            "serves nvidia, so a service must reserve an NVIDIA GPU: "
            "deploy.resources.reservations.devices with driver: nvidia, capabilities: [gpu]",
        ),
        (
            "nvidia",
            NVIDIA.replace("driver: nvidia", "driver: amd"),
            "service 'app': a reserved device needs driver: nvidia and capabilities: [gpu]",
        ),
        ("amd", CPU, "serves amd, so a service must map the AMD devices /dev/kfd and /dev/dri"),
        (
            "amd",
            CPU + '    devices: ["/dev/kfd"]\n',
            "service 'app': AMD GPUs need both /dev/kfd and /dev/dri in devices",
        ),
        (
            "cpu",
            CPU.replace("    environment:\n      MODE: fast\n", "    environment: 3\n"),
            "service 'app': 'environment' must be a list or a mapping",
        ),
    ],
)
def test_an_invalid_compose_file_names_the_file_and_the_problem(
    tmp_path, environment, text, problem
):
    error = compose_error(tmp_path, environment, text)
    assert (
        error.file.name
        == {
            "cpu": "docker-compose.yml",
            "nvidia": "docker-compose.gpu.yml",
            "amd": "docker-compose.amd.yml",
        }[environment]
    )
    assert error.problem.startswith(problem)
    assert str(error) == f"{error.file}: {error.problem}"


@pytest.mark.parametrize(
    "ports",
    [
        "ports: ['5555']",
        "ports: ['127.0.0.1:8000:5555/tcp']",
        "ports: [{target: 5555}]",
        "expose: [5555]",
    ],
)
def test_every_compose_form_of_exposing_5555_is_accepted(tmp_path, ports):
    folder = make_source(tmp_path, cpu=f"services:\n  app:\n    image: x\n    {ports}\n")
    assert load_source_folder(folder).environments["cpu"].image == "x"


def test_a_copied_sample_loads_from_its_new_place(tmp_path):
    copy = shutil.copytree(SAMPLES / "sentiment", tmp_path / "my-source")
    source = load_source_folder(copy)
    assert source.path == copy and source.name == "sentiment"


DEPENDS_MISSING = """\
services:
  multiplier:
    build: .
    ports:
      - "${PORT:-5555}:5555"
    environment:
      - CALLBACK_URL=${CALLBACK_URL}
    depends_on:
"""
"""The handler service of the trial's ``dependsmissing`` source; its ``depends_on`` follows."""


@pytest.mark.parametrize(
    "depends_on",
    [
        "      - redis\n",
        "      redis:\n        condition: service_healthy\n",
    ],
    ids=["list", "mapping"],
)
def test_depends_on_naming_an_undefined_service_is_a_compose_error(tmp_path, depends_on):
    folder = make_source(tmp_path, cpu=DEPENDS_MISSING + depends_on)
    (folder / "Dockerfile").write_text(
        'FROM python:3.11-slim\nCOPY main.py /app/\nCMD ["python", "/app/main.py"]\n'
    )
    (folder / "main.py").write_text("")
    with pytest.raises(ComposeError) as caught:
        load_source_folder(folder)
    assert (caught.value.file, caught.value.problem) == (
        folder / "docker-compose.yml",
        "service 'multiplier' depends on undefined service 'redis': invalid compose project; "
        "services: multiplier",
    )


def test_a_sidecar_depending_on_an_undefined_service_is_a_compose_error(tmp_path):
    sidecar = "  model:\n    image: ollama/ollama\n    depends_on: [cache]\n"
    error = compose_error(tmp_path, "cpu", DEPENDS_MISSING + "      - model\n" + sidecar)
    assert error.problem == (
        "service 'model' depends on undefined service 'cache': invalid compose project; "
        "services: multiplier, model"
    )


@pytest.mark.parametrize(
    "depends_on",
    [
        "      - cache\n",
        "      cache:\n        condition: service_started\n        restart: true\n",
    ],
    ids=["list", "mapping"],
)
def test_depends_on_naming_a_service_of_the_file_loads(tmp_path, depends_on):
    sidecar = "  cache:\n    image: redis:7\n"
    folder = make_source(tmp_path, cpu=DEPENDS_MISSING + depends_on + sidecar)
    service = load_source_folder(folder).environments["cpu"]
    assert (service.service, service.sidecars) == ("multiplier", ("cache",))


@pytest.mark.parametrize("depends_on", ["cache", "[{cache: {}}]", "3"])
def test_a_depends_on_neither_a_list_of_names_nor_a_mapping_is_a_compose_error(
    tmp_path, depends_on
):
    text = DEPENDS_MISSING.replace("depends_on:\n", f"depends_on: {depends_on}\n")
    error = compose_error(tmp_path, "cpu", text + "  cache:\n    image: redis:7\n")
    assert error.problem == (
        "service 'multiplier': 'depends_on' must be a list of service names or a mapping"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("services: [\n", "not valid YAML: "),
        ("- app\n", "a compose override must be a YAML mapping"),
        ("services: [app]\n", "'services' must be a mapping of service names"),
        ("services:\n  app: fast\n", "service 'app' must be a mapping"),
    ],
)
def test_a_compose_override_that_is_not_a_compose_file_is_an_error(tmp_path, text, problem):
    folder = make_source(tmp_path, cpu=CPU)
    (folder / "override.yml").write_text(text)

    with pytest.raises(ComposeError) as caught:
        load_source_folder(folder, compose_overrides=["override.yml"])

    assert caught.value.file == folder / "override.yml"
    assert caught.value.problem.startswith(problem)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x-note: only an extension\n",
        "services:\n  app:\n    ports: !reset []\n    command: !override [python, -V]\n",
        "services:\n  app:\n",
    ],
)
def test_a_compose_override_in_any_form_compose_reads_loads(tmp_path, text):
    folder = make_source(tmp_path, cpu=CPU)
    (folder / "override.yml").write_text(text)

    spec = load_source_folder(folder, compose_overrides=["override.yml"])

    assert spec.compose_overrides == (folder / "override.yml",)
