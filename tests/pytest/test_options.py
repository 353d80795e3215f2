"""Command-line options, their ini keys, validation and the report header."""

from __future__ import annotations

from pathlib import Path

import pytest

CHAIN_ID_TEST = """
def test_chain_id(ogpu_sim):
    assert ogpu_sim.w3.eth.chain_id == 1071
"""


def usage_error(inner, *args: str) -> pytest.RunResult:
    """Run a module with one empty test under ``args``, which must stop pytest as a usage error
    (exit 4) before any test runs; the result, for its message."""
    inner.makepyfile("def test_nothing():\n    pass\n")
    result = inner.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == 4
    return result


def test_the_chain_id_option_sets_the_chain_id(inner):
    inner.makepyfile(CHAIN_ID_TEST)

    inner.runpytest("-p", "no:cacheprovider", "--ogpu-chain-id=1071").assert_outcomes(passed=1)


def test_the_chain_id_ini_key_sets_the_chain_id(inner):
    inner.makeini("[pytest]\nogpu_chain_id = 1071\n")
    inner.makepyfile(CHAIN_ID_TEST)

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_command_line_wins_over_the_ini_file(inner):
    inner.makeini("[pytest]\nogpu_runtime = docker\n")
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider", "--ogpu-runtime=inline")

    result.stdout.fnmatch_lines(["ogpu-sim: backend=eth-tester runtime=inline *"])


def test_the_report_header_shows_the_effective_configuration(inner):
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(
        [
            "ogpu-sim: backend=eth-tester runtime=auto image=working-copy "
            "environments=cpu,nvidia,amd chain_id=200820172034 ipfs_faults=off chain_faults=0 "
            "sdk_warnings=hide report=-"
        ]
    )


def test_an_unknown_backend_is_a_usage_error_naming_the_option(inner):
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider", "--ogpu-backend=ganache")

    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--ogpu-backend/ogpu_backend: unknown 'ganache'*"])


def test_an_unknown_environment_is_a_usage_error(inner):
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider", "--ogpu-environments=cpu,tpu")

    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--ogpu-environments/ogpu_environments: unknown tpu*"])


def test_ipfs_faults_on_fails_the_first_pin_once_and_the_sdk_retries(inner):
    inner.makepyfile(
        """
        from helpers import new_source

        def test_flaky(ogpu_sim):
            new_source(ogpu_sim)
            pins = [r.status for r in ogpu_sim.ipfs.requests if r.route == "/file/create"]
            assert pins[-2:] == [503, 200]
        """
    )

    inner.runpytest("-p", "no:cacheprovider", "--ogpu-ipfs-faults=on").assert_outcomes(passed=1)


def test_the_network_ini_key_switches_to_attach_mode_and_the_header_says_so(inner, monkeypatch):
    monkeypatch.delenv("OGPU_SIM_NODE", raising=False)
    monkeypatch.setenv("CLIENT_PRIVATE_KEY", "0x" + "11" * 32)
    inner.makeini("[pytest]\nogpu_network = http://127.0.0.1:9\n")
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "ogpu-sim: attach network=http://127.0.0.1:9 runtime=auto image=working-copy "
            "environments=cpu,nvidia,amd max_spend=1 OGPU wait_timeout=300s; no snapshots "
            "(tests get fresh sources and tasks), no time travel (tests needing it skip), "
            "providers: the live network's, plus "
            "local ones tests add (funded from MASTER_PRIVATE_KEY)",
            "ogpu-sim: cannot attach: cannot reach a JSON-RPC node at http://127.0.0.1:9*",
        ]
    )


def test_attach_mode_without_a_client_key_refuses_to_start_naming_the_variable(inner, monkeypatch):
    monkeypatch.delenv("CLIENT_PRIVATE_KEY", raising=False)
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider", "--ogpu-network=http://127.0.0.1:9")

    assert result.ret == 4  # a usage error: no test ran
    result.stderr.fnmatch_lines(
        [
            "ERROR: ogpu-sim: --ogpu-network/ogpu_network signs with your own keys: set "
            "CLIENT_PRIVATE_KEY (your funded client's private key; MASTER_PRIVATE_KEY too for "
            "tests that add providers); ogpu-sim never signs with its public test keys on a "
            "network it attaches to"
        ]
    )


