"""Hostile nesting is measured, never parsed: content types and get_json stay safe."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
import requests

from ogpu_sim.ipfs import IpfsServer
from ogpu_sim.ipfs.content import (
    MAX_JSON_DEPTH,
    loads_bounded,
    nests_deeper_than,
    sniff_content_type,
)

PY_EVM_RECURSION_LIMIT = 100_000  # what py-evm sets at import; json.loads then overflows C


@pytest.fixture
def py_evm_recursion_limit() -> Iterator[None]:
    """The recursion limit as py-evm leaves it, restored afterwards."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(PY_EVM_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        ("[[[]]]", False),
        ("[[[[]]]]", True),
        ('{"a": {"b": [[1]]}}', True),
        ("[1, [2, [3]]]", False),
        ('["[[[[[[", "]]]]"]', False),  # brackets inside strings do not count
        ('["\\"[[[[[["]', False),  # nor after an escaped quote
        ("[[[[", True),  # unbalanced, still deeper than 3 at its deepest
        ("]]]][[[", False),
        ("", False),
    ],
)
def test_nests_deeper_than_counts_only_brackets_outside_strings(text: str, deeper: bool) -> None:
    assert nests_deeper_than(text, 3) is deeper


def test_nesting_at_the_limit_is_json_and_one_deeper_is_text() -> None:
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    deeper = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    assert sniff_content_type(at_limit) == "application/json"
    assert sniff_content_type(deeper) == "text/plain; charset=utf-8"


def test_loads_bounded_refuses_deep_nesting_with_a_value_error() -> None:
    with pytest.raises(ValueError) as caught:
        loads_bounded(b"[" * 100_000)
    assert str(caught.value) == "JSON content nests deeper than 512 levels; refusing to parse it"


def test_loads_bounded_parses_ordinary_json() -> None:
    assert loads_bounded(b'{"a": [1, {"b": "]]]"}]}') == {"a": [1, {"b": "]]]"}]}


@pytest.mark.usefixtures("py_evm_recursion_limit")
@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000, b"[1," * 100_000])
def test_the_gateway_serves_hostile_nesting_as_text_and_keeps_serving(
    ipfs: IpfsServer, body: bytes
) -> None:
    reply = requests.get(ipfs.add(body), timeout=10)
    assert (reply.status_code, reply.headers["Content-Type"]) == (200, "text/plain; charset=utf-8")
    assert reply.content == body
    assert requests.get(ipfs.add({"still": "serving"}), timeout=5).json() == {"still": "serving"}


@pytest.mark.usefixtures("py_evm_recursion_limit")
def test_get_json_of_hostile_nesting_raises_value_error(ipfs: IpfsServer) -> None:
    link = ipfs.add(b"[" * 100_000)
    with pytest.raises(ValueError, match="nests deeper than 512 levels"):
        ipfs.get_json(link)
