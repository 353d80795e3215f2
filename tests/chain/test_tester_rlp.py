"""rlp's Serializable.copy with the eth-tester caches (chain/tester_rlp.py) against rlp's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import rlp
from eth.rlp.accounts import Account
from eth.vm.forks.prague.blocks import PragueBlock, PragueBlockHeader
from rlp.sedes.serializable import Serializable

from .helpers import trie_caches
from .test_tester_trie import py_tries_own


@pytest.fixture(autouse=True)
def caches() -> Iterator[None]:
    with trie_caches():
        yield


def header(**fields: Any) -> PragueBlockHeader:
    return PragueBlockHeader(
        difficulty=0, block_number=7, gas_limit=30_000_000, timestamp=1_700_000_000, **fields
    )


def both(make: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """(the copy with the caches, rlp's own copy) of what ``make`` builds."""
    with py_tries_own():
        own = make().copy(*args, **kwargs)
    return make().copy(*args, **kwargs), own


def test_the_copy_is_installed_with_the_caches() -> None:
    with py_tries_own():
        own = Serializable.copy
    assert Serializable.copy is not own


@pytest.mark.parametrize(
    "make, overrides",
    [
        (lambda: Account(nonce=3, balance=10**20), {"balance": 5}),
        (lambda: Account(nonce=3, balance=10**20), {}),
        (lambda: header(extra_data=b"x" * 32), {"state_root": b"\x01" * 32}),
        (lambda: header(), {"gas_used": 21_000, "timestamp": 1_700_000_012}),
    ],
)
def test_a_copy_has_rlps_fields_and_encoding(make: Any, overrides: dict[str, Any]) -> None:
    copied, own = both(make, **overrides)
    assert type(copied) is type(own)
    assert copied.as_dict() == own.as_dict()
    assert rlp.encode(copied) == rlp.encode(own)


def test_a_copy_shares_plain_values_and_copies_the_others_as_rlps_does() -> None:
    block = PragueBlock(header(extra_data=b"x" * 32), transactions=(), uncles=(), withdrawals=())
    copied, own = both(lambda: block)
    assert (copied.header is block.header, own.header is block.header) == (False, False)
    assert copied.header.as_dict() == own.header.as_dict()
    shared = both(lambda: block.header)
    assert [part.extra_data is block.header.extra_data for part in shared] == [True, True]


def test_a_copy_with_positional_fields_is_rlps() -> None:
    copied, own = both(lambda: Account(nonce=3, balance=7), 9)
    assert (copied.nonce, copied.balance) == (own.nonce, own.balance) == (9, 7)


def test_an_unknown_field_fails_as_in_rlp() -> None:
    with py_tries_own(), pytest.raises(TypeError) as own:
        Account(nonce=1).copy(nonse=2)
    with pytest.raises(TypeError) as copied:
        Account(nonce=1).copy(nonse=2)
    assert str(copied.value) == str(own.value)


def built(make: Any) -> tuple[Any, Any]:
    """(what ``make`` builds with the caches, what it builds with rlp's own ``__init__``)."""
    with py_tries_own():
        own = make()
    return make(), own


@pytest.mark.parametrize(
    "make",
    [
        lambda: Account(nonce=3, balance=10**20),  # py-evm's __init__: positional to rlp's
        lambda: Account(3, 10**20, b"\x01" * 32, b"\x02" * 32),
        lambda: header(extra_data=b"x" * 32, bloom=2**2047),  # every field by keyword
        lambda: PragueBlock(header(), transactions=[], uncles=[], withdrawals=[]),
        lambda: PragueBlock(header(), transactions=(), uncles=(), withdrawals=()),
    ],
)
def test_an_object_is_built_with_rlps_fields(make: Any) -> None:
    ours, own = built(make)
    assert type(ours) is type(own)
    assert list(ours) == list(own)
    assert [type(value) for value in ours] == [type(value) for value in own]
    assert rlp.encode(ours) == rlp.encode(own)


def test_the_init_is_installed_with_the_caches() -> None:
    with py_tries_own():
        own = rlp.sedes.serializable.BaseSerializable.__init__
    assert rlp.sedes.serializable.BaseSerializable.__init__ is not own


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((1,), {"balance": 2, "storage_root": b"\x00" * 32, "code_hash": b"\x00" * 32}),
        ((), {"nonce": 1, "balance": 2, "storage_root": b"\x00" * 32}),  # one missing
        ((), {"nonce": 1, "balanse": 2, "storage_root": b"\x00" * 32, "code_hash": b""}),
        ((1, 2, b"\x00" * 32), {}),  # too few
        ((1, 2, b"\x00" * 32, b"\x00" * 32, 5), {}),  # too many
        ((1,), {"nonce": 1, "balance": 2, "storage_root": b"", "code_hash": b""}),  # twice
    ],
)
def test_any_other_call_is_rlps_own(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    init = rlp.sedes.serializable.BaseSerializable.__init__

    def make() -> Any:
        account = Account.__new__(Account)
        try:
            init(account, *args, **kwargs)
        except TypeError as exc:
            return ("TypeError", str(exc))
        return tuple(account)

    with py_tries_own():
        init = rlp.sedes.serializable.BaseSerializable.__init__
        own = make()
    init = rlp.sedes.serializable.BaseSerializable.__init__
    assert make() == own
