"""Accounts the simulator hands out: their ``.key`` works wherever the SDK takes a key."""

from __future__ import annotations

from eth_account import Account
from eth_account.signers.local import LocalAccount
from ogpu.protocol._signer import resolve_signer

from ogpu_sim.accounts import DEFAULT_MNEMONIC, PrivateKey, derive, key_hex

# m/44'/60'/0'/0/1 of the public dev mnemonic (anvil's and hardhat's account #1).
CLIENT_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
CLIENT_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_a_role_key_is_the_0x_hex_string_the_sdk_docs_pass() -> None:
    key = derive(1, DEFAULT_MNEMONIC).key
    assert isinstance(key, str)
    assert key == CLIENT_KEY


def test_the_sdk_resolves_the_key_to_the_same_account() -> None:
    account = derive(1, DEFAULT_MNEMONIC)
    assert resolve_signer(account.key).address == CLIENT_ADDRESS


def test_the_sdk_takes_the_account_object_itself() -> None:
    account = derive(1, DEFAULT_MNEMONIC)
    assert isinstance(account, LocalAccount)
    assert resolve_signer(account) is account


def test_account_from_key_still_works() -> None:
    assert Account.from_key(derive(1, DEFAULT_MNEMONIC).key).address == CLIENT_ADDRESS


def test_the_key_converts_to_bytes_and_hex_like_hexbytes() -> None:
    key = derive(1, DEFAULT_MNEMONIC).key
    assert bytes(key) == bytes.fromhex(CLIENT_KEY[2:])
    assert key.hex() == CLIENT_KEY[2:]
    assert key.to_0x_hex() == CLIENT_KEY
    assert bytes(derive(1, DEFAULT_MNEMONIC)) == bytes.fromhex(CLIENT_KEY[2:])
    assert key_hex(derive(1, DEFAULT_MNEMONIC)) == CLIENT_KEY


def test_signing_with_the_account_matches_signing_with_a_plain_account() -> None:
    tx = {
        "to": CLIENT_ADDRESS,
        "value": 1,
        "gas": 21_000,
        "gasPrice": 10**9,
        "nonce": 0,
        "chainId": 1,
    }
    ours = derive(1, DEFAULT_MNEMONIC).sign_transaction(tx)
    plain = Account.from_key(CLIENT_KEY).sign_transaction(tx)
    assert ours.raw_transaction == plain.raw_transaction


def test_private_key_round_trips_raw_bytes() -> None:
    raw = bytes(range(32))
    assert bytes(PrivateKey(raw)) == raw
