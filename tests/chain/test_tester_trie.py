"""py-trie with the eth-tester node's caches installed answers exactly as py-trie alone.

Writes give the same roots. A read that misses the (root, key) memo walks nodes kept by their
hash (:class:`ogpu_sim.chain.tester_trie._Walker`); every answer, and every error py-trie
raises (a missing node, a key ending inside an extension), must be py-trie's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import eth_utils
import pytest
import rlp
from eth.db import account as account_db
from eth.db import storage as storage_db
from eth.rlp.accounts import Account
from hypothesis import given, settings
from hypothesis import strategies as st
from trie import HexaryTrie
from trie import hexary as py_trie_hexary

from ogpu_sim.chain import tester_trie

from .helpers import trie_caches

RLPS_OWN_ENCODE_RAW = tester_trie._rlp_encode_raw
#: py-evm's own slot key, as collected (a chain another test keeps open in this worker may
#: have the caches installed while a test runs, so tests compare with what they found).
PY_EVMS_DECODE_KEY = storage_db.StorageLookup._decode_key
"""rlp's own ``encode_raw`` (kept when the module was imported, before any caches)."""


@contextmanager
def py_tries_own() -> Iterator[None]:
    """py-trie's own functions for a while, although the caches are installed."""
    installed = [(owner, name, getattr(owner, name)) for owner, name, _ in tester_trie._originals]
    own = {name: original for _, name, original in tester_trie._originals}
    assert py_trie_hexary.decode_node is not own["decode_node"]  # the caches are installed
    for owner, name, original in tester_trie._originals:
        setattr(owner, name, original)
    try:
        yield
    finally:
        for owner, name, cached in installed:
            setattr(owner, name, cached)


def outcome(db: dict[bytes, bytes], root: bytes, key: bytes) -> Any:
    """What a fresh trie at ``root`` answers for ``key``: the value, or the error raised."""
    try:
        return HexaryTrie(db, root_hash=root).get(key)
    except Exception as exc:
        return (type(exc).__name__, str(exc))


def build(entries: dict[bytes, bytes], deleted: list[bytes]) -> tuple[dict[bytes, bytes], bytes]:
    db: dict[bytes, bytes] = {}
    trie = HexaryTrie(db)
    for key, value in entries.items():
        trie[key] = value
    for key in deleted:
        del trie[key]
    return db, bytes(trie.root_hash)


def queries(entries: dict[bytes, bytes], extra: list[bytes]) -> list[bytes]:
    """The keys, some of their prefixes (some end inside an extension) and longer keys."""
    asked = set(extra)
    for key in entries:
        asked.update(key[:n] for n in (0, 1, 2, 3, len(key) - 1))
        asked.update((key + b"\x00", key + b"\xff"))
    return sorted(asked)


def test_trie_writes_give_the_same_root_with_the_caches() -> None:
    keys = [bytes([i]) * 32 for i in range(40)] + [b"\x01" * 31 + b"\x02"]

    def root() -> bytes:
        trie = HexaryTrie({})
        for index, key in enumerate(keys):
            trie[key] = b"value %d" % index
        for key in keys[::3]:
            del trie[key]
        assert trie[keys[1]] == b"value 1"
        return bytes(trie.root_hash)

    tester_trie.acquire()
    try:
        with py_tries_own():
            without = root()
        first, again = root(), root()  # the second walks cached nodes
    finally:
        tester_trie.release()
    assert (first, again) == (without, without)


KEYS = st.one_of(st.binary(max_size=3), st.binary(min_size=32, max_size=32))
ENTRIES = st.dictionaries(KEYS, st.binary(min_size=1, max_size=40), max_size=24)


@settings(max_examples=60, deadline=None, database=None)
@given(entries=ENTRIES, extra=st.lists(KEYS, max_size=6), data=st.data())
def test_reads_answer_as_py_tries_own_reads(
    entries: dict[bytes, bytes], extra: list[bytes], data: st.DataObject
) -> None:
    deleted = data.draw(
        st.lists(st.sampled_from(sorted(entries)), unique=True) if entries else st.just([])
    )
    with trie_caches():
        with py_tries_own():
            db, root = build(entries, deleted)
            asked = queries(entries, extra)
            expected = [outcome(db, root, key) for key in asked]
        assert [outcome(db, root, key) for key in asked] == expected
        assert [outcome(db, root, key) for key in asked] == expected  # now from the memo


