"""The batch helper: its embedded bytecode is its source compiled, and its packed read answers
byte for byte what its ABI-encoded read answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogpu_sim.testing import chainview
from ogpu_sim.testing.chainview import (
    ChainView,
    _body,
    _encode_calls,
    _encode_parts,
    deploy_batch_read,
    encode_part,
)

IDENTITY = "0x0000000000000000000000000000000000000004"
"""The identity precompile: it answers its calldata, so a reply shows the calldata rebuilt."""
NOBODY = "0x00000000000000000000000000000000000DEad1"
READ = function_signature_to_4byte_selector("read(address[],bytes[])")
BALANCE_OF = function_signature_to_4byte_selector("balanceOf(address)")


@pytest.fixture(scope="module")
def helper(property_sim: Any) -> Iterator[tuple[ChainView, str]]:
    """The helper deployed on the shared simulator (undone after the module)."""
    with property_sim.isolated():
        account = Account.create()
        property_sim.accounts.fund(account.address, property_sim.accounts.native_balance)
        address = deploy_batch_read(property_sim.w3, account)
        yield ChainView(property_sim.w3, address), address


def test_the_helper_is_its_solidity_source_compiled() -> None:
    """(About 5 s: solc-js starts for this one compile, as for the task facts reader's.)"""
    from ogpu_sim.dev.build import compile_helper

    compiled = compile_helper(Path(chainview.__file__).with_name("BatchRead.sol"))

    assert "0x" + compiled.hex() == chainview.BATCH_READ_BYTECODE


def _words(draw: Any) -> bytes:
    """A selector and words with any number of leading zeros (ABI-shaped calldata)."""
    words = draw(st.lists(st.integers(0, 32), max_size=6))
    body = b"".join(draw(st.binary(min_size=n, max_size=n)).rjust(32, b"\0") for n in words)
    return bytes(draw(st.binary(min_size=4, max_size=4))) + body


@st.composite
def calldata(draw: Any) -> bytes:
    """Any bytes, or ABI-shaped calldata."""
    return draw(st.binary(max_size=100)) if draw(st.booleans()) else _words(draw)


def _read_by_abi(view: ChainView, calls: list[tuple[str, bytes]]) -> bytes:
    targets, data = [t for t, _ in calls], [d for _, d in calls]
    return view._call(READ + encode(["address[]", "bytes[]"], [targets, data]))


@settings(
    max_examples=60, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    calls=st.lists(
        st.tuples(st.sampled_from([IDENTITY, NOBODY, "helper"]), calldata()), max_size=12
    )
)
def test_the_packed_read_answers_what_the_abi_read_answers(
    helper: tuple[ChainView, str], calls: list[tuple[str, bytes]]
) -> None:
    view, address = helper
    calls = [(address if target == "helper" else target, data) for target, data in calls]

    assert view._call(_encode_calls(calls)) == _read_by_abi(view, calls)


def test_the_packed_read_answers_the_identity_precompile_with_each_calldata_rebuilt(
    helper: tuple[ChainView, str],
) -> None:
    view, address = helper
    calls = [
        (IDENTITY, b""),
        (IDENTITY, b"\x01\x02\x03"),
        (IDENTITY, BALANCE_OF + bytes(31) + b"\x07" + b"\xff" * 32 + bytes(32)),
        (IDENTITY, b"\xab" * 70),
        (address, BALANCE_OF + bytes(12) + bytes.fromhex(address[2:])),
        (NOBODY, b"\x01" * 36),
    ]

    assert view.read(calls) == [
        (True, b""),
        (True, b"\x01\x02\x03"),
        (True, calls[2][1]),
        (True, b"\xab" * 70),
        (True, bytes(32)),
        (True, b""),
    ]


def test_a_call_is_packed_as_words_without_leading_zeros_or_else_as_it_is() -> None:
    selector = b"\x12\x34\x56\x78"
    words = selector + bytes(31) + b"\x05" + bytes(32) + b"\x80" + bytes(31)

    assert _body(words) == b"\x03" + selector + b"\x01\x05" + b"\x00" + b"\x20\x80" + bytes(31)
    assert _body(b"\x01\x02") == b"\xff" + (2).to_bytes(3, "big") + b"\x01\x02"
    assert _body(selector + b"\x01") == b"\xff" + (5).to_bytes(3, "big") + selector + b"\x01"


def test_parts_pack_like_their_calls_each_target_once() -> None:
    a, b = "0x" + "11" * 20, "0x" + "22" * 20
    first = [(a, b"\x01" * 4), (b, b"\x02" * 4)]
    second = [(a, b"\x03" * 4)]
    parts = [encode_part(first, [(True, None)] * 2), encode_part(second, [(True, None)])]
    packed = _encode_parts(parts)

    assert packed == _encode_calls(first + second)
    head = packed[4:10]
    assert head == (3).to_bytes(3, "big") + (2).to_bytes(3, "big")
    assert packed[10:50] == bytes.fromhex("11" * 20 + "22" * 20)
