"""Which service is the handler: the documented rule, its fallback, the override."""

from __future__ import annotations

import pytest

from ogpu_sim.sources import ComposeError, load_source_folder

from .conftest import HANDLER, REAL, write

SIDECAR = """\
  model:
    image: example/model:latest
    ports: ["11434:11434"]
"""


def test_the_handler_gets_callback_url_and_publishes_5555_through_port(tmp_path):
    root = write(tmp_path / "src", {"docker-compose.yml": "services:\n" + SIDECAR + HANDLER[10:]})
    service = load_source_folder(root).service("cpu")
    assert (service.service, service.sidecars) == ("app", ("model",))


def test_a_port_default_still_counts_as_publishing_through_port(tmp_path):
    text = HANDLER.replace("${PORT}", "${PORT:-5555}")
    root = write(tmp_path / "src", {"docker-compose.yml": text})
    assert load_source_folder(root).service("cpu").service == "app"


def test_without_callback_url_the_one_service_exposing_5555_is_the_handler(tmp_path):
    text = "services:\n" + SIDECAR + "  app:\n    image: x\n    expose: ['5555']\n"
    root = write(tmp_path / "src", {"docker-compose.yml": text})
    assert load_source_folder(root).service("cpu").service == "app"


def test_two_services_matching_the_rule_is_an_error_asking_for_the_override(tmp_path):
    text = HANDLER + HANDLER[10:].replace("  app:", "  other:")
    root = write(tmp_path / "src", {"docker-compose.yml": text})
    with pytest.raises(ComposeError) as caught:
        load_source_folder(root)
    assert caught.value.problem == (
        "2 services get CALLBACK_URL and publish 5555 through ${PORT} (app, other); name the "
        "handler in source.toml: [handler] service = ..."
    )


def test_source_toml_names_the_handler_service(tmp_path):
    text = HANDLER + HANDLER[10:].replace("  app:", "  other:")
    root = write(
        tmp_path / "src",
        {"docker-compose.yml": text, "source.toml": '[handler]\nservice = "other"\n'},
    )
    service = load_source_folder(root).service("cpu")
    assert (service.service, service.sidecars) == ("other", ("app",))


def test_the_loader_argument_names_the_handler_service(tmp_path):
    text = HANDLER + HANDLER[10:].replace("  app:", "  other:")
    root = write(tmp_path / "src", {"docker-compose.yml": text})
    assert load_source_folder(root, handler_service_name="app").service("cpu").service == "app"


def test_an_override_naming_no_service_lists_the_services(tmp_path):
    root = write(
        tmp_path / "src",
        {"docker-compose.yml": HANDLER, "source.toml": '[handler]\nservice = "x"\n'},
    )
    with pytest.raises(ComposeError) as caught:
        load_source_folder(root)
    assert (
        caught.value.problem
        == "source.toml [handler] service = 'x' is not a service here; services: app"
    )


def test_a_sidecar_that_reserves_the_gpu_makes_the_stack_nvidia():
    service = load_source_folder(REAL / "chat-stack").service("nvidia")
    assert (service.service, service.gpu, service.gpu_services) == (
        "chat-service",
        "nvidia",
        ("model-server",),
    )


def test_an_image_handler_is_built_from_the_working_copys_lowercase_dockerfile():
    source = load_source_folder(REAL / "chat-stack")
    service = source.service("cpu")
    assert service.image == (
        "example-org/chat-stack:latest@sha256:"
        "daf5714a1f8f2b9031d9ed62ffb4cd3763e5ff2bf1063cb58f7b5d90362e4c5e"
    )
    assert (service.build, service.context, service.dockerfile) == (
        None,
        REAL / "chat-stack",
        REAL / "chat-stack" / "dockerfile",
    )
    assert (source.handler_file, service.entry.origin) == (
        REAL / "chat-stack" / "main.py",
        'CMD ["python", "main.py"] of dockerfile',
    )


def test_an_image_without_a_dockerfile_here_has_no_entry_and_says_why(tmp_path):
    text = HANDLER.replace("build: .", "image: example/x:1")
    root = tmp_path / "src"
    root.mkdir()
    (root / "docker-compose.yml").write_text(text)
    service = load_source_folder(root).service("cpu")
    assert (service.context, service.entry, service.entry_problem) == (
        None,
        None,
        "the handler is a prebuilt image and no Dockerfile here builds it",
    )


def test_handler_module_in_source_toml_replaces_the_cmd(tmp_path):
    root = write(
        tmp_path / "src",
        {
            "docker-compose.yml": HANDLER,
            "Dockerfile": 'FROM x\nCMD ["uvicorn", "app:api"]\n',
            "serve.py": "",
            "source.toml": '[handler]\nmodule = "serve.py"\n',
        },
    )
    entry = load_source_folder(root).service("cpu").entry
    assert (entry.kind, entry.target, entry.origin) == (
        "script",
        str(root / "serve.py"),
        "[handler] module of source.toml",
    )
