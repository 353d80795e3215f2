"""The pytest plugin in attach mode: the header, missing keys, local providers, the spend cap."""

from __future__ import annotations

import pytest

from tests.attach.conftest import EXAMPLE, Node

PUBLISHES = f"""
def test_first(ogpu_sim):
    ogpu_sim.publish_source_from_folder({str(EXAMPLE)!r})


def test_second(ogpu_sim):
    ogpu_sim.publish_source_from_folder({str(EXAMPLE)!r})
"""

ADDS_A_PROVIDER = f"""
def test_adds_a_provider(ogpu_source, ogpu_provider):
    ogpu_provider(ogpu_source({str(EXAMPLE)!r}))
"""


@pytest.fixture
def attached(pytester: pytest.Pytester, node: Node, monkeypatch: pytest.MonkeyPatch, no_role_keys):
    monkeypatch.setenv("OGPU_SIM_NODE", str(node.info_file))
    return pytester


def test_a_spend_past_the_cap_fails_its_test_and_stops_the_session(
    attached, node: Node, monkeypatch
):
    monkeypatch.setenv("CLIENT_PRIVATE_KEY", node.fresh_keys()["client"])
    attached.makepyfile(PUBLISHES)

    result = attached.runpytest(
        "-p", "no:cacheprovider", f"--ogpu-network={node.rpc_url}", "--ogpu-max-spend=1000 gwei"
    )

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "ogpu-sim: spend cap 0.000001 OGPU (1000000000000 wei); spending from*",
            "E *ogpu_sim.errors.SpendCapError: spend cap: refusing a transaction from 0x*"
            "raise it with --ogpu-max-spend/ogpu_max_spend if you mean to spend more",
            "*Interrupted: ogpu-sim: spend cap: refusing*",
        ]
    )


def test_with_an_unusable_client_key_the_header_says_why_and_the_first_test_stops_the_session(
    attached, node: Node, monkeypatch
):
    monkeypatch.setenv("CLIENT_PRIVATE_KEY", "0x1234")
    attached.makepyfile(PUBLISHES)

    result = attached.runpytest("-p", "no:cacheprovider", f"--ogpu-network={node.rpc_url}")

    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    message = "ogpu-sim could not attach: keys: CLIENT_PRIVATE_KEY is not a private key"
    result.stdout.fnmatch_lines(
        [
            "ogpu-sim: cannot attach: keys: CLIENT_PRIVATE_KEY is not a private key",
            "*_ ERROR at setup of test_* _*",
            message,
            f"*! Interrupted: {message} !*",
        ]
    )


def test_a_local_provider_without_a_master_key_skips_naming_attach_mode(
    attached, node: Node, monkeypatch
):
    monkeypatch.setenv("CLIENT_PRIVATE_KEY", node.fresh_keys()["client"])
    attached.makepyfile(ADDS_A_PROVIDER)

    result = attached.runpytest("-p", "no:cacheprovider", "-rs", f"--ogpu-network={node.rpc_url}")

    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [
            f"SKIPPED * *.py:*: attach mode ({node.rpc_url}): funding local "
            "providers is not available: it needs your master key*"
        ]
    )
