"""Reading request bodies and ``multipart/form-data`` uploads for the mock IPFS server.

Multipart bodies are parsed with the standard library's :mod:`email` parser (``cgi`` is
deprecated): it already handles boundaries, CRLF/LF line ends, RFC 2231 file names and binary
payloads, and it never raises on malformed input, only records defects, which we turn into
:class:`BadRequest`. The price is speed on big binary uploads (the parser walks the body line
by line): about 0.1-0.15 s per MiB, and a regular expression compiled for every new boundary.

Bodies in the plain shape ``requests``/urllib3 (and so the SDK) send, with boundaries, field and
file names, and part headers from a conservative subset (:func:`_parse_plain`), are split
directly instead, about 20 times faster; anything else goes to the email parser. On the plain
subset both give the same parts (tests/ipfs/test_multipart.py checks them against each other).
"""

from __future__ import annotations

import email.policy
import email.utils
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from io import BufferedIOBase

from ogpu_sim.ipfs.errors import BadRequest

_CHUNK = 1 << 16


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart upload."""

    field: str
    filename: str | None
    content_type: str
    content: bytes


def read_body(
    rfile: BufferedIOBase,
    headers: Message | Mapping[str, str],
    limit: int,
    drain_limit: int,
) -> bytes:
    """Read a request body framed by Content-Length or chunked transfer coding.

    Args:
        rfile: the connection's input stream, positioned after the headers.
        headers: the request headers, or each lower-case header name's first value.
        limit: the largest body accepted.
        drain_limit: a body declared larger than ``limit`` but at most this is read and thrown
            away before answering 413, so the client sees the answer rather than a reset.

    Returns:
        The body (empty when the request has none).

    Raises:
        BadRequest: 400 for malformed framing or a body cut short, 413 for a body over
            ``limit``, 501 for a transfer coding other than chunked.
    """
    coding = (headers.get("transfer-encoding") or "").strip().lower()
    if coding:
        if coding != "chunked":
            raise BadRequest(501, f"transfer coding {coding!r} is not supported; use chunked")
        return _read_chunked(rfile, limit)
    declared = headers.get("content-length")
    if declared is None:
        return b""
    if not declared.strip().isdigit():
        raise BadRequest(400, f"Content-Length {declared!r} is not a non-negative integer")
    length = int(declared)
    if length > limit:
        if length <= drain_limit:
            _discard(rfile, length)
        raise BadRequest(413, f"upload of {length} bytes exceeds the limit of {limit} bytes")
    body = rfile.read(length)
    if len(body) != length:
        raise BadRequest(400, f"body ended after {len(body)} of {length} declared bytes")
    return body


def _discard(rfile: BufferedIOBase, length: int) -> None:
    while length > 0:
        chunk = rfile.read(min(_CHUNK, length))
        if not chunk:
            return
        length -= len(chunk)


def _read_chunked(rfile: BufferedIOBase, limit: int) -> bytes:
    body = bytearray()
    while True:
        line = rfile.readline(1024)
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadRequest(400, f"malformed chunk size line {line[:40]!r}") from None
        if size < 0:
            raise BadRequest(400, f"negative chunk size {size}")
        if size == 0:
            while rfile.readline(1024).strip():  # trailers up to the blank line
                pass
            return bytes(body)
        if len(body) + size > limit:
            raise BadRequest(413, f"chunked upload exceeds the limit of {limit} bytes")
        chunk = rfile.read(size)
        if len(chunk) != size:
            raise BadRequest(400, "chunked body ended inside a chunk")
        body += chunk
        rfile.readline(1024)  # the CRLF after each chunk


def _utf8(text: str, what: str) -> str:
    """Undo the parser's surrogateescape and insist the bytes were UTF-8."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        raise BadRequest(400, f"{what} is not valid UTF-8") from None


def parse_multipart(content_type: str | None, body: bytes) -> list[UploadedFile]:
    """Return the parts of a ``multipart/form-data`` body.

    Args:
        content_type: the request's Content-Type header.
        body: the request body.

    Returns:
        Every part that has a form field name, in order.

    Raises:
        BadRequest: 400 for an empty or malformed body or non-UTF-8 names, 415 when the
            request is not ``multipart/form-data``.
    """
    if not body:
        raise BadRequest(400, "empty request body; send multipart/form-data with a 'file' part")
    if not content_type or not content_type.lower().lstrip().startswith("multipart/form-data"):
        raise BadRequest(415, f"expected multipart/form-data, got {content_type or 'nothing'!r}")
    if "\r" in content_type or "\n" in content_type:
        raise BadRequest(400, "malformed Content-Type header")
    plain = _parse_plain(content_type, body)
    if plain is not None:
        return plain
    return _parse_email(content_type, body)


