"""Recruitment: every source published after ``sim.recruit(n)`` gets n providers of its own."""

from __future__ import annotations

import pytest
from ogpu.types import DeliveryMethod, ImageEnvironments, TaskStatus

from ogpu_sim.errors import ConfigError

FIRST = DeliveryMethod.FIRST_RESPONSE


def test_a_source_published_after_recruit_gets_its_providers(sim, make_source, make_task):
    sim.recruit(2)
    source = make_source(deliveryMethod=FIRST)
    task = make_task(source)

    sim.run_until_idle()

    assert source.get_registrant_count() == 2
    assert task.get_status() == TaskStatus.FINALIZED


def test_recruits_serve_the_sources_first_declared_environment(sim, make_source):
    sim.recruit(1)
    source = make_source(
        imageEnvs=ImageEnvironments(nvidia=sim.ipfs.add("n"), amd=sim.ipfs.add("a"))
    )

    sim.run_until_idle()

    (provider,) = sim.providers
    assert provider.environment == "nvidia"
    assert source.get_preferred_environment_of(provider.address) == 2


def test_sources_published_before_recruit_are_left_alone(sim, make_source):
    make_source()
    sim.recruit(1)

    sim.run_until_idle()

    assert sim.providers == []


def test_a_revert_forgets_recruits_made_after_the_snapshot(sim, make_source):
    sim.recruit(1)
    with sim.isolated():
        make_source()
        sim.run_until_idle()
        assert len(sim.providers) == 1

    assert sim.providers == []


@pytest.mark.parametrize("count", [0, "2", 1.5, True])
def test_recruiting_needs_a_whole_number_of_providers_at_least_one(sim, count):
    with pytest.raises(ConfigError) as caught:
        sim.recruit(count)

    assert str(caught.value) == f"count: must be a whole number, 1 or more; got {count!r}"


def test_recruiting_names_unknown_behaviours(sim):
    with pytest.raises(ConfigError, match="known: honest, slow"):
        sim.recruit(1, "lazy")


def test_a_gpu_environment_without_the_gpu_is_said_in_the_timeline(sim):
    from ogpu_sim.simulate.spec import SAMPLE_SOURCES

    source = sim.publish_source_from_folder(SAMPLE_SOURCES / "multiply")
    provider = sim.add_provider(source, "nvidia", runtime="inline")

    (note,) = [e for e in sim.timeline if e.name == "gpu-emulated"]
    assert (note.kind, note.emitter, note.args["environment"]) == (
        "note",
        provider.address,
        "nvidia",
    )