@settings(max_examples=30, deadline=None, database=None)
@given(entries=ENTRIES, more=ENTRIES)
def test_reads_after_writes_through_the_caches_answer_as_py_trie(
    entries: dict[bytes, bytes], more: dict[bytes, bytes]
) -> None:
    with trie_caches():
        db, root = build(entries, [])
        trie = HexaryTrie(db, root_hash=root)
        for key, value in more.items():  # the written nodes are kept by their hash
            trie[key] = value
        root = bytes(trie.root_hash)
        asked = queries({**entries, **more}, [])
        got = [outcome(db, root, key) for key in asked]
        with py_tries_own():
            expected = [outcome(db, root, key) for key in asked]
    assert got == expected
    assert [value for key, value in zip(asked, got, strict=True) if key in more] == [
        more[key] for key in asked if key in more
    ]


def test_a_missing_node_fails_as_in_py_trie() -> None:
    keys = [bytes([0xA0 + i]) + b"missing node test" + bytes(14) for i in range(8)]
    with trie_caches():
        with py_tries_own():
            db, root = build({key: b"value of " + key[:1] for key in keys}, [])
            for node in [node for node in db if node != root]:
                del db[node]
            expected = [outcome(db, root, key) for key in keys]
        got = [outcome(db, root, key) for key in keys]
    assert got == expected
    assert {answer[0] for answer in got} == {"MissingTrieNode"}


def test_a_key_ending_inside_an_extension_fails_as_in_py_trie() -> None:
    # Both keys share the nibbles 1 2 3 4 5: the root is an extension over them.
    entries = {b"\x12\x34\x56": b"six", b"\x12\x34\x57": b"seven"}
    asked = [b"", b"\x12", b"\x12\x34", b"\x12\x34\x56", b"\x12\x34\x58", b"\x13"]
    with trie_caches():
        with py_tries_own():
            db, root = build(entries, [])
            expected = [outcome(db, root, key) for key in asked]
        got = [outcome(db, root, key) for key in asked]
    assert got == expected
    assert [answer if isinstance(answer, bytes) else answer[0] for answer in got] == [
        b"",
        "ValidationError",
        "ValidationError",
        b"six",
        b"",
        b"",
    ]


@settings(max_examples=30, deadline=None, database=None)
@given(entries=ENTRIES, more=ENTRIES, data=st.data())
def test_writes_over_written_nodes_give_py_tries_own_root(
    entries: dict[bytes, bytes], more: dict[bytes, bytes], data: st.DataObject
) -> None:
    # The second round of writes gets the first round's nodes by their hash.
    keys = sorted(entries)
    deleted = data.draw(st.lists(st.sampled_from(keys), unique=True) if keys else st.just([]))

    def root() -> bytes:
        db, first = build(entries, [])
        trie = HexaryTrie(db, root_hash=first)
        for key, value in more.items():
            trie[key] = value
        for key in deleted:
            if key not in more:
                del trie[key]
        return bytes(trie.root_hash)

    with trie_caches():
        with py_tries_own():
            expected = root()
        assert (root(), root()) == (expected, expected)


def test_a_node_kept_by_its_hash_is_answered_as_a_fresh_copy() -> None:
    with trie_caches():
        db, root = build({bytes([i]) * 32: b"value %d" % i for i in range(20)}, [])
        trie = HexaryTrie(db, root_hash=root)
        first = trie.get_node(root)
        first[0] = b"changed by py-trie"
        with py_tries_own():
            own = HexaryTrie(db, root_hash=root).get_node(root)
        assert trie.get_node(root) == own
    assert len(own) == 17


NESTED = st.recursive(
    st.one_of(st.binary(max_size=70), st.binary(min_size=1, max_size=1)),
    lambda parts: st.lists(parts, max_size=18) | st.tuples(parts, parts),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None, database=None)
@given(item=NESTED)
def test_the_node_encoding_is_rlps(item: Any) -> None:
    assert tester_trie._encode(item) == RLPS_OWN_ENCODE_RAW(item)


@settings(max_examples=200, deadline=None, database=None)
@given(
    children=st.lists(
        st.sampled_from([b"", b"\x00", b"\x80"]) | st.binary(min_size=31, max_size=33),
        min_size=17,
        max_size=17,
    )
)
def test_a_branch_of_hashes_and_blanks_encodes_as_rlp(children: list[bytes]) -> None:
    assert tester_trie._encode(children) == RLPS_OWN_ENCODE_RAW(children)
    assert tester_trie._encode(tuple(children)) == RLPS_OWN_ENCODE_RAW(children)