def test_attaching_and_starting_a_backend_at_once_is_a_usage_error(inner):
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest(
        "-p", "no:cacheprovider", "--ogpu-network=http://127.0.0.1:9", "--ogpu-backend=anvil"
    )

    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*--ogpu-network/ogpu_network attaches to a deployed network; --ogpu-backend*"]
    )


def test_a_missing_anvil_stops_the_session_once_before_any_test(inner, monkeypatch):
    monkeypatch.setenv("OGPU_SIM_ANVIL", "/nonexistent/anvil")
    inner.makepyfile("def test_one(ogpu_sim):\n    pass\n\ndef test_two(ogpu_sim):\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider", "--ogpu-backend=anvil")

    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "ERROR: ogpu-sim: --ogpu-backend/ogpu_backend anvil: the anvil binary was not found "
            "(looked at: /nonexistent/anvil); run `make install` to get it from npm, set "
            "$OGPU_SIM_ANVIL to its path, or put anvil on PATH"
        ]
    )
    assert "test_one" not in result.stdout.str()


def test_the_docker_runtime_without_an_engine_stops_the_session_once(inner, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/ogpu-sim-test.sock")
    inner.makepyfile("def test_one(ogpu_sim):\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider", "--ogpu-runtime=docker")

    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "ERROR: ogpu-sim: --ogpu-runtime/ogpu_runtime docker: no Docker engine at "
            "unix:///nonexistent/ogpu-sim-test.sock: cannot connect to "
            "/nonexistent/ogpu-sim-test.sock: No such file or directory; start a Docker engine "
            "(or point DOCKER_HOST at one), or use the auto or process runtime"
        ]
    )


THREE_USERS = "\n\n".join(f"def test_{n}(ogpu_sim):\n    pass" for n in ("one", "two", "three"))


def closed_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_node_errors_the_first_test_briefly_and_stops_the_session(inner):
    url = f"http://127.0.0.1:{closed_port()}"
    inner.makepyfile(THREE_USERS + "\n")

    result = inner.runpytest("-p", "no:cacheprovider", f"--ogpu-rpc-url={url}")

    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    message = f"ogpu-sim could not start: cannot reach a JSON-RPC node at {url}: Connection refused"
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at setup of test_one _*",
            message,
            "*= short test summary info =*",
            "ERROR test_*.py::test_one*",
            f"*! Interrupted: {message} !*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_an_unreachable_node_under_xdist_errors_at_most_one_test_per_worker(inner):
    url = f"http://127.0.0.1:{closed_port()}"
    inner.makepyfile(THREE_USERS + "\n\n" + THREE_USERS.replace("test_", "test_more_") + "\n")

    result = inner.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", f"--ogpu-rpc-url={url}"
    )

    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert result.parseoutcomes() == {"errors": 2}
    result.stdout.fnmatch_lines(["*Interrupted: ogpu-sim could not start: *Connection refused*"])


def test_a_spend_cap_without_a_unit_is_a_usage_error(inner):
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest(
        "-p", "no:cacheprovider", "--ogpu-network=http://127.0.0.1:9", "--ogpu-max-spend=5"
    )

    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*--ogpu-max-spend/ogpu_max_spend: '5' needs a unit: OGPU, gwei or wei*"]
    )


IMAGE_CHOICE_TEST = """
import pytest
from pathlib import Path
from ogpu_sim.errors import HandlerStartError
from ogpu_sim.runtime.auto import AutoRuntime

CHAT_STACK = Path({chat_stack!r})


def test_published_reaches_the_runtime(ogpu_sim, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/ogpu-sim-test.sock")
    pool = ogpu_sim.network.handlers
    with pytest.raises(HandlerStartError) as caught:
        pool.handler(CHAT_STACK, "cpu")
    assert caught.value.problem.startswith("the published image runs in Docker only")
    assert isinstance(pool.runtime("auto"), AutoRuntime)
    assert ogpu_sim.network.options.image == "published"
"""


