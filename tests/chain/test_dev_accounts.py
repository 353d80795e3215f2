"""The dev node's ``personal_ecRecover``: the signer of a message, or geth's own refusals."""

from __future__ import annotations

import pytest
from eth_account.messages import encode_defunct

from ogpu_sim.chain.dev_accounts import DevAccounts, dev_accounts
from ogpu_sim.chain.jsonrpc import INVALID_PARAMS, SERVER_ERROR, RpcError

MESSAGE = "0x" + b"hello".hex()


def _no_node(method: str, params: list[object]) -> object:
    raise AssertionError(f"the node was asked {method}")


def _recover(signature: str) -> object:
    return DevAccounts(1337).answer("personal_ecRecover", [MESSAGE, signature], _no_node)


def _signature(v: int | None = None) -> bytes:
    signed = dev_accounts()[0].sign_message(encode_defunct(b"hello"))
    raw = bytearray(signed.signature)
    if v is not None:
        raw[64] = v
    return bytes(raw)


def test_ec_recover_names_the_signer_of_a_personal_sign() -> None:
    accounts = DevAccounts(1337)
    signature = accounts.answer("personal_sign", [MESSAGE, accounts.addresses[0]], _no_node)
    assert _recover(str(signature)) == accounts.addresses[0]


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("0x", "signature must be 65 bytes long"),
        ("0x" + "11" * 64, "signature must be 65 bytes long"),
        ("0x" + _signature(v=0).hex(), "invalid Ethereum signature (V is not 27 or 28)"),
    ],
    ids=["empty", "64-bytes", "v-0"],
)
def test_ec_recover_refuses_a_malformed_signature_as_geth_does(signature: str, message: str):
    with pytest.raises(RpcError) as raised:
        _recover(signature)
    assert (raised.value.code, raised.value.message) == (SERVER_ERROR, message)


def test_ec_recover_of_an_unrecoverable_signature_is_a_server_error() -> None:
    with pytest.raises(RpcError) as raised:
        _recover("0x" + "00" * 64 + "1b")
    assert raised.value.code == SERVER_ERROR
    assert raised.value.message.startswith("invalid signature: ")


@pytest.mark.parametrize(
    ("key", "size"),
    [("0x", 0), ("0x" + "00" * 32, 32), ("ff" * 33, 33)],
    ids=["empty", "zero", "33"],
)
def test_importing_what_is_not_a_private_key_names_the_argument(key: str, size: int) -> None:
    with pytest.raises(RpcError) as raised:
        DevAccounts(1337).answer("personal_importRawKey", [key], _no_node)
    assert (raised.value.code, raised.value.message) == (
        INVALID_PARAMS,
        "invalid argument 0: not a private key (32 bytes, from 1 to the curve order less one);"
        f" got {size} bytes",
    )


def test_an_imported_key_is_unlocked() -> None:
    accounts = DevAccounts(1337)
    key = "0x" + "01" * 32
    address = accounts.answer("personal_importRawKey", [key], _no_node)
    assert accounts.addresses[-1] == address == "0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1"
