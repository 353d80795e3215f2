"""A user's strict warning config: the SDK stack's known warnings are handled narrowly.

Inner sessions run without pytest-asyncio (our dev dependency, not a user's), whose own
configuration warning would otherwise fail them.
"""

from __future__ import annotations

STRICT = """
[pytest]
filterwarnings =
    error
"""

USER_TEST = """
from ogpu.client import publish_source           # imports web3 (websockets.legacy) at collection
from helpers import new_source, source_count


def test_publishing_through_the_sdk(ogpu_sim):
    new_source(ogpu_sim)                          # process_receipt warns about foreign logs
    assert source_count(ogpu_sim) == 1
"""


def test_a_filterwarnings_error_project_runs_the_sdk_cleanly(inner):
    inner.makeini(STRICT)
    inner.makepyfile(test_user=USER_TEST)

    inner.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio").assert_outcomes(
        passed=1
    )


def test_pytest_w_error_on_the_command_line_runs_cleanly_too(inner):
    inner.makepyfile(test_user=USER_TEST)

    inner.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:asyncio", "-W", "error"
    ).assert_outcomes(passed=1)


def test_the_ini_switch_shows_the_sdk_warnings_again(inner):
    inner.makeini(STRICT + "ogpu_sdk_warnings = show\n")
    inner.makepyfile(test_user=USER_TEST)

    result = inner.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio")

    assert result.ret != 0
    result.stdout.re_match_lines(
        [r".*(websockets\.legacy is deprecated|The log with transaction hash).*"]
    )


def test_other_warnings_still_fail_a_strict_project(inner):
    inner.makeini(STRICT)
    inner.makepyfile(
        test_user="""
        import warnings

        def test_warns(ogpu_sim):
            warnings.warn("the user's own warning", UserWarning)
        """
    )

    inner.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio").assert_outcomes(
        failed=1
    )


CLIENT_KEY = "0x" + "11" * 32  # any key: the node at 127.0.0.1:9 never answers


def test_attach_mode_configures_under_w_error_and_filterwarnings_error(inner, monkeypatch):
    monkeypatch.delenv("OGPU_SIM_NODE", raising=False)
    monkeypatch.setenv("CLIENT_PRIVATE_KEY", CLIENT_KEY)
    inner.makeini(STRICT)
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:asyncio", "-W", "error",
        "--ogpu-network=http://127.0.0.1:9",
    )  # fmt: skip

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["ogpu-sim: cannot attach: cannot reach a JSON-RPC node at *"])
    assert "websockets.legacy" not in result.stderr.str() + result.stdout.str()


def test_a_local_session_configures_and_collects_under_w_error(inner):
    inner.makeini(STRICT)
    inner.makepyfile(
        test_user="""
        import pytest
        from ogpu.client import publish_source

        @pytest.mark.ogpu_environments
        def test_each_environment(ogpu_environment, ogpu_sim):
            assert ogpu_environment in ("cpu", "nvidia", "amd")
        """
    )

    result = inner.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:asyncio", "-W", "error", "--ogpu-report=r.json"
    )

    result.assert_outcomes(skipped=3)
