"""Every store behaves the same (one conformance suite), and the directory store persists."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ogpu_sim.errors import ConfigError
from ogpu_sim.ipfs import (
    DirectoryStore,
    InvalidCidError,
    IpfsNotFoundError,
    MemoryStore,
    Store,
    StoreFullError,
    cid_v0,
    cid_v1,
    parse_cid,
)

HELLO = b"hello world\n"
HELLO_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
HELLO_V1 = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"

StoreFactory = Callable[..., Store]


@pytest.fixture(params=["memory", "directory"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """Build a store of each kind; the directory one lives in the test's tmp_path."""
    if request.param == "memory":
        return lambda **kw: MemoryStore(**kw)
    return lambda **kw: DirectoryStore(tmp_path / "store", **kw)


class TestStoreConformance:
    def test_put_returns_the_cid_v0_and_get_returns_the_bytes(
        self, make_store: StoreFactory
    ) -> None:
        store = make_store()
        assert store.put(HELLO) == HELLO_V0
        assert store.get(HELLO_V0) == HELLO

    def test_put_with_version_1_returns_the_cid_v1(self, make_store: StoreFactory) -> None:
        assert make_store().put(HELLO, version=1) == HELLO_V1

    def test_content_is_readable_by_its_cid_v1_and_other_spellings(
        self, make_store: StoreFactory
    ) -> None:
        store = make_store()
        store.put(HELLO)
        base58_v1 = parse_cid(HELLO_V1).encode("base58btc")
        assert store.get(HELLO_V1) == store.get(base58_v1) == HELLO

    def test_putting_the_same_content_twice_stores_it_once(self, make_store: StoreFactory) -> None:
        store = make_store()
        store.put(HELLO)
        store.put(HELLO)
        assert (len(store), store.used_bytes, store.cids()) == (1, 12, [HELLO_V0])

    def test_get_of_an_unknown_cid_raises_not_found(self, make_store: StoreFactory) -> None:
        with pytest.raises(IpfsNotFoundError, match=f"no content stored under CID {HELLO_V0}"):
            make_store().get(HELLO_V0)

    @pytest.mark.parametrize("key", ["../../etc/passwd", "..", "/etc/passwd", "Qm/../x", ""])
    def test_keys_that_are_not_cids_are_rejected(self, make_store: StoreFactory, key: str) -> None:
        store = make_store()
        with pytest.raises(InvalidCidError):
            store.get(key)
        assert key not in store

    def test_delete_forgets_every_spelling(self, make_store: StoreFactory) -> None:
        store = make_store()
        store.put(HELLO)
        store.delete(HELLO_V1)
        assert (HELLO_V0 in store, HELLO_V1 in store, store.used_bytes) == (False, False, 0)

    def test_a_full_store_refuses_content_past_its_limit(self, make_store: StoreFactory) -> None:
        store = make_store(max_bytes=20)
        store.put(HELLO)
        with pytest.raises(StoreFullError, match="cannot store 11 bytes: 12 of 20 bytes"):
            store.put(b"hello again")
        assert store.cids() == [HELLO_V0]

    def test_a_full_store_names_the_sizes_and_accepts_again_after_a_delete(
        self, make_store: StoreFactory
    ) -> None:
        store = make_store(max_bytes=12)
        store.put(HELLO)
        with pytest.raises(StoreFullError) as caught:
            store.put(b"x")
        assert (caught.value.size, caught.value.used, caught.value.limit) == (1, 12, 12)
        store.delete(HELLO_V0)
        store.put(b"x")
        assert store.used_bytes == 1

    def test_putting_the_same_content_again_does_not_count_twice(
        self, make_store: StoreFactory
    ) -> None:
        store = make_store(max_bytes=12)
        store.put(HELLO)
        store.put(HELLO)
        assert store.used_bytes == 12

    @pytest.mark.parametrize("limit", [-1, 1.5, "10", True])
    def test_a_limit_that_is_not_a_non_negative_integer_is_a_config_error(
        self, make_store: StoreFactory, limit: object
    ) -> None:
        with pytest.raises(ConfigError) as caught:
            make_store(max_bytes=limit)
        assert caught.value.option == "max_bytes"

    def test_clear_empties_the_store(self, make_store: StoreFactory) -> None:
        store = make_store()
        store.put(b"a")
        store.put(b"b")
        store.clear()
        assert (len(store), store.used_bytes) == (0, 0)

    def test_concurrent_puts_lose_nothing(self, make_store: StoreFactory) -> None:
        store = make_store()
        blobs = [f"blob {i}".encode() for i in range(400)]

        def put_slice(start: int) -> None:
            for blob in blobs[start::4]:
                store.put(blob)

        threads = [threading.Thread(target=put_slice, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(store.cids()) == sorted(cid_v0(b) for b in blobs)
        assert all(store.get(cid_v1(b)) == b for b in blobs)


class TestDirectoryStore:
    def test_content_survives_reopening_the_directory(self, tmp_path: Path) -> None:
        DirectoryStore(tmp_path).put(HELLO)
        reopened = DirectoryStore(tmp_path)
        assert (reopened.cids(), reopened.get(HELLO_V1)) == ([HELLO_V0], HELLO)

    def test_one_file_per_cid_v0_and_no_temporary_files_are_left(self, tmp_path: Path) -> None:
        DirectoryStore(tmp_path).put(HELLO)
        assert sorted(p.name for p in tmp_path.iterdir()) == [HELLO_V0]

    def test_a_file_whose_bytes_do_not_match_its_name_is_not_served(self, tmp_path: Path) -> None:
        (tmp_path / HELLO_V0).write_bytes(b"tampered")
        (tmp_path / "notes.txt").write_bytes(b"not a cid")
        store = DirectoryStore(tmp_path)
        assert (len(store), HELLO_V0 in store) == (0, False)

    def test_reopening_past_the_limit_is_refused(self, tmp_path: Path) -> None:
        DirectoryStore(tmp_path).put(HELLO)
        with pytest.raises(StoreFullError) as caught:
            DirectoryStore(tmp_path, max_bytes=4)
        assert str(caught.value) == (
            "the store already holds 12 bytes, over its limit of 4 bytes "
            "(raise the cap: Simulator.start(ipfs_max_bytes=...) "
            "or IpfsServer(max_store_bytes=...))"
        )
