"""Lean signing of web3's EIP-1559 dicts: eth_account's bytes, hash, signature and errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from hypothesis import given, settings
from hypothesis import strategies as st

from ogpu_sim.accounts import PrivateKey
from ogpu_sim.sdk.signing import lean_sign, lean_sign_transaction

KEY = HexBytes("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
SENDER = Account.from_key(KEY).address
TO = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9"
SHIPPED = Account.__dict__["sign_transaction"]
"""eth_account's own, taken at collection (the session simulator of tests/sdk installs the
lean one)."""


def eth_accounts(transaction: Any, key: Any) -> Any:
    """eth_account's own answer (or error type and message), by its shipped method."""
    try:
        return SHIPPED.method(Account, transaction, key)
    except Exception as exc:
        return ("raised", type(exc), str(exc))


def patched(transaction: Any, key: Any) -> Any:
    try:
        return Account.sign_transaction(transaction, key)
    except Exception as exc:
        return ("raised", type(exc), str(exc))


@pytest.fixture
def lean() -> Iterator[None]:
    undo = lean_sign_transaction()
    yield
    undo()


def web3_dict(**changes: Any) -> dict[str, Any]:
    made = {
        "value": 0,
        "gas": 1_243_870,
        "maxPriorityFeePerGas": 10**9,
        "maxFeePerGas": 10**9,
        "chainId": 200_820_172_034,
        "from": SENDER,
        "nonce": 3,
        "to": TO,
        "data": "0x90d93b1d" + "00" * 64,
    }
    made.update(changes)
    return {k: v for k, v in made.items() if v is not ...}


UINT = st.one_of(
    st.integers(0, 300), st.integers(0, 2**256 - 1), st.sampled_from([0, 127, 128, 2**64])
)
KEYS = st.integers(1, 2**256 - 2**129).map(lambda k: HexBytes(k.to_bytes(32, "big")))


@settings(max_examples=200, deadline=None)
@given(
    key=KEYS,
    ints=st.fixed_dictionaries(
        {
            n: UINT
            for n in ("value", "gas", "maxPriorityFeePerGas", "maxFeePerGas", "chainId", "nonce")
        }
    ),
    to=st.binary(min_size=20, max_size=20),
    data=st.binary(max_size=200),
    with_from=st.booleans(),
)
def test_a_web3_dict_is_signed_as_eth_account_signs_it(
    key: HexBytes, ints: dict[str, int], to: bytes, data: bytes, with_from: bool
) -> None:
    sender = Account.from_key(key).address
    transaction = web3_dict(
        **ints,
        to=to_checksum_address(to),
        data="0x" + data.hex(),
        **{"from": sender if with_from else ...},
    )

    signed = lean_sign(transaction, key)

    assert signed is not None
    assert signed == eth_accounts(transaction, key)
    assert type(signed.raw_transaction) is type(signed.hash) is HexBytes


ODD_INPUTS = [
    web3_dict(to=TO.lower()),
    web3_dict(**{"from": SENDER.lower()}),
    web3_dict(**{"from": TO}),
    web3_dict(nonce=-1),
    web3_dict(nonce=True),
    web3_dict(gas="0x10"),
    web3_dict(value=2**256),
    web3_dict(data="0xzz"),
    web3_dict(data="0x1 2 "),
    web3_dict(data=b"\x01"),
    web3_dict(to=...),
    web3_dict(to=""),
    web3_dict(type=2),
    web3_dict(accessList=[]),
    web3_dict(maxFeePerGas=..., maxPriorityFeePerGas=..., gasPrice=10**9),
    web3_dict(chainId=...),
]


@pytest.mark.parametrize("transaction", ODD_INPUTS)
def test_any_other_dict_gets_eth_accounts_own_answer(
    lean: None, transaction: dict[str, Any]
) -> None:
    assert patched(transaction, KEY) == eth_accounts(transaction, KEY)


@pytest.mark.parametrize(
    "key", [bytes(32), "0x" + "00" * 32, b"\x01" * 31, KEY.hex(), int.from_bytes(KEY, "big")]
)
def test_any_other_key_gets_eth_accounts_own_answer(lean: None, key: Any) -> None:
    assert patched(web3_dict(), key) == eth_accounts(web3_dict(), key)


def test_the_lean_path_signs_web3s_dicts(lean: None) -> None:
    assert (
        lean_sign(web3_dict(), KEY) == patched(web3_dict(), KEY) == eth_accounts(web3_dict(), KEY)
    )


def test_the_reference_is_eth_accounts_own() -> None:
    assert SHIPPED.method.__code__.co_filename.endswith("eth_account/account.py")


def test_undo_puts_the_method_before_back() -> None:
    before = Account.__dict__["sign_transaction"]
    undo = lean_sign_transaction()
    during = Account.__dict__["sign_transaction"]
    undo()

    assert during.method.__code__.co_filename.endswith("ogpu_sim/sdk/signing.py")
    assert Account.__dict__["sign_transaction"] is before


def test_the_lean_method_signs_through_the_class_and_an_instance_alike(lean: None) -> None:
    expected = eth_accounts(web3_dict(), KEY)

    assert Account.sign_transaction(web3_dict(), KEY) == expected
    assert Account().sign_transaction(web3_dict(), KEY) == expected
    assert Account().sign_transaction.__name__ == "sign_transaction"
    with pytest.raises(TypeError) as got:
        Account().sign_transaction({"nonce": 1}, KEY)
    assert ("raised", got.type, str(got.value)) == eth_accounts({"nonce": 1}, KEY)


@pytest.mark.parametrize("kind", [str, PrivateKey])
def test_a_0x_hex_key_is_signed_the_lean_way_as_eth_account_signs_it(lean: None, kind: Any) -> None:
    key = kind("0x" + bytes(KEY).hex()) if kind is str else kind(bytes(KEY))

    signed = lean_sign(web3_dict(), key)

    assert signed is not None
    assert signed == patched(web3_dict(), key) == eth_accounts(web3_dict(), key)
    assert signed == eth_accounts(web3_dict(), KEY)


@pytest.mark.parametrize(
    "key",
    [
        "0X" + bytes(KEY).hex(),
        "0x" + bytes(KEY).hex()[:-1] + "g",
        "0x" + bytes(KEY).hex()[:-2],
        "0x" + " " * 64,
    ],
)
def test_any_other_text_key_gets_eth_accounts_own_answer(lean: None, key: str) -> None:
    assert lean_sign(web3_dict(), key) is None
    assert patched(web3_dict(), key) == eth_accounts(web3_dict(), key)
