"""The direct split of plain multipart bodies gives exactly what the email parser gives."""

from __future__ import annotations

from typing import Any

import pytest
import urllib3
from hypothesis import given, settings
from hypothesis import strategies as st

from ogpu_sim.ipfs.errors import BadRequest
from ogpu_sim.ipfs.multipart import UploadedFile, _parse_email, _parse_plain, parse_multipart

BOUNDARIES = st.sampled_from(
    ["9b1f0e42a7c3d5e6f8091a2b3c4d5e6f", "-", "--", "a-", "-a", "----x", "x" * 70, "a=b"] * 3
    + ["'()+_,./:?", "x" * 71, "a b", 'a"b', "a;b", "<ab>", "a\\b"]
)
NAMES = st.sampled_from(
    ["file", "upload", "data.json", "a=b", "x'y", "f", "%41", "{[]}", "@,!~#$&^"] * 6
    + ["ü", "a b", " a", "<a>", "", "name*", "a;b", 'a"b', "a\\b", "a\tb"]
)
PART_TYPES = st.sampled_from(
    [None, "application/json", "Text/Plain", "application/x+y", "image/png"] * 4
    + ["text/plain; charset=utf-8", "bad", "a/b/c", "multipart/mixed", "message/rfc822"]
    + ["image/png ", "application/octet-stream", "MESSAGE/x"]
)


def pieces(boundary: str) -> st.SearchStrategy[bytes]:
    """Content made of what trips multipart parsers: line ends, dashes, the boundary."""
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    atoms = [b"\r", b"\n", b"\r\n", b"-", b"--", b"x", b"\xff\x00", b"\r\n\r\n", delimiter[:-1]]
    atoms = atoms * 4 + [delimiter]
    return st.lists(st.sampled_from(atoms), max_size=8).map(b"".join)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """A body in the plain shape with (mostly) one thing about it changed as senders differ."""
    changed = draw(st.sampled_from(["nothing"] * 4 + ["one"] * 4 + ["many"]))
    aspects: set[str] = set()

    def pick(aspect: str, canonical: Any, others: list[Any]) -> Any:
        aspects.add(aspect)
        if changed == "many" or (changed == "one" and aspect == target):
            return draw(st.sampled_from([canonical, *others]))
        return canonical

    target = draw(st.sampled_from(ASPECTS))
    boundary = draw(BOUNDARIES)
    shown = pick("quotes", boundary, [f'"{boundary}"'])
    space = pick("space", " ", ["", "\t", "  "])
    prefix = pick("type", "multipart/form-data", ["Multipart/Form-Data", "multipart/x"])
    content_type = f"{prefix};{space}boundary={shown}" + pick("param", "", [" ", "; a=b"])
    eol = pick("eol", b"\r\n", [b"\n"])
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    body = pick("preamble", b"", [b"preamble\r\n"]) + delimiter + eol
    count = draw(st.integers(1, 3))
    for index in range(count):
        lines = []
        if index == 0 or pick("nameless", True, [False]):
            disposition = pick("disposition", "form-data", ["attachment", "FORM-DATA"])
            value = f'{disposition}; name="{draw(NAMES)}"'
            if draw(st.booleans()):
                value += f'; filename="{draw(NAMES)}"'
            header = pick("header", "Content-Disposition", ["content-disposition", "CD"])
            lines.append(f"{header}:{pick('colon', ' ', ['', '  ', chr(9)])}{value}")
        part_type = draw(PART_TYPES)
        if part_type is not None:
            lines.append(f"Content-Type: {part_type}")
        extra = pick("extra", None, ["Content-Transfer-Encoding: base64", "X: y", " folded"])
        if extra is not None:
            lines.append(extra)
        if draw(st.booleans()):
            lines.reverse()
        head = eol.join(line.encode("utf-8") for line in lines)
        body += head + eol + eol + draw(pieces(boundary))
        body += eol + delimiter + (eol if index < count - 1 else b"--" + eol)
    body += pick("epilogue", b"", [b"epilogue", b"\r\n"])
    assert aspects <= set(ASPECTS)
    return content_type, body


ASPECTS = ["quotes", "space", "type", "param", "eol", "preamble", "nameless", "disposition"]
ASPECTS += ["header", "colon", "extra", "epilogue"]


def email_outcome(content_type: str, body: bytes) -> list[UploadedFile] | tuple[int, str]:
    try:
        return _parse_email(content_type, body)
    except BadRequest as exc:
        return exc.status, exc.message


@settings(max_examples=300, deadline=None)
@given(case=bodies())
def test_the_plain_split_agrees_with_the_email_parser_or_declines(case: tuple[str, bytes]) -> None:
    content_type, body = case
    plain = _parse_plain(content_type, body)
    if plain is not None:
        assert plain == email_outcome(content_type, body)


@settings(max_examples=200, deadline=None)
@given(
    content=st.binary(max_size=300),
    filename=st.sampled_from(["data.json", "response.json", "note.txt", "a"]),
    content_type=st.sampled_from(["application/json", "text/plain", "application/octet-stream"]),
)
def test_what_requests_sends_takes_the_plain_split(
    content: bytes, filename: str, content_type: str
) -> None:
    body, header = urllib3.encode_multipart_formdata({"file": (filename, content, content_type)})
    plain = _parse_plain(header, body)
    assert plain == [UploadedFile("file", filename, content_type, content)]
    assert plain == _parse_email(header, body)


def test_two_parts_and_a_nameless_one_come_out_in_order() -> None:
    body = (
        b'--b1\r\nContent-Disposition: form-data; name="a"\r\n\r\none\r\n'
        b'--b1\r\nContent-Disposition: form-data; name="b"; filename="f.bin"\r\n'
        b"Content-Type: Application/Octet-Stream\r\n\r\n\r\ntwo\r\r\n--b1--\r\n"
    )
    expected = [
        UploadedFile("a", None, "text/plain", b"one"),
        UploadedFile("b", "f.bin", "application/octet-stream", b"\r\ntwo\r"),
    ]
    assert _parse_plain("multipart/form-data; boundary=b1", body) == expected
    assert _parse_email("multipart/form-data; boundary=b1", body) == expected


@pytest.mark.parametrize(
    "body",
    [
        b'--b1\r\nContent-Disposition: form-data; name="a"\r\n\r\nx--b1\r\n--b1--\r\n',
        b'--b1\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--b1--\r\ntail',
        b'--b1\nContent-Disposition: form-data; name="a"\n\nx\n--b1--\n',
        b"--b1\r\nContent-Disposition: form-data; name='a'\r\n\r\nx\r\n--b1--\r\n",
        b"--b1\r\nContent-Type: message/rfc822\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\nx\r\n--b1--\r\n',
    ],
    ids=["delimiter-in-content", "epilogue", "bare-lf", "single-quotes", "message-part"],
)
def test_bodies_outside_the_plain_shape_go_to_the_email_parser(body: bytes) -> None:
    assert _parse_plain("multipart/form-data; boundary=b1", body) is None


def test_parse_multipart_answers_a_plain_body_without_the_email_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(content_type: str, body: bytes) -> list[UploadedFile]:
        raise AssertionError("the email parser ran")

    monkeypatch.setattr("ogpu_sim.ipfs.multipart._parse_email", refuse)
    body, header = urllib3.encode_multipart_formdata(
        {"file": ("d.json", b"{}", "application/json")}
    )
    assert parse_multipart(header, body) == [
        UploadedFile("file", "d.json", "application/json", b"{}")
    ]