CHAT_STACK = Path(__file__).resolve().parents[2] / "fixtures" / "real-sources" / "chat-stack"


def _image_choice_test(inner):
    inner.makepyfile(IMAGE_CHOICE_TEST.format(chat_stack=str(CHAT_STACK)))


def test_the_image_option_reaches_the_runtime_the_pool_creates(inner):
    _image_choice_test(inner)

    result = inner.runpytest("-p", "no:cacheprovider", "--ogpu-image=published")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["ogpu-sim: backend=eth-tester runtime=auto image=published *"])


def test_the_image_ini_key_reaches_the_runtime_the_pool_creates(inner):
    inner.makeini("[pytest]\nogpu_image = published\n")
    _image_choice_test(inner)

    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_an_unknown_image_choice_is_a_usage_error_naming_the_option_and_choices(inner):
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider", "--ogpu-image=latest")

    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*--ogpu-image/ogpu_image: unknown 'latest'; known: working-copy, published*"]
    )


def test_the_published_image_with_the_inline_runtime_is_a_usage_error(inner):
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest(
        "-p", "no:cacheprovider", "--ogpu-image=published", "--ogpu-runtime=inline"
    )

    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "*--ogpu-image/ogpu_image=published runs the image the compose file names, which "
            "--ogpu-runtime=inline cannot: use docker or auto, or working-copy*"
        ]
    )


def test_a_remote_rpc_url_without_the_users_keys_is_a_usage_error_naming_the_variable(
    inner, monkeypatch
):
    monkeypatch.delenv("OGPU_SIM_MNEMONIC", raising=False)
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest(
        "-p", "no:cacheprovider", "--ogpu-backend=rpc", "--ogpu-rpc-url=http://10.1.2.3:8545"
    )

    assert result.ret == 4  # no test ran
    result.stderr.fnmatch_lines(
        [
            "ERROR: ogpu-sim: --ogpu-rpc-url/ogpu_rpc_url: http://10.1.2.3:8545 is not on this "
            "machine (host 10.1.2.3 is not a loopback address): ogpu-sim's public test keys "
            "never sign for it; set OGPU_SIM_MNEMONIC to the mnemonic of your own funded accounts"
        ]
    )


def test_the_users_mnemonic_reaches_the_simulator_and_stays_out_of_the_config_repr(
    inner, monkeypatch
):
    words = " ".join(["abandon"] * 11 + ["about"])  # a valid BIP-39 phrase
    monkeypatch.setenv("OGPU_SIM_MNEMONIC", f"  {words}  ")
    inner.makeconftest(
        "import pytest\n"
        "from ogpu_sim.pytest.state import CONFIG\n"
        "def pytest_sessionstart(session):\n"
        "    config = session.config.stash[CONFIG]\n"
        "    print('MNEMONIC', config.simulator_options()['mnemonic'])\n"
        "    print('REPR', 'abandon' in repr(config))\n"
        "    pytest.exit('checked', 0)\n"
    )
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest("-s", "-p", "no:cacheprovider", "--ogpu-rpc-url=http://10.1.2.3:8545")

    result.stdout.fnmatch_lines([f"MNEMONIC {words}", "REPR False"])


def test_an_rpc_url_alone_implies_the_rpc_backend(inner):
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest(
        "-W", "error", "-p", "no:asyncio", "-p", "no:cacheprovider",
        "--ogpu-rpc-url=http://127.0.0.1:9", "--co",
    )  # fmt: skip

    result.stdout.fnmatch_lines(["ogpu-sim: backend=rpc http://127.0.0.1:9 runtime=auto*"])
    assert result.ret == 0


def test_a_backend_set_in_the_ini_file_cannot_go_with_an_rpc_url(inner):
    inner.makeini("[pytest]\nogpu_backend = revm\n")
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest(
        "-W", "error", "-p", "no:asyncio", "-p", "no:cacheprovider",
        "--ogpu-rpc-url=http://127.0.0.1:9",
    )  # fmt: skip

    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: ogpu-sim: *it cannot go with --ogpu-backend=revm"])


