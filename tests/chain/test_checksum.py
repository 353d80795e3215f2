"""The chain's remembered address checksum gives eth_utils' answers and errors."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from hypothesis import given, settings
from hypothesis import strategies as st

from ogpu_sim.chain.jsonrpc import checksum


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(min_size=20, max_size=20), upper=st.lists(st.booleans(), min_size=40))
def test_any_address_text_or_bytes_checksums_as_eth_utils_does(
    raw: bytes, upper: list[bool]
) -> None:
    lower = raw.hex()
    mixed = "".join(c.upper() if up else c for c, up in zip(lower, upper, strict=False))
    expected = to_checksum_address(raw)

    assert [checksum(raw), checksum("0x" + lower), checksum("0x" + mixed)] == [expected] * 3


@pytest.mark.parametrize(
    "value",
    [
        HexBytes("0x" + "ab" * 20),
        "0X" + "AB" * 20,
        "ab" * 20,
    ],
    ids=["hexbytes", "upper-case prefix", "no prefix"],
)
def test_other_spellings_are_eth_utils_own(value: Any) -> None:
    assert checksum(value) == to_checksum_address(value)


@pytest.mark.parametrize(
    "value",
    ["0x" + "ab" * 19, "0x" + "zz" * 20, "0x" + "_1" * 20, b"\x01" * 19, 5],
    ids=["short", "not hex", "underscores", "19 bytes", "an int"],
)
def test_what_eth_utils_refuses_is_refused_with_its_error(value: Any) -> None:
    with pytest.raises(Exception) as theirs:
        to_checksum_address(value)
    with pytest.raises(type(theirs.value)) as ours:
        checksum(value)

    assert str(ours.value) == str(theirs.value)
