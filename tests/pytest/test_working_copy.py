"""A source author's repository as it is: raw compose URLs and compose overrides in the plugin."""

from __future__ import annotations

import shutil
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "example-source-repo"
RAW = "https://raw.githubusercontent.com/example-org/word-count/refs/heads/main"


def _repo(pytester) -> Path:
    repo = pytester.path / "repo"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("tests", ".github"))
    return repo


def test_a_source_published_by_raw_url_runs_the_working_copy(pytester):
    repo = _repo(pytester)
    pytester.makeini(
        f"[pytest]\nogpu_source_dir = {repo}\nogpu_source_url = {RAW}\nogpu_runtime = inline\n"
    )
    pytester.makepyfile(
        f"""
        from ogpu.client import publish_source, publish_task
        from ogpu.types import (
            DeliveryMethod, ImageEnvironments, SourceInfo, TaskInfo, TaskInput, TaskStatus,
        )

        def test_the_authors_publish_call_unchanged(ogpu_sim, ogpu_provider):
            source = publish_source(SourceInfo(
                name="word-count", description="", logoUrl="",
                imageEnvs=ImageEnvironments(cpu="{RAW}/docker-compose.yml"),
                minPayment=1, minAvailableLockup=0, maxExpiryDuration=3600,
                deliveryMethod=DeliveryMethod.FIRST_RESPONSE,
            ))
            ogpu_provider(source)
            task = publish_task(TaskInfo(
                source=source.address, payment=10**15, expiryTime=ogpu_sim.now() + 600,
                config=TaskInput(function_name="count_words", data={{"text": "a b c"}}),
            ))
            ogpu_sim.run_until_idle()
            assert task.get_status() == TaskStatus.FINALIZED
            (response,) = task.get_responses()
            assert response.fetch_data() == {{"words": 3, "characters": 5}}
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio")

    result.assert_outcomes(passed=1)


def test_compose_overrides_reach_the_published_source(pytester):
    repo = _repo(pytester)
    (repo / "tests").mkdir()
    (repo / "tests" / "compose.override.yml").write_text("services: {}\n")
    pytester.makeini(
        f"[pytest]\nogpu_source_dir = {repo}\n"
        "ogpu_compose_override = repo/tests/compose.override.yml\n"
    )
    pytester.makepyfile(
        f"""
        from pathlib import Path

        def test_the_ini_files(ogpu_sim, ogpu_source):
            source = ogpu_source()
            spec = ogpu_sim.fleet.folders[source.address]
            assert spec.compose_overrides == (Path({str(repo)!r}) / "tests/compose.override.yml",)

        def test_the_factory_argument_wins(ogpu_sim, ogpu_source):
            source = ogpu_source(compose_override=[])
            assert ogpu_sim.fleet.folders[source.address].compose_overrides == ()
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio")

    result.assert_outcomes(passed=2)
