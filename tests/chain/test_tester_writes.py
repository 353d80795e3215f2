"""A batch of trie writes (ogpu_sim.chain.tester_writes) against py-trie's own key-by-key writes.

Each test computes the expected result with py-trie's own functions (the caches removed for a
while) and the same writes batched, and compares roots, the answers of a fresh trie reading the
batched database, errors, and py-evm's state roots.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eth.db.account import AccountDB
from eth.db.atomic import AtomicDB
from eth_typing import Address
from hypothesis import given, settings
from hypothesis import strategies as st
from trie import HexaryTrie
from trie.exceptions import MissingTrieNode, ValidationError
from trie.validation import validate_is_node

from ogpu_sim.chain import tester_writes

from .helpers import trie_caches
from .test_tester_trie import ENTRIES, KEYS, build, outcome, py_tries_own, queries

# A write: (key, value) sets, (key, None) deletes (py-trie's ``del``), (key, b"") sets blank.
VALUES = st.one_of(st.none(), st.binary(max_size=40))
WRITES = st.lists(st.tuples(KEYS, VALUES), max_size=30)


@pytest.fixture(autouse=True)
def caches() -> Iterator[None]:
    with trie_caches():
        yield


@contextmanager
def batch() -> Iterator[None]:
    with tester_writes.batched():
        yield


def apply(trie: HexaryTrie, writes: list[tuple[bytes, bytes | None]]) -> None:
    for key, value in writes:
        if value is None:
            del trie[key]
        else:
            trie[key] = value


def written(
    entries: dict[bytes, bytes],
    writes: list[tuple[bytes, bytes | None]],
    prune: bool,
    batched: bool = False,
) -> tuple[dict[bytes, bytes], bytes]:
    """The database and root of ``entries`` then ``writes`` (in one batch if ``batched``)."""
    db, root = build(entries, [])
    trie = HexaryTrie(db, root_hash=root, prune=prune)
    if batched:
        with batch():
            apply(trie, writes)
    else:
        apply(trie, writes)
    return db, bytes(trie.root_hash)


@settings(max_examples=80, deadline=None, database=None)
@given(entries=ENTRIES, writes=WRITES, prune=st.booleans(), data=st.data())
def test_a_batch_of_writes_gives_py_tries_own_root_and_nodes(
    entries: dict[bytes, bytes],
    writes: list[tuple[bytes, bytes | None]],
    prune: bool,
    data: st.DataObject,
) -> None:
    if entries:  # writes over present keys too
        present = st.tuples(st.sampled_from(sorted(entries)), VALUES)
        writes = writes + data.draw(st.lists(present, max_size=10))
    with py_tries_own():  # py-trie's pruning can lose nodes in use: the reference keeps all
        own_db, own_root = written(entries, writes, prune=False)
        asked = queries({**entries, **{key: b"" for key, _ in writes}}, [])
        expected = [outcome(own_db, own_root, key) for key in asked]
    db, root = written(entries, writes, prune, batched=True)
    assert root == own_root
    with py_tries_own():  # every reachable node is in the batched database
        assert [outcome(dict(db), root, key) for key in asked] == expected


def test_a_batch_keeps_the_nodes_a_write_leaves_as_they_were() -> None:
    # py-trie's pruning over stored nodes deletes the nodes of a path written as it was.
    key, other = b"\x01" * 32, b"\x02" * 32
    db, root = build({key: b"same", other: b"other"}, [])
    with py_tries_own():
        own_db = dict(db)
        HexaryTrie(own_db, root_hash=root, prune=True)[key] = b"same"
        assert root not in own_db
    trie = HexaryTrie(db, root_hash=root, prune=True)
    with batch():
        trie[key] = b"same"
    assert (trie.root_hash, root in db, HexaryTrie(db, root_hash=root)[other]) == (
        root,
        True,
        b"other",
    )


def test_a_read_in_a_batch_sees_the_writes_before_it() -> None:
    db, root = build({bytes([i]) * 32: b"value %d" % i for i in range(8)}, [])
    trie = HexaryTrie(db, root_hash=root, prune=True)
    with batch():
        trie[b"\x01" * 32] = b"new"
        del trie[b"\x02" * 32]
        assert (trie[b"\x01" * 32], trie[b"\x02" * 32], trie[b"\x03" * 32]) == (
            b"new",
            b"",
            b"value 3",
        )
        trie[b"\x04" * 32] = b"after the read"
    with py_tries_own():
        expected = HexaryTrie(db, root_hash=root, prune=True)
        expected[b"\x01" * 32] = b"new"
        del expected[b"\x02" * 32]
        expected[b"\x04" * 32] = b"after the read"
    assert trie.root_hash == expected.root_hash


def test_a_refused_write_in_a_batch_keeps_the_writes_before_it() -> None:
    db, root = build({bytes([i]) * 32: b"value %d" % i for i in range(8)}, [])
    trie = HexaryTrie(db, root_hash=root, prune=True)
    with pytest.raises(ValidationError, match="Value is not of type `bytes`"), batch():
        trie[b"\x01" * 32] = b"kept"
        trie[b"\x02" * 32] = "not bytes"  # type: ignore[assignment]
    with py_tries_own():
        expected = HexaryTrie(db, root_hash=root)
        expected[b"\x01" * 32] = b"kept"
    assert trie.root_hash == expected.root_hash


def test_a_missing_node_in_a_batch_fails_as_in_py_trie() -> None:
    keys = [bytes([i]) * 32 for i in range(40)]
    with py_tries_own():  # nodes no test before has had kept by their hash (values of its own)
        db, root = build({key: b"missing-node test %d" % i for i, key in enumerate(keys)}, [])
        missing = HexaryTrie(db, root_hash=root).get_node(root)[2]  # under the keys 0x20...
        del db[missing]
        own_trie = HexaryTrie(db, root_hash=root)
        with pytest.raises(MissingTrieNode) as own:
            for key in keys:
                own_trie[key] = b"changed"
        own_root = own_trie.root_hash
    trie = HexaryTrie(db, root_hash=root)
    with pytest.raises(MissingTrieNode) as batched, batch():
        for key in keys:
            trie[key] = b"changed"
    assert (batched.value.missing_node_hash, batched.value.requested_key) == (missing, keys[0x20])
    assert (own.value.missing_node_hash, own.value.requested_key) == (missing, keys[0x20])
    assert trie.root_hash == own_root  # the writes before it


def test_a_nested_batch_is_the_outer_ones() -> None:
    trie = HexaryTrie({})
    with batch():
        with batch():
            trie[b"\x01" * 32] = b"one"
        assert trie.root_hash == HexaryTrie({}).root_hash  # still pending
        trie[b"\x02" * 32] = b"two"
    with py_tries_own():
        expected = HexaryTrie({})
        expected[b"\x01" * 32] = b"one"
        expected[b"\x02" * 32] = b"two"
    assert trie.root_hash == expected.root_hash


def test_key_by_key_writes_after_a_batch_prune_as_py_trie() -> None:
    writes: list[tuple[bytes, bytes | None]] = [(bytes([i]) * 32, b"v%d" % i) for i in range(12)]
    later: list[tuple[bytes, bytes | None]] = [(bytes([i]) * 32, None) for i in range(0, 12, 2)]
    db, root = build({}, [])
    trie = HexaryTrie(db, root_hash=root, prune=True)
    with batch():
        apply(trie, writes)
    apply(trie, later)  # py-trie's own pruning over the batch's nodes
    with py_tries_own():
        own_db, own_root = written({}, writes + later, prune=True)
        assert [outcome(dict(db), trie.root_hash, key) for key, _ in writes] == [
            outcome(own_db, own_root, key) for key, _ in writes
        ]
    assert trie.root_hash == own_root


def state_root(accounts: int, slots: int) -> tuple[bytes, bytes]:
    """py-evm's state roots after two rounds of balance, nonce, code and storage writes."""
    state = AccountDB(AtomicDB())
    roots = []
    for round_ in (1, 2):
        for index in range(accounts):
            address = bytes([index + 1]) * 20
            state.set_balance(address, 10**18 * index + round_)
            state.set_nonce(address, round_)
            if index % 3 == 0:
                state.set_code(address, b"\x60\x00" * (index + round_))
            for slot in range(slots):
                state.set_storage(address, slot * round_, index * 1000 + slot * round_)
            if round_ == 2 and index % 4 == 1:
                state.set_storage(address, 1, 0)  # a deleted slot
        if round_ == 2:
            state.delete_account(bytes([3]) * 20)
        state.persist()
        roots.append(bytes(state.state_root))
    return roots[0], roots[1]


