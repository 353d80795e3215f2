"""The plugin's fixtures, as a source author uses them (inner pytest sessions via pytester)."""

from __future__ import annotations


def test_ogpu_sim_is_a_started_simulator_with_the_sdk_bound(inner):
    inner.makepyfile(
        """
        from ogpu.chain.config import ChainConfig, ChainId

        def test_bound(ogpu_sim, ogpu_accounts, ogpu_ipfs):
            nexus = ChainConfig.CHAIN_CONTRACTS[ChainId.OGPU_TESTNET]["NEXUS"]
            assert nexus == ogpu_sim.deployment.addresses["NEXUS"]
            assert ogpu_accounts is ogpu_sim.accounts
            assert ogpu_ipfs.get(ogpu_ipfs.add(b"x")) == b"x"
        """
    )

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_ogpu_source_and_ogpu_provider_run_a_lifecycle_with_the_real_handler(inner):
    inner.makepyfile(
        """
        import os
        from helpers import new_task
        from conftest import SOURCES
        from ogpu.types import TaskStatus

        def test_lifecycle(ogpu_sim, ogpu_source, ogpu_provider):
            source = ogpu_source(os.path.join(SOURCES, "multiply"), deliveryMethod="first_response")
            ogpu_provider(source)
            task = new_task(ogpu_sim, source)
            ogpu_sim.run_until_idle()
            assert task.get_status() == TaskStatus.FINALIZED
            assert task.get_responses()[0].fetch_data() == {"result": 42}
        """
    )

    inner.runpytest("-p", "no:cacheprovider", "--ogpu-runtime=inline").assert_outcomes(passed=1)


def test_ogpu_source_without_a_folder_explains_how_to_give_one(inner):
    inner.makepyfile(
        """
        def test_no_folder(ogpu_source):
            ogpu_source()
        """
    )

    result = inner.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ogpu_source() needs a folder*ogpu_source_dir*"])


def test_ogpu_sim_options_can_be_overridden_in_a_conftest(inner):
    inner.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def ogpu_sim_options():
            return {"unbonding_period": 3}
        """
    )
    inner.makepyfile(
        """
        from ogpu.protocol import vault

        def test_period(ogpu_sim):
            assert vault.get_unbonding_period() == 3
        """
    )

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_session_that_never_uses_the_fixtures_starts_no_simulator(inner):
    inner.makepyfile(
        """
        from ogpu_sim.pytest.state import RUNNING

        def test_plain():
            assert "sim" not in RUNNING
        """
    )

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
