"""ogpu-sim's compose override, computed from a merged model without a Docker engine."""

from __future__ import annotations

import yaml

from ogpu_sim.runtime.stack import HARNESS_NETWORK, dump_override, gpu_requests, harness_override

LABELS = {"ogpu-sim": "1", "ogpu-sim.owner": "host:1"}
MODEL = {
    "services": {
        "model-server": {
            "image": "example/model:latest",
            "ports": [
                {"target": 11434, "published": "12436", "protocol": "tcp", "mode": "ingress"}
            ],
            "networks": {"app_network": None},
            "deploy": {
                "resources": {
                    "reservations": {
                        "devices": [{"driver": "nvidia", "count": -1, "capabilities": ["gpu"]}]
                    }
                }
            },
        },
        "chat-service": {
            "image": "example/chat:latest",
            "ports": [{"target": 5555, "published": "40001", "protocol": "tcp", "mode": "ingress"}],
            "networks": {"app_network": None},
        },
        "lonely": {"image": "x", "devices": ["/dev/kfd", "/dev/dri", "/dev/fuse"]},
    },
    "networks": {"app_network": {"name": "p_app_network"}, "outside": {"external": True}},
    "volumes": {"model_cache": {"name": "p_model_cache"}},
}


def override(**changes):
    options = {
        "handler": "chat-service",
        "network": "ogpu-sim-run",
        "labels": LABELS,
        "handler_image": "ogpu-sim-source-chat:abc",
        "host_gateway": "172.17.0.1",
        "emulate": {},
        "environment": "cpu",
        **changes,
    }
    return yaml.safe_load(
        dump_override(harness_override(MODEL, **options))
        .replace("!override", "")
        .replace("!reset", "")
    )


def test_the_handler_joins_the_harness_network_and_keeps_its_own():
    document = override()
    assert document["services"]["chat-service"]["networks"] == {HARNESS_NETWORK: {}}
    assert document["networks"][HARNESS_NETWORK] == {"external": True, "name": "ogpu-sim-run"}


def test_a_handler_on_the_default_network_stays_on_it():
    model = {"services": {"app": {"image": "x"}}}
    document = harness_override(
        model,
        handler="app",
        network="n",
        labels={},
        handler_image=None,
        host_gateway="h",
        emulate={},
        environment="cpu",
    )
    assert document["services"]["app"]["networks"] == {HARNESS_NETWORK: {}, "default": {}}


def test_the_handler_port_binds_127_0_0_1_and_sidecar_ports_the_host_gateway():
    services = override()["services"]
    assert [p["host_ip"] for p in services["chat-service"]["ports"]] == ["127.0.0.1"]
    assert [p["host_ip"] for p in services["model-server"]["ports"]] == ["172.17.0.1"]


def test_the_working_copy_image_replaces_the_published_one():
    handler = override()["services"]["chat-service"]
    assert (handler["image"], handler["pull_policy"]) == ("ogpu-sim-source-chat:abc", "never")
    assert "build" in handler  # written as build: !reset (see the tags test)
    assert "image" not in override(handler_image=None)["services"]["chat-service"]


def test_emulation_removes_the_device_requests_and_names_the_environment():
    services = override(emulate={"model-server": "nvidia", "lonely": "amd"}, environment="nvidia")
    assert services["services"]["model-server"]["deploy"] == {
        "resources": {"reservations": {"devices": []}}
    }
    assert services["services"]["lonely"]["devices"] == ["/dev/fuse"]
    for name in ("model-server", "lonely", "chat-service"):
        assert services["services"][name]["environment"] == {"OGPU_SIM_ENVIRONMENT": "nvidia"}


def test_everything_the_project_creates_carries_the_labels():
    document = override()
    assert {name: s["labels"] for name, s in document["services"].items()} == {
        "model-server": LABELS,
        "chat-service": LABELS,
        "lonely": LABELS,
    }
    assert document["networks"]["app_network"] == {"labels": LABELS}
    assert "outside" not in document["networks"]
    assert document["volumes"] == {"model_cache": {"labels": LABELS}}


def test_the_override_uses_composes_reset_and_override_tags():
    text = dump_override(
        harness_override(
            MODEL,
            handler="chat-service",
            network="n",
            labels={},
            handler_image="img",
            host_gateway="h",
            emulate={"model-server": "nvidia"},
            environment="nvidia",
        )
    )
    assert "devices: !reset []" in text
    assert "build: !reset" in text
    assert "ports: !override" in text


def test_gpu_requests_name_each_service_and_its_kind():
    assert gpu_requests(MODEL) == {"model-server": "nvidia", "lonely": "amd"}