def test_py_evm_state_roots_are_py_tries_own() -> None:
    with py_tries_own():
        expected = state_root(accounts=9, slots=7)
    assert state_root(accounts=9, slots=7) == expected


def test_outside_a_batch_writes_are_py_tries_own() -> None:
    trie = HexaryTrie({})
    trie[b"\x01" * 32] = b"one"
    assert tester_writes.pending_batch() is None
    with py_tries_own():
        expected = HexaryTrie({})
        expected[b"\x01" * 32] = b"one"
    assert trie.root_hash == expected.root_hash


def test_a_pending_node_is_answered_as_a_fresh_copy() -> None:
    node: list[Any] = [b"\x20", [b"\x31", b"x"]]
    copied = HexaryTrie({}).get_node(tester_writes.Pending(node))
    assert copied == node
    assert copied is not node and copied[1] is not node[1]


def test_a_batch_defers_only_its_own_threads_writes() -> None:
    trie = HexaryTrie({})
    with batch():
        worker = threading.Thread(target=trie.set, args=(b"\x01" * 32, b"one"))
        worker.start()
        worker.join()
        written_by_the_other_thread = bytes(trie.root_hash)
    with py_tries_own():
        expected = HexaryTrie({})
        expected[b"\x01" * 32] = b"one"
    assert written_by_the_other_thread == expected.root_hash