def test_rlp_encodes_through_the_node_encoding_while_the_caches_are_installed() -> None:
    with trie_caches():
        assert rlp.codec.encode_raw is tester_trie._encode
        assert rlp.encode([b"\x01", [b"\x02" * 60]]) == RLPS_OWN_ENCODE_RAW(
            [b"\x01", [b"\x02" * 60]]
        )


def test_the_node_encoding_leaves_other_types_to_rlp() -> None:
    assert tester_trie._encode([bytearray(b"\x01\x02")]) == rlp.codec.encode_raw([b"\x01\x02"])
    with pytest.raises(rlp.exceptions.EncodingError):
        tester_trie._encode([b"\x01", 7])


def test_the_storage_codec_answers_as_rlp_with_the_caches() -> None:
    values = [1, 0x7F, 0x80, 2**256 - 1]
    with trie_caches():
        codec = storage_db.rlp
        assert codec is not rlp
        assert [codec.encode(v) for v in values * 2] == [rlp.encode(v) for v in values * 2]
        big = rlp.sedes.big_endian_int
        assert [codec.decode(rlp.encode(v), sedes=big) for v in values * 2] == values * 2
        assert codec.encode(True) == rlp.encode(True)  # not an int: rlp's own
        assert codec.encode(b"\x01") == rlp.encode(b"\x01")
        with pytest.raises(rlp.exceptions.DeserializationError):
            codec.decode(b"\x00", sedes=big)  # a leading zero
        with pytest.raises(rlp.exceptions.DeserializationError):
            codec.decode(b"\x00", sedes=big)  # refused again: nothing was kept


@settings(max_examples=200, deadline=None, database=None)
@given(value=st.integers(min_value=0, max_value=2**300), raw=st.binary(max_size=40))
def test_the_storage_modules_conversions_answer_as_eth_utils(value: int, raw: bytes) -> None:
    with trie_caches():
        assert storage_db.to_bytes is not eth_utils.to_bytes
        assert storage_db.to_bytes(value) == eth_utils.to_bytes(value)
        assert storage_db.to_int(raw) == eth_utils.to_int(raw)


@settings(max_examples=100, deadline=None, database=None)
@given(slot=st.binary(max_size=32))
def test_a_slots_trie_key_is_py_evms(slot: bytes) -> None:
    own = PY_EVMS_DECODE_KEY
    before = storage_db.StorageLookup._decode_key
    with trie_caches():
        lookup = storage_db.StorageLookup.__new__(storage_db.StorageLookup)
        assert storage_db.StorageLookup._decode_key is not own
        assert lookup._decode_key(slot) == own(lookup, slot)
        assert lookup._decode_key(slot) == own(lookup, slot)  # memoized: the same again
    assert storage_db.StorageLookup._decode_key is before  # released: as it was


def test_the_storage_modules_conversions_leave_other_arguments_to_eth_utils() -> None:
    before = storage_db.to_bytes
    with trie_caches():
        assert storage_db.to_bytes(True) == b"\x01"
        assert storage_db.to_bytes(hexstr="0x1") == b"\x01"
        assert storage_db.to_int(hexstr="0x10") == 16
        assert storage_db.to_int(bytearray(b"\x01\x00")) == 256
        with pytest.raises(ValueError):
            storage_db.to_bytes(-1)
        with pytest.raises(TypeError):
            storage_db.to_int("12")
    assert storage_db.to_bytes is before  # released: as it was (eth_utils' own if no chain is open)


ACCOUNT_FIELDS = st.tuples(
    st.integers(min_value=0, max_value=2**256 - 1),
    st.integers(min_value=0, max_value=2**300),
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
)


@settings(max_examples=200, deadline=None, database=None)
@given(fields=ACCOUNT_FIELDS)
def test_the_account_codec_encodes_an_account_as_rlp(fields: tuple[Any, ...]) -> None:
    account = Account(*fields)
    assert tester_trie._ACCOUNT_FIELDS(account) == tuple(account) == fields
    with trie_caches():
        encoded = account_db.rlp.encode(account, sedes=Account)
    assert encoded == rlp.encode(account, sedes=Account)


def _decoded_by(decode: Any, data: bytes) -> Any:
    """What ``decode(data, sedes=Account)`` gives: the account's attributes, or its error."""
    try:
        return vars(decode(data, sedes=Account))
    except Exception as exc:
        return repr(exc)


