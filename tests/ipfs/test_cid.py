"""CIDs match what kubo's ``ipfs add`` prints, for one chunk and for balanced DAGs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multiformats import varint

from ogpu_sim.ipfs import (
    InvalidCidError,
    cid_v0,
    cid_v1,
    compute_cid,
    dag_size,
    file_cids,
    normalize_cid,
    parse_cid,
)
from ogpu_sim.ipfs.cid import CHUNK_SIZE, MAX_LINKS, _varint


def pattern(n: int) -> bytes:
    """Deterministic test bytes: byte i is (31 * i + i // 256) mod 256.

    That sequence repeats every 65536 bytes, so it is built from one period.
    """
    period = bytes((31 * i + (i >> 8)) & 255 for i in range(65536))
    return (period * (n // len(period) + 1))[:n]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"hello world\n", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"),
        (b"hello world", "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"),
        (b"", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
    ],
    ids=["hello-newline", "hello", "empty"],
)
def test_cid_v0_matches_ipfs_add(data: bytes, expected: str) -> None:
    assert cid_v0(data) == expected


def test_cid_v1_matches_ipfs_add_cid_version_1() -> None:
    assert cid_v1(b"hello world\n") == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"


# Vectors from ipfs-unixfs-importer 17.1.1 run with kubo's defaults (262144-byte chunks,
# balanced layout, 174 links; v0: dag-pb File leaves; v1: raw leaves), over pattern(n).
LARGE_VECTORS = [
    (
        CHUNK_SIZE,
        "QmRGtaHK8V8JK23yDT1tfoh2eRY9U5ix6zbiNHc9732JMo",
        262158,
        "bafkreicyf2rsjlabvogs5vfihpzfegm2q5hjwrohaneftr2crm6gsnlznm",
        262144,
    ),
    (
        CHUNK_SIZE + 1,
        "QmcVbM5cMCqC9pvnGvnPMHThnJdMeqJ4oVsqRSqWkdHXky",
        262267,
        "bafybeidgoqoyg4yhalu6oks2gnsjbs74tnoepwkl77plj4i4rd6lhvt424",
        262249,
    ),
    (
        3 * CHUNK_SIZE + 17,
        "Qmcu9EtrWhLcT7opkefgAaAdyTKFJR7h6hDUW4dFFhWbfm",
        786695,
        "bafybeibaltkmd3azvf2k3nehoml5s5ahwqomnwuvfunif6zfetoxe4face",
        786653,
    ),
    (
        MAX_LINKS * CHUNK_SIZE + 1,  # one chunk past a full root: the DAG grows a level
        "QmVZjfaRfSnMEE9akRfRuGzVHQNfcEynaJQKj8G6JMaPFd",
        45624016,
        "bafybeibceeiwyvx3pxrrewxawlbhjvw5ia7lqgj7pt6zjsw56m6vxph5dq",
        45621926,
    ),
]


@pytest.mark.parametrize(
    ("size", "v0", "v0_size", "v1", "v1_size"),
    LARGE_VECTORS,
    ids=["one-full-chunk", "two-chunks", "four-chunks", "depth-two"],
)
def test_balanced_dag_cids_match_the_reference_importer(
    size: int, v0: str, v0_size: int, v1: str, v1_size: int
) -> None:
    data = pattern(size)
    assert (cid_v0(data), dag_size(data, 0)) == (v0, v0_size)
    assert (cid_v1(data), dag_size(data, 1)) == (v1, v1_size)


def test_compute_cid_rejects_unknown_versions() -> None:
    with pytest.raises(ValueError, match="CID version must be 0 or 1, not 2"):
        compute_cid(b"x", version=2)


def test_normalize_maps_a_cid_v1_of_a_dag_pb_node_to_its_cid_v0() -> None:
    v0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    as_v1 = str(parse_cid(v0).set(base="base32", version=1))
    assert as_v1.startswith("bafybei")
    assert normalize_cid(as_v1) == v0


def test_normalize_writes_raw_cids_in_base32() -> None:
    raw = parse_cid("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4")
    assert normalize_cid(raw.encode("base58btc")) == raw.encode("base32")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty or not text"),
        ("../../etc/passwd", "only ASCII letters and digits"),
        ("Qm" + "1" * 300, "longer than 256 characters"),
        ("QmNotAValidCidAtAll", "QmNotAValidCidAtAll"),
        ("bafkqaaa", "hash function identity is not sha2-256"),
    ],
    ids=["empty", "traversal", "too-long", "garbage", "identity-hash"],
)
def test_parse_cid_rejects_what_is_not_a_servable_cid(text: str, problem: str) -> None:
    with pytest.raises(InvalidCidError, match="invalid CID") as caught:
        parse_cid(text)
    assert problem in str(caught.value)


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.integers(0, 2**14), st.integers(0, 2**63 - 1)))
def test_varints_are_the_multiformats_varints(value: int) -> None:
    assert _varint(value) == varint.encode(value)


@pytest.mark.parametrize("size", [0, 1, 127, 128, 16_384, CHUNK_SIZE, CHUNK_SIZE + 1])
def test_file_cids_are_both_versions_and_the_v1_store_key(size: int) -> None:
    data = pattern(size)
    cids = file_cids(data)
    assert (cids.v0, cids.v1) == (cid_v0(data), cid_v1(data))
    assert cids.v1_key == normalize_cid(cids.v1)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=80), zeros=st.integers(0, 4))
def test_base58btc_agrees_with_multiformats_on_any_bytes(data: bytes, zeros: int) -> None:
    from multiformats import multibase

    from ogpu_sim.ipfs.cid import _base58btc

    raw = b"\0" * zeros + data
    assert _base58btc(raw) == multibase.encode(raw, "base58btc")[1:]


def test_file_cids_of_content_pinned_again_are_the_kept_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ogpu_sim.ipfs import cid

    data = b'{"function_name": "echo", "data": {"n": 1}}'
    first = file_cids(data)
    monkeypatch.setattr(cid, "_BalancedBuilder", None)  # a second build would fail
    assert file_cids(bytearray(data)) is first


def test_file_cids_keeps_at_most_its_bound_dropping_the_oldest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ogpu_sim.ipfs import cid

    monkeypatch.setattr(cid, "_FILE_CIDS_KEPT", 3)
    monkeypatch.setattr(cid, "_file_cids_kept", {})
    for n in range(5):
        file_cids(b"file %d" % n)
    kept = [value.v0 for value in cid._file_cids_kept.values()]
    assert kept == [cid_v0(b"file 2"), cid_v0(b"file 3"), cid_v0(b"file 4")]
