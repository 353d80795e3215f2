"""``Simulator.start`` options of the wrong type or range raise ``ConfigError`` naming the
option, before anything starts: never a TypeError, ValueError or web3/eth-utils error from deep
inside, and never a value silently accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from ogpu_sim import ConfigError, Simulator
from ogpu_sim.network import NetworkOptions

SPENDABLE = 10_000 * 10**18 - 10**18
"""The default native balance less the 1 OGPU a deposit or stake leaves for gas."""


def refusal(**options: object) -> str:
    with pytest.raises(ConfigError) as caught:
        Simulator.start(**options)
    return str(caught.value)


@pytest.mark.parametrize("option", ["min_lockup_per_source", "client_vault_balance"])
@pytest.mark.parametrize("value", ["1 OGPU", "x", 1.5, -1, True, None])
def test_an_amount_that_is_not_a_whole_number_of_wei_is_refused_naming_it(option, value):
    assert refusal(**{option: value}) == (
        f"{option}: must be a whole number of wei, 0 or more; got {value!r}"
    )


@pytest.mark.parametrize(
    ("option", "payer"), [("client_vault_balance", "client"), ("provider_stake", "master")]
)
def test_a_deposit_or_stake_the_account_cannot_pay_is_refused_with_the_limit(option, payer):
    assert refusal(**{option: 10**40}) == (
        f"{option}: must be at most {SPENDABLE} wei (native_balance less 1 OGPU for gas: the "
        f"{payer} pays it from its native balance); got {10**40!r}"
    )


def test_the_limit_of_a_deposit_follows_native_balance():
    options = NetworkOptions(native_balance=10**20, client_vault_balance=10**20 - 10**18)

    assert options.client_vault_balance == 99 * 10**18
    with pytest.raises(ConfigError, match=r"^provider_stake: must be at most 0 wei"):
        NetworkOptions(native_balance=10**17, client_vault_balance=0)


@pytest.mark.parametrize("option", ["min_lockup_per_source", "native_balance"])
def test_an_amount_over_a_uint256_is_refused(option):
    message = refusal(**{option: 2**256})

    assert message == f"{option}: must be at most 2**256 - 1 wei; got {2**256!r}"


@pytest.mark.parametrize("value", [1.5, "10", -1])
def test_an_unbonding_period_that_is_not_whole_seconds_is_refused(value):
    assert refusal(unbonding_period=value) == (
        f"unbonding_period: must be a whole number of seconds, 0 or more; got {value!r}"
    )


@pytest.mark.parametrize("value", ["1MB", 1.5, 0, True])
def test_an_ipfs_cap_that_is_not_a_whole_number_of_bytes_is_refused(value):
    assert refusal(ipfs_max_bytes=value) == (
        f"ipfs_max_bytes: must be a whole number of bytes, 1 or more, or None; got {value!r}"
    )


@pytest.mark.parametrize("option", ["ipfs_dir", "artifacts"])
def test_a_folder_option_that_is_not_a_path_is_refused(option):
    assert refusal(**{option: 123}) == (
        f"{option}: must be a folder path (str or Path) or None; got 123"
    )


def test_a_folder_option_takes_a_path(tmp_path: Path):
    assert NetworkOptions(ipfs_dir=tmp_path).ipfs_dir == tmp_path  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -1, float("inf"), float("nan"), "30", None])
def test_a_handler_timeout_that_is_not_a_positive_finite_number_is_refused(value):
    assert refusal(handler_timeout=value) == (
        f"handler_timeout: must be a finite number of seconds above 0; got {value!r}"
    )


@pytest.mark.parametrize("value", ["1", 0, 2**64])
def test_a_chain_id_that_is_not_a_positive_integer_below_2_64_is_refused(value):
    assert refusal(chain_id=value) == (
        f"chain_id: must be a positive integer below 2**64, got {value!r}"
    )


@pytest.mark.parametrize("phrase", ["not a valid phrase", "test " * 12, ""])
def test_a_mnemonic_that_is_not_a_bip39_phrase_is_refused_without_echoing_it(phrase):
    message = refusal(mnemonic=phrase)

    assert message == (
        "mnemonic: is not a valid BIP-39 mnemonic phrase (12 to 24 words of the BIP-39 word "
        f"list, the last one a checksum); got {len(phrase.split())} words (not shown)"
    )


def test_a_mnemonic_that_is_not_text_is_refused_naming_its_type():
    assert refusal(mnemonic=123) == "mnemonic: must be a BIP-39 mnemonic phrase (a str), not int"


@pytest.mark.parametrize("url", [5, "notaurl", "ftp://127.0.0.1", "http://", "http://h:99999"])
def test_an_rpc_url_that_is_not_an_http_url_is_refused_before_the_key_check(url):
    assert refusal(rpc_url=url) == f"rpc_url: must be an http:// or https:// URL; got {url!r}"


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_autorun_that_is_not_a_bool_is_refused(value):
    assert refusal(autorun=value) == f"autorun: must be True or False, got {value!r}"


@pytest.mark.parametrize("option", ["handler_timeout", "wait_timeout"])
@pytest.mark.parametrize("value", [0, -1, float("inf"), "30"])
def test_an_attach_timeout_that_is_not_a_positive_finite_number_is_refused(option, value):
    with pytest.raises(ConfigError) as caught:
        Simulator.attach("http://127.0.0.1:9", quiet=True, **{option: value})

    assert str(caught.value) == (
        f"{option}: must be a finite number of seconds above 0; got {value!r}"
    )


@pytest.mark.parametrize("value", [-1, float("nan"), "30"])
def test_an_expire_wait_that_is_not_a_finite_number_0_or_more_is_refused(value):
    with pytest.raises(ConfigError) as caught:
        Simulator.attach("http://127.0.0.1:9", quiet=True, expire_wait=value)

    assert str(caught.value) == (
        f"expire_wait: must be a finite number of seconds 0 or more; got {value!r}"
    )
