"""Request targets split by ogpu_sim.ipfs.routes.parse_target, its shortcut included."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote_to_bytes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogpu_sim.ipfs.errors import BadRequest
from ogpu_sim.ipfs.routes import parse_target

HELLO_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


def decoded(target: str) -> tuple[str, dict[str, list[str]]] | str:
    """The target as percent-decoding splits it, or the 400's message (no shortcut)."""
    if not target.startswith("/"):
        return f"request target must be an absolute path, not {target[:60]!r}"
    raw_path, _, raw_query = target.partition("?")
    try:
        path = unquote_to_bytes(raw_path.partition("#")[0]).decode("utf-8")
        query = parse_qs(raw_query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return "request target is not valid UTF-8 once percent-decoded"
    if "\x00" in path:
        return "request path contains a NUL byte"
    return path, query


def outcome(target: str) -> tuple[str, dict[str, list[str]]] | str:
    try:
        return parse_target(target)
    except BadRequest as exc:
        assert exc.status == 400
        return exc.message


PIECES = [*"/aQm1%?#&=\x00\xe9 ~+", "%2F", "%C3%A9", "%e9", "%00", "arg=Qm"]
TARGETS = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@settings(max_examples=600, deadline=None)
@given(target=TARGETS)
def test_targets_split_as_percent_decoding_splits_them(target: str) -> None:
    assert outcome(target) == decoded(target)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "/ipfs/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",
            ("/ipfs/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", {}),
        ),
        ("/file/create#top", ("/file/create", {})),
        ("/a%20b", ("/a b", {})),
        ("/api/v0/cat?arg=Qm", ("/api/v0/cat", {"arg": ["Qm"]})),
    ],
    ids=["gateway", "fragment", "percent", "query"],
)
def test_plain_and_encoded_targets_have_their_paths_and_queries(
    target: str, expected: tuple[str, dict[str, list[str]]]
) -> None:
    assert parse_target(target) == expected
