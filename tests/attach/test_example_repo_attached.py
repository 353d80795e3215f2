"""The example source repository's own suite, unchanged, against a live network stand-in."""

from __future__ import annotations

import shutil

from tests.attach.conftest import EXAMPLE, Node


def test_the_example_suite_passes_attached_and_skips_what_needs_time_travel(
    pytester, node: Node, monkeypatch
):
    for item in EXAMPLE.iterdir():
        target = pytester.path / item.name
        if item.is_dir():
            shutil.copytree(item, target)
        else:
            shutil.copy(item, target)
    keys = node.fresh_keys()
    monkeypatch.setenv("CLIENT_PRIVATE_KEY", keys["client"])
    monkeypatch.setenv("MASTER_PRIVATE_KEY", keys["master"])
    monkeypatch.setenv("OGPU_SIM_NODE", str(node.info_file))
    nexus = node.contract("NEXUS").functions
    sources_before = nexus.getSourceCount().call()

    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-c",
        "pyproject.toml",
        "-v",
        "-rs",
        f"--ogpu-network={node.rpc_url}",
        "--ogpu-runtime=inline",
        "--ogpu-max-spend=5 OGPU",
    )

    result.assert_outcomes(passed=5, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "ogpu-sim: attach network=http://127.0.0.1:* no snapshots*no time travel*",
            f"ogpu-sim:   client   {node.w3.eth.account.from_key(keys['client']).address}  *",
            "*::test_an_unanswered_task_expires_and_refunds_the_client SKIPPED*",
            f"SKIPPED * tests/test_source.py:*: attach mode ({node.rpc_url}): sim.expire is "
            "not available: task 0x* expires in *s and a live network's clock cannot be moved*",
        ]
    )
    # Six sources on the node's own protocol: nothing was deployed elsewhere or reverted.
    assert nexus.getSourceCount().call() == sources_before + 6
