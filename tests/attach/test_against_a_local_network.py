"""Attach mode against a network served from this process (no live providers on it)."""

from __future__ import annotations

import pytest
from ogpu.types import TaskStatus

from ogpu_sim import Simulator
from ogpu_sim.accounts import key_hex
from tests.attach.conftest import EXAMPLE


@pytest.fixture(scope="module")
def local():
    with Simulator.start() as started:
        yield started


def test_run_until_idle_does_not_wait_for_tasks_only_local_providers_serve(local, no_role_keys):
    keys = {"client": key_hex(local.accounts.client), "master": key_hex(local.accounts.master)}
    with Simulator.attach(
        local.rpc_url,
        addresses=local.deployment.addresses,
        ipfs=local.ipfs.publish_url,
        keys=keys,
        runtime="inline",
        quiet=True,
    ) as sim:
        source = sim.publish_source_from_folder(EXAMPLE)
        sim.add_provider(source, behaviour="silent")
        task = sim.publish_task(source, "count_words", {"text": "nobody answers"})

        sim.run_until_idle(timeout=20)  # would raise LiveWaitTimeoutError if it waited

        assert task.get_status() == TaskStatus.ATTEMPTED
        assert sim.attachment.target.origin == "given"
