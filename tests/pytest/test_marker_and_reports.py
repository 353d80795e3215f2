"""The environments marker, the failure timeline, the JSON report, xdist and cleanup."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from urllib.parse import urlparse

from .conftest import SOURCES

ENV_SOURCE_COMPOSE = {
    "docker-compose.yml": "services:\n  app:\n    build: .\n    ports: ['5555']\n",
    "docker-compose.gpu.yml": (
        "services:\n  app:\n    build: .\n    ports: ['5555']\n    deploy:\n      resources:\n"
        "        reservations:\n          devices:\n            - driver: nvidia\n"
        "              count: all\n              capabilities: [gpu]\n"
    ),
}


def test_the_marker_runs_once_per_declared_environment_and_skips_the_rest(inner):
    inner.makepyfile(
        f"""
        import pytest

        @pytest.mark.ogpu_environments({str(SOURCES / "multiply")!r})
        def test_env(ogpu_environment):
            assert ogpu_environment in ("cpu", "nvidia", "amd")
        """
    )

    result = inner.runpytest("-p", "no:cacheprovider", "-v")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_env?cpu? PASSED*", "*test_env?nvidia? PASSED*"])


def test_an_undeclared_environment_is_skipped_with_the_reason(inner):
    folder = inner.mkdir("two-envs")
    (Path(folder) / "handler.py").write_text("")
    for name, text in ENV_SOURCE_COMPOSE.items():
        (Path(folder) / name).write_text(text)
    inner.makepyfile(
        """
        import pytest

        @pytest.mark.ogpu_environments("two-envs")
        def test_env(ogpu_environment):
            pass
        """
    )

    result = inner.runpytest("-p", "no:cacheprovider", "-rs")

    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*declares no amd environment*"])


def test_environments_deselected_by_option_are_skipped_with_the_reason(inner):
    inner.makepyfile(
        f"""
        import pytest

        @pytest.mark.ogpu_environments({str(SOURCES / "multiply")!r})
        def test_env(ogpu_environment):
            pass
        """
    )

    result = inner.runpytest("-p", "no:cacheprovider", "-rs", "--ogpu-environments=cpu")

    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*nvidia not selected by --ogpu-environments*"])


def test_a_failing_test_shows_its_protocol_timeline(inner):
    inner.makepyfile(
        """
        from helpers import new_source, new_task
        from ogpu.types import TaskStatus

        def test_expects_too_much(ogpu_sim):
            source = new_source(ogpu_sim)
            new_task(ogpu_sim, source)
            assert False, "deliberate"
        """
    )

    result = inner.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ogpu-sim timeline*",
            "*protocol timeline*",
            "*NEXUS*SourcePublished(source=0x*",
            "*NEXUS*TaskPublished(task=0x*",
            "IPFS requests*",
            "*POST /file/create -> 200*",
        ]
    )


def test_the_failure_timeline_shows_only_what_this_test_did(inner):
    inner.makepyfile(
        """
        from helpers import new_source

        def test_first_publishes_one_source(ogpu_sim):
            ogpu_sim.ipfs.add("first test's content")
            new_source(ogpu_sim)

        def test_second_fails_without_doing_anything(ogpu_sim):
            assert False, "deliberate"
        """
    )

    result = inner.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, failed=1)
    section = result.stdout.str().split("ogpu-sim timeline")[-1]
    assert "(nothing happened on chain)" in section
    assert "SourcePublished" not in section
    assert "IPFS requests" not in section


def test_a_failing_hypothesis_test_shows_the_timeline_of_its_falsifying_example(inner):
    inner.makepyfile(
        """
        from hypothesis import given, settings, strategies as st
        from helpers import new_source

        @settings(max_examples=30, deadline=None, database=None)
        @given(n=st.integers(0, 6))
        def test_few_sources(ogpu_sim, n):
            for _ in range(n):
                new_source(ogpu_sim)
            assert n < 3
        """
    )

    result = inner.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(failed=1)
    section = result.stdout.str().split("ogpu-sim timeline")[-1]
    assert "the falsifying example (each example runs on its own snapshot):" in section
    assert section.count("SourcePublished(") == 3  # n=3, the minimal example, alone


def test_the_timeline_names_statuses_and_counts_bytes_sent(inner):
    inner.makepyfile(
        f"""
        from helpers import new_task

        def test_fails_after_a_lifecycle(ogpu_sim, ogpu_source, ogpu_provider):
            source = ogpu_source({str(SOURCES / "multiply")!r})
            ogpu_provider(source, runtime="inline")
            task = new_task(ogpu_sim, source)
            ogpu_sim.run_until_idle()
            task.get_metadata()
            assert False, "deliberate"
        """
    )

    result = inner.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*TaskStatusChanged(task=0x*, status=RESPONDED)*",
            "*GET /ipfs -> 200 in 0B out 55B Qm*",
        ]
    )


def test_a_conftest_override_of_ogpu_source_dir_reaches_the_marker(inner):
    folder = inner.mkdir("two-envs")
    (Path(folder) / "handler.py").write_text("")
    for name, text in ENV_SOURCE_COMPOSE.items():
        (Path(folder) / name).write_text(text)
    inner.makeconftest(
        f"""
        import pytest
        from pathlib import Path

        SOURCES = {str(SOURCES)!r}

        @pytest.fixture(scope="session")
        def ogpu_source_dir():
            return Path({str(folder)!r})
        """
    )
    inner.makepyfile(
        """
        import pytest

        @pytest.mark.ogpu_environments
        def test_env(ogpu_environment):
            pass
        """
    )

    result = inner.runpytest("-p", "no:cacheprovider", "-rs")

    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*two-envs*declares no amd environment*"])


def test_ogpu_report_writes_a_json_lifecycle_report(inner):
    inner.makepyfile(
        """
        from helpers import new_source

        def test_publishes(ogpu_sim):
            new_source(ogpu_sim)
        """
    )

    inner.runpytest("-p", "no:cacheprovider", "--ogpu-report=out/report.json")

    report = json.loads((inner.path / "out" / "report.json").read_text())
    (test,) = report["tests"]
    assert test["outcome"] == "passed"
    assert [e["name"] for e in test["events"]] == ["SourcePublished"]


def test_two_xdist_workers_each_get_their_own_network(inner):
    inner.makepyfile(
        """
        import pytest
        from helpers import new_source, source_count

        @pytest.mark.parametrize("n", range(4))
        def test_isolated(ogpu_sim, n):
            new_source(ogpu_sim)
            assert source_count(ogpu_sim) == 1
        """
    )

    result = inner.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")

    result.assert_outcomes(passed=4)


def test_under_xdist_the_workers_reports_are_merged_into_the_one_named_file(inner):
    inner.makepyfile(
        """
        import pytest
        from helpers import new_source

        @pytest.mark.parametrize("n", range(4))
        def test_publishes(ogpu_sim, n):
            new_source(ogpu_sim)
        """
    )

    result = inner.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--ogpu-report=out/report.json"
    )

    result.assert_outcomes(passed=4)
    report = json.loads((inner.path / "out" / "report.json").read_text())
    assert [t["test"] for t in report["tests"]] == [
        f"test_under_xdist_the_workers_reports_are_merged_into_the_one_named_file.py::"
        f"test_publishes[{n}]"
        for n in range(4)
    ]
    assert [[e["name"] for e in t["events"]] for t in report["tests"]] == [["SourcePublished"]] * 4
    assert sorted(p.name for p in (inner.path / "out").iterdir()) == ["report.json"]


def test_an_interrupted_session_leaves_no_port_open(inner):
    inner.makepyfile(
        """
        def test_interrupt(ogpu_sim):
            with open("urls.txt", "w") as f:
                f.write(ogpu_sim.rpc_url + "\\n" + ogpu_sim.ipfs.url + "\\n")
            raise KeyboardInterrupt
        """
    )

    result = inner.runpytest_subprocess("-p", "no:cacheprovider")

    assert result.ret == 2
    for url in (inner.path / "urls.txt").read_text().split():
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", urlparse(url).port)) != 0, url
