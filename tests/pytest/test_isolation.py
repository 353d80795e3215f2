"""Ambient snapshot isolation that respects fixture scopes."""

from __future__ import annotations

from .conftest import SOURCES


def test_each_test_starts_from_a_clean_chain(inner):
    inner.makepyfile(
        """
        from helpers import new_source, source_count

        def test_publishes(ogpu_sim):
            new_source(ogpu_sim)
            assert source_count(ogpu_sim) == 1

        def test_sees_nothing(ogpu_sim):
            assert source_count(ogpu_sim) == 0
        """
    )

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_module_fixture_keeps_its_source_for_the_module_only(inner):
    inner.makepyfile(
        test_a="""
        import pytest
        from helpers import new_source, new_task, source_count

        @pytest.fixture(scope="module")
        def source(ogpu_sim):
            return new_source(ogpu_sim)

        def test_adds_a_task(ogpu_sim, source):
            new_task(ogpu_sim, source)
            assert source.get_task_count() == 1

        def test_starts_from_the_module_state(ogpu_sim, source):
            assert source_count(ogpu_sim) == 1
            assert source.get_task_count() == 0
        """,
        test_b="""
        from helpers import source_count

        def test_next_module_sees_no_source(ogpu_sim):
            assert source_count(ogpu_sim) == 0
        """,
    )

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_a_class_fixture_keeps_its_state_for_the_class_only(inner):
    inner.makepyfile(
        """
        import pytest
        from helpers import new_source, source_count

        class TestWithSource:
            @pytest.fixture(scope="class")
            def source(self, ogpu_sim):
                return new_source(ogpu_sim)

            def test_one(self, ogpu_sim, source):
                new_source(ogpu_sim)
                assert source_count(ogpu_sim) == 2

            def test_two(self, ogpu_sim, source):
                assert source_count(ogpu_sim) == 1

        def test_after_the_class(ogpu_sim):
            assert source_count(ogpu_sim) == 0
        """
    )

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_a_class_fixture_publishes_the_source_folder_and_its_provider_as_the_readme_says(inner):
    inner.makeini(f"[pytest]\nogpu_source_dir = {SOURCES / 'multiply'}\n")
    inner.makepyfile(
        """
        import pytest
        from helpers import new_task

        class TestServed:
            @pytest.fixture(scope="class")
            def source(self, ogpu_sim, ogpu_source_dir):
                source = ogpu_sim.publish_source_from_folder(
                    ogpu_source_dir, deliveryMethod="first_response"
                )
                ogpu_sim.add_provider(source, runtime="inline")
                return source

            @pytest.mark.parametrize("a", [2, 3])
            def test_answered(self, ogpu_sim, source, a):
                task = new_task(ogpu_sim, source, {"a": a, "b": 7})
                ogpu_sim.run_until_idle()
                assert task.get_responses()[0].fetch_data() == {"result": a * 7}
        """
    )

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_sdk_nonces_survive_reverts_between_tests(inner):
    inner.makepyfile(
        """
        import pytest
        from helpers import new_source

        @pytest.mark.parametrize("n", range(3))
        def test_publishes_again(ogpu_sim, n):
            new_source(ogpu_sim)
            new_source(ogpu_sim)
        """
    )

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_each_hypothesis_example_starts_from_the_test_state(inner):
    inner.makepyfile(
        """
        from hypothesis import given, settings, strategies as st
        from helpers import new_source, source_count

        @settings(max_examples=5, deadline=None, database=None)
        @given(extra=st.integers(1, 3))
        def test_every_example_sees_no_earlier_source(ogpu_sim, extra):
            assert source_count(ogpu_sim) == 0
            for _ in range(extra):
                new_source(ogpu_sim)
            assert source_count(ogpu_sim) == extra
        """
    )

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_falsifying_example_is_reported_under_the_tests_name_with_a_one_line_simulator(inner):
    inner.makepyfile(
        """
        from hypothesis import given, settings, strategies as st

        @settings(max_examples=20, deadline=None, database=None)
        @given(n=st.integers(0, 100))
        def test_small(ogpu_sim, n):
            assert n < 50
        """
    )

    result = inner.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines(
        [
            r"E\s+Failing test case: test_small\($",
            r"E\s+ogpu_sim=Simulator\(Network\(eth-tester, rpc_url='http://127\.0\.0\.1:\d+', "
            r"chain_id=200820172034\), seed=0, providers=0\),$",
            r"E\s+n=50,$",
        ]
    )
    assert "mnemonic" not in result.stdout.str()


def test_isolated_undoes_the_block_even_when_it_raises(inner):
    inner.makepyfile(
        """
        import pytest
        from helpers import new_source, source_count

        def test_isolated(ogpu_sim):
            with pytest.raises(RuntimeError):
                with ogpu_sim.isolated():
                    new_source(ogpu_sim)
                    assert source_count(ogpu_sim) == 1
                    raise RuntimeError("boom")
            assert source_count(ogpu_sim) == 0
        """
    )

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
