"""Where compose files are found: the common layouts, source.toml's mapping, and the errors."""

from __future__ import annotations

import pytest

from ogpu_sim.sources import ComposeError, load_source_folder

from .conftest import AMD, GPU, HANDLER, write


def files_of(folder):
    source = load_source_folder(folder)
    return {env: s.file.relative_to(folder).as_posix() for env, s in source.environments.items()}


IN_FOLDER = HANDLER.replace("build: .", "build: ..")  # the context is the repository root


@pytest.mark.parametrize("folder", ["docker-compose", "compose"])
def test_a_compose_folder_names_the_environments(tmp_path, folder):
    root = write(
        tmp_path / "src",
        {
            f"{folder}/cpu.yml": IN_FOLDER,
            f"{folder}/nvidia.yml": IN_FOLDER + GPU,
            f"{folder}/amd.yml": IN_FOLDER + AMD,
        },
    )
    assert files_of(root) == {
        "cpu": f"{folder}/cpu.yml",
        "nvidia": f"{folder}/nvidia.yml",
        "amd": f"{folder}/amd.yml",
    }


def test_a_compose_folder_with_gpu_yml_serves_nvidia(tmp_path):
    root = write(tmp_path / "src", {"docker-compose/gpu.yaml": IN_FOLDER + GPU})
    assert files_of(root) == {"nvidia": "docker-compose/gpu.yaml"}


def test_the_classic_root_files_serve_cpu_nvidia_and_amd(tmp_path):
    root = write(
        tmp_path / "src",
        {
            "docker-compose.yml": HANDLER,
            "docker-compose.gpu.yml": HANDLER + GPU,
            "docker-compose.amd.yml": HANDLER + AMD,
        },
    )
    assert files_of(root) == {
        "cpu": "docker-compose.yml",
        "nvidia": "docker-compose.gpu.yml",
        "amd": "docker-compose.amd.yml",
    }


@pytest.mark.parametrize(("devices", "environment"), [("", "cpu"), (GPU, "nvidia"), (AMD, "amd")])
def test_a_single_root_file_serves_the_environment_its_devices_ask_for(
    tmp_path, devices, environment
):
    root = write(tmp_path / "src", {"docker-compose.yml": HANDLER + devices})
    assert files_of(root) == {environment: "docker-compose.yml"}


def test_compose_yml_is_a_root_file_too(tmp_path):
    root = write(tmp_path / "src", {"compose.yaml": HANDLER})
    assert files_of(root) == {"cpu": "compose.yaml"}


def test_source_toml_maps_environments_to_files(tmp_path):
    root = write(
        tmp_path / "src",
        {
            "deploy/stack.yml": IN_FOLDER + GPU,
            "source.toml": '[environments]\nnvidia = "deploy/stack.yml"\n',
            "docker-compose.yml": HANDLER,
        },
    )
    assert files_of(root) == {"nvidia": "deploy/stack.yml"}


def test_the_loader_mapping_replaces_source_toml(tmp_path):
    root = write(tmp_path / "src", {"a.yml": HANDLER, "source.toml": '[environments]\ncpu = "b"\n'})
    source = load_source_folder(root, environments={"cpu": "a.yml"})
    assert source.service("cpu").file == root / "a.yml"


def test_a_file_named_for_cpu_that_asks_for_a_gpu_is_an_error(tmp_path):
    root = write(tmp_path / "src", {"docker-compose.cpu.yml": HANDLER + GPU})
    with pytest.raises(ComposeError) as caught:
        load_source_folder(root)
    assert (caught.value.file, caught.value.problem) == (
        root / "docker-compose.cpu.yml",
        "serves cpu but requests nvidia GPU devices",
    )


def test_two_files_for_one_environment_is_an_error_naming_both(tmp_path):
    root = write(tmp_path / "src", {"docker-compose.yml": HANDLER, "compose/cpu.yml": IN_FOLDER})
    with pytest.raises(ComposeError) as caught:
        load_source_folder(root)
    assert caught.value.problem == (
        "2 compose files serve cpu (docker-compose.yml, compose/cpu.yml); choose one in "
        'source.toml: [environments] cpu = "..."'
    )


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        (
            '[environments]\ntpu = "a.yml"\n',
            "[environments] 'tpu' is not an environment; known: cpu, nvidia, amd",
        ),
        (
            '[environments]\ncpu = "missing.yml"\n',
            "[environments] cpu = 'missing.yml': no such file",
        ),
        ("[environments]\ncpu = 3\n", "[environments] cpu must be a path string"),
        ("[environments]\n", "[environments] maps no environment"),
        ('environments = "cpu"\n', "[environments] must be a table"),
        ("[handler]\nservice = 3\n", "[handler] service must be a non-empty string"),
        ("name = [\n", "not valid TOML"),
    ],
)
def test_a_bad_source_toml_names_the_key_and_the_problem(tmp_path, toml, problem):
    root = write(tmp_path / "src", {"a.yml": HANDLER, "source.toml": toml})
    with pytest.raises(ComposeError) as caught:
        load_source_folder(root)
    assert caught.value.file == root / "source.toml"
    assert caught.value.problem.startswith(problem)
