"""The remembered proxy settings and Protocol members: urllib's and typing's own answers."""

from __future__ import annotations

import os
import typing
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

import pytest
import requests.compat
import requests.utils
from hypothesis import given, settings
from hypothesis import strategies as st
from requests._types import SupportsItems, SupportsRead

from ogpu_sim.sdk.environ import memoize_environment_proxies
from ogpu_sim.sdk.protocols import memoize_protocol_attrs

RAW_PROXIES = urllib.request.getproxies_environment
RAW_ATTRS = typing._get_protocol_attrs  # type: ignore[attr-defined]
NAMES = st.sampled_from(
    ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy",
     "ALL_PROXY", "Ftp_Proxy", "REQUEST_METHOD", "OGPU_SIM_TEST_X"]
)  # fmt: skip
VALUES = st.sampled_from(["", "http://127.0.0.1:1", "http://127.0.0.1:2", "*", "localhost"])
CHANGES = st.lists(st.lists(st.tuples(NAMES, VALUES), max_size=6), min_size=1, max_size=4)


def unmemoized(url: str) -> dict[str, str]:
    """``requests.utils.get_environ_proxies(url)`` with urllib's own function everywhere."""
    spots = [
        (urllib.request, "getproxies_environment"),
        (urllib.request, "getproxies"),
        (requests.utils, "getproxies"),
    ]
    saved = [getattr(module, name) for module, name in spots]
    for module, name in spots:
        setattr(module, name, RAW_PROXIES)
    try:
        return requests.utils.get_environ_proxies(url)
    finally:
        for (module, name), value in zip(spots, saved, strict=True):
            setattr(module, name, value)


@contextmanager
def environment_kept() -> Iterator[None]:
    """Put ``os.environ`` back exactly (contents and order) after the block."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def proxies() -> Iterator[None]:
    undo = memoize_environment_proxies()
    with environment_kept():
        for name in list(os.environ):
            if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
                del os.environ[name]
        yield
    undo()


@pytest.fixture
def members() -> Iterator[None]:
    undo = memoize_protocol_attrs()
    yield
    undo()


@settings(max_examples=60, deadline=None)
@given(changes=CHANGES)
def test_the_remembered_proxies_follow_every_change_of_the_environment(
    changes: list[list[tuple[str, str]]],
) -> None:
    undo = memoize_environment_proxies()
    try:
        with environment_kept():
            for change in changes:
                for name, value in change:
                    os.environ.pop(name, None)  # set again: it moves to the end
                    os.environ[name] = value
                for _ in range(2):
                    assert urllib.request.getproxies_environment() == RAW_PROXIES()
                    url = "http://example.test/"
                    assert requests.utils.get_environ_proxies(url) == unmemoized(url)
    finally:
        undo()


def test_a_proxy_set_after_a_first_answer_is_seen(proxies: None) -> None:
    assert requests.utils.getproxies() == {}
    os.environ["HTTP_PROXY"] = "http://127.0.0.1:9"

    assert requests.utils.getproxies() == {"http": "http://127.0.0.1:9"}
    assert requests.utils.should_bypass_proxies("http://127.0.0.1:5/x", None) is False


def test_a_lowercase_proxy_moved_before_the_uppercase_one_still_wins(proxies: None) -> None:
    os.environ["http_proxy"] = "http://127.0.0.1:1"
    os.environ["HTTP_PROXY"] = "http://127.0.0.1:2"
    assert urllib.request.getproxies_environment() == {"http": "http://127.0.0.1:1"}
    value = os.environ.pop("http_proxy")
    os.environ["http_proxy"] = value  # the same contents, another order

    assert urllib.request.getproxies_environment() == RAW_PROXIES() == {"http": value}


def test_each_answer_is_a_new_dict(proxies: None) -> None:
    os.environ["HTTPS_PROXY"] = "http://127.0.0.1:3"
    first = urllib.request.getproxies_environment()
    first["https"] = "changed"

    assert urllib.request.getproxies_environment() == {"https": "http://127.0.0.1:3"}


def test_a_plain_mapping_in_place_of_the_environment_is_read_by_urllib(
    proxies: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "environ", {"no_proxy": "*"})

    assert urllib.request.getproxies_environment() == {"no": "*"}


def test_undoing_the_proxies_memo_restores_every_module() -> None:
    spots = [
        (urllib.request, "getproxies_environment"),
        (urllib.request, "getproxies"),
        (requests.utils, "getproxies"),
        (requests.compat, "getproxies_environment"),
    ]
    before = [getattr(module, name) for module, name in spots]
    undo = memoize_environment_proxies()
    patched = [getattr(module, name) for module, name in spots]
    undo()

    assert len({id(value) for value in patched}) == 1 and patched[0] is not before[0]
    assert [getattr(module, name) for module, name in spots] == before


@pytest.mark.parametrize("protocol", [SupportsItems, SupportsRead])
@pytest.mark.parametrize("value", [{}, [("a", 1)], "text", b"x", None, open])
def test_requests_protocols_answer_as_typing_does(members: None, protocol: Any, value: Any) -> None:
    memo = typing._get_protocol_attrs  # type: ignore[attr-defined]
    typing._get_protocol_attrs = RAW_ATTRS  # type: ignore[attr-defined]
    try:
        expected = isinstance(value, protocol)
    finally:
        typing._get_protocol_attrs = memo  # type: ignore[attr-defined]

    assert [isinstance(value, protocol) for _ in range(2)] == [expected, expected]


def test_a_member_added_to_a_protocol_is_collected_again(members: None) -> None:
    @runtime_checkable
    class Closes(Protocol):
        def close(self) -> None: ...

    class Handle:
        def close(self) -> None: ...

    assert typing._get_protocol_attrs(Closes) == RAW_ATTRS(Closes) == {"close"}  # type: ignore[attr-defined]
    assert isinstance(Handle(), Closes) is True
    Closes.flush = lambda self: None  # type: ignore[attr-defined]

    assert typing._get_protocol_attrs(Closes) == RAW_ATTRS(Closes) == {"close", "flush"}  # type: ignore[attr-defined]


def test_each_member_set_is_a_new_set(members: None) -> None:
    first = typing._get_protocol_attrs(SupportsItems)  # type: ignore[attr-defined]
    first.add("changed")

    assert typing._get_protocol_attrs(SupportsItems) == {"items"}  # type: ignore[attr-defined]


def test_undoing_the_members_memo_restores_typing() -> None:
    before = typing._get_protocol_attrs  # type: ignore[attr-defined]
    undo = memoize_protocol_attrs()
    patched = typing._get_protocol_attrs  # type: ignore[attr-defined]
    undo()

    assert patched is not before
    assert typing._get_protocol_attrs is before  # type: ignore[attr-defined]