def _validated(check: Any, node: Any) -> str | None:
    try:
        check(node)
    except Exception as exc:
        return repr(exc)
    return None


CHILDREN = st.one_of(
    st.just(b""),
    st.binary(min_size=32, max_size=32),
    st.binary(max_size=40),
    st.lists(st.binary(max_size=4), min_size=2, max_size=2),  # an embedded node
    st.just(bytearray(b"\x01" * 32)),
    st.integers(),
)
NODES = st.one_of(
    st.lists(CHILDREN, min_size=17, max_size=17),
    st.lists(CHILDREN, min_size=2, max_size=2),
    st.lists(CHILDREN, max_size=18),
    st.just(b""),
)


@settings(max_examples=400, deadline=None, database=None)
@given(node=NODES)
def test_a_node_is_validated_as_py_trie_validates_it(node: Any) -> None:
    assert _validated(tester_writes.validate_node, node) == _validated(validate_is_node, node)


def test_the_common_nodes_pass_and_a_short_hash_fails_as_in_py_trie() -> None:
    branch = [b""] * 16 + [b""]
    branch[3] = b"\x11" * 32
    assert _validated(tester_writes.validate_node, branch) is None
    assert _validated(tester_writes.validate_node, [b"\x20\x01", b"\x05"]) is None
    branch[3] = b"\x11" * 31
    assert _validated(tester_writes.validate_node, branch) == (
        "ValidationError('Value is of length 31.  Must be 32')"
    )


@settings(max_examples=200, deadline=None, database=None)
@given(
    node=st.recursive(
        st.binary(max_size=40), lambda parts: st.lists(parts, max_size=18), max_leaves=40
    )
)
def test_a_nodes_copy_is_equal_and_shares_no_list(node: Any) -> None:
    def lists_in(item: Any) -> list[int]:
        if type(item) is not list:
            return []
        return [id(item)] + [ident for part in item for ident in lists_in(part)]

    copied = tester_writes.copy(node)
    assert copied == node
    assert not set(lists_in(copied)) & set(lists_in(node))


def touched_and_changed_root() -> tuple[bytes, int]:
    """py-evm's state root after a block that touches one account and changes another, and
    how many account writes reached the trie."""
    state = AccountDB(AtomicDB())
    touched, changed = Address(b"\x01" * 20), Address(b"\x02" * 20)
    state.set_balance(touched, 7)
    state.set_balance(changed, 8)
    state.persist()
    writes = 0
    own_set = HexaryTrie.set

    def counted(self: HexaryTrie, key: bytes, value: bytes) -> None:
        nonlocal writes
        writes += 1
        own_set(self, key, value)

    HexaryTrie.set = counted  # type: ignore[method-assign]
    try:
        state.touch_account(touched)  # EIP-161's touch: the account written back as it is
        state.set_balance(changed, 9)
        state.persist()
    finally:
        HexaryTrie.set = own_set  # type: ignore[method-assign]
    return bytes(state.state_root), writes


def test_an_account_written_back_unchanged_is_not_written_to_the_trie() -> None:
    with py_tries_own():
        expected_root, own_writes = touched_and_changed_root()
    root, writes = touched_and_changed_root()
    assert (root, writes, own_writes) == (expected_root, 1, 2)


@settings(max_examples=60, deadline=None, database=None)
@given(
    left=st.lists(st.integers(0, 16), max_size=65).map(tuple),
    right=st.lists(st.integers(0, 16), max_size=65).map(tuple),
    same=st.booleans(),
)
def test_a_common_prefix_is_py_tries_own(
    left: tuple[int, ...], right: tuple[int, ...], same: bool
) -> None:
    right = left if same else right
    with py_tries_own():
        from trie.utils.nodes import consume_common_prefix

        expected = consume_common_prefix(left, right)
    assert tester_writes.consume_common_prefix(left, right) == expected
