"""One vocabulary: every face offers the same backends and runtimes, the SDK's bits agree."""

from __future__ import annotations

import pytest
from ogpu.types import DeliveryMethod, Environment

from ogpu_sim import vocabulary
from ogpu_sim.chain import BACKENDS as CHAIN_BACKENDS
from ogpu_sim.cli.main import build_parser
from ogpu_sim.errors import ConfigError
from ogpu_sim.network import NetworkOptions
from ogpu_sim.pytest.options import OPTIONS


def _cli_choices(flag: str) -> tuple[str, ...]:
    simulate = build_parser()._subparsers._group_actions[0].choices["simulate"]  # type: ignore[union-attr]
    (action,) = [a for a in simulate._actions if flag in a.option_strings]
    return tuple(action.choices)


def _plugin_help(ini: str) -> str:
    (option,) = [o for o in OPTIONS if o.ini == ini]
    return option.help


def test_the_cli_the_plugin_and_simulator_start_offer_the_same_backends() -> None:
    assert _cli_choices("--backend") == vocabulary.BACKENDS
    assert CHAIN_BACKENDS == vocabulary.BACKENDS
    for name in vocabulary.BACKENDS:
        assert f"{name}: " in _plugin_help("ogpu_backend")
    with pytest.raises(ConfigError, match="known: eth-tester, revm, anvil, rpc"):
        NetworkOptions(backend="geth")


def test_the_cli_the_plugin_and_simulator_start_offer_the_same_runtimes() -> None:
    assert _cli_choices("--runtime") == vocabulary.RUNTIMES
    for name in vocabulary.RUNTIMES:
        assert f"{name}: " in _plugin_help("ogpu_runtime")
    with pytest.raises(ConfigError, match="known: auto, inline, process, docker"):
        NetworkOptions(runtime="podman")


def test_the_cli_the_plugin_and_simulator_start_offer_the_same_image_choices() -> None:
    from ogpu_sim.cli.node import _parser as node_parser

    assert _cli_choices("--image") == vocabulary.IMAGE_SOURCES
    (node_image,) = [a for a in node_parser()._actions if "--image" in a.option_strings]
    assert tuple(node_image.choices) == vocabulary.IMAGE_SOURCES
    for name in vocabulary.IMAGE_SOURCES:
        assert f"{name}: " in _plugin_help("ogpu_image")
    with pytest.raises(ConfigError, match="image: unknown 'latest'; known: working-copy, pub"):
        NetworkOptions(image="latest")


def test_environment_bits_are_the_sdks() -> None:
    assert {e.name.lower(): int(e.value) for e in Environment} == vocabulary.ENVIRONMENT_BITS
    assert tuple(e.name.lower() for e in Environment) == vocabulary.ENVIRONMENTS


def test_delivery_method_names_are_the_sdks() -> None:
    assert set(vocabulary.DELIVERY_METHODS) == {m.name.lower() for m in DeliveryMethod}


def test_bitmasks_round_trip() -> None:
    assert vocabulary.environment_bits(["cpu", "amd"]) == 5
    assert vocabulary.environments_of(6) == ("nvidia", "amd")


def test_every_behaviour_is_described() -> None:
    assert tuple(vocabulary.BEHAVIOUR_HELP) == vocabulary.BEHAVIOURS