def _parse_email(content_type: str, body: bytes) -> list[UploadedFile]:
    """:func:`parse_multipart` through the email package, for every body (after the checks)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n"
    try:
        # compat32: the modern policies build header objects, ~20x slower per upload.
        message = BytesParser(policy=email.policy.compat32).parsebytes(
            head.encode("latin-1", "replace") + body
        )
        if message.get_boundary() is None:
            raise BadRequest(400, "multipart Content-Type has no boundary parameter")
        if not message.is_multipart() or message.defects:
            names = ", ".join(type(d).__name__ for d in message.defects) or "no parts"
            raise BadRequest(400, f"malformed multipart body ({names})")
        parts = [_part(part) for part in message.get_payload() if isinstance(part, Message)]
        return [part for part in parts if part is not None]
    except BadRequest:
        raise
    except Exception as exc:  # the email package can still trip over hostile headers
        raise BadRequest(400, f"malformed multipart body: {exc}") from exc


# The plain subset. Names and boundaries: characters the email package's parameter parsing and
# unquoting leave alone (no quotes, backslashes, angle brackets, semicolons or white space).
_TOKEN = rb"[A-Za-z0-9_.+()@,=!~#$%&^{}\[\]'-]"
_PLAIN_TYPE = re.compile(
    rb"[ \t]*multipart/form-data;[ \t]*boundary=(?:("
    + _TOKEN
    + rb"{1,70})|\"("
    + _TOKEN
    + rb"{1,70})\")",
    re.IGNORECASE,
)
_PLAIN_DISPOSITION = re.compile(
    rb'form-data;[ \t]*name="(' + _TOKEN + rb'+)"(?:;[ \t]*filename="(' + _TOKEN + rb'+)")?'
)
_PLAIN_PART_TYPE = re.compile(rb"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+")
_PLAIN_HEADER = re.compile(rb"([A-Za-z-]+):[ \t]*([^\r\n]*)")


def _parse_plain(content_type: str, body: bytes) -> list[UploadedFile] | None:
    """The parts of a body in the plain shape, or ``None`` when it is not (or not surely) so.

    Plain: ``--B CRLF part (CRLF --B CRLF part)* CRLF --B-- CRLF``, the delimiter ``--B``
    nowhere else; each part's headers are a ``form-data`` Content-Disposition with a quoted
    name (and file name) and optionally a parameterless, non-multipart, non-message
    Content-Type, each once, as ``Name: value CRLF``, then a blank line and the content.
    """
    match = _PLAIN_TYPE.fullmatch(content_type.encode("latin-1", "replace"))
    if match is None:
        return None
    delimiter = b"--" + (match.group(1) or match.group(2))
    if not body.startswith(delimiter + b"\r\n") or not body.endswith(
        b"\r\n" + delimiter + b"--\r\n"
    ):
        return None
    inner = body[len(delimiter) + 2 : -len(delimiter) - 6]
    if delimiter in inner.replace(b"\r\n" + delimiter + b"\r\n", b"\0"):
        return None
    parts = []
    for raw in inner.split(b"\r\n" + delimiter + b"\r\n"):
        part = _plain_part(raw)
        if part is None:
            return None
        parts.append(part)
    return parts


def _plain_part(raw: bytes) -> UploadedFile | None:
    head, separator, content = raw.partition(b"\r\n\r\n")
    if not separator:
        return None
    headers: dict[bytes, bytes] = {}
    for line in head.split(b"\r\n"):
        header = _PLAIN_HEADER.fullmatch(line)
        if header is None:
            return None
        name = header.group(1).lower()
        if name in headers or name not in (b"content-disposition", b"content-type"):
            return None
        headers[name] = header.group(2)
    disposition = _PLAIN_DISPOSITION.fullmatch(headers.get(b"content-disposition", b""))
    if disposition is None:
        return None
    content_type = headers.get(b"content-type", b"text/plain").lower()
    if _PLAIN_PART_TYPE.fullmatch(content_type) is None or content_type.startswith(
        (b"multipart/", b"message/")
    ):
        return None
    filename = disposition.group(2)
    return UploadedFile(
        field=disposition.group(1).decode("ascii"),
        filename=None if filename is None else filename.decode("ascii"),
        content_type=content_type.decode("ascii"),
        content=content,
    )


def _disposition(part: Message) -> tuple[str | None, str | None]:
    """The form field name and file name of a part, insisting on UTF-8.

    The parser keeps raw header bytes as surrogate escapes; they are decoded here, once, so
    UTF-8 names come out right and other bytes are refused rather than replaced.
    """
    raw = next((v for k, v in part.raw_items() if k.lower() == "content-disposition"), None)
    if raw is None:
        return None, None
    holder = Message()
    holder["Content-Disposition"] = _utf8(
        str(raw), "Content-Disposition header (form field or file name)"
    )
    name = holder.get_param("name", header="content-disposition")
    field = email.utils.collapse_rfc2231_value(name) if name is not None else None
    return field, holder.get_filename()


def _part(part: Message) -> UploadedFile | None:
    field, filename = _disposition(part)
    if field is None:
        return None
    content = part.get_payload(decode=True)
    if not isinstance(content, bytes):
        raise BadRequest(400, "nested multipart parts are not supported")
    return UploadedFile(
        field=field,
        filename=filename,
        content_type=part.get_content_type(),
        content=content,
    )


def single_file(parts: list[UploadedFile], field: str = "file") -> UploadedFile:
    """Return the first part named ``field``.

    Raises:
        BadRequest: 400 when there is no such part.
    """
    for part in parts:
        if part.field == field:
            return part
    found = ", ".join(repr(p.field) for p in parts) or "none"
    raise BadRequest(400, f"multipart body has no part named {field!r} (parts: {found})")
