"""Chain faults for a test: ``--ogpu-chain-faults`` and the ``ogpu_chain_faults`` marker."""

from __future__ import annotations

FAULTY_TEST = """
import pytest
from ogpu.protocol import vault

{mark}
def test_deposits_land_exactly_once_through_the_faults(ogpu_sim):
    actor = ogpu_sim.accounts.new("client")
    for _ in range(5):
        vault.deposit(actor.address, 10**15, signer=actor.key)   # the SDK retries resets
    assert vault.get_balance_of(actor.address) == 5 * 10**15
    faults = [e for e in ogpu_sim.timeline if e.kind == "fault"]
    assert faults, "no fault was injected"
    assert {{e.args["method"] for e in faults}} == {{"eth_sendRawTransaction"}}

def test_the_next_test_runs_without_faults(ogpu_sim):
    assert ogpu_sim.chain.faults.active == []
"""


def test_the_marker_injects_transient_send_failures_for_its_test_only(inner):
    inner.makepyfile(FAULTY_TEST.format(mark="@pytest.mark.ogpu_chain_faults(0.5)"))

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_the_option_injects_them_into_every_test(inner):
    inner.makepyfile(
        """
        from ogpu.protocol import vault

        def test_a(ogpu_sim):
            actor = ogpu_sim.accounts.new("client")
            for _ in range(6):
                vault.deposit(actor.address, 1, signer=actor.key)
            assert vault.get_balance_of(actor.address) == 6
            assert any(e.kind == "fault" for e in ogpu_sim.timeline)
        """
    )

    inner.runpytest("-p", "no:cacheprovider", "--ogpu-chain-faults=0.5").assert_outcomes(passed=1)


def test_a_rate_out_of_range_is_a_usage_error(inner):
    inner.makepyfile("def test_x(ogpu_sim):\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider", "--ogpu-chain-faults=0.9")

    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*--ogpu-chain-faults/ogpu_chain_faults: must be between 0 and 0.5, got 0.9*"]
    )
