"""The Simulator's life cycle: options, safety, and leaving no global state behind."""

from __future__ import annotations

import os

import ogpu.ipfs.publish as publish
import pytest
from ogpu.chain.config import CHAIN_RPC_URLS, ChainConfig, ChainId
from ogpu.chain.web3 import Web3Manager

from ogpu_sim import ConfigError, Simulator
from ogpu_sim.errors import UnsafeSignerError


def sdk_globals() -> dict[str, object]:
    return {
        "contracts": {c: dict(v) for c, v in ChainConfig.CHAIN_CONTRACTS.items()},
        "rpc": dict(CHAIN_RPC_URLS),
        "default_rpc": dict(ChainConfig._DEFAULT_RPC_URLS),
        "web3": dict(Web3Manager._web3_instances),
        "chain": ChainConfig._current_chain,
        "ipfs": publish._IPFS_PUBLISH_URL,
        "env": {k: os.environ.get(k) for k in ("CLIENT_PRIVATE_KEY", "PROVIDER_PRIVATE_KEY")},
    }


def test_stop_restores_every_sdk_global_exactly():
    before = sdk_globals()

    with Simulator.start() as sim:
        ChainConfig.set_chain(ChainId.OGPU_TESTNET)
        assert sim.ipfs.publish_url == publish._IPFS_PUBLISH_URL

    assert sdk_globals() == before


def test_stop_is_idempotent():
    sim = Simulator.start()
    sim.stop()
    sim.stop()


def test_an_unknown_option_raises_config_error_naming_it():
    with pytest.raises(ConfigError, match="backendz"):
        Simulator.start(backendz="anvil")


def test_an_unknown_runtime_raises_config_error():
    with pytest.raises(ConfigError, match="runtime"):
        Simulator.start(runtime="kubernetes")


def test_rpc_backend_without_url_raises_config_error():
    with pytest.raises(ConfigError, match="rpc_url"):
        Simulator.start(backend="rpc")


def test_public_test_keys_are_refused_for_a_remote_endpoint():
    with pytest.raises(UnsafeSignerError, match=r"rpc\.example\.invalid"):
        Simulator.start(backend="rpc", rpc_url="https://rpc.example.invalid")


def test_an_rpc_url_alone_means_the_rpc_backend_so_public_keys_are_refused_for_it():
    with pytest.raises(UnsafeSignerError, match=r"rpc\.example\.invalid"):
        Simulator.start(rpc_url="https://rpc.example.invalid")


def test_an_rpc_url_with_an_in_process_backend_raises_config_error_naming_both():
    with pytest.raises(ConfigError) as caught:
        Simulator.start(backend="eth-tester", rpc_url="http://127.0.0.1:8545")

    assert str(caught.value) == (
        "rpc_url: names the node of backend \"rpc\"; it cannot go with backend 'eth-tester' "
        '(leave backend out, or pass backend="rpc")'
    )


@pytest.mark.parametrize("seed", ["x", 1.5, True, None, -1])
def test_a_seed_that_is_not_an_integer_0_or_more_raises_config_error(seed):
    with pytest.raises(ConfigError) as caught:
        Simulator.start(seed=seed)

    assert str(caught.value) == f"seed: must be an integer >= 0, got {seed!r}"


def test_an_unknown_backend_raises_config_error():
    with pytest.raises(ConfigError, match="backend"):
        Simulator.start(backend="ganache")


def test_a_negative_unbonding_period_raises_config_error():
    with pytest.raises(ConfigError, match="unbonding_period"):
        Simulator.start(unbonding_period=-1)


def test_the_ipfs_store_cap_is_an_option_and_refuses_past_it():
    from ogpu_sim.errors import StoreFullError

    with Simulator.start(ipfs_max_bytes=1000) as sim:
        sim.ipfs.add("x" * 600)
        with pytest.raises(StoreFullError, match=r"Simulator.start\(ipfs_max_bytes=\.\.\.\)"):
            sim.ipfs.add("y" * 600)


def test_a_non_positive_store_cap_is_refused_before_anything_starts():
    with pytest.raises(ConfigError) as caught:
        Simulator.start(ipfs_max_bytes=0)

    assert str(caught.value) == (
        "ipfs_max_bytes: must be a whole number of bytes, 1 or more, or None; got 0"
    )


def test_injected_chain_faults_are_recorded_in_the_timeline():
    from ogpu.protocol import vault

    with Simulator.start() as sim:
        actor = sim.accounts.new("client")
        sim.chain.faults.fail_next(1, method="eth_sendRawTransaction")
        vault.deposit(actor.address, 10**15, signer=actor.key)  # the SDK retries the reset

        (fault,) = [e for e in sim.timeline if e.kind == "fault"]
        assert (fault.name, fault.args["method"]) == ("fail", "eth_sendRawTransaction")
        assert vault.get_balance_of(actor.address) == 10**15


def test_a_reorg_is_recorded_and_the_sdk_sends_again_afterwards():
    from ogpu.protocol import vault

    with Simulator.start() as sim:
        actor = sim.accounts.new("client")
        vault.deposit(actor.address, 10**15, signer=actor.key)
        sim.chain.faults.reorg(1)

        vault.deposit(actor.address, 2 * 10**15, signer=actor.key)

        assert [e.name for e in sim.timeline if e.kind == "fault"] == ["reorg"]
        assert vault.get_balance_of(actor.address) == 2 * 10**15


def test_a_simulators_repr_is_one_line_without_its_mnemonic():
    words = "legal winner thank year wave sausage worth useful legal winner thank yellow"
    with Simulator.start(mnemonic=words, seed=4) as sim:
        text = repr(sim)
    assert text == (
        f"Simulator(Network(eth-tester, rpc_url='{sim.rpc_url}', chain_id=200820172034), "
        "seed=4, providers=0)"
    )
    assert "legal" not in repr(sim.network.options) + repr(sim.accounts)


def _known_web3_warning() -> None:
    import warnings

    warnings.warn_explicit(
        "The log with transaction hash: HexBytes('0x01') ... MismatchedABI ... discarded",
        UserWarning,
        "functional.py",
        49,
        module="eth_utils.functional",
    )


def test_a_running_simulator_hides_web3s_foreign_log_warning_and_stop_gives_the_filters_back(
    monkeypatch: pytest.MonkeyPatch,
):
    import warnings

    monkeypatch.delenv("OGPU_SIM_SDK_WARNINGS", raising=False)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("error")
        before = list(warnings.filters)
        with Simulator.start():
            _known_web3_warning()  # would raise under "error" if it were not hidden
        assert warnings.filters == before
        with pytest.raises(UserWarning, match=r"^The log with transaction hash"):
            _known_web3_warning()
    assert seen == []


def test_ogpu_sim_sdk_warnings_show_lets_the_known_warnings_through(
    monkeypatch: pytest.MonkeyPatch,
):
    import warnings

    monkeypatch.setenv("OGPU_SIM_SDK_WARNINGS", "show")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with Simulator.start(), pytest.raises(UserWarning, match=r"^The log with transaction hash"):
            _known_web3_warning()