@settings(max_examples=200, deadline=None, database=None)
@given(fields=ACCOUNT_FIELDS)
def test_the_account_codec_decodes_an_account_as_rlp_directly(fields: tuple[Any, ...]) -> None:
    encoded = rlp.encode(Account(*fields), sedes=Account)
    assert tester_trie._account_fields(encoded) == fields  # read directly, not by rlp
    codec = tester_trie._AccountCodec()
    assert _decoded_by(codec.decode, encoded) == _decoded_by(rlp.decode, encoded)
    assert vars(codec.decode(encoded, sedes=Account))["_cached_rlp"] == encoded


@settings(max_examples=300, deadline=None, database=None)
@given(
    fields=ACCOUNT_FIELDS,
    at=st.integers(min_value=0, max_value=200),
    byte=st.integers(min_value=0, max_value=255),
    change=st.sampled_from(("replace", "insert", "delete", "append")),
)
def test_the_account_codec_decodes_a_changed_encoding_as_rlp(
    fields: tuple[Any, ...], at: int, byte: int, change: str
) -> None:
    data = bytearray(rlp.encode(Account(*fields), sedes=Account))
    at %= len(data)
    if change == "replace":
        data[at] = byte
    elif change == "insert":
        data.insert(at, byte)
    elif change == "delete":
        del data[at]
    else:
        data.append(byte)
    changed = bytes(data)
    codec = tester_trie._AccountCodec()
    assert _decoded_by(codec.decode, changed) == _decoded_by(rlp.decode, changed)


ROOTS = "a0" + "11" * 32 + "a0" + "22" * 32


def _listed(payload: str) -> str:
    """The hex RLP list (one length byte) of a payload given in hex."""
    return f"f8{len(payload) // 2:02x}" + payload


@pytest.mark.parametrize(
    ("data", "direct"),
    [
        (_listed("8105" + "80" + ROOTS), False),  # 5 as a one-byte string
        (_listed("820001" + "80" + ROOTS), False),  # a leading zero
        (_listed("00" + "80" + ROOTS), False),  # 0 as the byte 0x00
        (_listed("80" + "80" + ROOTS + "00"), False),  # a byte after the code hash
        (_listed("80" + "80" + ROOTS)[:-2], False),  # a byte short
        (_listed("80" + "80" + "9f" + "11" * 31 + "a0" + "22" * 32), False),  # a 31-byte root
        ("f90044" + "80" + "80" + ROOTS, False),  # a length with a leading zero
        (_listed("80" + "80" + ROOTS), True),  # canonical: read directly
        (_listed("7f" + "8180" + ROOTS), True),
    ],
)
def test_the_account_codec_refuses_what_rlp_refuses(data: str, direct: bool) -> None:
    raw = bytes.fromhex(data)
    assert (tester_trie._account_fields(raw) is not None) is direct
    codec = tester_trie._AccountCodec()
    assert _decoded_by(codec.decode, raw) == _decoded_by(rlp.decode, raw)


def test_the_account_codec_leaves_a_field_rlp_would_refuse_to_rlp() -> None:
    with trie_caches():
        with pytest.raises(rlp.exceptions.SerializationError):
            account_db.rlp.encode(Account(0, -1, b"\x00" * 32, b"\x00" * 32), sedes=Account)
        with pytest.raises(rlp.exceptions.SerializationError):
            account_db.rlp.encode(Account(0, 1, b"\x00" * 31, b"\x00" * 32), sedes=Account)


LISTS = st.recursive(
    st.binary(max_size=40),
    lambda parts: st.lists(parts, max_size=18),
    max_leaves=40,
)


def lists_in(node: Any) -> list[int]:
    """The ids of every list in a node, itself included."""
    if type(node) is not list:
        return []
    return [id(node)] + [ident for item in node for ident in lists_in(item)]


@settings(max_examples=200, deadline=None, database=None)
@given(node=LISTS)
def test_a_frozen_node_thaws_to_an_equal_node_sharing_no_list(node: Any) -> None:
    frozen = tester_trie._frozen(node)
    thawed = tester_trie._thawed(frozen)
    assert thawed == node
    assert not set(lists_in(thawed)) & set(lists_in(node))
    assert hash(frozen) == hash(tester_trie._frozen(thawed))


def test_the_state_root_is_read_from_the_account_trie_as_py_evm_reads_it() -> None:
    from eth.db.atomic import AtomicDB
    from eth_typing import Address

    with trie_caches():
        state = account_db.AccountDB(AtomicDB())
        state.set_balance(Address(b"\x01" * 20), 5)
        state.persist()
        read = state.state_root
        with py_tries_own():
            expected = state.state_root
    assert (read, len(read)) == (expected, 32)
    assert expected != account_db.BLANK_ROOT_HASH