def test_an_rpc_url_with_another_backend_is_a_usage_error(inner):
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest(
        "-W", "error", "-p", "no:asyncio", "-p", "no:cacheprovider",
        "--ogpu-backend=revm", "--ogpu-rpc-url=http://127.0.0.1:9",
    )  # fmt: skip

    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "ERROR: ogpu-sim: --ogpu-rpc-url/ogpu_rpc_url names the node of --ogpu-backend=rpc;"
            " it cannot go with --ogpu-backend=revm"
        ]
    )


def test_a_report_path_that_cannot_be_written_is_a_usage_error_before_any_test(inner, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider", f"--ogpu-report={blocker}/r.json")

    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [f"ERROR: ogpu-sim: --ogpu-report/ogpu_report: cannot write {blocker}/r.json: *"]
    )


@pytest.mark.parametrize(
    ("folder", "problem"), [("nope", "does not exist"), ("compose.yml", "is not a folder")]
)
def test_a_source_folder_that_is_not_there_is_a_usage_error_before_any_test(inner, folder, problem):
    inner.makefile(".yml", compose="services: {}\n")
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider", "-o", f"ogpu_source_dir={folder}")

    assert result.ret == 4
    expected = f"ERROR: ogpu-sim: ogpu_source_dir: {inner.path}/{folder} {problem}"
    result.stderr.fnmatch_lines([expected])


def test_a_compose_override_that_is_not_a_file_is_a_usage_error_before_any_test(inner):
    inner.makepyfile("def test_nothing():\n    pass\n")

    result = inner.runpytest("-p", "no:cacheprovider", "--ogpu-compose-override=stub.yml")

    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            f"ERROR: ogpu-sim: --ogpu-compose-override/ogpu_compose_override: {inner.path}/stub.yml"
            " is not a file (paths are relative to the rootdir)"
        ]
    )


def test_a_compose_override_that_is_not_yaml_is_a_usage_error_before_any_test(inner):
    inner.makefile(".yml", stub="services: [\n")

    result = usage_error(inner, "--ogpu-compose-override=stub.yml")

    result.stderr.fnmatch_lines(
        [
            "ERROR: ogpu-sim: --ogpu-compose-override/ogpu_compose_override: "
            f"{inner.path}/stub.yml: not valid YAML: *"
        ]
    )


def test_the_handler_timeout_ini_key_reaches_the_simulator(inner):
    inner.makeini("[pytest]\nogpu_handler_timeout = 4.5\n")
    inner.makepyfile(
        "def test_timeout(ogpu_sim):\n    assert ogpu_sim.network.options.handler_timeout == 4.5\n"
    )

    result = inner.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("soon", "not a number of seconds: 'soon'"),
        ("inf", "not a number of seconds: 'inf'"),
        ("0", "must be more than 0"),
        ("-1", "must be more than 0"),
    ],
)
@pytest.mark.parametrize("option", ["handler", "wait"])
def test_a_timeout_that_is_not_a_positive_number_is_a_usage_error(inner, option, value, problem):
    result = usage_error(inner, f"--ogpu-{option}-timeout={value}")

    result.stderr.fnmatch_lines(
        [f"ERROR: ogpu-sim: --ogpu-{option}-timeout/ogpu_{option}_timeout: {problem}"]
    )


def test_a_mnemonic_variable_that_is_not_a_bip39_phrase_is_a_usage_error_not_echoing_it(
    inner, monkeypatch
):
    monkeypatch.setenv("OGPU_SIM_MNEMONIC", "not a valid phrase at all")

    result = usage_error(inner, "--ogpu-rpc-url=http://127.0.0.1:8545")

    result.stderr.fnmatch_lines(
        [
            "ERROR: ogpu-sim: $OGPU_SIM_MNEMONIC: is not a valid BIP-39 mnemonic phrase (12 to 24 "
            "words of the BIP-39 word list, the last one a checksum); got 6 words (not shown)"
        ]
    )
    assert "valid phrase at all" not in result.stderr.str() + result.stdout.str()
